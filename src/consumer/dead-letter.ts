/**
 * Dead letters: a record the consumer could not decode, kept with everything needed to look at it or
 * replay it — where it was, its bytes as the broker gave them, its headers, and why it failed. A dead
 * letter is itself an Avro record, so it goes to its topic through avrokit's typed producer (its schema
 * registered like any other) and is read back typed by avrokit's consumer.
 */
import type { SchemaReadValue } from '../schema/schema-values.js';
import type { RawConsumerRecord } from './consumer.js';
import type { ConsumerError } from './errors.js';

/** The dead letter's schema (`avrokit.DeadLetter`): give it as a topic's value in `defineTopics`. */
export const deadLetterSchema = {
  type: 'record',
  name: 'DeadLetter',
  namespace: 'avrokit',
  doc: 'A record a consumer could not decode, as it was on the broker, and why.',
  fields: [
    { name: 'topic', type: 'string' },
    { name: 'partition', type: 'int' },
    { name: 'offset', type: 'long' },
    { name: 'timestamp', type: 'long', doc: 'The record’s timestamp, milliseconds since the epoch.' },
    { name: 'key', type: ['null', 'bytes'], default: null },
    { name: 'value', type: ['null', 'bytes'], default: null },
    { name: 'headers', type: { type: 'map', values: 'bytes' }, default: {} },
    { name: 'errorCode', type: 'string', doc: 'The ConsumerError code, e.g. CONSUMER_DECODE_FAILED.' },
    { name: 'errorMessage', type: 'string' },
    {
      name: 'causeCode',
      type: ['null', 'string'],
      default: null,
      doc: 'The underlying error’s code (the serde’s or the registry’s), when it has one.',
    },
    {
      name: 'schemaId',
      type: ['null', 'int'],
      default: null,
      doc: 'The schema id in the value’s frame, when it has one.',
    },
  ],
} as const;

/** A dead letter as it is written and read. */
export type DeadLetter = SchemaReadValue<typeof deadLetterSchema>;

/**
 * The dead letter for a record `onDecodeError` was given. Send it to a dead-letter topic there, then
 * return `'skip'`:
 *
 * @example
 * const deadLetters = createProducer({ brokers, registry, topics: defineTopics({
 *   'orders.dlq': { key: 'string', value: deadLetterSchema },
 * }) });
 * const consumer = createConsumer({ …, onDecodeError: async (error, record) => {
 *   await deadLetters.send('orders.dlq', { key: `${record.topic}-${record.partition}`, value: deadLetterOf(error, record) });
 *   return 'skip';
 * } });
 */
export function deadLetterOf(error: ConsumerError, record: RawConsumerRecord): DeadLetter {
  const causeCode = error.context.causeCode;
  const schemaId = error.context.schemaId;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    value: record.value,
    headers: { ...record.headers },
    errorCode: error.code,
    errorMessage: error.message,
    causeCode: typeof causeCode === 'string' ? causeCode : null,
    schemaId: typeof schemaId === 'number' ? schemaId : null,
  };
}
