/**
 * Fault tests: a proxy in front of the real registry injects what the registry will not do on demand.
 * No timing is asserted; request counts and error codes are.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { AvroSerde, RegistryError, SchemaRegistry, type SchemaRegistryOptions } from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { RegistryProxy } from '../support/registry-proxy.js';

const cluster = testCluster();
let proxy: RegistryProxy;
const clients: SchemaRegistry[] = [];

before(async () => {
  proxy = await RegistryProxy.start(cluster.registryUrl);
});
after(async () => {
  for (const c of clients) c.close();
  await proxy.stop();
});

function client(options: Partial<SchemaRegistryOptions> = {}): SchemaRegistry {
  const registry = new SchemaRegistry({
    url: proxy.url,
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
  clients.push(registry);
  return registry;
}

const recordSchema = (name: string) =>
  JSON.stringify({
    type: 'record',
    name,
    namespace: 'avrokit.faults',
    fields: [{ name: 'n', type: 'long' }],
  });

function countSince(start: number, pathPart: string): number {
  return proxy.seen.slice(start).filter((r) => r.path.includes(pathPart)).length;
}

test('10,000 concurrent serializations of a never-seen schema cause exactly one registry request', async () => {
  const registry = client();
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('flight');
  const schema = recordSchema('Flight');
  const start = proxy.seen.length;
  const results = await Promise.all(
    Array.from({ length: 10_000 }, (_, n) => serde.serialize(topic, { n }, { schema })),
  );
  assert.equal(results.length, 10_000);
  assert.equal(proxy.seen.length - start, 1);
  assert.equal(registry.stats().httpRequests, 1);
  assert.equal(new Set(results.map((b) => b.readUInt32BE(1))).size, 1, 'one schema id for all');
});

test('10,000 concurrent register calls for one subject share one HTTP request', async () => {
  const registry = client();
  const subject = uniqueName('flight-register');
  const start = proxy.seen.length;
  const ids = await Promise.all(
    Array.from({ length: 10_000 }, () => registry.register(subject, recordSchema('Reg'))),
  );
  assert.equal(new Set(ids).size, 1);
  assert.equal(proxy.seen.length - start, 1);
  const stats = registry.stats();
  assert.equal(stats.cacheMisses, 1);
  assert.equal(stats.cacheHits, 9_999);
});

test('500, 429 and a dropped connection are retried until the real answer arrives', async () => {
  const registry = client({ retries: 3 });
  const subject = uniqueName('retry');
  const start = proxy.seen.length;
  proxy.inject(500, 429, 'reset');
  const id = await registry.register(subject, recordSchema('Retry'));
  assert.ok(id > 0);
  assert.equal(countSince(start, subject), 4);
  assert.equal(registry.stats().retries, 3);
});

test('retries are bounded: the last 5xx is reported with its status', async () => {
  const registry = client({ retries: 2 });
  const start = proxy.seen.length;
  proxy.inject(503, 503, 503);
  await assert.rejects(registry.getSchemaById(1), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, 'REGISTRY_UNAVAILABLE');
    assert.equal(err.status, 503);
    assert.equal(err.context.schemaId, 1);
    return true;
  });
  assert.equal(proxy.seen.length - start, 3);
});

for (const status of [400, 404] as const) {
  test(`a ${status} is not retried`, async () => {
    const registry = client({ retries: 3 });
    const start = proxy.seen.length;
    proxy.inject(status);
    await assert.rejects(registry.getLatest(uniqueName('no-retry')), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, status);
      assert.equal(err.code, status === 404 ? 'REGISTRY_NOT_FOUND' : 'REGISTRY_INVALID_REQUEST');
      return true;
    });
    assert.equal(proxy.seen.length - start, 1);
    assert.equal(registry.stats().retries, 0);
  });
}

test('a registry that never answers fails with REGISTRY_TIMEOUT after the configured attempts', async () => {
  const registry = client({ timeoutMs: 150, retries: 1 });
  const start = proxy.seen.length;
  proxy.inject('hang', 'hang');
  await assert.rejects(registry.getSchemaById(1), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.code, 'REGISTRY_TIMEOUT');
    return true;
  });
  assert.equal(proxy.seen.length - start, 2);
});

test('a slow miss on one subject does not hold up other subjects, cached or not', async () => {
  const registry = client({ timeoutMs: 30_000, retries: 0 });
  const warm = uniqueName('warm');
  const id = await registry.register(warm, recordSchema('Warm'));
  proxy.inject('hang');
  const start = proxy.seen.length;
  const slow = registry.getLatest(uniqueName('slow'));
  slow.catch(() => undefined);
  await proxy.received(start + 1);
  // If loads shared one lock, both of these would wait for the hung request (and the test would time out).
  assert.equal(await registry.register(warm, recordSchema('Warm')), id);
  assert.ok((await registry.register(uniqueName('other'), recordSchema('Other'))) > 0);
  registry.close();
  await assert.rejects(slow);
});

test('a missing schema is remembered briefly: a hot loop asks the registry once', async () => {
  const registry = client({ notFoundTtlMs: 60_000 });
  const subject = uniqueName('missing');
  const start = proxy.seen.length;
  for (let i = 0; i < 50; i++) {
    await assert.rejects(registry.lookup(subject, recordSchema('Missing')), { code: 'REGISTRY_NOT_FOUND' });
  }
  assert.equal(countSince(start, subject), 1);
  // Registering it makes the remembered "not found" wrong, so it is forgotten.
  await registry.register(subject, recordSchema('Missing'));
  const found = await registry.lookup(subject, recordSchema('Missing'));
  assert.equal(found.version, 1);
});

test('after warm-up, serializing and deserializing keep working while the registry is gone', async () => {
  const gone = await RegistryProxy.start(cluster.registryUrl);
  const registry = new SchemaRegistry({ url: gone.url, retries: 0, timeoutMs: 500 });
  clients.push(registry);
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('offline');
  const schema = recordSchema('Offline');
  const first = await serde.serialize(topic, { n: 1 }, { schema });
  assert.deepEqual({ ...(await (serde.deserialize(topic, first) as Promise<object>)) }, { n: 1 });
  await gone.stop();

  const requestsBefore = registry.stats().httpRequests;
  for (let n = 2; n < 1002; n++) {
    const bytes = await serde.serialize(topic, { n }, { schema });
    assert.equal(bytes.readUInt32BE(1), first.readUInt32BE(1));
    assert.deepEqual({ ...(await (serde.deserialize(topic, bytes) as Promise<object>)) }, { n });
  }
  assert.equal(registry.stats().httpRequests, requestsBefore);
  // Something not cached needs the registry, and says it is unreachable.
  await assert.rejects(registry.getLatest(uniqueName('other')), { code: 'REGISTRY_UNAVAILABLE' });
});

test('a 401 makes the bearer provider give a new token, once, and the request goes through', async () => {
  const tokens = ['expired-token', 'fresh-token'];
  let calls = 0;
  const registry = client({
    auth: { bearer: async () => tokens[Math.min(calls++, tokens.length - 1)] ?? '' },
  });
  proxy.requiredBearer = 'fresh-token';
  try {
    const start = proxy.seen.length;
    const id = await registry.register(uniqueName('bearer'), recordSchema('Bearer'));
    assert.ok(id > 0);
    assert.equal(calls, 2);
    assert.deepEqual(
      proxy.seen.slice(start).map((r) => r.authorization),
      ['Bearer expired-token', 'Bearer fresh-token'],
    );
  } finally {
    proxy.requiredBearer = undefined;
  }
});

test('concurrent requests refused with the same expired token share one provider call', async () => {
  let calls = 0;
  const registry = client({
    auth: { bearer: async () => (calls++ === 0 ? 'expired-token' : 'fresh-token') },
  });
  proxy.requiredBearer = 'fresh-token';
  try {
    const subjects = Array.from({ length: 20 }, (_, i) => uniqueName(`bearer-many-${i}`));
    const ids = await Promise.all(subjects.map((s) => registry.register(s, recordSchema('BearerMany'))));
    assert.equal(ids.length, 20);
    assert.equal(calls, 2);
  } finally {
    proxy.requiredBearer = undefined;
  }
});

test('a token the registry keeps refusing fails as REGISTRY_UNAUTHORIZED after one refresh', async () => {
  let calls = 0;
  const registry = client({
    auth: {
      bearer: () => {
        calls++;
        return 'never-valid';
      },
    },
  });
  proxy.requiredBearer = 'something-else';
  try {
    await assert.rejects(registry.getLatest(uniqueName('unauthorized')), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, 'REGISTRY_UNAUTHORIZED');
      assert.equal(err.status, 401);
      return true;
    });
    assert.equal(calls, 2);
  } finally {
    proxy.requiredBearer = undefined;
  }
});

test('credentials never appear in errors, whether given in the URL or as a bearer token', async () => {
  const withUserInfo = new SchemaRegistry({
    url: proxy.url.replace('http://', 'http://alice:s3cr3t-pw@'),
    retries: 0,
  });
  const withBearer = client({ auth: { bearer: 'tok-s3cr3t' }, retries: 0 });
  clients.push(withUserInfo);
  proxy.inject(500, 500);
  for (const registry of [withUserInfo, withBearer]) {
    const err = await registry.getSchemaById(424242).catch((e: unknown) => e);
    assert.ok(err instanceof RegistryError);
    const everything = `${inspect(err, { depth: Infinity, showHidden: true })} ${JSON.stringify(err)} ${err.stack}`;
    assert.doesNotMatch(everything, /s3cr3t/);
    assert.doesNotMatch(everything, /alice/);
  }
  // Basic auth from the URL is still sent.
  const basic = proxy.seen.at(-2)?.authorization;
  assert.equal(basic, `Basic ${Buffer.from('alice:s3cr3t-pw').toString('base64')}`);
});
