import { ProducerError } from './errors.js';

/** A record for `send`: Kafka's ProducerRecord (key, value, partition, headers, timestamp) without the topic. */
export interface ProducerRecord<K, V> {
  readonly value: V;
  readonly key?: K;
  /** Overrides the partitioner. */
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /** Milliseconds since the epoch, or a Date. @default the time of `send` */
  readonly timestamp?: number | Date;
}

// Bytes a record costs in a v2 batch beyond key, value and headers (length, attributes, deltas, counts).
export const RECORD_OVERHEAD = 21;

/** Refuses a record whose shape is wrong before anything is serialized. */
export function checkRecordShape(
  topic: string,
  record: unknown,
): asserts record is ProducerRecord<unknown, unknown> {
  if (record === null || typeof record !== 'object' || !('value' in record)) {
    throw new ProducerError(
      'PRODUCER_INVALID_RECORD',
      `a record for ${topic} needs a value: { key?, value, … }`,
      {
        context: { topic },
      },
    );
  }
}

/**
 * The bytes a record's headers hold in bufferMemory, after checking them (an object of strings or
 * Buffers), so a bad record fails before anything is buffered.
 */
export function headersSize(topic: string, headers: ProducerRecord<unknown, unknown>['headers']): number {
  if (headers === undefined) return 0;
  if (typeof headers !== 'object' || headers === null) {
    throw new ProducerError('PRODUCER_INVALID_RECORD', `headers must be an object of strings or Buffers`, {
      context: { topic },
    });
  }
  let size = 0;
  for (const [name, header] of Object.entries(headers)) {
    if (typeof header !== 'string' && !Buffer.isBuffer(header)) {
      throw new ProducerError('PRODUCER_INVALID_RECORD', `header ${name} must be a string or a Buffer`, {
        context: { topic, header: name },
      });
    }
    size +=
      Buffer.byteLength(name) + (typeof header === 'string' ? Buffer.byteLength(header) : header.length) + 10;
  }
  return size;
}

/** Refuses a record of `size` bytes (its bufferMemory estimate) beyond maxRequestSize. */
export function checkRecordSize(topic: string, size: number, maxRequestSize: number): void {
  if (size > maxRequestSize) {
    throw new ProducerError(
      'PRODUCER_RECORD_TOO_LARGE',
      `the record is ${size} bytes when serialized, more than maxRequestSize (${maxRequestSize})`,
      { context: { topic, recordBytes: size, maxRequestSize } },
    );
  }
}

/**
 * The bytes a serialized record holds in bufferMemory; headers, timestamp and size are checked here,
 * so a bad record fails before anything is buffered.
 */
export function recordSize(
  topic: string,
  record: ProducerRecord<unknown, unknown>,
  key: Buffer | null,
  value: Buffer,
  maxRequestSize: number,
): number {
  const size =
    RECORD_OVERHEAD + value.length + (key === null ? 0 : key.length) + headersSize(topic, record.headers);
  checkRecordSize(topic, size, maxRequestSize);
  return size;
}

/** The record's timestamp: its own (checked) or, as in Java, the time of `send`. */
export function recordTimestamp(
  topic: string,
  record: ProducerRecord<unknown, unknown>,
  sentAt: number,
): number {
  if (record.timestamp === undefined) return sentAt;
  const timestamp = Number(record.timestamp);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new ProducerError(
      'PRODUCER_INVALID_RECORD',
      `timestamp must be a non-negative millisecond count or a Date`,
      {
        context: { topic },
      },
    );
  }
  return timestamp;
}
