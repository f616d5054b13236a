/** defineTopics: topic maps built at run time, checked when they are built. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAvroType } from '../../../src/avro/avro-type.js';
import { SchemaError } from '../../../src/errors.js';
import { schemaText } from '../../../src/schema/schema-input.js';
import { defineTopics } from '../../../src/schema/topics.js';

const order = {
  type: 'record',
  name: 'Order',
  namespace: 'com.acme',
  'java-class': 'com.acme.Order', // a custom attribute: registered as written
  fields: [{ name: 'id', type: 'long' }],
};

test('raw keys, Avro keys, no key; schemas as JSON, text and built types', () => {
  const built = createAvroType<{ n: number }>({
    type: 'record',
    name: 'N',
    fields: [{ name: 'n', type: 'int' }],
  });
  const topics = defineTopics({
    orders: { key: 'string', value: order },
    counters: { key: 'long', value: '"long"' },
    events: { value: built },
    keyed: { key: { type: 'string' }, value: 'string' },
    none: { key: null, value: order },
  });
  assert.deepEqual(topics.orders.key, { kind: 'raw', type: 'string' });
  assert.equal(topics.orders.value.kind, 'avro');
  assert.equal(topics.orders.value.name, 'com.acme.Order');
  // What gets registered is the schema as written, custom attributes included.
  assert.equal(schemaText(topics.orders.value.type), JSON.stringify(order));
  assert.deepEqual(topics.counters.key, { kind: 'raw', type: 'long' });
  assert.equal(
    topics.counters.value.type.fromBuffer(topics.counters.value.type.toBuffer(-(2 ** 53) + 1)),
    -(2 ** 53) + 1,
  );
  assert.equal(topics.events.value.type, built, 'a built type is used as it is');
  assert.deepEqual(topics.events.key, { kind: 'none' });
  assert.equal(topics.keyed.key.kind, 'avro', 'an object schema makes an Avro key, not a raw one');
  assert.deepEqual(topics.none.key, { kind: 'none' });
  assert.ok(Object.isFrozen(topics) && Object.isFrozen(topics.orders));
});

test('value settings apply to the types built: bigint longs', () => {
  const topics = defineTopics({ big: { value: 'long' } }, { longs: 'bigint' });
  const type = topics.big.value.type;
  assert.equal(type.fromBuffer(type.toBuffer(2n ** 62n)), 2n ** 62n);
});

test('a bad schema or topic name fails at once, naming the topic and whether key or value', () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () =>
        defineTopics({
          orders: { value: { type: 'record', name: 'O', fields: [{ name: 'a', type: 'nope' }] } },
        }),
      /the value schema of topic "orders".*nope/,
    ],
    [
      () => defineTopics({ orders: { key: { type: 'enum', name: 'K', symbols: [1] }, value: 'string' } }),
      /the key schema of topic "orders"/,
    ],
    [
      () => defineTopics({ orders: { value: '{"type": ' } }),
      /the value schema of topic "orders": schema text is not valid JSON/,
    ],
    [() => defineTopics({ 'no spaces': { value: 'string' } }), /"no spaces" is not a valid Kafka topic name/],
    [() => defineTopics({ orders: {} as never }), /topic "orders" needs a value schema/],
  ];
  for (const [define, message] of cases) {
    assert.throws(define, (err: unknown) => {
      assert.ok(err instanceof SchemaError, String(err));
      assert.equal(err.code, 'SCHEMA_INVALID');
      assert.match(err.message, message);
      return true;
    });
  }
});
