/**
 * Type-level tests of the consumer with the generated topic map (schemas/generated): compiled by
 * `tsc --noEmit` in `npm test`, never run.
 */
import { topics } from '../../schemas/generated/index.js';
import {
  createConsumer,
  createProducer,
  defineTopics,
  SchemaRegistry,
  type ConsumerRecord,
} from '../../src/index.js';
import type { TopicMap } from '../../schemas/generated/index.js';

const registry = new SchemaRegistry({ url: 'http://127.0.0.1:18081/apis/ccompat/v7' });
const consumer = createConsumer({ brokers: ['127.0.0.1:19092'], registry, topics, groupId: 'billing' });

export async function typedReads(): Promise<void> {
  await consumer.subscribe(['customers', 'orders']);
  // @ts-expect-error a topic that is not in the map
  await consumer.subscribe(['customer']);
  // @ts-expect-error seek takes a topic of the map too
  consumer.seek('invoices', 0, 0);
  for await (const record of consumer) {
    const offset: number = record.offset;
    const partition: number = record.partition;
    const timestamp: number = record.timestamp;
    const trace: Buffer | undefined = record.headers.trace;
    const schemaId: number | null = record.schemaId;
    void [offset, partition, timestamp, trace, schemaId];
    if (record.topic === 'customers') {
      // The topic narrows the value: a Customer (or null for a tombstone), keyed by string.
      const key: string | null = record.key;
      const name: string | undefined = record.value?.name;
      void [key, name];
      if (record.value !== null) {
        // Read in the compiled shape: `email` has a default, so a producer may leave it out, but every
        // record read has it (filled from the default when the writer had no such field).
        const email: string | null = record.value.email;
        void email;
      }
      // @ts-expect-error a Customer has no customerId (that is an Order's)
      void record.value?.customerId;
    } else {
      const customerId: number | undefined = record.value?.customerId;
      void customerId;
      // @ts-expect-error an Order is not keyed by number
      const key: number | null = record.key;
      void key;
    }
    // @ts-expect-error the value may be a tombstone: null must be handled
    void record.value.id;
  }
}

export async function runForms(): Promise<void> {
  await consumer.run({
    eachRecord: (record: ConsumerRecord<TopicMap>) => {
      void record.topic;
    },
  });
  await consumer.run({
    eachBatch: ({ topic, partition, records }) => void [topic, partition, records.length],
  });
  // @ts-expect-error run needs eachRecord or eachBatch, not both
  await consumer.run({ eachRecord: () => {}, eachBatch: () => {} });
}

/** defineTopics maps carry the read shape too: a field with a default is optional to write, present when read. */
export async function definedMapReads(): Promise<void> {
  const defined = defineTopics({
    payments: {
      key: 'long',
      value: {
        type: 'record',
        name: 'Payment',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'currency', type: 'string', default: 'EUR' },
        ],
      },
    },
  } as const);
  const producer = createProducer({ brokers: ['127.0.0.1:19092'], registry, topics: defined });
  await producer.send('payments', { key: 1, value: { id: 1 } }); // currency may be left out
  const reader = createConsumer({ brokers: ['127.0.0.1:19092'], registry, topics: defined });
  for await (const record of reader) {
    if (record.value === null) continue;
    const currency: string = record.value.currency; // always there when read
    const key: number | bigint | null = record.key;
    void [currency, key];
  }
}
