import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAvroType, type AvroSchemaJson } from '../../../src/avro/avro-type.js';

const fieldType = (type: AvroSchemaJson, settings = {}) =>
  createAvroType<{ v: unknown }>({ type: 'record', name: 'R', fields: [{ name: 'v', type }] }, settings);

test('date is YYYY-MM-DD text: days since 1970-01-01 on the wire, impossible dates refused', () => {
  const type = fieldType({ type: 'int', logicalType: 'date' });
  // Avro int 1 is zig-zag 0x02; -1 is 0x01 (hand-computed from the specification).
  assert.deepEqual(type.toBuffer({ v: '1970-01-02' }), Buffer.from([0x02]));
  assert.deepEqual(type.toBuffer({ v: '1969-12-31' }), Buffer.from([0x01]));
  assert.equal(type.fromBuffer(Buffer.from([0x02])).v, '1970-01-02');
  for (const ok of ['2024-02-29', '0001-01-01', '9999-12-31', '+012345-06-07', '-000100-01-01']) {
    assert.equal(type.fromBuffer(type.toBuffer({ v: ok })).v, ok, ok);
  }
  for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '20240101', '2024-01-01T00:00:00Z']) {
    assert.equal(type.isValid({ v: bad }), false, bad);
  }
  assert.equal(type.isValid({ v: new Date() }), false);
});

test('decimal is exact text: never rounded, precision and scale enforced, two’s complement on the wire', () => {
  const bytes = fieldType({ type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 });
  // -1.50 at scale 2 is unscaled -150 = 0xFF6A; bytes are length-prefixed (2 → zig-zag 0x04).
  assert.deepEqual(bytes.toBuffer({ v: '-1.50' }), Buffer.from([0x04, 0xff, 0x6a]));
  assert.equal(bytes.fromBuffer(Buffer.from([0x04, 0xff, 0x6a])).v, '-1.50');
  assert.equal(bytes.fromBuffer(bytes.toBuffer({ v: '-1.5' })).v, '-1.50');
  assert.equal(bytes.fromBuffer(bytes.toBuffer({ v: '999.99' })).v, '999.99');
  assert.equal(bytes.fromBuffer(bytes.toBuffer({ v: '0' })).v, '0.00');
  assert.equal(bytes.isValid({ v: '1.234' }), false, 'more fraction digits than the scale');
  assert.equal(bytes.isValid({ v: '1000.00' }), false, 'more digits than the precision');
  assert.equal(bytes.isValid({ v: 1.5 }), false, 'numbers are not exact');
  assert.equal(bytes.isValid({ v: '1e3' }), false);

  const fixed = fieldType({
    type: 'fixed',
    name: 'D',
    size: 3,
    logicalType: 'decimal',
    precision: 6,
    scale: 1,
  });
  assert.deepEqual(fixed.toBuffer({ v: '-0.1' }), Buffer.from([0xff, 0xff, 0xff]));
  assert.equal(fixed.fromBuffer(Buffer.from([0x00, 0x00, 0x0a])).v, '1.0');
});

test('a decimal on a named fixed is a decimal at every use of the name, as in Java', () => {
  const type = createAvroType<{ a: unknown; b: unknown }>({
    type: 'record',
    name: 'Prices',
    fields: [
      {
        name: 'a',
        type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 10, scale: 2 },
      },
      { name: 'b', type: 'Money' },
    ],
  });
  const back = type.fromBuffer(type.toBuffer({ a: '1.25', b: '-3.00' }));
  assert.deepEqual({ ...back }, { a: '1.25', b: '-3.00' });
});

test('an invalid decimal falls back to its underlying type, as the specification asks', () => {
  const type = fieldType({ type: 'bytes', logicalType: 'decimal', precision: 0 });
  assert.equal(type.isValid({ v: Buffer.from([1]) }), true);
  assert.equal(type.isValid({ v: '1' }), false);
});

test('timestamp-millis is a Date; micros stay a long; time-millis is checked; uuid is checked', () => {
  const ts = fieldType({ type: 'long', logicalType: 'timestamp-millis' });
  const at = new Date(Date.UTC(2026, 10, 25, 9, 0, 0, 123));
  assert.deepEqual(ts.fromBuffer(ts.toBuffer({ v: at })).v, at);
  assert.equal(ts.isValid({ v: at.getTime() }), false);
  assert.equal(ts.isValid({ v: new Date(Number.NaN) }), false);

  const micros = fieldType({ type: 'long', logicalType: 'timestamp-micros' });
  assert.equal(micros.fromBuffer(micros.toBuffer({ v: 1_700_000_000_000_001 })).v, 1_700_000_000_000_001);

  const time = fieldType({ type: 'int', logicalType: 'time-millis' });
  assert.equal(time.isValid({ v: 86_399_999 }), true);
  assert.equal(time.isValid({ v: 86_400_000 }), false);
  assert.equal(time.isValid({ v: -1 }), false);

  const uuid = fieldType({ type: 'string', logicalType: 'uuid' });
  assert.equal(uuid.isValid({ v: '123e4567-e89b-12d3-a456-426614174000' }), true);
  assert.equal(uuid.isValid({ v: 'not-a-uuid' }), false);
});

test('plainLogicalTypes keeps a logical type as its underlying value', () => {
  const type = fieldType({ type: 'int', logicalType: 'date' }, { plainLogicalTypes: ['date'] });
  assert.equal(type.fromBuffer(type.toBuffer({ v: 19_000 })).v, 19_000);
  assert.throws(() => fieldType('int', { plainLogicalTypes: ['nope'] }), /plainLogicalTypes/);
});

test('data written with a bare long or int is read into the logical type (schema evolution)', () => {
  const writer = createAvroType<{ v: number }>({
    type: 'record',
    name: 'R',
    fields: [{ name: 'v', type: 'long' }],
  });
  const reader = fieldType({ type: 'long', logicalType: 'timestamp-millis' });
  const read = reader.fromBuffer(writer.toBuffer({ v: 86_400_000 }), reader.createResolver(writer));
  assert.deepEqual(read.v, new Date(86_400_000));
});

test('createAvroType remembers the exact schema it was built from', async () => {
  const { sourceSchemaOf } = await import('../../../src/avro/avro-type.js');
  const schema = { type: 'bytes', logicalType: 'big-decimal', 'x-custom': 1 } as const;
  assert.equal(sourceSchemaOf(createAvroType(schema)), schema);
});
