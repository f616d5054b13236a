/** Schema inputs: text, JSON and built types are one schema, with one text and one error for bad input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAvroType } from '../../../src/avro/avro-type.js';
import { SchemaError } from '../../../src/errors.js';
import { buildType } from '../../../src/schema/build.js';
import { fullNameOf, schemaJsonOf, schemaText } from '../../../src/schema/schema-input.js';

const customer = {
  type: 'record',
  name: 'Customer',
  namespace: 'shop',
  fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }],
};

test('text with any whitespace, parsed JSON and a built type give the same schema text', () => {
  const spaced = JSON.stringify(customer, null, 2);
  assert.equal(schemaText(spaced), JSON.stringify(customer));
  assert.equal(schemaText(customer), JSON.stringify(customer));
  assert.equal(schemaText(createAvroType(customer)), JSON.stringify(customer));
  assert.equal(schemaText('string'), '"string"', 'a bare type name is a schema');
  assert.equal(schemaText(' "string" '), '"string"');
  assert.deepEqual(schemaJsonOf('["null","int"]'), ['null', 'int']);
});

test('full names come from name and namespace, or a dotted name', () => {
  assert.equal(fullNameOf(customer), 'shop.Customer');
  assert.equal(fullNameOf({ ...customer, name: 'a.b.C' }), 'a.b.C');
  assert.equal(fullNameOf(createAvroType(customer)), 'shop.Customer');
  assert.equal(fullNameOf('int'), undefined);
});

test('invalid schemas are SCHEMA_INVALID errors that say which schema and why', () => {
  assert.throws(
    () => schemaText('{"type": '),
    (err: unknown) => {
      assert.ok(err instanceof SchemaError && err.code === 'SCHEMA_INVALID');
      assert.match(err.message, /schema text is not valid JSON/);
      return true;
    },
  );
  assert.throws(
    () =>
      buildType(
        { type: 'record', name: 'R', fields: [{ name: 'a', type: 'Nope' }] },
        { for: 'values' },
        'the reader schema',
      ),
    (err: unknown) => {
      assert.ok(err instanceof SchemaError && err.code === 'SCHEMA_INVALID');
      assert.match(err.message, /^the reader schema is not a valid Avro schema: .*Nope/);
      return true;
    },
  );
});

test('a schema with registry dependencies builds with the named types they define', () => {
  const address = {
    type: 'record',
    name: 'Address',
    namespace: 'shop',
    fields: [{ name: 's', type: 'string' }],
  };
  const type = buildType(
    {
      schema: JSON.stringify({
        type: 'record',
        name: 'Order',
        namespace: 'shop',
        fields: [{ name: 'to', type: 'shop.Address' }],
      }),
      dependencies: [{ name: 'shop.Address', schema: JSON.stringify(address) }],
    },
    { for: 'values' },
  );
  const read = type.fromBuffer(type.toBuffer({ to: { s: 'x' } })) as { to: { s: string } };
  assert.equal(read.to.s, 'x');
});
