/**
 * The serde's in-place reader (what the consumer decodes record values with) against deserializeSync
 * of the same bytes: every corpus schema's random values, read as themselves and resolved into a newer
 * reader, and every payload damaged (cut short, lengthened, a byte flipped) — each lying inside a larger
 * buffer between random bytes, as a value lies in a record batch. Same value or the same error, always.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import { AvroSerde, SchemaRegistry } from '../../../src/index.js';
import { corpusDir } from '../../support/corpus.js';
import { reportedRecord, zigZagVarint as varint } from '../../support/hostile-payloads.js';
import { SeededRandom } from '../../support/random.js';
import { startSchemaServer, type SchemaServer } from '../../support/schema-server.js';

const random = new SeededRandom(0xf4a3ed);
const schemas = new Map<number, string>();
let server: SchemaServer;
let registry: SchemaRegistry;

before(async () => {
  server = await startSchemaServer(schemas);
  registry = new SchemaRegistry({ url: server.url });
});

after(async () => {
  registry.close();
  await server.close();
});

const framed = (id: number, body: Buffer): Buffer => {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
};

const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => random.int(0, 255)));

/** What a read gives: the value, or the error's name, code and message. */
function outcome(read: () => unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: read() };
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    return { error: { name: e.name, code: e.code, message: e.message } };
  }
}

/** The payload read in place (inside random bytes) and as its own buffer agree. */
function agree(
  serde: AvroSerde,
  topic: string,
  payload: Buffer,
  readerSchema: string | undefined,
  what: string,
  neighbours = noise(random.int(0, 300)),
): void {
  const before = noise(random.int(0, 40));
  const buf = Buffer.concat([before, payload, neighbours]);
  const options = readerSchema === undefined ? {} : { readerSchema };
  // The in-place reader hands what it cannot read cleanly to deserializeSync: counted here.
  const own = Object.getOwnPropertyDescriptor(serde, 'deserializeSync');
  let handedOver = 0;
  const deserializeSync = serde.deserializeSync.bind(serde);
  Object.defineProperty(serde, 'deserializeSync', {
    configurable: true,
    value: (...args: Parameters<typeof deserializeSync>) => (handedOver++, deserializeSync(...args)),
  });
  const reader = serde.framedReader(topic, options);
  let inPlace;
  try {
    inPlace = outcome(() => reader.read(buf, before.length, before.length + payload.length));
  } finally {
    if (own) Object.defineProperty(serde, 'deserializeSync', own);
    else delete (serde as { deserializeSync?: unknown }).deserializeSync;
  }
  const exact = outcome(() => serde.deserializeSync(topic, Buffer.from(payload), options));
  assert.deepStrictEqual(inPlace, exact, what);
  // Whatever its own bytes decode to is read in place, not handed over.
  if ('value' in exact) assert.equal(handedOver, 0, `${what}: read in place`);
}

/** Damaged copies of a payload: cut short, lengthened, one byte changed. */
function damaged(payload: Buffer): Buffer[] {
  const out = [payload.subarray(0, payload.length - 1), Buffer.concat([payload, noise(random.int(1, 3))])];
  if (payload.length > 6) out.push(payload.subarray(0, random.int(5, payload.length - 1)));
  for (let i = 0; i < 3 && payload.length > 5; i++) {
    const flipped = Buffer.from(payload);
    flipped[random.int(5, flipped.length - 1)] = random.int(0, 255);
    out.push(flipped);
  }
  return out;
}

test('every corpus schema: in place and as its own bytes, the same value or the same error', async () => {
  const dir = corpusDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.avsc') && !f.includes('multipleFile'));
  let id = 100;
  let checked = 0;
  for (const file of files) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    let type: avro.Type;
    let values: unknown[];
    try {
      type = avro.Type.forSchema(JSON.parse(text) as avro.Schema);
      values = [type.random(), type.random(), type.random()];
    } catch {
      continue; // not parseable alone, or avsc cannot bound a random recursive value
    }
    const writerId = ++id;
    schemas.set(writerId, JSON.stringify(type.schema()));
    const serde = new AvroSerde({ registry });
    const topic = `corpus-${writerId}`;
    const payloads = values.map((value) => framed(writerId, type.toBuffer(value)));
    // The first read loads the writer schema; before it, both say SERDE_NOT_PREPARED.
    agree(serde, topic, payloads[0]!, undefined, `${file}: before the writer is loaded`);
    try {
      await serde.deserialize(topic, payloads[0]!);
    } catch {
      // a value avrokit refuses (a long beyond 2^53, …): the reads below say so, identically
      await serde.deserialize(topic, framed(writerId, Buffer.alloc(0))).catch(() => {});
    }
    // A reader with one more field (a default to fill in): avsc's resolver reads.
    const json = type.schema() as { type?: unknown; fields?: unknown[] };
    const readers: (string | undefined)[] = [undefined, JSON.stringify(type.schema())];
    if (json.type === 'record' && Array.isArray(json.fields)) {
      readers.push(
        JSON.stringify({
          ...json,
          fields: [...json.fields, { name: 'avrokitAdded', type: 'int', default: 7 }],
        }),
      );
    }
    for (const reader of readers) {
      for (const payload of payloads) {
        agree(serde, topic, payload, reader, `${file} (${reader ? 'reader' : 'writer'})`);
        for (const bad of damaged(payload)) agree(serde, topic, bad, reader, `${file}: damaged`);
      }
    }
    checked++;
  }
  assert.ok(checked >= 45, `only ${checked} corpus schemas were checked`);
});

test('frames that are not Confluent wire format, unknown ids and incompatible writers: the same errors', async () => {
  const writer = avro.Type.forSchema({
    type: 'record',
    name: 'Pair',
    fields: [
      { name: 'a', type: 'string' },
      { name: 'b', type: 'long' },
    ],
  });
  schemas.set(7, JSON.stringify(writer.schema()));
  const serde = new AvroSerde({ registry });
  const good = framed(7, writer.toBuffer({ a: 'x', b: 1 }));
  await serde.deserialize('pairs', good);
  const incompatible = JSON.stringify({ type: 'record', name: 'Pair', fields: [{ name: 'a', type: 'int' }] });
  for (const payload of [
    Buffer.alloc(0),
    Buffer.from([0, 0, 0]),
    Buffer.from([1, 0, 0, 0, 7, 2, 0x78, 2]),
    framed(8, Buffer.from([2, 0x78, 2])), // not loaded
    good,
  ]) {
    agree(serde, 'pairs', payload, undefined, `payload ${payload.toString('hex')}`);
    agree(serde, 'pairs', payload, incompatible, `payload ${payload.toString('hex')}, incompatible reader`);
  }
});

test('counts are checked against the payload, not the buffer it lies in', async () => {
  schemas.set(9, JSON.stringify(reportedRecord));
  const serde = new AvroSerde({ registry });
  const type = avro.Type.forSchema(reportedRecord as avro.Schema);
  await serde.deserialize('hostile', framed(9, type.toBuffer({ s: '', longs: [], blobs: {}, u: null })));
  // A string, then an array claiming 5,000 longs: 100 KB of bytes follow the payload in the buffer,
  // but not one in the payload — refused as its own bytes are.
  const claim = framed(9, Buffer.from([...varint(1n), 0x78, ...varint(5000n)]));
  agree(serde, 'hostile', claim, undefined, 'a claim the buffer could hold', Buffer.alloc(100_000, 2));
  const huge = framed(9, Buffer.from([...varint(1n), 0x78, ...varint(200_000_000n)]));
  agree(serde, 'hostile', huge, undefined, "the report's payload", Buffer.alloc(100_000, 2));
  // A string whose length runs past the payload into the bytes after it: truncated, as alone.
  const long = framed(9, Buffer.from([...varint(40n), 0x61, 0x62]));
  agree(serde, 'hostile', long, undefined, 'a string running past the payload', Buffer.alloc(100, 0x61));
});
