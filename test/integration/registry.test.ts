/** Every SchemaRegistry call against the real registry the stack runs (Apicurio's Confluent API). */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RegistryError, SchemaRegistry } from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(() => registry.close());

const v1 = {
  type: 'record',
  name: 'Account',
  namespace: 'avrokit.it',
  fields: [{ name: 'id', type: 'long' }],
};
const v2 = { ...v1, fields: [...v1.fields, { name: 'email', type: ['null', 'string'], default: null }] };
const v3Incompatible = { ...v1, fields: [...v1.fields, { name: 'tier', type: 'string' }] };

function isRegistryError(code: string, check: (err: RegistryError) => void = () => undefined) {
  return (err: unknown) => {
    assert.ok(err instanceof RegistryError, `expected a RegistryError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    check(err);
    return true;
  };
}

test('register returns an id; registering the same schema again returns it without a new version', async () => {
  const subject = uniqueName('account-value');
  const id = await registry.register(subject, v1);
  const fresh = new SchemaRegistry({ url: cluster.registryUrl });
  try {
    assert.equal(
      await fresh.register(subject, JSON.stringify(v1, null, 2)),
      id,
      'whitespace does not matter',
    );
  } finally {
    fresh.close();
  }
  assert.deepEqual(await registry.listVersions(subject), [1]);
  const before = registry.stats().httpRequests;
  assert.equal(await registry.register(subject, v1), id);
  assert.equal(registry.stats().httpRequests, before, 'answered from cache');
});

test('lookup, schema by id, latest and a given version agree with what was registered', async () => {
  const subject = uniqueName('account-value');
  const id1 = await registry.register(subject, v1);
  const id2 = await registry.register(subject, v2);
  assert.notEqual(id1, id2);
  assert.deepEqual(await registry.lookup(subject, v1), { id: id1, version: 1 });
  assert.deepEqual(await registry.lookup(subject, v2), { id: id2, version: 2 });
  const byId = await registry.getSchemaById(id2);
  assert.deepEqual(JSON.parse(byId.schema), v2);
  assert.equal(byId.schemaType, 'AVRO');
  const latest = await registry.getLatest(subject);
  assert.deepEqual([latest.id, latest.version, latest.subject], [id2, 2, subject]);
  const first = await registry.getVersion(subject, 1);
  assert.deepEqual([first.id, JSON.parse(first.schema)], [id1, v1]);
  assert.deepEqual(await registry.listVersions(subject), [1, 2]);
  const subjects = await registry.listSubjects();
  assert.ok(subjects.length > 0 && subjects.every((s) => typeof s === 'string'));
  // Apicurio lists at most 1,000 subjects (no paging, no prefix filter): a long-lived local stack may
  // hold more, and then the new one may be left out. A fresh stack (npm test, CI) holds fewer.
  if (subjects.length < 1000) assert.ok(subjects.includes(subject), `${subject} is listed`);
});

test('a new version is seen by getLatest after register, although getLatest is cached', async () => {
  const subject = uniqueName('account-value');
  await registry.register(subject, v1);
  assert.equal((await registry.getLatest(subject)).version, 1);
  await registry.register(subject, v2);
  assert.equal((await registry.getLatest(subject)).version, 2);
});

test('not found answers carry the subject, id or version and the registry error_code', async () => {
  const subject = uniqueName('missing-value');
  await assert.rejects(
    registry.getLatest(subject),
    isRegistryError('REGISTRY_NOT_FOUND', (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.errorCode, 40401);
      assert.equal(e.context.subject, subject);
      assert.match(e.message, new RegExp(subject));
    }),
  );
  await assert.rejects(
    registry.getSchemaById(987654),
    isRegistryError('REGISTRY_NOT_FOUND', (e) => assert.equal(e.context.schemaId, 987654)),
  );
  const existing = uniqueName('account-value');
  await registry.register(existing, v1);
  await assert.rejects(
    registry.getVersion(existing, 7),
    isRegistryError('REGISTRY_NOT_FOUND', (e) => assert.equal(e.errorCode, 40402)),
  );
  await assert.rejects(
    registry.lookup(existing, v2),
    isRegistryError('REGISTRY_NOT_FOUND', (e) => assert.equal(e.errorCode, 40403)),
  );
});

test('an incompatible registration is a 409 and the registry keeps the old version', async () => {
  const subject = uniqueName('account-value');
  await registry.register(subject, v1);
  await registry.setCompatibility('BACKWARD', subject);
  await assert.rejects(
    registry.register(subject, v3Incompatible),
    isRegistryError('REGISTRY_INCOMPATIBLE', (e) => {
      assert.equal(e.status, 409);
      assert.equal(e.context.subject, subject);
    }),
  );
  assert.deepEqual(await registry.listVersions(subject), [1]);
});

test('an invalid schema is refused with REGISTRY_INVALID_SCHEMA (42201)', async () => {
  await assert.rejects(
    registry.register(uniqueName('bad-value'), { type: 'recordx', name: 'Nope' }),
    isRegistryError('REGISTRY_INVALID_SCHEMA', (e) => assert.equal(e.errorCode, 42201)),
  );
});

test('compatibility is configured per subject and globally, and registering never changes it', async () => {
  const subject = uniqueName('config-value');
  const global = await registry.getCompatibility();
  assert.equal(global, 'BACKWARD', 'the stack starts with a global BACKWARD rule');
  await registry.register(subject, v1);
  assert.equal(
    await registry.getCompatibility(subject),
    global,
    'a subject without a level of its own uses the global one',
  );
  assert.equal(await registry.setCompatibility('FULL_TRANSITIVE', subject), 'FULL_TRANSITIVE');
  assert.equal(await registry.getCompatibility(subject), 'FULL_TRANSITIVE');
  await registry.register(subject, v2);
  assert.equal(await registry.getCompatibility(subject), 'FULL_TRANSITIVE');
  assert.equal(await registry.getCompatibility(), global);
  await assert.rejects(
    registry.setCompatibility('SIDEWAYS' as 'NONE', subject),
    (err: unknown) => (err as { code?: string }).code === 'INVALID_OPTIONS',
  );
});

test('testCompatibility answers for compatible and incompatible candidates', async () => {
  const subject = uniqueName('compat-value');
  await registry.register(subject, v1);
  assert.deepEqual(await registry.testCompatibility(subject, v2), { compatible: true, messages: [] });
  const verdict = await registry.testCompatibility(subject, v3Incompatible, { version: 1, verbose: true });
  assert.equal(verdict.compatible, false);
  assert.ok(Array.isArray(verdict.messages));
});

test('schema references are registered and resolved recursively, dependencies first', async () => {
  const country = { type: 'enum', name: 'Country', namespace: 'avrokit.ref', symbols: ['FR', 'DE'] };
  const address = {
    type: 'record',
    name: 'Address',
    namespace: 'avrokit.ref',
    fields: [
      { name: 'city', type: 'string' },
      { name: 'country', type: 'avrokit.ref.Country' },
    ],
  };
  const person = {
    type: 'record',
    name: 'Person',
    namespace: 'avrokit.ref',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'home', type: 'avrokit.ref.Address' },
    ],
  };
  const countrySubject = uniqueName('country');
  const addressSubject = uniqueName('address');
  await registry.register(countrySubject, country);
  await registry.register(addressSubject, address, {
    references: [{ name: 'avrokit.ref.Country', subject: countrySubject, version: 1 }],
  });
  const personId = await registry.register(uniqueName('person-value'), person, {
    references: [{ name: 'avrokit.ref.Address', subject: addressSubject, version: 1 }],
  });
  const resolved = await registry.resolveById(personId);
  assert.deepEqual(JSON.parse(resolved.schema), person);
  assert.deepEqual(
    resolved.dependencies.map((d) => [d.name, JSON.parse(d.schema) as unknown]),
    [
      ['avrokit.ref.Country', country],
      ['avrokit.ref.Address', address],
    ],
  );
});
