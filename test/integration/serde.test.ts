/** AvroSerde against the real registry: wire format, validation, subject strategies, modes, evolution, corpus. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import avro from 'avsc';
import {
  AvroSerde,
  LOGICAL_TYPE_NAMES,
  SchemaRegistry,
  SerdeError,
  type AnyAvroType,
  type AvroSchemaJson,
} from '../../src/index.js';
import { testCluster, uniqueName } from '../support/cluster.js';
import { corpusDir as findCorpus } from '../support/corpus.js';

const cluster = testCluster();
const registry = new SchemaRegistry({ url: cluster.registryUrl });
after(() => registry.close());

const customer = JSON.parse(
  readFileSync(new URL('../../schemas/customer.avsc', import.meta.url), 'utf8'),
) as AvroSchemaJson;
/** The chapter's Customer before its optional `email` field was added. */
const customerBeforeEmail = {
  type: 'record',
  name: 'Customer',
  namespace: 'customerManagement.avro',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
  ],
};

function idBytes(id: number): number[] {
  return [(id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
}

test('golden bytes: magic byte, big-endian schema id, then the Avro body', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('golden');
  const first = await serde.serialize(topic, { id: 1, name: 'a', email: null }, { schema: customer });
  const id = await registry.register(`${topic}-value`, customer);
  // Avro binary by hand: int 1 → zigzag 0x02; string "a" → length 1 (0x02) + 0x61; union branch 0 (null) → 0x00.
  assert.deepEqual([...first], [0x00, ...idBytes(id), 0x02, 0x02, 0x61, 0x00]);
  // int -1 → 0x01; "" → 0x00; branch 1 (string) → 0x02, "é" is 2 UTF-8 bytes → 0x04 0xc3 0xa9.
  const second = await serde.serialize(topic, { id: -1, name: '', email: 'é' }, { schema: customer });
  assert.deepEqual([...second], [0x00, ...idBytes(id), 0x01, 0x00, 0x02, 0x04, 0xc3, 0xa9]);
});

test('after prepare, serializing is synchronous and matches the async path byte for byte', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('prepared');
  const prepared = await serde.prepare(topic, customer);
  const value = { id: 7, name: 'Precision Products', email: 'orders@precision.example' };
  const bytes = prepared.serialize(value);
  assert.ok(Buffer.isBuffer(bytes), 'a Buffer, not a promise');
  assert.equal(prepared.subject, `${topic}-value`);
  assert.deepEqual(bytes, await serde.serialize(topic, value, { schema: customer }));
});

test('an invalid value names every failing field path with expected and actual types', async () => {
  const order = {
    type: 'record',
    name: 'Order',
    namespace: 'avrokit.it',
    fields: [
      { name: 'id', type: 'long' },
      {
        name: 'lines',
        type: {
          type: 'array',
          items: {
            type: 'record',
            name: 'Line',
            fields: [
              { name: 'sku', type: 'string' },
              { name: 'qty', type: 'int' },
            ],
          },
        },
      },
    ],
  };
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('invalid');
  const prepared = await serde.prepare(topic, order);
  const bad = {
    id: 1.5,
    lines: [
      { sku: 'A', qty: 1 },
      // A number that cannot turn up by chance in the message's topic name or schema id.
      { sku: 918273645, qty: 2 },
    ],
  };
  assert.throws(
    () => prepared.serialize(bad),
    (err: unknown) => {
      assert.ok(err instanceof SerdeError);
      assert.equal(err.code, 'SERDE_INVALID_VALUE');
      assert.deepEqual(err.issues, [
        {
          path: 'id',
          expected: "long (an integer within ±(2^53 − 1); larger values need longs: 'bigint')",
          actual: 'number (not an integer)',
        },
        { path: 'lines[1].sku', expected: 'string', actual: 'integer' },
      ]);
      assert.equal(err.context.topic, topic);
      assert.equal(err.context.subject, `${topic}-value`);
      assert.match(err.message, /field lines\[1\]\.sku: expected string, got integer/);
      assert.doesNotMatch(err.message, /918273645/, 'the offending value itself is not quoted');
      return true;
    },
  );
  await assert.rejects(serde.serialize(topic, { id: 1 }, { schema: order }), { code: 'SERDE_INVALID_VALUE' });
});

test('subject strategies: TopicName, RecordName, TopicRecordName and a function', async () => {
  const topic = uniqueName('strategies');
  const cases: Array<[ConstructorParameters<typeof AvroSerde>[0]['subjectStrategy'], string]> = [
    ['TopicName', `${topic}-value`],
    ['RecordName', 'customerManagement.avro.Customer'],
    ['TopicRecordName', `${topic}-customerManagement.avro.Customer`],
    [({ topic: t, isKey }) => `custom.${t}.${isKey ? 'k' : 'v'}`, `custom.${topic}.v`],
  ];
  for (const [subjectStrategy, subject] of cases) {
    const serde = new AvroSerde({ registry, subjectStrategy });
    const prepared = await serde.prepare(topic, customer);
    assert.equal(prepared.subject, subject);
    assert.equal((await registry.lookup(subject, customer)).id, prepared.schemaId);
  }
  const keySerde = new AvroSerde({ registry });
  assert.equal((await keySerde.prepare(topic, 'string', { isKey: true })).subject, `${topic}-key`);
});

test('lookup-only mode uses registered schemas and never registers', async () => {
  const serde = new AvroSerde({ registry, autoRegister: false });
  const topic = uniqueName('lookup-only');
  await assert.rejects(serde.serialize(topic, { id: 1, name: 'x' }, { schema: customer }), {
    code: 'REGISTRY_NOT_FOUND',
  });
  await assert.rejects(registry.listVersions(`${topic}-value`), { code: 'REGISTRY_NOT_FOUND' });
  const id = await registry.register(`${topic}-value`, customer);
  const fresh = new AvroSerde({
    registry: new SchemaRegistry({ url: cluster.registryUrl }),
    autoRegister: false,
  });
  const bytes = await fresh.serialize(topic, { id: 1, name: 'x' }, { schema: customer });
  assert.equal(bytes.readUInt32BE(1), id);
});

test('use-latest-version writes with the latest schema, and strict mode refuses a schema it cannot read', async () => {
  const topic = uniqueName('latest');
  const subject = `${topic}-value`;
  await registry.register(subject, customerBeforeEmail);
  const latestId = await registry.register(subject, customer);
  const serde = new AvroSerde({ registry, useLatestVersion: true });
  const bytes = await serde.serialize(topic, { id: 3, name: 'n' }, { schema: customerBeforeEmail });
  assert.equal(bytes.readUInt32BE(1), latestId);
  assert.deepEqual(
    { ...(await (serde.deserialize(topic, bytes) as Promise<object>)) },
    { id: 3, name: 'n', email: null },
  );

  const unreadable = {
    type: 'record',
    name: 'Customer',
    namespace: 'customerManagement.avro',
    fields: [{ name: 'id', type: 'string' }],
  };
  await assert.rejects(serde.serialize(topic, { id: 'x' }, { schema: unreadable }), {
    code: 'SERDE_INCOMPATIBLE_SCHEMA',
  });
});

test('a pinned schema id is written as given, and values are checked against that schema', async () => {
  const topic = uniqueName('pinned');
  const id = await registry.register(uniqueName('pinned-source'), customer);
  const serde = new AvroSerde({ registry, schemaId: id });
  const bytes = await serde.serialize(topic, { id: 5, name: 'p', email: null }, { schema: customer });
  assert.equal(bytes.readUInt32BE(1), id);
  await assert.rejects(serde.serialize(topic, { id: 'five' }, { schema: customer }), {
    code: 'SERDE_INVALID_VALUE',
  });
});

test('deserialize resolves the writer schema into a newer reader schema', async () => {
  const topic = uniqueName('evolve');
  const serde = new AvroSerde({ registry });
  const bytes = await serde.serialize(topic, { id: 9, name: 'old' }, { schema: customerBeforeEmail });
  const asRead = await (serde.deserialize(topic, bytes, { readerSchema: customer }) as Promise<object>);
  assert.deepEqual({ ...asRead }, { id: 9, name: 'old', email: null });
  const incompatibleReader = { ...customerBeforeEmail, fields: [{ name: 'id', type: 'string' }] };
  await assert.rejects(serde.deserialize(topic, bytes, { readerSchema: incompatibleReader }), {
    code: 'SERDE_INCOMPATIBLE_SCHEMA',
  });
});

test('payloads that are not Confluent frames are refused with SERDE_INVALID_FRAME', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('frames');
  const good = await serde.serialize(topic, { id: 1, name: 'a' }, { schema: customer });
  for (const bytes of [
    Buffer.from([0, 0, 0]),
    Buffer.from([1, ...good.subarray(1)]),
    good.subarray(0, good.length - 1),
    Buffer.concat([good, Buffer.from([0])]),
  ]) {
    await assert.rejects(serde.deserialize(topic, bytes), { code: 'SERDE_INVALID_FRAME' });
  }
});

test('keys: Avro-framed primitives through the registry, or raw the way Java serializers write them', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('keys');
  const framed = await serde.serialize(topic, 'France', { schema: 'string', isKey: true });
  assert.equal(await serde.deserialize(topic, framed, { isKey: true }), 'France');
  assert.equal((await registry.getLatest(`${topic}-key`)).schema, '"string"');
  const raw = await serde.serialize(topic, 'France', { schema: 'string', isKey: true, framing: 'none' });
  assert.deepEqual(raw, Buffer.from('France'));
  assert.equal(await serde.deserialize(topic, raw, { readerSchema: 'string', framing: 'none' }), 'France');
  await assert.rejects(serde.serialize(topic, { a: 1 }, { schema: customer, framing: 'none' }), {
    code: 'INVALID_OPTIONS',
  });
});

test('every corpus schema avsc can generate values for round-trips through the registry', async () => {
  const corpusDir = findCorpus();
  const serde = new AvroSerde({ registry });
  const files = readdirSync(corpusDir).filter((f) => f.endsWith('.avsc'));
  // The multipleFile group only resolves with its dependencies parsed first, into one avsc registry.
  const shared: Record<string, avro.Type> = {};
  const order = (f: string) =>
    f.includes('DocumentInfo') ? 0 : f.includes('MyResponse') ? 1 : f.includes('ApplicationEvent') ? 2 : 3;
  let roundTripped = 0;
  for (const file of [...files].sort((a, b) => order(a) - order(b))) {
    let type: avro.Type;
    let values: unknown[];
    try {
      type = avro.Type.forSchema(JSON.parse(readFileSync(new URL(file, corpusDir), 'utf8')) as avro.Schema, {
        registry: file.includes('multipleFile') ? shared : {},
      });
      values = [type.random(), type.random(), type.random()];
    } catch {
      continue; // not parseable alone (nested.error, verboseint) or avsc cannot bound a random recursive value
    }
    const topic = uniqueName('corpus');
    for (const value of values) {
      // A type avsc built itself (not through avrokit) is taken as it is.
      const schema = type as unknown as AnyAvroType;
      const bytes = await serde.serialize(topic, value, { schema });
      const back = await serde.deserialize(topic, bytes, { readerSchema: schema });
      // Compared as Avro bytes: a random `float` is a double that Avro stores in 32 bits, by design.
      assert.deepEqual(type.toBuffer(back), type.toBuffer(value), `${file}: value changed in the round trip`);
    }
    roundTripped++;
  }
  assert.ok(roundTripped >= 50, `only ${roundTripped} of ${files.length} corpus schemas round-tripped`);
});

test('a schema that references types under other subjects is serialized and read back', async () => {
  const address = {
    type: 'record',
    name: 'Address',
    namespace: 'avrokit.serde.ref',
    fields: [{ name: 'city', type: 'string' }],
  };
  const person = {
    type: 'record',
    name: 'Person',
    namespace: 'avrokit.serde.ref',
    fields: [
      { name: 'name', type: 'string' },
      { name: 'home', type: 'avrokit.serde.ref.Address' },
    ],
  };
  const addressSubject = uniqueName('serde-address');
  await registry.register(addressSubject, address);
  const references = [{ name: 'avrokit.serde.ref.Address', subject: addressSubject, version: 1 }];
  const topic = uniqueName('serde-person');
  const value = { name: 'Ada', home: { city: 'London' } };
  const bytes = await new AvroSerde({ registry }).serialize(topic, value, { schema: person, references });
  const registered = await registry.getSchemaById(bytes.readUInt32BE(1));
  assert.deepEqual(registered.references, references);
  // A fresh serde knows nothing: it resolves the references through the registry to read the record.
  const freshRegistry = new SchemaRegistry({ url: cluster.registryUrl });
  try {
    const reader = new AvroSerde({ registry: freshRegistry });
    assert.deepEqual(plainObject(await reader.deserialize(topic, bytes)), value);
  } finally {
    freshRegistry.close();
  }
});

function plainObject(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** A record of the value types whose messages and ranges issue #10 is about. */
const edges = {
  type: 'record',
  name: 'Edges',
  namespace: 'avrokit.it',
  fields: [
    { name: 'n', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
    { name: 'digest', type: { type: 'fixed', name: 'Md5', size: 16 } },
    { name: 'choice', type: ['null', 'string', 'int'] },
  ],
};
const goodEdges = {
  n: -(2 ** 53 - 1),
  at: new Date(-8.64e15),
  status: 'PAID',
  price: '-9999.99',
  digest: Buffer.alloc(16, 1),
  choice: null,
};

test('longs and Dates are exact over their whole range, both ways, through the registry', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('exact-longs');
  for (const n of [-(2 ** 53 - 1), -(2 ** 52) - 1, 2 ** 53 - 1, -(2 ** 52) - 12345]) {
    const bytes = await serde.serialize(topic, { ...goodEdges, n }, { schema: edges });
    // Independent of avsc: the long is the first field, a zig-zag varint right after the header.
    const zigzag = n < 0 ? -2n * BigInt(n) - 1n : 2n * BigInt(n);
    let decoded = 0n;
    for (let i = 5, shift = 0n; ; i++, shift += 7n) {
      decoded |= BigInt(bytes[i]! & 0x7f) << shift;
      if (!(bytes[i]! & 0x80)) break;
    }
    assert.equal(decoded, zigzag, `zig-zag bytes of ${n}`);
    const back = await (new AvroSerde({ registry }).deserialize(topic, bytes) as Promise<typeof goodEdges>);
    assert.equal(back.n, n);
    assert.equal(back.at.getTime(), -8.64e15);
  }
});

test('a long beyond ±(2^53 − 1) is refused both ways with a typed error that says to use bigint longs', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('unsafe-longs');
  await assert.rejects(
    serde.serialize(topic, { ...goodEdges, n: 2 ** 53 }, { schema: edges }),
    (err: unknown) => {
      assert.ok(err instanceof SerdeError);
      assert.equal(err.code, 'SERDE_INVALID_VALUE');
      assert.match(
        err.message,
        /field n: expected long .*longs: 'bigint'.*got integer beyond ±\(2\^53 − 1\)/,
      );
      return true;
    },
  );
  // A Java producer may write any long: read it as a number and it is refused, not rounded.
  const bigintSerde = new AvroSerde({ registry, values: { longs: 'bigint' } });
  const bytes = await bigintSerde.serialize(topic, { ...goodEdges, n: 2n ** 60n + 1n }, { schema: edges });
  await assert.rejects(new AvroSerde({ registry }).deserialize(topic, bytes), (err: unknown) => {
    assert.ok(err instanceof SerdeError);
    assert.equal(err.code, 'SERDE_VALUE_OUT_OF_RANGE');
    assert.equal(err.context.topic, topic);
    assert.match(err.message, /longs: 'bigint'/);
    return true;
  });
  assert.equal((await (bigintSerde.deserialize(topic, bytes) as Promise<{ n: bigint }>)).n, 2n ** 60n + 1n);
});

test('a timestamp beyond the range of a Date is refused on read, not read as an Invalid Date', async () => {
  const plain = {
    ...edges,
    name: 'EdgesPlain',
    fields: edges.fields.map((f) => (f.name === 'at' ? { name: 'at', type: 'long' } : f)),
  };
  const topic = uniqueName('date-range');
  const serde = new AvroSerde({ registry });
  const writerBytes = await serde.serialize(topic, { ...goodEdges, at: 8.64e15 + 1 }, { schema: plain });
  await assert.rejects(
    serde.deserialize(topic, writerBytes, { readerSchema: { ...edges, name: 'EdgesPlain' } }),
    {
      code: 'SERDE_VALUE_OUT_OF_RANGE',
    },
  );
});

test('value errors name the field, the expected Avro type with what it allows, and the kind given', async () => {
  const serde = new AvroSerde({ registry });
  const prepared = await serde.prepare(uniqueName('messages'), edges);
  const bad = {
    n: 1,
    at: 1_700_000_000_000,
    status: 'DELIVERED',
    price: 12.5,
    digest: Buffer.alloc(3),
    choice: true,
  };
  assert.throws(
    () => prepared.serialize(bad),
    (err: unknown) => {
      assert.ok(err instanceof SerdeError);
      assert.deepEqual(err.issues, [
        {
          path: 'at',
          expected: 'timestamp-millis (a Date)',
          actual:
            "integer (epoch milliseconds? pass a Date, or build the types with plainLogicalTypes: ['timestamp-millis'])",
        },
        {
          path: 'status',
          expected: 'enum avrokit.it.Status (one of NEW, PAID, SHIPPED)',
          actual: 'string "DELIVERED"',
        },
        {
          path: 'price',
          expected: 'decimal(6,2) (text with at most 6 digits, 2 of them after the point, e.g. "1.50")',
          actual: 'number 12.5: a decimal is text, "12.5" (exact)',
        },
        {
          path: 'digest',
          expected: 'fixed avrokit.it.Md5 (a Buffer of 16 bytes)',
          actual: 'Buffer (3 bytes)',
        },
        { path: 'choice', expected: 'null | string | int (a 32-bit integer)', actual: 'boolean' },
      ]);
      assert.match(err.message, /field at: expected timestamp-millis \(a Date\), got integer/);
      return true;
    },
  );
});

test('value settings belong to each serde, for schemas given as objects as for text', async () => {
  const topic = uniqueName('type-options');
  const asDates = new AvroSerde({ registry });
  const asLongs = new AvroSerde({ registry, values: { plainLogicalTypes: LOGICAL_TYPE_NAMES } });
  const bytes = await asDates.serialize(topic, goodEdges, { schema: edges });
  // The same reader schema object in both: each serde builds its own Type from it.
  const dated = await (asDates.deserialize(topic, bytes, { readerSchema: edges }) as Promise<{
    at: unknown;
  }>);
  const plain = await (asLongs.deserialize(topic, bytes, { readerSchema: edges }) as Promise<{
    at: unknown;
  }>);
  assert.ok(dated.at instanceof Date);
  assert.equal(plain.at, -8.64e15);
  // Logical types read as plain longs still get the exact long: no sign flip below −2^52.
  const plainBytes = await asLongs.serialize(
    `${topic}-plain`,
    { ...goodEdges, price: Buffer.from([1]), at: -(2 ** 52) - 1, n: -(2 ** 53 - 1) },
    { schema: edges },
  );
  const back = await (asLongs.deserialize(`${topic}-plain`, plainBytes) as Promise<{
    at: number;
    n: number;
  }>);
  assert.deepEqual([back.at, back.n], [-(2 ** 52) - 1, -(2 ** 53 - 1)]);
});

test('a payload that is not valid Avro for its schema is a typed frame error naming topic and schema id', async () => {
  const serde = new AvroSerde({ registry });
  const topic = uniqueName('corrupt');
  const bytes = await serde.serialize(topic, goodEdges, { schema: edges });
  const corrupt = Buffer.from(bytes);
  corrupt[corrupt.length - 1] = 0x7f; // union branch index 63 of 3
  await assert.rejects(serde.deserialize(topic, corrupt), (err: unknown) => {
    assert.ok(err instanceof SerdeError);
    assert.equal(err.code, 'SERDE_INVALID_FRAME');
    assert.equal(err.context.topic, topic);
    assert.equal(err.context.schemaId, bytes.readUInt32BE(1));
    return true;
  });
});
