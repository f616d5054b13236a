/**
 * The fuzzing loop, run in a child process with a small heap (see test/integration/fuzz.test.ts): random
 * and mutated framed payloads for the corpus schemas through `deserializeSync` (and a sample through
 * `deserialize`, which asks the registry for ids it does not know). Prints one JSON summary line.
 *
 * Environment: SCHEMA_REGISTRY_URL, FUZZ_PAYLOADS (how many), FUZZ_SEED.
 */
// First: avsc's random values (the valid payloads mutated) must come from the seed.
import './seeded-math-random.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AvroSerde,
  createAvroType,
  isAvrokitError,
  SchemaRegistry,
  type AnyAvroType,
  type AvroSchemaJson,
  type PreparedSerializer,
} from '../../src/index.js';
import type avro from 'avsc';
import { uniqueName } from './cluster.js';
import { corpusDir } from './corpus.js';
import { SeededRandom } from './random.js';
import { boundedRandomValue } from './typescript.js';
import { reportedRecord, zigZagVarint as varint } from './hostile-payloads.js';

const count = Number(process.env.FUZZ_PAYLOADS ?? 50_000);
const seed = Number(process.env.FUZZ_SEED ?? 20261125);
const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL!, timeoutMs: 5000, retries: 1 });
const serde = new AvroSerde({ registry });
const random = new SeededRandom(seed);

/** The record (a string, an array of long, a map of bytes, a union) and every corpus schema that stands alone. */
function schemas(): AvroSchemaJson[] {
  const dir = fileURLToPath(corpusDir());
  const corpus = readdirSync(dir)
    .sort()
    .flatMap((file) => {
      try {
        return [JSON.parse(readFileSync(join(dir, file), 'utf8')) as AvroSchemaJson];
      } catch {
        return [];
      }
    });
  return [reportedRecord, ...corpus];
}

interface Target {
  readonly topic: string;
  readonly prepared: PreparedSerializer<unknown>;
  readonly valid: readonly Buffer[];
}

/**
 * The schemas that stand alone, each with up to four random valid values — all made before anything
 * touches the network (retry jitter draws from Math.random too), so a seed always gives the same ones —
 * then registered (a schema the registry refuses is left out and listed).
 */
async function targets(): Promise<Target[]> {
  const local = schemas().flatMap((schema) => {
    let type: AnyAvroType;
    try {
      type = createAvroType(schema);
    } catch {
      return []; // not valid alone: it uses another file's types
    }
    const values: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        const value = boundedRandomValue(type as unknown as avro.Type);
        type.toBuffer(value);
        values.push(value);
      } catch {
        // a value of a type avsc cannot write as given (rare: its random floats, say)
      }
    }
    return values.length > 0 ? [{ schema, values }] : [];
  });
  const out: Target[] = [];
  for (const { schema, values } of local) {
    const topic = uniqueName('fuzz');
    const prepared = await serde
      .prepare(topic, schema)
      .catch(() => serde.prepare(topic, schema))
      .catch((err: unknown) => {
        // Apicurio 3.0.9 answers 500 for two recursive corpus schemas (records A and Node), every time.
        const name = (schema as { name?: unknown }).name;
        refusedByRegistry.push(
          `${typeof name === 'string' ? name : 'unnamed'}: ${err instanceof Error ? err.message : String(err)}`,
        );
        return undefined;
      });
    if (prepared) out.push({ topic, prepared, valid: values.map((value) => prepared.serialize(value)) });
  }
  return out;
}

const refusedByRegistry: string[] = [];

/** A count or length a hostile writer would claim: large, small, negative, or up to 2^62. */
function hostileNumber(): bigint {
  const choices = [
    2n ** 31n,
    200_000_000n,
    2n ** 62n,
    -1n,
    -(2n ** 40n),
    BigInt(random.int(0, 300)),
    BigInt(random.uint32()),
  ];
  return random.pick(choices);
}

type Mutation = (body: Buffer) => Buffer;

const MUTATIONS: readonly [string, Mutation][] = [
  [
    'flip bits',
    (b) => {
      const out = Buffer.from(b);
      for (let i = random.int(1, 4); i > 0 && out.length > 0; i--)
        out[random.int(0, out.length - 1)]! ^= 1 << random.int(0, 7);
      return out;
    },
  ],
  ['truncate', (b) => b.subarray(0, random.int(0, Math.max(0, b.length - 1)))],
  [
    'append garbage',
    (b) =>
      Buffer.concat([b, Buffer.from(Array.from({ length: random.int(1, 16) }, () => random.int(0, 255)))]),
  ],
  [
    'hostile varint',
    (b) => {
      const at = random.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from(varint(hostileNumber())), b.subarray(at)]);
    },
  ],
  [
    'overwrite with a hostile varint',
    (b) => {
      const at = random.int(0, b.length);
      const v = Buffer.from(varint(hostileNumber()));
      return Buffer.concat([b.subarray(0, at), v, b.subarray(Math.min(b.length, at + v.length))]);
    },
  ],
  ['random body', () => Buffer.from(Array.from({ length: random.int(0, 48) }, () => random.int(0, 255)))],
];

function frame(schemaId: number, body: Buffer, magic = 0): Buffer {
  const header = Buffer.alloc(5);
  header[0] = magic;
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

const all = await targets();

/**
 * First, bodies of a few bytes whose counts and lengths claim up to 2^62: the process's peak
 * resident memory (which only grows) is read before and after, so an allocation for what a claim says
 * would show, even if the garbage collector freed it at once.
 */
function tinyHostilePayloads(): { count: number; longest: number; peakGrowthMiB: number } {
  const claims = [2n ** 31n, 200_000_000n, 2n ** 40n, 2n ** 62n, -(2n ** 31n)];
  const before = process.resourceUsage().maxRSS;
  let count = 0;
  let longest = 0;
  for (let round = 0; round < 50; round++) {
    for (const target of all) {
      for (const claim of claims) {
        for (const prefix of [[], [0], [2, 0x78], [0, 0], [2]]) {
          const body = Buffer.from([...prefix, ...varint(claim), ...varint(claim)]);
          count++;
          longest = Math.max(longest, body.length);
          try {
            serde.deserializeSync(target.topic, frame(target.prepared.schemaId, body));
          } catch (err) {
            if (!isAvrokitError(err) && untyped.length < 20)
              untyped.push(`tiny payload ${body.toString('hex')}: ${String(err)}`);
          }
        }
      }
    }
  }
  return { count, longest, peakGrowthMiB: (process.resourceUsage().maxRSS - before) / 1024 };
}

const untyped: string[] = [];
const tiny = tinyHostilePayloads();
const codes = new Map<string, number>();
let decoded = 0;
let validDecoded = 0;
let validFailed = 0;
let asked = 0;
let maxRss = process.memoryUsage.rss();
const started = process.hrtime.bigint();

for (let i = 0; i < count; i++) {
  const target = random.pick(all);
  const validBytes = random.pick(target.valid);
  const body = validBytes.subarray(5);
  const kind = random.int(0, 99);
  let payload: Buffer;
  let valid = false;
  if (kind < 5) {
    payload = validBytes;
    valid = true;
  } else if (kind < 8) {
    payload = frame(target.prepared.schemaId, body, random.int(1, 255)); // bad magic byte
  } else if (kind < 10) {
    payload = validBytes.subarray(0, random.int(0, 4)); // shorter than the header
  } else {
    const [, mutate] = random.pick(MUTATIONS);
    payload = frame(target.prepared.schemaId, mutate(Buffer.from(body)));
  }
  try {
    // A sample goes through the async path, with unknown ids that make it ask the registry.
    if (i % 2000 === 0) {
      valid = false; // the id is made unknown: this payload is not the valid one
      asked++;
      await serde.deserialize(target.topic, frame(900_000_000 + random.int(0, 1000), body));
    } else {
      serde.deserializeSync(target.topic, payload);
    }
    decoded++;
    if (valid) validDecoded++;
  } catch (err) {
    if (valid) validFailed++;
    if (isAvrokitError(err)) codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    else if (untyped.length < 20) untyped.push(`payload ${i} (seed ${seed}): ${String(err)}`);
  }
  if (i % 10_000 === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss());
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
registry.close();
process.stdout.write(
  `${JSON.stringify({
    seed,
    payloads: count,
    schemas: all.length,
    refusedByRegistry,
    decoded,
    validDecoded,
    validFailed,
    asked,
    codes: Object.fromEntries([...codes].sort()),
    untyped,
    seconds,
    maxRssMiB: Math.round(maxRss / 2 ** 20),
    tiny,
  })}\n`,
);
