/**
 * The secured stack's registry endpoint: a real nginx in front of Apicurio that terminates TLS (the
 * stack's certificate) and asks for HTTP basic auth, as a production registry behind a gateway does.
 *
 * nginx is not something the stack can expect on a machine, nor install (no root on CI). Like Kafka it
 * is fetched once into the cache without installing anything: Debian's `nginx` package is downloaded
 * with `apt-get download` (no root needed) and unpacked with `dpkg-deb -x` into
 * `<cacheDir>/nginx-<version>`; that binary is run with its own prefix, configuration, error log and
 * pid file in the state directory. AVROKIT_NGINX names a binary to use instead; an `nginx` on PATH is
 * used when there is one.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'node:https';
import { StackError } from '../errors.js';
import type { StackOptions } from './options.js';
import { isAlive, run, spawnDetached, tailOf } from './processes.js';
import type { SecureMaterial } from './secure-material.js';

/** The Debian package that holds /usr/sbin/nginx (bookworm's `nginx-light` is only a transition to it). */
const NGINX_PACKAGE = 'nginx';

/** Under this path nginx also requires a client certificate (mutual TLS) before basic auth lets a request through. */
export const MTLS_PATH = '/mtls';

export interface NginxBinary {
  readonly path: string;
  readonly version: string;
}

function versionOf(path: string): string | undefined {
  const probe = run(path, ['-v']);
  if (probe.error || probe.status !== 0) return undefined;
  return /nginx\/(\S+)/.exec(`${probe.stderr}${probe.stdout}`)?.[1];
}

/** Shared libraries the binary cannot find (`ldd` says "not found"), named so the user can install them. */
function missingLibraries(path: string): string[] {
  const ldd = run('ldd', [path]);
  if (ldd.error) return [];
  return ldd.stdout
    .split('\n')
    .filter((l) => l.includes('not found'))
    .map((l) => l.trim().split(/\s+/)[0]!);
}

function missing(what: string, hint: string): StackError {
  return new StackError(
    'STACK_NGINX_MISSING',
    `stack up --secure needs nginx for the registry's TLS and basic auth, but ${what}; ${hint}`,
  );
}

function usable(path: string, source: string): NginxBinary {
  const libraries = missingLibraries(path);
  if (libraries.length > 0) {
    throw missing(
      `${source} ${path} cannot run: missing shared libraries ${libraries.join(', ')}`,
      'install them (Debian: apt-get install libpcre2-8-0 libssl3 zlib1g libcrypt1) or set AVROKIT_NGINX to another nginx',
    );
  }
  const version = versionOf(path);
  if (!version)
    throw missing(`${source} ${path} does not run (nginx -v failed)`, 'set AVROKIT_NGINX to a working nginx');
  return { path, version };
}

/** Finds nginx: AVROKIT_NGINX, then PATH, then the cached Debian package, else fetches that package. */
export function ensureNginx(options: StackOptions, env: NodeJS.ProcessEnv = process.env): NginxBinary {
  if (env.AVROKIT_NGINX) {
    if (!existsSync(env.AVROKIT_NGINX))
      throw missing(`AVROKIT_NGINX=${env.AVROKIT_NGINX} does not exist`, 'fix or unset it');
    return usable(env.AVROKIT_NGINX, 'AVROKIT_NGINX');
  }
  const onPath = run('nginx', ['-v']);
  if (!onPath.error && onPath.status === 0) return usable('nginx', 'the nginx on PATH');

  // A fresh machine has no cache folder yet: nginx is the first thing `up --secure` fetches.
  mkdirSync(options.cacheDir, { recursive: true });
  const cached = readdirSync(options.cacheDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^nginx-\d[\w.+~-]*$/.test(e.name) && !e.name.endsWith('.partial'))
    .map((e) => join(options.cacheDir, e.name, 'usr', 'sbin', 'nginx'))
    .find((p) => existsSync(p));
  if (cached) return usable(cached, 'the cached');
  return usable(fetchDebianNginx(options), 'the downloaded');
}

/** `apt-get download nginx` + `dpkg-deb -x`, into `<cacheDir>/nginx-<version>` (renamed into place when whole). */
function fetchDebianNginx(options: StackOptions): string {
  const apt = run('apt-get', ['--version']);
  if (apt.error) {
    throw missing(
      "nginx is not on PATH and this machine has no apt-get to fetch Debian's package",
      'install nginx or set AVROKIT_NGINX to an nginx binary',
    );
  }
  const partial = join(options.cacheDir, 'nginx.partial');
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  process.stderr.write(
    `avrokit stack: fetching Debian's ${NGINX_PACKAGE} package with apt-get download (once; cached in ${options.cacheDir})\n`,
  );
  try {
    const download = run('apt-get', ['download', '-q', NGINX_PACKAGE], partial);
    const deb = readdirSync(partial).find((f) => f.endsWith('.deb'));
    if (download.status !== 0 || !deb) {
      const reason = `${download.stderr}${download.stdout}`
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('W:'))
        .pop();
      throw missing(
        `apt-get download ${NGINX_PACKAGE} failed (${reason ?? `exit ${download.status}`})`,
        'run apt-get update, install nginx, or set AVROKIT_NGINX to an nginx binary',
      );
    }
    const version = /^nginx_([^_]+)_/.exec(deb)?.[1]?.replace(/[^\w.+~-]/g, '_') ?? 'unknown';
    const unpack = run('dpkg-deb', ['-x', join(partial, deb), join(partial, 'root')]);
    if (unpack.status !== 0 || !existsSync(join(partial, 'root', 'usr', 'sbin', 'nginx'))) {
      throw missing(
        `dpkg-deb -x of ${deb} failed (${(unpack.error?.message ?? unpack.stderr).trim()})`,
        'install nginx or set AVROKIT_NGINX to an nginx binary',
      );
    }
    const finalDir = join(options.cacheDir, `nginx-${version}`);
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(join(partial, 'root'), finalDir);
    return join(finalDir, 'usr', 'sbin', 'nginx');
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

export interface NginxFiles {
  /** nginx's prefix: its configuration, temp folders, pid file and logs. */
  readonly dir: string;
  readonly confFile: string;
  readonly pidFile: string;
  readonly errorLog: string;
}

export function nginxFiles(workDir: string): NginxFiles {
  const dir = join(workDir, 'nginx');
  return {
    dir,
    confFile: join(dir, 'nginx.conf'),
    pidFile: join(dir, 'nginx.pid'),
    errorLog: join(dir, 'error.log'),
  };
}

/**
 * One server: TLS with the stack's certificate, basic auth against the generated user, everything
 * proxied to the registry on plain HTTP. Temp paths are all set, because the Debian build's defaults
 * (/var/lib/nginx) may not exist and would fail the start.
 */
export function nginxConfig(
  options: StackOptions,
  files: NginxFiles,
  material: SecureMaterial,
  marker: string,
): string {
  const { host } = options;
  const temp = (name: string) => join(files.dir, 'temp', name);
  // As root, nginx would drop its workers to `nobody`, who cannot read the 0600 htpasswd file.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `# ${marker}
${user}worker_processes 1;
pid ${files.pidFile};
error_log ${files.errorLog} warn;
events { worker_connections 256; }
http {
  access_log ${join(files.dir, 'access.log')};
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  client_max_body_size 16m;
  server {
    listen ${host}:${options.secureRegistryPort} ssl;
    server_name localhost;
    ssl_certificate ${material.serverCertFile};
    ssl_certificate_key ${material.serverKeyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    auth_basic "avrokit stack registry";
    auth_basic_user_file ${material.htpasswdFile};
    # Client certificates signed by the stack's CA are checked when sent, and required under /mtls/.
    ssl_client_certificate ${material.caFile};
    ssl_verify_client optional;
    location ${MTLS_PATH}/ {
      if ($ssl_client_verify != SUCCESS) {
        return 403;
      }
      proxy_pass http://${host}:${options.registryPort}/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host:$server_port;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header Authorization "";
    }
    location / {
      proxy_pass http://${host}:${options.registryPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host:$server_port;
      proxy_set_header X-Forwarded-Proto https;
      # The registry needs no credentials of its own; the client's are not passed on.
      proxy_set_header Authorization "";
    }
  }
}
`;
}

/**
 * Starts nginx in the foreground of its own detached process (`daemon off`), so the pid the stack
 * records is the master's and the marker is on its command line, as for the JVMs.
 */
export function startNginx(
  options: StackOptions,
  nginx: NginxBinary,
  workDir: string,
  material: SecureMaterial,
  marker: string,
): { pid: number; logFile: string } {
  const files = nginxFiles(workDir);
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(files.dir, 'temp', name), { recursive: true });
  }
  writeFileSync(files.confFile, nginxConfig(options, files, material, marker));
  const logFile = join(files.dir, 'nginx.out');
  // `-g` carries the marker (in a comment nginx ignores) so `down` knows the process as the stack's.
  const args = [
    '-p',
    `${files.dir}/`,
    '-c',
    files.confFile,
    '-e',
    files.errorLog,
    '-g',
    `daemon off; # [${marker}]`,
  ];
  const test = run(nginx.path, [...args.slice(0, 6), '-t']);
  if (test.status !== 0) {
    throw new StackError(
      'STACK_START_FAILED',
      `nginx refused its configuration ${files.confFile}: ${`${test.stderr}${test.stdout}`.trim().split('\n').slice(-2).join(' ')}`,
      { context: { config: files.confFile } },
    );
  }
  const pid = spawnDetached(nginx.path, args, logFile, files.dir);
  return { pid, logFile: files.errorLog };
}

/**
 * Ready means an HTTPS request through nginx reaches the registry: it answers `GET /subjects` with 200
 * for the generated user (TLS verified against the stack's CA), so the CA, the certificate, the
 * password file and the proxying are all proven, not only the port.
 */
export async function waitForNginx(
  url: string,
  server: { pid: number; logFile: string },
  ca: string,
  authorization: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const agent = new Agent({ ca, keepAlive: false });
  let lastError = '';
  try {
    while (Date.now() < deadline) {
      if (!isAlive(server.pid)) {
        throw new StackError(
          'STACK_START_FAILED',
          `nginx exited during start-up:\n${tailOf(server.logFile)}`,
        );
      }
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(
            `${url}/subjects`,
            { agent, headers: { authorization }, timeout: 2000 },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('timeout', () => req.destroy(new Error('timed out')));
          req.on('error', reject);
          req.end();
        });
        if (status === 200) return;
        lastError = `HTTP ${status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await sleep(100);
    }
  } finally {
    agent.destroy();
  }
  throw new StackError(
    'STACK_START_FAILED',
    `nginx did not answer GET ${url}/subjects within ${timeoutMs / 1000}s (${lastError})`,
    { retriable: true },
  );
}
