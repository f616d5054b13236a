/**
 * A fetched record, read where it lies in its batch (kafka/record-batch-reader.ts), into the record
 * the application is given: the value (and an Avro key) through the serde's in-place reader, resolved
 * into the topic map's schema; a raw key read as Kafka's Java serializers wrote it; headers only when
 * there are any. Per record: the record object, its decoded key and value, and nothing else.
 */
import type { RecordReader } from '../kafka/record-batch-reader.js';
import type { TopicBinding } from '../schema/topics.js';
import type { AvroSerde, FramedReader } from '../serde/avro-serde.js';
import { decodeRawKeyAt } from '../serde/raw-keys.js';

/** The headers of a record written without any: one frozen object shared by all of them. */
export const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

/** A record as handed out (typed by the consumer's topic map where it is used). */
export interface DecodedConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly schemaId: number | null;
}

/** The record's bytes as they came, for `onDecodeError`: copies, so they outlive the fetched batch. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
}

/** Headers by key, values copied out of the batch; a key written twice keeps its last value. */
function headersOf(reader: RecordReader): Readonly<Record<string, Buffer>> {
  if (reader.headerCount === 0) return NO_HEADERS;
  const headers: Record<string, Buffer> = {};
  for (const h of reader.headers(true)) {
    const value = h.value ?? Buffer.alloc(0);
    // A header named __proto__ is a header, not the object's prototype.
    if (h.key === '__proto__')
      Object.defineProperty(headers, h.key, { value, enumerable: true, writable: true, configurable: true });
    else headers[h.key] = value;
  }
  return headers;
}

/** Decodes one topic's records. */
export class TopicDecoder {
  private readonly value: FramedReader;
  private readonly avroKey: FramedReader | undefined;

  constructor(
    private readonly serde: AvroSerde,
    readonly topic: string,
    private readonly binding: TopicBinding,
  ) {
    this.value = serde.framedReader(topic, { readerSchema: binding.value.type });
    this.avroKey =
      binding.key.kind === 'avro'
        ? serde.framedReader(topic, { readerSchema: binding.key.type, isKey: true })
        : undefined;
  }

  /**
   * The reader's current record. Throws the serde's error: SERDE_NOT_PREPARED when a writer schema
   * must first be loaded ({@link load}), anything else when the record cannot be decoded.
   */
  decode(reader: RecordReader, partition: number): DecodedConsumerRecord {
    const buf = reader.buf;
    let value: unknown = null;
    let schemaId: number | null = null;
    const valueLength = reader.valueLength;
    if (valueLength >= 0) {
      const start = reader.valueStart;
      if (valueLength >= 5 && buf[start] === 0) {
        // buf.readInt32BE(start + 1), without the call: `<< 24` makes it a signed 32-bit integer.
        schemaId =
          (buf[start + 1]! << 24) | (buf[start + 2]! << 16) | (buf[start + 3]! << 8) | buf[start + 4]!;
      }
      value = this.value.read(buf, start, start + valueLength);
    }
    let key: unknown = null;
    const keyLength = reader.keyLength;
    if (keyLength >= 0) {
      const binding = this.binding.key;
      const start = reader.keyStart;
      if (binding.kind === 'raw')
        key = decodeRawKeyAt(binding.type, buf, start, start + keyLength, this.topic);
      else if (this.avroKey) key = this.avroKey.read(buf, start, start + keyLength);
    }
    return {
      topic: this.topic,
      partition,
      offset: reader.offset,
      key,
      value,
      timestamp: reader.timestamp,
      headers: headersOf(reader),
      schemaId,
    };
  }

  /** Loads the writer schemas the reader's current record needs (the registry, once per schema id). */
  async load(reader: RecordReader): Promise<void> {
    const value = reader.value();
    const key = reader.key();
    await Promise.all([
      value === null
        ? undefined
        : this.serde.deserialize(this.topic, value, { readerSchema: this.binding.value.type }),
      key === null || this.binding.key.kind !== 'avro'
        ? undefined
        : this.serde.deserialize(this.topic, key, { readerSchema: this.binding.key.type, isKey: true }),
    ]);
  }

  /** The reader's current record as raw bytes (copied). */
  raw(reader: RecordReader, partition: number): RawRecord {
    const key = reader.key();
    const value = reader.value();
    return {
      topic: this.topic,
      partition,
      offset: reader.offset,
      timestamp: reader.timestamp,
      key: key && Buffer.from(key),
      value: value && Buffer.from(value),
      headers: headersOf(reader),
    };
  }
}
