/**
 * Apache Avro's Java library as the oracle for values: for every numeric and logical type, its edges
 * and 10,000 seeded random values, avrokit's bytes must equal Java's `GenericDatumWriter` bytes (with
 * Avro's own logical-type conversions), Java must read avrokit's bytes to the value it parsed, and
 * avrokit must read Java's bytes to the value it started from. Values one side refuses, the other
 * must refuse too; values Java writes that a JavaScript representation cannot hold (a long beyond
 * 2^53 as a number, an instant beyond a Date's range) must be refused with a typed error on both
 * paths, never rounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAvroType, type AvroSchemaJson, type AvroValueSettings } from '../../../src/avro/avro-type.js';
import { isAvrokitError } from '../../../src/errors.js';
import { javaValues, type OracleCase } from '../../support/avro-value-oracle.js';
import { SeededRandom } from '../../support/random.js';

const SEED = 20261125;
const RANDOM_VALUES = 10_000;

/**
 * roundtrip: both write the same bytes and read each other's; invalid: both refuse to write it;
 * unrepresentable: Java writes it, avrokit cannot hold it and refuses to write and to read it;
 * java-wraps: Java writes a different value without a word (an overflowing cast), avrokit refuses.
 */
type Expect = 'roundtrip' | 'invalid' | 'unrepresentable' | 'java-wraps';

interface Edge {
  readonly value: unknown;
  /** Java's input; defaults to the type's text of `value`. */
  readonly text?: string;
  /** @default 'roundtrip' */
  readonly expect?: Expect;
  /** What avrokit reads back, when not `value` itself (a float rounded to 32 bits, a decimal padded to its scale). */
  readonly read?: unknown;
}

interface TypeCase {
  readonly key: string;
  readonly schema: AvroSchemaJson;
  readonly settings?: AvroValueSettings;
  readonly text: (value: never) => string;
  readonly random: (rng: SeededRandom) => unknown;
  /** What avrokit reads back for a random value, when not the value itself. */
  readonly readOf?: (value: never) => unknown;
  readonly edges: readonly Edge[];
}

const doubleBits = (value: number) => {
  const buf = Buffer.alloc(8);
  buf.writeDoubleBE(value);
  return buf.toString('hex');
};
const fromBits = (hex: string) => {
  const value = Buffer.from(hex, 'hex').readDoubleBE(0);
  return Number.isNaN(value) ? NaN : value; // one NaN: JavaScript does not keep NaN payloads
};
const pow2 = (n: number) => 2 ** n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const DATE_LIMIT = 8.64e15;

const numberText = (value: number) => String(value);
const safeLong = (rng: SeededRandom) => {
  const magnitude = Math.floor(rng.next() * pow2(rng.int(0, 53)));
  return magnitude !== 0 && rng.next() < 0.5 ? -magnitude : magnitude;
};
const edgesAround = (n: number): number[] => [n - 1, n, n + 1, -n - 1, -n, -n + 1];

const INT_EDGES: Edge[] = [
  ...[0, 1, -1, pow2(31) - 1, -pow2(31), pow2(31) - 2, -pow2(31) + 1, 63, 64, -64, -65].map((value) => ({
    value,
  })),
  { value: pow2(31), expect: 'invalid' },
  { value: -pow2(31) - 1, expect: 'invalid' },
  { value: 1.5, expect: 'invalid' },
  { value: NaN, expect: 'invalid' },
  { value: Infinity, expect: 'invalid' },
];

const LONG_NUMBER_EDGES: Edge[] = [
  ...[
    0,
    1,
    -1,
    -0,
    ...edgesAround(pow2(31)),
    ...edgesAround(pow2(52)),
    MAX_SAFE,
    -MAX_SAFE,
    MAX_SAFE - 1,
    -MAX_SAFE + 1,
  ].map((value): Edge => (Object.is(value, -0) ? { value, read: 0 } : { value })),
  // Java writes these; a number cannot hold them exactly: refused both ways.
  { value: pow2(53), text: '9007199254740992', expect: 'unrepresentable' },
  { value: -pow2(53), text: '-9007199254740992', expect: 'unrepresentable' },
  { value: pow2(53) + 2, text: '9007199254740993', expect: 'unrepresentable' },
  { value: -pow2(63), text: '-9223372036854775808', expect: 'unrepresentable' },
  { value: pow2(63), text: '9223372036854775807', expect: 'unrepresentable' },
  { value: 1.5, expect: 'invalid' },
  { value: NaN, expect: 'invalid' },
  { value: Infinity, expect: 'invalid' },
  { value: -Infinity, expect: 'invalid' },
];

const dateMillis = (text: (ms: number) => string): Pick<TypeCase, 'text' | 'random' | 'edges'> => ({
  text: ((value: Date) => text(value.getTime())) as (value: never) => string,
  random: (rng) => new Date(rng.int(-DATE_LIMIT, DATE_LIMIT)),
  edges: [
    ...[
      0,
      1,
      -1,
      DATE_LIMIT,
      -DATE_LIMIT,
      -pow2(52) - 1,
      -pow2(52),
      pow2(52) + 1,
      -pow2(31) - 1,
      1_732_531_200_123,
    ].map((ms) => ({ value: new Date(ms) })),
    // Valid longs beyond what a Date holds: refused, not read as an Invalid Date.
    { value: new Date(NaN), text: String(DATE_LIMIT + 1), expect: 'unrepresentable' },
    { value: new Date(NaN), text: String(-DATE_LIMIT - 1), expect: 'unrepresentable' },
    { value: new Date(NaN), text: String(-(2n ** 63n)), expect: 'unrepresentable' },
  ],
});

const microsEdges: Edge[] = [
  ...[0, 1, -1, ...edgesAround(pow2(52)), MAX_SAFE, -MAX_SAFE].map((value) => ({ value })),
  { value: pow2(53), text: String(2n ** 53n), expect: 'unrepresentable' },
];

const hex = (rng: SeededRandom, digits: number) =>
  Array.from({ length: digits }, () => rng.int(0, 15).toString(16)).join('');

function decimalText(rng: SeededRandom, precision: number, scale: number): string {
  const digits = Array.from({ length: rng.int(1, precision) }, () => rng.int(0, 9))
    .join('')
    .padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale).replace(/^0+(?=\d)/, '');
  const text = scale > 0 ? `${whole}.${digits.slice(digits.length - scale)}` : whole;
  return /^[0.]+$/.test(text) || rng.next() < 0.5 ? text : `-${text}`;
}

function decimalCase(
  key: string,
  schema: AvroSchemaJson,
  precision: number,
  scale: number,
  edges: Edge[],
): TypeCase {
  return {
    key,
    schema,
    text: ((value: string) => value) as (value: never) => string,
    random: (rng) => decimalText(rng, precision, scale),
    edges,
  };
}

const CASES: TypeCase[] = [
  {
    key: 'int',
    schema: 'int',
    text: numberText as (v: never) => string,
    random: (rng) => rng.int(-pow2(31), pow2(31) - 1),
    edges: INT_EDGES,
  },
  {
    key: 'long',
    schema: 'long',
    text: numberText as (v: never) => string,
    random: safeLong,
    edges: LONG_NUMBER_EDGES,
  },
  {
    key: 'long-bigint',
    schema: 'long',
    settings: { longs: 'bigint' },
    text: ((value: bigint) => value.toString()) as (v: never) => string,
    random: (rng) => rng.int64(),
    edges: [
      ...[
        0n,
        1n,
        -1n,
        2n ** 63n - 1n,
        -(2n ** 63n),
        2n ** 63n - 2n,
        -(2n ** 63n) + 1n,
        2n ** 53n + 1n,
        -(2n ** 53n) - 1n,
      ].map((value) => ({ value })),
      { value: 2n ** 63n, expect: 'invalid' },
      { value: -(2n ** 63n) - 1n, expect: 'invalid' },
    ],
  },
  {
    key: 'float',
    schema: 'float',
    text: doubleBits as (v: never) => string,
    readOf: Math.fround as (v: never) => unknown,
    random: (rng) => {
      if (rng.next() < 0.5) {
        const buf = Buffer.alloc(4);
        buf.writeUInt32BE(rng.uint32());
        const value = buf.readFloatBE(0);
        return Number.isNaN(value) ? NaN : value;
      }
      // Doubles that need rounding to 32 bits, across float's range.
      return (rng.next() - 0.5) * 10 ** rng.int(-44, 38);
    },
    edges: [
      0,
      -0,
      1,
      -1,
      0.1,
      NaN,
      Infinity,
      -Infinity,
      3.4028234663852886e38,
      -3.4028234663852886e38,
      1.401298464324817e-45,
      1e-46,
      1.1754943508222875e-38,
      MAX_SAFE,
    ].map((value) => ({ value, read: Math.fround(value) })),
  },
  {
    key: 'double',
    schema: 'double',
    text: doubleBits as (v: never) => string,
    random: (rng) =>
      fromBits(rng.uint32().toString(16).padStart(8, '0') + rng.uint32().toString(16).padStart(8, '0')),
    edges: [
      0,
      -0,
      1,
      -1,
      NaN,
      Infinity,
      -Infinity,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.EPSILON,
      MAX_SAFE + 2,
    ].map((value) => ({ value })),
  },
  {
    key: 'timestamp-millis',
    schema: { type: 'long', logicalType: 'timestamp-millis' },
    ...dateMillis(String),
  },
  {
    key: 'local-timestamp-millis',
    schema: { type: 'long', logicalType: 'local-timestamp-millis' },
    ...dateMillis(String),
  },
  {
    key: 'timestamp-micros',
    schema: { type: 'long', logicalType: 'timestamp-micros' },
    text: numberText as (v: never) => string,
    random: safeLong,
    edges: microsEdges,
  },
  {
    key: 'local-timestamp-micros',
    schema: { type: 'long', logicalType: 'local-timestamp-micros' },
    text: numberText as (v: never) => string,
    random: safeLong,
    edges: microsEdges,
  },
  {
    key: 'timestamp-micros-bigint',
    schema: { type: 'long', logicalType: 'timestamp-micros' },
    settings: { longs: 'bigint' },
    text: ((value: bigint) => value.toString()) as (v: never) => string,
    random: (rng) => rng.int64(),
    edges: [2n ** 63n - 1n, -(2n ** 63n), 0n].map((value) => ({ value })),
  },
  {
    key: 'time-micros',
    schema: { type: 'long', logicalType: 'time-micros' },
    text: numberText as (v: never) => string,
    random: (rng) => rng.int(0, 86_400_000_000 - 1),
    edges: [0, 1, 86_400_000_000 - 1, 43_200_000_000].map((value) => ({ value })),
  },
  {
    key: 'time-millis',
    schema: { type: 'int', logicalType: 'time-millis' },
    text: numberText as (v: never) => string,
    random: (rng) => rng.int(0, 86_400_000 - 1),
    edges: [
      ...[0, 1, 86_400_000 - 1].map((value) => ({ value })),
      { value: 86_400_000, expect: 'invalid' as const },
      { value: -1, expect: 'invalid' as const },
    ],
  },
  {
    key: 'date',
    schema: { type: 'int', logicalType: 'date' },
    text: ((value: string) => value) as (v: never) => string,
    random: (rng) => {
      // Any int of days: the text comes from avrokit's reader and Java parses it on its own.
      const days = rng.int(-pow2(31), pow2(31) - 1);
      return createAvroType<string>({ type: 'int', logicalType: 'date' }).fromBuffer(
        createAvroType<number>('int').toBuffer(days),
      );
    },
    edges: [
      ...[
        '1970-01-01',
        '1969-12-31',
        '2000-02-29',
        '0000-01-01',
        '9999-12-31',
        '+010000-01-01',
        '-000001-12-31',
        '+5881580-07-11',
        '-5877641-06-23',
      ].map((value) => ({ value })),
      { value: '2023-02-30', expect: 'invalid' as const },
      { value: '2023-13-01', expect: 'invalid' as const },
      // One day past the int range of days: Java's DateConversion casts the day number to int and
      // writes -5877641-06-23 instead; avrokit refuses.
      { value: '+5881580-07-12', expect: 'java-wraps' as const },
      { value: '-5877641-06-22', expect: 'java-wraps' as const },
    ],
  },
  {
    key: 'uuid',
    schema: { type: 'string', logicalType: 'uuid' },
    text: ((value: string) => value) as (v: never) => string,
    random: (rng) => `${hex(rng, 8)}-${hex(rng, 4)}-${hex(rng, 4)}-${hex(rng, 4)}-${hex(rng, 12)}`,
    edges: [
      { value: '00000000-0000-0000-0000-000000000000' },
      { value: 'ffffffff-ffff-ffff-ffff-ffffffffffff' },
      // Java writes every UUID in lower case; so does avrokit.
      { value: '3F2504E0-4F89-11D3-9A0C-0305E82C3301', read: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' },
      { value: 'zzzzzzzz-0000-0000-0000-000000000000', expect: 'invalid' },
    ],
  },
  decimalCase('decimal(4,2)', { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 }, 4, 2, [
    ...['0.00', '99.99', '-99.99', '0.01', '-0.01', '12.34'].map((value) => ({ value })),
    { value: '1.5', read: '1.50' },
    { value: '7', read: '7.00' },
    { value: '100.00', expect: 'invalid' },
    { value: '1.234', expect: 'invalid' },
  ]),
  decimalCase('decimal(38,9)', { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 9 }, 38, 9, [
    { value: '99999999999999999999999999999.999999999' },
    { value: '-99999999999999999999999999999.999999999' },
    { value: '0.000000001' },
    { value: '-0.000000001' },
    { value: '999999999999999999999999999999.999999999', expect: 'invalid' },
  ]),
  decimalCase('decimal(5,5)', { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 5 }, 5, 5, [
    { value: '0.99999' },
    { value: '-0.99999' },
    { value: '1.00000', expect: 'invalid' },
  ]),
  decimalCase('decimal(1,0)', { type: 'bytes', logicalType: 'decimal', precision: 1, scale: 0 }, 1, 0, [
    ...['0', '9', '-9'].map((value) => ({ value })),
    { value: '10', expect: 'invalid' },
  ]),
  decimalCase(
    'decimal-fixed(16; 38,0)',
    { type: 'fixed', name: 'Dec16', size: 16, logicalType: 'decimal', precision: 38, scale: 0 },
    38,
    0,
    [
      ...[
        '0',
        '-1',
        '1',
        '99999999999999999999999999999999999999',
        '-99999999999999999999999999999999999999',
      ].map((value) => ({ value })),
      { value: '100000000000000000000000000000000000000', expect: 'invalid' },
    ],
  ),
  decimalCase(
    'decimal-fixed(2; 4,1)',
    { type: 'fixed', name: 'Dec2', size: 2, logicalType: 'decimal', precision: 4, scale: 1 },
    4,
    1,
    [...['999.9', '-999.9', '0.0', '-0.1'].map((value) => ({ value }))],
  ),
];

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  return Object.is(a, b);
}

const show = (value: unknown) =>
  value instanceof Date
    ? `Date(${value.getTime()})`
    : typeof value === 'bigint'
      ? `${value}n`
      : Object.is(value, -0)
        ? '-0'
        : String(value);

test('every edge and 10,000 random values of each numeric and logical type match Java, byte for byte, both ways', () => {
  const rng = new SeededRandom(SEED);
  const planned: {
    type: TypeCase;
    value: unknown;
    text: string;
    expect: Expect;
    read: unknown;
    ours: Buffer | undefined;
  }[] = [];
  const types = new Map(CASES.map((c) => [c.key, createAvroType<unknown>(c.schema, c.settings)]));
  for (const c of CASES) {
    const type = types.get(c.key)!;
    const text = c.text as (value: unknown) => string;
    const readOf = (c.readOf ?? ((v: unknown) => v)) as (value: unknown) => unknown;
    const values: Edge[] = [
      ...c.edges,
      ...Array.from({ length: RANDOM_VALUES }, () => {
        const value = c.random(rng);
        return { value, read: readOf(value) };
      }),
    ];
    for (const edge of values) {
      let ours: Buffer | undefined;
      try {
        ours = type.toBuffer(edge.value as never);
      } catch {
        ours = undefined;
      }
      planned.push({
        type: c,
        value: edge.value,
        text: edge.text ?? text(edge.value),
        expect: edge.expect ?? 'roundtrip',
        read: 'read' in edge ? edge.read : edge.value,
        ours,
      });
    }
  }

  const answers = javaValues(
    Object.fromEntries(CASES.map((c) => [c.key, c.schema])),
    planned.map((p): OracleCase => ({ schema: p.type.key, text: p.text, ours: p.ours })),
  );
  assert.equal(answers.length, planned.length);

  const failures: string[] = [];
  const counts = new Map<string, Record<Expect, number>>();
  planned.forEach((p, i) => {
    const java = answers[i]!;
    const type = types.get(p.type.key)!;
    const tally = counts.get(p.type.key) ?? { roundtrip: 0, invalid: 0, unrepresentable: 0, 'java-wraps': 0 };
    tally[p.expect]++;
    counts.set(p.type.key, tally);
    const where = `${p.type.key} ${show(p.value)} (Java text ${p.text})`;
    if (p.expect === 'java-wraps') {
      if (p.ours) failures.push(`${where}: avrokit wrote a value beyond its type's range`);
      if (!java.refused && same(type.fromBuffer(java.bytes), p.value))
        failures.push(`${where}: Java did not wrap it`);
      return;
    }
    if (p.expect === 'invalid') {
      if (p.ours) failures.push(`${where}: avrokit wrote a value it should refuse`);
      if (!java.refused) failures.push(`${where}: Java wrote it, avrokit refused`);
      return;
    }
    if (java.refused) return void failures.push(`${where}: Java refused it (${java.error})`);
    if (p.expect === 'unrepresentable') {
      if (p.ours) failures.push(`${where}: avrokit wrote a value it cannot represent`);
      try {
        const back = type.fromBuffer(java.bytes);
        failures.push(`${where}: avrokit read Java's bytes as ${show(back)} instead of refusing`);
      } catch (err) {
        if (!isAvrokitError(err) || err.code !== 'SERDE_VALUE_OUT_OF_RANGE') {
          failures.push(
            `${where}: reading Java's bytes failed without SERDE_VALUE_OUT_OF_RANGE: ${String(err)}`,
          );
        }
      }
      return;
    }
    if (!p.ours) return void failures.push(`${where}: avrokit refused a value Java writes`);
    if (!p.ours.equals(java.bytes)) {
      failures.push(`${where}: avrokit wrote ${p.ours.toString('hex')}, Java ${java.bytes.toString('hex')}`);
    }
    if (java.verdict !== 'OK') failures.push(`${where}: Java read avrokit's bytes: ${java.verdict}`);
    try {
      const back = type.fromBuffer(java.bytes);
      if (!same(back, p.read))
        failures.push(`${where}: avrokit read Java's bytes as ${show(back)}, expected ${show(p.read)}`);
    } catch (err) {
      failures.push(`${where}: avrokit could not read Java's bytes: ${String(err)}`);
    }
  });

  console.log(`seed ${SEED}: ${planned.length} values checked against Apache Avro 1.12 (Java)`);
  for (const [key, tally] of counts) {
    console.log(
      `  ${key.padEnd(26)} ${String(tally.roundtrip).padStart(6)} exact  ${tally.invalid} refused by both  ${tally.unrepresentable} refused as out of range${tally['java-wraps'] ? `  ${tally['java-wraps']} refused (Java wraps them)` : ''}`,
    );
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} disagreements with Java`);
});
