/**
 * Type-level tests of `defineTopics`: a topic map built at run time is typed from schemas written
 * `as const` and from built types. Compiled by `tsc --noEmit` in `npm test`, never run. Each
 * `@ts-expect-error` says which error it expects.
 */
import { avroTypes } from '../../schemas/generated/index.js';
import { createProducer, defineTopics, SchemaRegistry, type SchemaValue } from '../../src/index.js';

const registry = new SchemaRegistry({ url: 'http://127.0.0.1:18081/apis/ccompat/v7' });

const order = {
  type: 'record',
  name: 'Order',
  namespace: 'com.acme',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'] } },
    { name: 'placedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'extra', type: { type: 'map', values: 'int' } },
    { name: 'either', type: ['int', 'string'] },
  ],
} as const;

const topics = defineTopics({
  orders: { key: 'string', value: order },
  counters: { key: 'long', value: 'long' },
  events: { value: { type: 'record', name: 'E', fields: [{ name: 'at', type: 'int' }] } },
  customers: { key: { type: 'string' }, value: avroTypes['customerManagement.avro.Customer'] },
  loose: { key: 'bytes', value: JSON.parse('"string"') as string },
} as const);

const producer = createProducer({ brokers: ['127.0.0.1:19092'], registry, topics });

export function sends(): void {
  const placedAt = new Date();
  const base = { id: 1, status: 'NEW', placedAt, tags: [], extra: {}, either: 1 } as const;
  void producer.send('orders', { key: 'o-1', value: base });
  void producer.send('orders', { key: 'o-1', value: { ...base, note: 'gift', either: 'x' } });
  // @ts-expect-error status is one of the enum's symbols
  void producer.send('orders', { key: 'o-1', value: { ...base, status: 'LOST' } });
  // @ts-expect-error placedAt is a timestamp-millis: a Date
  void producer.send('orders', { key: 'o-1', value: { ...base, placedAt: 0 } });
  // @ts-expect-error the key of orders is a raw string key
  void producer.send('orders', { key: 1, value: base });
  // @ts-expect-error tags is an array of strings
  void producer.send('orders', { key: 'o-1', value: { ...base, tags: [1] } });
  void producer.send('counters', { key: 1n, value: 2 });
  // @ts-expect-error a long value is a number (bigint only with longs: 'bigint')
  void producer.send('counters', { key: 1, value: 2n });
  void producer.send('events', { value: { at: 1 } });
  // @ts-expect-error events takes no key
  void producer.send('events', { key: 'k', value: { at: 1 } });
  void producer.send('customers', { key: 'France', value: { id: 1, name: 'n' } });
  // @ts-expect-error a generated type keeps its own value type: a customer needs a name
  void producer.send('customers', { key: 'France', value: { id: 1 } });
  // A schema the compiler cannot see (parsed at run time) takes any value.
  void producer.send('loose', { key: Buffer.from('k'), value: { anything: true } });
}

// Unions avsc may wrap are not guessed at.
export const wrapped: unknown extends SchemaValue<readonly ['int', 'long']> ? true : false = true;
// With longs: 'bigint', a long is a bigint.
export const big: SchemaValue<'long', { longs: 'bigint' }> = 1n;
