/**
 * One description of a bad value, shared by the serializer and `avrokit produce`: every issue of the
 * value named, a decimal's digits counted against its precision and scale, a bad string quoted.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type avro from 'avsc';
import { AvroSerde, createAvroType, SchemaRegistry } from '../../../src/index.js';
import { fromNaturalJson, Mismatch } from '../../../src/cli/record-input.js';
import { formatIssues, SerdeError, valueIssues } from '../../../src/serde/errors.js';
import { FakeRegistry } from '../../support/fake-registry.js';

const schema = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    {
      name: 'shipTo',
      type: { type: 'record', name: 'Address', fields: [{ name: 'postcode', type: 'string' }] },
    },
  ],
} as const;
const type = createAvroType(schema) as unknown as avro.Type;
const bad = { id: 1, total: '12.555', status: 'SHIPPED', shipTo: {} };

const fake = await FakeRegistry.start();
fake.answer = { status: 200, body: '{"id": 7}' };
const registry = new SchemaRegistry({ url: fake.url });
after(async () => {
  registry.close();
  await fake.close();
});

test('the serializer names every issue of a value: the decimal digits, the enum string quoted, the missing field', async () => {
  const serde = new AvroSerde({ registry });
  const err = await serde.serialize('orders', bad, { schema }).then(
    () => assert.fail('a bad value was written'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof SerdeError);
  assert.deepEqual(
    err.issues.map((i) => [i.path, i.actual]),
    [
      ['total', 'string "12.555": 3 digits after the point, at most 2'],
      ['status', 'string "SHIPPED"'],
      ['shipTo.postcode', 'undefined (missing)'],
    ],
  );
  assert.match(
    err.message,
    /field total: expected decimal\(10,2\) \(text with at most 10 digits, 2 of them after the point, e\.g\. "1\.50"\), got string "12\.555": 3 digits after the point, at most 2; field status: expected enum shop\.Status \(one of NEW, PAID\), got string "SHIPPED"; field shipTo\.postcode: expected string, got undefined \(missing\)$/,
  );
});

test('avrokit produce reads a line into the same issues, worded the same, all of them', () => {
  const err = (() => {
    try {
      fromNaturalJson(type, JSON.parse(JSON.stringify(bad)));
    } catch (e) {
      return e;
    }
    return assert.fail('a bad line was read');
  })();
  assert.ok(err instanceof Mismatch);
  assert.deepEqual(err.issues, valueIssues(type, bad));
  assert.equal(err.message, formatIssues(valueIssues(type, bad)));
  assert.equal(err.path, 'total');
});

test("a decimal's digits: too many after the point, too many before it, not a number, a JSON number", () => {
  const actual = (total: unknown) =>
    valueIssues(type, { ...bad, status: 'NEW', shipTo: { postcode: 'x' }, total })[0]?.actual;
  assert.equal(actual('12.5'), undefined);
  assert.equal(actual('1.234'), 'string "1.234": 3 digits after the point, at most 2');
  assert.equal(actual('123456789.5'), 'string "123456789.5": 9 digits before the point, at most 8');
  assert.equal(actual('00012345678.50'), undefined, 'leading zeros are not digits of the value');
  assert.equal(actual('12,50'), 'string "12,50": not a decimal number (digits, an optional "-" and ".")');
  assert.equal(actual(12.5), 'number 12.5: a decimal is text, "12.5" (exact)');
  assert.equal(actual(12.555), 'number 12.555: 3 digits after the point, at most 2');
});
