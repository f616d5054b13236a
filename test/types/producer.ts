/**
 * Type-level tests of the producer with the generated topic map (schemas/generated): compiled by
 * `tsc --noEmit` in `npm test`, never run.
 */
import { topics, type CustomerInput } from '../../schemas/generated/index.js';
import { createProducer, SchemaRegistry, type RecordMetadata } from '../../src/index.js';

const registry = new SchemaRegistry({ url: 'http://127.0.0.1:18081/apis/ccompat/v7' });
const producer = createProducer({ brokers: ['127.0.0.1:19092'], registry, topics, lingerMs: 10 });
const customer: CustomerInput = { id: 1, name: 'Precision Products' };

export async function typedSends(): Promise<RecordMetadata[]> {
  const sent = [
    await producer.send('customers', { key: 'France', value: customer }),
    await producer.send('customers', {
      value: customer,
      partition: 0,
      headers: { trace: 'abc' },
      timestamp: new Date(),
    }),
    await producer.send('orders', {
      key: 'o-1',
      value: {
        id: '123e4567-e89b-12d3-a456-426614174000',
        customerId: 1,
        placedAt: new Date(),
        lines: [],
        total: '0.00',
        shipTo: { street: 's', city: 'c', postcode: 'p' },
      },
    }),
  ];
  // @ts-expect-error a topic that is not in the map
  await producer.send('customer', { key: 'France', value: customer });
  // @ts-expect-error customers are keyed by string
  await producer.send('customers', { key: 42, value: customer });
  // @ts-expect-error an Order is not a Customer
  await producer.send('customers', { key: 'k', value: { id: 'o-1', customerId: 1 } });
  // @ts-expect-error a Customer needs a name
  await producer.send('customers', { key: 'k', value: { id: 1 } });
  // @ts-expect-error a record needs a value
  await producer.send('customers', { key: 'k' });
  // @ts-expect-error headers are strings or Buffers
  await producer.send('customers', { value: customer, headers: { n: 1 } });
  return sent;
}

// The callback form returns nothing; its callback gets the error or the metadata.
export const callbackForm: void = producer.send('customers', { value: customer }, (err, metadata) => {
  if (!err) console.log(metadata?.offset);
});

// @ts-expect-error settings are checked: acks is 0, 1 or 'all'
createProducer({ brokers: [], registry, topics, acks: 2 });
// @ts-expect-error compression is one of the codecs
createProducer({ brokers: [], registry, topics, compression: 'brotli' });
// @ts-expect-error a partitioner returns a partition number
createProducer({ brokers: [], registry, topics, partitioner: () => 'last' });
