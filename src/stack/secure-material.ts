/**
 * What `stack up --secure` needs to secure the cluster: a throwaway CA, one server certificate signed by
 * it for 127.0.0.1 and localhost (the Kafka SASL_SSL listener and nginx both present it), and the
 * generated users' passwords. Everything is made with the JDK's `keytool` (PKCS12 keystores; the CA
 * also as PEM for Node clients), kept in `<stateDir>/secure` and reused by later `up`s, so clients that
 * trust the CA once keep trusting it. Secrets are files of mode 0600 that nothing prints.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StackError } from '../errors.js';
import type { StackOptions } from './options.js';

/** The one SASL user of the Kafka listener (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 all know it). */
export const KAFKA_USER = 'avrokit';
/** The one basic-auth user nginx lets through to the registry. */
export const REGISTRY_USER = 'avrokit';

export interface SecureMaterial {
  readonly dir: string;
  /** The CA certificate, PEM: what clients trust (AVROKIT_CA_FILE). */
  readonly caFile: string;
  /** The server's PKCS12 keystore (key + chain), for Kafka's `ssl.keystore.location`. */
  readonly serverKeystore: string;
  /** The server certificate and its private key as PEM, for nginx. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** nginx's `auth_basic_user_file`: the registry user with a salted SHA-1 hash ({SSHA}). */
  readonly htpasswdFile: string;
  /** Files holding one secret each (mode 0600); the secrets themselves are read only where needed. */
  readonly storePasswordFile: string;
  readonly kafkaPasswordFile: string;
  readonly registryPasswordFile: string;
}

export function secureMaterialPaths(options: StackOptions): SecureMaterial {
  const dir = join(options.stateDir, 'secure');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverKeystore: join(dir, 'server.p12'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    htpasswdFile: join(dir, 'htpasswd'),
    storePasswordFile: join(dir, 'store-password'),
    kafkaPasswordFile: join(dir, 'kafka-password'),
    registryPasswordFile: join(dir, 'registry-password'),
  };
}

export function readSecret(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/** 24 random bytes as base64url: no character a properties file, JAAS or a shell would need to quote. */
function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  // writeFileSync's mode applies only to a new file; a file left by an earlier run is tightened too.
  chmodSync(file, 0o600);
}

/** nginx reads `{SSHA}base64(sha1(password + salt) + salt)`, as OpenLDAP writes it. */
export function sshaHash(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** id-kp-clientAuth: the certificate may authenticate a TLS client. */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** The certificate is for 127.0.0.1 and localhost, the names a client of the stack can use. */
const SERVER_SAN = 'SAN=ip:127.0.0.1,dns:localhost';
/** Days the throwaway certificates are valid; `up` makes new ones when fewer than 2 remain. */
const VALIDITY_DAYS = 90;

/**
 * keytool is a JVM run for a second: the C1 compiler alone and the serial collector halve its start
 * (1.4 s to 0.8 s for a key pair here), and there are seven of them.
 */
const SHORT_LIVED_JVM = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

function keytoolPath(java: string): string {
  return java.includes('/') ? join(dirname(java), 'keytool') : 'keytool';
}

/** Runs keytool (or java) with the store password in the environment, never on the command line. */
function runJdkTool(command: string, args: readonly string[], password: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, AVROKIT_STORE_PASSWORD: password }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve();
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new StackError(
            missing ? 'STACK_JAVA_MISSING' : 'STACK_START_FAILED',
            missing
              ? `${command} could not be run: the secured stack makes its certificates with the JDK's keytool (install a JDK or set JAVA_HOME)`
              : `making the stack's certificates failed: ${command} ${args.find((a) => !a.startsWith('-J')) ?? ''}: ${`${stderr}${stdout}`.trim().split('\n').pop() ?? ''}`,
            { context: { command } },
          ),
        );
      },
    );
  });
}

/**
 * Writes a PKCS12 entry's private key as PKCS#8 PEM, which nginx needs and keytool cannot export.
 * openssl does it in milliseconds where it is installed; otherwise this single-file Java program does,
 * so that the JDK the stack already needs is all it takes (at the cost of compiling it: ~3 s).
 */
const EXPORT_KEY_JAVA = `import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.Base64;

public class ExportKey {
  public static void main(String[] args) throws Exception {
    char[] password = System.getenv("AVROKIT_STORE_PASSWORD").toCharArray();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
      store.load(in, password);
    }
    Key key = store.getKey(args[1], password);
    String body = Base64.getMimeEncoder(64, new byte[] {'\\n'}).encodeToString(key.getEncoded());
    Files.writeString(Path.of(args[2]), "-----BEGIN PRIVATE KEY-----\\n" + body + "\\n-----END PRIVATE KEY-----\\n");
  }
}
`;

function hasOpenssl(): boolean {
  return !spawnSync('openssl', ['version']).error;
}

async function exportKey(
  java: string,
  keystore: string,
  keyFile: string,
  password: string,
  dir: string,
): Promise<void> {
  if (hasOpenssl()) {
    // -passin env: keeps the password off the command line; pkcs12 -nocerts -nodes writes PKCS#8 PEM.
    await runJdkTool(
      'openssl',
      [
        'pkcs12',
        '-in',
        keystore,
        '-passin',
        'env:AVROKIT_STORE_PASSWORD',
        '-nocerts',
        '-nodes',
        '-out',
        keyFile,
      ],
      password,
      dir,
    );
    // openssl writes "Bag Attributes" lines before the key; only the PEM block is kept.
    const pem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(
      readFileSync(keyFile, 'utf8'),
    )?.[0];
    if (!pem) throw new StackError('STACK_START_FAILED', `openssl wrote no private key to ${keyFile}`);
    writeSecret(keyFile, `${pem}\n`);
    return;
  }
  const source = join(dir, 'ExportKey.java');
  writeFileSync(source, EXPORT_KEY_JAVA);
  await runJdkTool(java, [...SHORT_LIVED_JVM, source, keystore, 'server', keyFile], password, dir);
}

function stillValid(material: SecureMaterial): boolean {
  const files = [
    material.caFile,
    material.serverKeystore,
    material.serverCertFile,
    material.serverKeyFile,
    material.htpasswdFile,
    material.storePasswordFile,
    material.kafkaPasswordFile,
    material.registryPasswordFile,
  ];
  if (!files.every((f) => existsSync(f))) return false;
  try {
    const certificate = new X509Certificate(readFileSync(material.serverCertFile));
    // A certificate made by an avrokit before it was also a client certificate is made again.
    return (
      Date.parse(certificate.validTo) - Date.now() > 2 * 86_400_000 &&
      certificate.keyUsage.includes(CLIENT_AUTH_OID)
    );
  } catch {
    return false;
  }
}

/**
 * The stack's CA, server certificate and users, made once per state directory (in a `.partial`
 * directory renamed into place, so an interrupted run is redone rather than half-used).
 */
export async function ensureSecureMaterial(options: StackOptions, java: string): Promise<SecureMaterial> {
  const material = secureMaterialPaths(options);
  if (stillValid(material)) return material;
  const partialDir = `${material.dir}.partial`;
  rmSync(partialDir, { recursive: true, force: true });
  mkdirSync(partialDir, { recursive: true, mode: 0o700 });
  const at = (file: string) => join(partialDir, file);
  const keytool = keytoolPath(java);
  const store = newSecret();
  const common = ['-storetype', 'PKCS12', '-storepass:env', 'AVROKIT_STORE_PASSWORD'];
  const tool = (args: readonly string[]) =>
    runJdkTool(keytool, [...SHORT_LIVED_JVM.map((flag) => `-J${flag}`), ...args], store, partialDir);
  const keypair = (alias: string, file: string, dname: string, ext: readonly string[]) =>
    tool([
      '-genkeypair',
      '-alias',
      alias,
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      dname,
      '-validity',
      String(VALIDITY_DAYS),
      '-keystore',
      at(file),
      ...common,
      ...ext,
    ]);

  // The two key pairs are independent: made at once, they cost one keytool start instead of two.
  await Promise.all([
    keypair('ca', 'ca.p12', 'CN=avrokit stack CA (throwaway)', ['-ext', 'bc:c']),
    keypair('server', 'server.p12', 'CN=localhost', ['-ext', SERVER_SAN]),
  ]);
  // Readers of the keystores only, so at once; the key is the one genkeypair made, whatever is imported later.
  await Promise.all([
    tool([
      '-exportcert',
      '-rfc',
      '-alias',
      'ca',
      '-keystore',
      at('ca.p12'),
      ...common,
      '-file',
      at('ca.pem'),
    ]),
    tool([
      '-certreq',
      '-alias',
      'server',
      '-keystore',
      at('server.p12'),
      ...common,
      '-file',
      at('server.csr'),
    ]),
    exportKey(java, at('server.p12'), at('server.key'), store, partialDir),
  ]);
  await tool([
    '-gencert',
    '-rfc',
    '-alias',
    'ca',
    '-keystore',
    at('ca.p12'),
    ...common,
    '-infile',
    at('server.csr'),
    '-outfile',
    at('server.pem'),
    '-validity',
    String(VALIDITY_DAYS),
    '-ext',
    SERVER_SAN,
    '-ext',
    'KU=digitalSignature,keyEncipherment',
    '-ext',
    // Also clientAuth: the same certificate is the client certificate of the mutual-TLS checks.
    'EKU=serverAuth,clientAuth',
  ]);
  // The signed certificate replaces the self-signed one in the server's keystore; keytool accepts the
  // reply only when it can build the chain, so the CA goes in first.
  const importInto = (alias: string, file: string) =>
    tool([
      '-importcert',
      '-noprompt',
      '-alias',
      alias,
      '-file',
      at(file),
      '-keystore',
      at('server.p12'),
      ...common,
    ]);
  await importInto('ca', 'ca.pem');
  await importInto('server', 'server.pem');
  chmodSync(at('server.key'), 0o600);
  rmSync(at('server.csr'));
  rmSync(at('ExportKey.java'), { force: true });

  writeSecret(at('store-password'), store);
  writeSecret(at('kafka-password'), newSecret());
  const registryPassword = newSecret();
  writeSecret(at('registry-password'), registryPassword);
  writeSecret(at('htpasswd'), `${REGISTRY_USER}:${sshaHash(registryPassword)}\n`);
  chmodSync(at('ca.p12'), 0o600);
  chmodSync(at('server.p12'), 0o600);

  rmSync(material.dir, { recursive: true, force: true });
  renameSync(partialDir, material.dir);
  return material;
}
