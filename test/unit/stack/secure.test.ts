import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkaNodes, scramArguments, serverProperties } from '../../../src/stack/kafka-server.js';
import { ensureNginx, nginxConfig, nginxFiles } from '../../../src/stack/nginx.js';
import { resolveStackOptions } from '../../../src/stack/options.js';
import { secureMaterialPaths, sshaHash } from '../../../src/stack/secure-material.js';
import { exportLines } from '../../../src/stack/stack.js';

const properties = (text: string) =>
  new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
  );

const security = {
  keystore: '/s/secure/server.p12',
  storePassword: 'store-pw',
  username: 'avrokit',
  password: 'kafka-pw',
};

test('--secure is AVROKIT_STACK_SECURE; the secured ports default to the plain ones + 20 and are validated', () => {
  const plain = resolveStackOptions({ AVROKIT_KAFKA_PORT: '29092', AVROKIT_REGISTRY_PORT: '28081' });
  assert.equal(plain.secure, false);
  assert.equal(plain.secureKafkaPort, 29112);
  assert.equal(plain.secureRegistryPort, 28101);
  assert.equal(resolveStackOptions({ AVROKIT_STACK_SECURE: '1' }).secure, true);
  assert.equal(resolveStackOptions({ AVROKIT_STACK_SECURE: 'false' }).secure, false);
  assert.throws(() => resolveStackOptions({ AVROKIT_STACK_SECURE: 'maybe' }), /AVROKIT_STACK_SECURE/);
  assert.equal(resolveStackOptions({ AVROKIT_KAFKA_SECURE_PORT: '9093' }).secureKafkaPort, 9093);
  assert.throws(
    () => resolveStackOptions({ AVROKIT_REGISTRY_SECURE_PORT: '0' }),
    /AVROKIT_REGISTRY_SECURE_PORT/,
  );
});

test('a secured node adds a SASL_SSL listener (PLAIN and SCRAM) beside the plain one; brokers keep talking plain text', () => {
  const options = resolveStackOptions({
    AVROKIT_KAFKA_PORT: '29092',
    AVROKIT_STACK_SECURE: '1',
    AVROKIT_KAFKA_BROKERS_COUNT: '3',
  });
  const nodes = kafkaNodes(options, '/s/run');
  assert.deepEqual(
    nodes.map((n) => n.securePort),
    [29112, 29114, 29116],
  );
  const props = properties(serverProperties(options, nodes[1]!, security));
  assert.equal(
    props.get('listeners'),
    'PLAINTEXT://127.0.0.1:29094,CONTROLLER://127.0.0.1:29095,SASL_SSL://127.0.0.1:29114',
  );
  assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:29094,SASL_SSL://127.0.0.1:29114');
  assert.equal(props.get('inter.broker.listener.name'), 'PLAINTEXT');
  assert.match(props.get('listener.security.protocol.map')!, /SASL_SSL:SASL_SSL/);
  assert.equal(
    props.get('listener.name.sasl_ssl.sasl.enabled.mechanisms'),
    'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
  );
  assert.match(props.get('listener.name.sasl_ssl.plain.sasl.jaas.config')!, /user_avrokit="kafka-pw";$/);
  assert.equal(props.get('listener.name.sasl_ssl.ssl.keystore.location'), '/s/secure/server.p12');
  assert.equal(props.get('listener.name.sasl_ssl.ssl.keystore.type'), 'PKCS12');
  // Without --secure, nothing of it.
  const plain = serverProperties(
    resolveStackOptions({ AVROKIT_KAFKA_PORT: '29092' }),
    kafkaNodes(resolveStackOptions({ AVROKIT_KAFKA_PORT: '29092' }), '/r')[0]!,
  );
  assert.doesNotMatch(plain, /SASL|ssl/);
  assert.deepEqual(scramArguments(security), [
    '--add-scram',
    'SCRAM-SHA-256=[name=avrokit,password=kafka-pw]',
    '--add-scram',
    'SCRAM-SHA-512=[name=avrokit,password=kafka-pw]',
  ]);
});

test("nginx's {SSHA} entry is SHA-1 of password and salt, then the salt, as OpenLDAP and nginx read it", () => {
  const salt = Buffer.from('0123456789abcdef', 'hex');
  const hash = sshaHash('secret', salt);
  const raw = Buffer.from(hash.slice('{SSHA}'.length), 'base64');
  assert.deepEqual(raw.subarray(20), salt);
  assert.deepEqual(raw.subarray(0, 20), createHash('sha1').update('secret').update(salt).digest());
  assert.notEqual(sshaHash('secret'), sshaHash('secret'), 'a new salt each time');
});

test('the nginx configuration terminates TLS, asks for basic auth and proxies to the plain registry, all in the state directory', () => {
  const options = resolveStackOptions({ AVROKIT_REGISTRY_PORT: '28081', AVROKIT_STACK_DIR: '/s' });
  const material = secureMaterialPaths(options);
  const config = nginxConfig(options, nginxFiles('/s/run'), material, '-Davrokit.stack=/s');
  assert.match(config, /listen 127\.0\.0\.1:28101 ssl;/);
  assert.match(config, /ssl_certificate \/s\/secure\/server\.pem;/);
  assert.match(config, /ssl_certificate_key \/s\/secure\/server\.key;/);
  assert.match(config, /auth_basic_user_file \/s\/secure\/htpasswd;/);
  assert.match(config, /proxy_pass http:\/\/127\.0\.0\.1:28081;/);
  // Under /mtls/ a client certificate of the stack's CA is required as well.
  assert.match(config, /ssl_client_certificate \/s\/secure\/ca\.pem;/);
  assert.match(config, /location \/mtls\/ \{\s+if \(\$ssl_client_verify != SUCCESS\) \{\s+return 403;/);
  assert.match(config, /pid \/s\/run\/nginx\/nginx\.pid;/);
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    assert.match(config, new RegExp(`${temp}_temp_path /s/run/nginx/temp/`), temp);
  }
});

test('the exports of a secured stack name the CA and the password files, never a password', () => {
  const lines = exportLines({
    brokers: ['127.0.0.1:19092'],
    registryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
    secure: {
      brokers: ['127.0.0.1:19102'],
      registryUrl: 'https://127.0.0.1:18091/apis/ccompat/v7',
      caFile: '/s/secure/ca.pem',
      mutualTlsRegistryUrl: 'https://127.0.0.1:18091/mtls/apis/ccompat/v7',
      clientCertFile: '/s/secure/server.pem',
      clientKeyFile: '/s/secure/server.key',
      saslMechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
      kafkaUsername: 'avrokit',
      kafkaPasswordFile: '/s/secure/kafka-password',
      registryUsername: 'avrokit',
      registryPasswordFile: "/s/it's secure/registry-password",
    },
  });
  assert.equal(
    lines,
    [
      'export KAFKA_BROKERS=127.0.0.1:19092',
      'export SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7',
      'export AVROKIT_KAFKA_SECURE_BROKERS=127.0.0.1:19102',
      'export AVROKIT_SECURE_REGISTRY_URL=https://127.0.0.1:18091/apis/ccompat/v7',
      'export AVROKIT_CA_FILE=/s/secure/ca.pem',
      'export AVROKIT_MTLS_REGISTRY_URL=https://127.0.0.1:18091/mtls/apis/ccompat/v7',
      'export AVROKIT_CLIENT_CERT_FILE=/s/secure/server.pem',
      'export AVROKIT_CLIENT_KEY_FILE=/s/secure/server.key',
      'export AVROKIT_KAFKA_SASL_MECHANISMS=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'export AVROKIT_KAFKA_USERNAME=avrokit',
      'export AVROKIT_KAFKA_PASSWORD_FILE=/s/secure/kafka-password',
      'export AVROKIT_REGISTRY_USERNAME=avrokit',
      `export AVROKIT_REGISTRY_PASSWORD_FILE='/s/it'\\''s secure/registry-password'`,
      '',
    ].join('\n'),
  );
});

test('without nginx and without apt-get to fetch it, STACK_NGINX_MISSING says what is missing and what to do', (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'avrokit-nginx-unit-'));
  const path = process.env.PATH;
  t.after(() => {
    process.env.PATH = path;
    rmSync(cacheDir, { recursive: true, force: true });
  });
  const options = { ...resolveStackOptions({ AVROKIT_CACHE_DIR: join(cacheDir, 'fresh') }), secure: true };
  assert.throws(() => ensureNginx(options, { AVROKIT_NGINX: join(cacheDir, 'no-such-nginx') }), {
    code: 'STACK_NGINX_MISSING',
    message: /AVROKIT_NGINX=.*no-such-nginx does not exist/,
  });
  // A PATH with neither nginx nor apt-get on it (an empty folder), as on a machine that is not Debian.
  process.env.PATH = cacheDir;
  assert.throws(() => ensureNginx(options, {}), {
    code: 'STACK_NGINX_MISSING',
    message: /nginx is not on PATH and this machine has no apt-get.*install nginx or set AVROKIT_NGINX/,
  });
});
