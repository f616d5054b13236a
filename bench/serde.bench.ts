/**
 * Serialize and deserialize throughput for a ~100-byte record, in one run, against raw avsc (the
 * floor: no framing, no registry) and the two libraries users would otherwise pick. All registry
 * clients talk to the same real registry; timings exclude the one-time registration.
 *
 *   npm run bench:serde            (starts the local stack if needed, stops it after)
 */
import { SchemaRegistry as KafkajsRegistry } from '@kafkajs/confluent-schema-registry';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import avro from 'avsc';
import { AvroSerde, createAvroType, SchemaRegistry } from '../src/index.js';
import { stackDown, stackUp } from '../src/stack/index.js';

const schema = {
  type: 'record',
  name: 'PageView',
  namespace: 'avrokit.bench',
  fields: [
    { name: 'viewId', type: 'long' },
    { name: 'userId', type: 'string' },
    { name: 'url', type: 'string' },
    { name: 'referrer', type: ['null', 'string'], default: null },
    { name: 'durationMs', type: 'int' },
    { name: 'country', type: { type: 'enum', name: 'Country', symbols: ['FR', 'DE', 'US', 'CN', 'BR'] } },
    { name: 'mobile', type: 'boolean' },
  ],
};
const record = {
  viewId: 1_763_000_123_456,
  userId: 'user-4f1c2a9e',
  url: 'https://shop.example/products/precision-widget-42',
  referrer: 'https://search.example/?q=widget',
  durationMs: 5234,
  country: 'FR',
  mobile: true,
};

const up = await stackUp();
const url = up.endpoints.registryUrl;
const topic = `bench-serde-${Date.now()}`;

interface Row {
  name: string;
  opsPerSec: number;
}

async function measure(name: string, op: () => unknown, iterations: number): Promise<Row> {
  const isAsync = op() instanceof Promise;
  const runBatch = async (n: number) => {
    if (isAsync) for (let i = 0; i < n; i++) await op();
    else for (let i = 0; i < n; i++) op();
  };
  await runBatch(Math.min(20_000, iterations)); // warm-up: JIT, caches
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint();
    await runBatch(iterations);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, iterations / seconds);
  }
  return { name, opsPerSec: best };
}

const type = avro.Type.forSchema(schema as avro.Schema);
// avrokit's own Type for the schema (as generated code builds it): exact longs, not avsc's.
const ourType = createAvroType<typeof record>(schema);
const registry = new SchemaRegistry({ url });
const serde = new AvroSerde({ registry });
const prepared = await serde.prepare(topic, ourType);
const ours = prepared.serialize(record);
const body = type.toBuffer(record);

const kafkajs = new KafkajsRegistry({ host: url });
const confluentClient = new SchemaRegistryClient({ baseURLs: [url] });
const confluentSerializer = new AvroSerializer(confluentClient, SerdeType.VALUE, {
  useLatestVersion: true,
  autoRegisterSchemas: false,
});
const confluentDeserializer = new AvroDeserializer(confluentClient, SerdeType.VALUE, {});
await kafkajs.decode(ours);
await confluentSerializer.serialize(topic, record);
await confluentDeserializer.deserialize(topic, ours);

const N = 200_000;
const M = 50_000; // the libraries are slower; fewer iterations keep the run short
const serializeRows = [
  await measure('raw avsc toBuffer (no framing)', () => type.toBuffer(record), N),
  await measure('avrokit prepared.serialize (sync)', () => prepared.serialize(record), N),
  await measure(
    'avrokit serde.serialize (async)',
    () => serde.serialize(topic, record, { schema: ourType }),
    N,
  ),
  await measure(
    '@kafkajs/confluent-schema-registry encode',
    () => kafkajs.encode(prepared.schemaId, record),
    M,
  ),
  await measure(
    '@confluentinc/schemaregistry serialize',
    () => confluentSerializer.serialize(topic, record),
    M,
  ),
];
const deserializeRows = [
  await measure('raw avsc fromBuffer (no framing)', () => type.fromBuffer(body), N),
  await measure('avrokit serde.deserializeSync', () => serde.deserializeSync(topic, ours), N),
  await measure('avrokit serde.deserialize (async)', () => serde.deserialize(topic, ours), N),
  await measure('@kafkajs/confluent-schema-registry decode', () => kafkajs.decode(ours), M),
  await measure(
    '@confluentinc/schemaregistry deserialize',
    () => confluentDeserializer.deserialize(topic, ours),
    M,
  ),
];

function print(title: string, rows: Row[], oursIndex: number[]): void {
  const raw = rows[0]?.opsPerSec ?? 1;
  process.stdout.write(`\n${title} (${ours.length}-byte framed record)\n`);
  for (const row of rows) {
    process.stdout.write(
      `  ${row.name.padEnd(46)} ${Math.round(row.opsPerSec).toLocaleString('en-US').padStart(12)} ops/s  ${(row.opsPerSec / raw).toFixed(2)}× raw avsc\n`,
    );
  }
  const libraries = rows.slice(3);
  for (const i of oursIndex) {
    const mine = rows[i];
    if (!mine) continue;
    const vs = libraries
      .map((l) => `${(mine.opsPerSec / l.opsPerSec).toFixed(1)}× ${l.name.split(' ')[0]}`)
      .join(', ');
    process.stdout.write(
      `  → ${mine.name}: ${(mine.opsPerSec / raw).toFixed(2)}× raw avsc (target ≥ 0.90), ${vs} (target ≥ 1.5 each)\n`,
    );
  }
}

print('serialize', serializeRows, [1, 2]);
print('deserialize', deserializeRows, [1, 2]);

/**
 * avrokit replaces avsc's long (wrong below −2^52) with an exact one; it must be no slower. Alternating
 * rounds in one process, median of the per-round ratios, so a busy machine slows both sides alike.
 */
function longEncoding(): void {
  const longs = {
    type: 'record',
    name: 'Longs',
    fields: ['small', 'epochMillis', 'id', 'negative'].map((name) => ({ name, type: 'long' })),
  };
  const value = { small: 42, epochMillis: 1_763_000_123_456, id: 2 ** 50 + 7, negative: -123_456_789_012 };
  const theirs = avro.Type.forSchema(longs as avro.Schema);
  const mine = createAvroType<typeof value>(longs) as unknown as avro.Type;
  const scratch = Buffer.alloc(64);
  const encoded = mine.toBuffer(value);
  const time = (t: avro.Type, write: boolean, n: number) => {
    const start = process.hrtime.bigint();
    if (write) for (let i = 0; i < n; i++) t.encode(value, scratch, 0);
    else for (let i = 0; i < n; i++) t.decode(encoded, 0);
    return Number(process.hrtime.bigint() - start);
  };
  process.stdout.write(`\nlong encoding (4 longs; avrokit's exact long vs avsc's, 21 alternating rounds)\n`);
  for (const write of [true, false]) {
    for (let i = 0; i < 3; i++) {
      // warm-up: both sides JIT-compiled before the timed rounds
      time(theirs, write, 100_000);
      time(mine, write, 100_000);
    }
    const ratios = Array.from(
      { length: 21 },
      () => time(theirs, write, 200_000) / time(mine, write, 200_000),
    ).sort((a, b) => a - b);
    process.stdout.write(
      `  → ${write ? 'write' : 'read '}: avrokit ${ratios[10]!.toFixed(2)}× avsc's speed (median; range ${ratios[0]!.toFixed(2)}–${ratios[20]!.toFixed(2)}; target ≥ 0.95)\n`,
    );
  }
}
longEncoding();

registry.close();
if (up.outcome === 'started') await stackDown();
