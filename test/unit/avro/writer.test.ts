/**
 * avrokit's own Avro writer (src/avro/writer.ts) against avsc's: for every schema of the Avro corpus
 * and hand-written ones, seeded random values must be written to exactly avsc's bytes (which the
 * Java oracle tests hold to Java's bytes), and every value avsc refuses must be refused.
 */
import '../../support/seeded-math-random.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { compileWriter, newTap, writeString } from '../../../src/avro/writer.js';
import { buildType } from '../../../src/schema/build.js';
import { corpusDir } from '../../support/corpus.js';

const VALUES_PER_SCHEMA = 200;

/** The writer's bytes, growing the buffer as avsc's `encode` does when the tap runs past its end. */
function written(type: avro.Type, value: unknown, size = 8): Buffer {
  const write = compileWriter(type);
  for (;;) {
    const tap = newTap(Buffer.alloc(size));
    write(tap, value);
    if (tap.pos <= tap.buf.length) return tap.buf.subarray(0, tap.pos);
    size = tap.pos;
  }
}

function avscBytes(type: avro.Type, value: unknown): Buffer | Error {
  try {
    return type.toBuffer(value);
  } catch (err) {
    return err as Error;
  }
}

function assertSame(type: avro.Type, value: unknown, what: string): void {
  const expected = avscBytes(type, value);
  if (expected instanceof Error) {
    assert.throws(() => written(type, value), `${what}: avsc refuses ${String(value)}, so must the writer`);
    return;
  }
  // Small buffers first, so the past-the-end protocol is exercised too.
  for (const size of [1, 16, 4096]) {
    assert.deepEqual(written(type, value, size), expected, `${what} (buffer of ${size})`);
  }
}

function corpusSchemas(): [string, unknown][] {
  const dir = fileURLToPath(corpusDir());
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .flatMap((f): [string, unknown][] => {
      try {
        return [[f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown]];
      } catch {
        return [];
      }
    });
}

const customer = {
  type: 'record',
  name: 'Customer',
  namespace: 'customerManagement.avro',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'flag', type: ['string', 'null'], default: 'yes' },
    { name: 'count', type: 'long', default: 7 },
    { name: 'ok', type: 'boolean', default: true },
    {
      name: 'nested',
      type: ['null', { type: 'record', name: 'Inner', fields: [{ name: 'a', type: 'int' }] }],
      default: null,
    },
    { name: 'when', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0 },
  ],
};

test('corpus schemas: random values are written to avsc’s bytes', () => {
  let checked = 0;
  for (const [file, schema] of corpusSchemas()) {
    let type: avro.Type;
    try {
      type = buildType(schema as never, { for: 'values' });
    } catch {
      continue; // schemas avrokit refuses to build are not written at all
    }
    for (let i = 0; i < VALUES_PER_SCHEMA; i++) {
      let value: unknown;
      try {
        value = type.random();
      } catch {
        break; // avsc cannot make values for some logical types
      }
      assertSame(type, value, file);
      checked++;
    }
  }
  assert.ok(checked > 1000, `only ${checked} values checked`);
});

test('strings: ASCII, multi-byte, surrogate pairs, every length around the cut-overs', () => {
  const type = buildType('string', { for: 'values' });
  const pieces = ['a', 'é', '€', '😀', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', 'é'.repeat(40)];
  for (let n = 0; n < 300; n += n < 140 ? 1 : 13) {
    for (const piece of pieces) {
      assertSame(type, 'x'.repeat(n), `ascii ${n}`);
      assertSame(type, 'x'.repeat(n) + piece, `ascii ${n} then ${piece}`);
      assertSame(type, piece + 'x'.repeat(n), `${piece} then ascii ${n}`);
    }
  }
  for (let n = 8180; n < 8200; n++) assertSame(type, 'x'.repeat(n - 2) + 'é', `${n} bytes`);
  // A lone surrogate is U+FFFD, as Node writes it (avsc writes its three bytes below 65 bytes).
  for (const text of ['\ud800', 'a\udc00b', 'x'.repeat(70) + '\ud800']) {
    const utf8 = Buffer.from(text, 'utf8');
    const prefix = buildType('long', { for: 'values' }).toBuffer(utf8.length);
    assert.deepEqual(written(type, text, 4096), Buffer.concat([prefix, utf8]), JSON.stringify(text));
  }
  const tap = newTap(Buffer.alloc(3));
  writeString(tap, 'abcdef');
  assert.equal(tap.pos, 7, 'past the end only the position moves');
});

test('records with defaults, nullable unions and exact longs: same bytes, same refusals', () => {
  const type = buildType(customer as never, { for: 'values' });
  const base = { id: 1, name: 'n' };
  const good: unknown[] = [
    base,
    { ...base, email: 'e@x', flag: null, count: -(2 ** 53) + 1, ok: false, nested: { a: -1 } },
    { ...base, email: null, flag: 'ü', count: 2 ** 31, when: new Date(1_700_000_000_000) },
    { id: -(2 ** 31), name: '', email: undefined },
    { id: 2 ** 31 - 1, name: 'x'.repeat(70) },
  ];
  for (const value of good) assertSame(type, value, JSON.stringify(value));
  const bad: unknown[] = [
    null,
    undefined,
    'text',
    {},
    { ...base, id: 1.5 },
    { ...base, id: 2 ** 31 },
    { ...base, id: '1' },
    { ...base, name: 1 },
    { ...base, name: null },
    { ...base, email: 3 },
    { ...base, flag: 3 },
    { ...base, count: 2 ** 53 },
    { ...base, count: 1.5 },
    { ...base, ok: 1 },
    { ...base, nested: { a: 'no' } },
    { ...base, nested: 'no' },
  ];
  for (const value of bad) assertSame(type, value, `refused ${JSON.stringify(value)}`);
});
