/**
 * One value story (docs/producer.md, "Values"): the library takes typed values and points epoch-millis
 * code to plainLogicalTypes; `avrokit produce` reads JSON into those same typed values.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type avro from 'avsc';
import { AvroSerde, createAvroType, SchemaRegistry } from '../../../src/index.js';
import { fromNaturalJson } from '../../../src/cli/record-input.js';
import { SerdeError } from '../../../src/serde/errors.js';
import { FakeRegistry } from '../../support/fake-registry.js';

const schema = {
  type: 'record',
  name: 'OrderPlaced',
  namespace: 'shop',
  fields: [
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
  ],
} as const;
const at = 1772357400000;

const fake = await FakeRegistry.start();
fake.answer = { status: 200, body: '{"id": 9}' };
const registry = new SchemaRegistry({ url: fake.url });
after(async () => {
  registry.close();
  await fake.close();
});

test('the library refuses epoch milliseconds for timestamp-millis and says where the way out is', async () => {
  const serde = new AvroSerde({ registry });
  const err = await serde.serialize('orders', { placedAt: at, total: '12.50' }, { schema }).then(
    () => assert.fail('epoch millis were written as a Date'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SerdeError);
  assert.match(
    err.message,
    /field placedAt: expected timestamp-millis \(a Date\), got integer \(epoch milliseconds\? pass a Date, or build the types with plainLogicalTypes: \['timestamp-millis'\]\)/,
  );
});

test('with plainLogicalTypes the library takes Date.now() as is, and writes what a Date of it writes', () => {
  const typed = createAvroType(schema) as unknown as avro.Type;
  const plain = createAvroType(schema, { plainLogicalTypes: ['timestamp-millis'] }) as unknown as avro.Type;
  assert.deepEqual(
    plain.toBuffer({ placedAt: at, total: '12.50' }),
    typed.toBuffer({ placedAt: new Date(at), total: '12.50' }),
  );
});

test("avrokit produce reads JSON's forms into the library's typed values, not looser ones", () => {
  const type = createAvroType(schema) as unknown as avro.Type;
  const expected = { placedAt: new Date(at), total: '12.5' };
  assert.deepEqual(fromNaturalJson(type, { placedAt: at, total: 12.5 }), expected);
  assert.deepEqual(fromNaturalJson(type, { placedAt: '2026-03-01T09:30:00Z', total: '12.5' }), expected);
  assert.ok(type.isValid(fromNaturalJson(type, { placedAt: at, total: 12.5 })));
});
