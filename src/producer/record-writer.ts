import { newTap, writeUtf8, type AvscTap, type ValueWriter } from '../avro/writer.js';
import {
  framedWriterOf,
  type AvroSerde,
  type FramedWriter,
  type PreparedSerializer,
} from '../serde/avro-serde.js';
import type { TopicBinding } from '../schema/topics.js';
import type { ProducerBatch, RecordAccumulator } from './accumulator.js';
import { ProducerError } from './errors.js';
import type { PartitionChooser } from './partitioner.js';
import {
  checkRecordShape,
  checkRecordSize,
  headersSize,
  recordTimestamp,
  RECORD_OVERHEAD,
  type ProducerRecord,
} from './record.js';

/** A topic's prepared serializers and their in-place writers: what the fast path needs, found once. */
export interface Route {
  readonly topic: string;
  readonly binding: TopicBinding;
  readonly value: PreparedSerializer;
  readonly valueWriter: FramedWriter;
  /** The Avro key's serializer; null for raw keys and topics without a key. */
  readonly key: PreparedSerializer | null;
  readonly keyWriter: FramedWriter | undefined;
}

/** Bytes written as they are: the value of a record avsc serialized where avrokit's writer would not. */
const writeBytes: ValueWriter = (tap, bytes) => {
  const value = bytes as Buffer;
  const pos = tap.pos;
  tap.pos += value.length;
  if (tap.pos <= tap.buf.length) tap.buf.set(value, pos);
};

/**
 * The producer's fast path from record to batch: the key is written into a scratch buffer (it is
 * hashed for the partition before the batch is known), then the record straight into its partition's
 * open batch, the value in place by the topic's compiled Avro writer — no Buffer per record, no copy.
 * A value or key the writer refuses is serialized by avsc, which throws the SerdeError saying why (or,
 * if avsc takes it after all, gives the bytes, which are then written as they are).
 */
export class RecordWriter {
  private readonly routes = new Map<string, Route>();
  private readonly keyTap: AvscTap = newTap(Buffer.allocUnsafe(1024));
  /** The last record's key: the first `keyLength` bytes of `keySource`; -1: no key. */
  private keySource: Uint8Array = this.keyTap.buf;
  private keyLength = -1;
  /** The last record's timestamp. */
  timestamp = 0;

  constructor(
    private readonly serde: AvroSerde,
    private readonly maxRequestSize: number,
  ) {}

  /** The topic's route if it has been found before. */
  known(topic: string): Route | undefined {
    return this.routes.get(topic);
  }

  /** The topic's route, or undefined while its serializers are not prepared (the slow path prepares them). */
  route(topic: string, binding: TopicBinding): Route | undefined {
    const known = this.routes.get(topic);
    if (known) return known;
    const value = this.serde.preparedFor(topic, binding.value.type);
    const key = binding.key.kind === 'avro' ? this.serde.preparedFor(topic, binding.key.type, true) : null;
    if (!value || key === undefined) return undefined;
    const valueWriter = framedWriterOf(value);
    const keyWriter = key ? framedWriterOf(key) : undefined;
    if (!valueWriter || (key && !keyWriter)) return undefined;
    const route: Route = { topic, binding, value, valueWriter, key, keyWriter };
    this.routes.set(topic, route);
    return route;
  }

  /**
   * Writes the record as the pending record of its partition's open batch (see
   * RecordAccumulator.writePending) and returns that batch; its `pendingSize` is the record's
   * bufferMemory size, already checked against maxRequestSize. Throws the record's error otherwise.
   */
  write(
    route: Route,
    record: ProducerRecord<unknown, unknown>,
    sentAt: number,
    accumulator: RecordAccumulator,
    partitions: PartitionChooser,
    partitionCount: number,
  ): ProducerBatch {
    const topic = route.topic;
    checkRecordShape(topic, record);
    this.writeKey(route, record.key);
    const headers = record.headers;
    const overhead =
      RECORD_OVERHEAD + (this.keyLength < 0 ? 0 : this.keyLength) + headersSize(topic, headers);
    const timestamp = (this.timestamp = recordTimestamp(topic, record, sentAt));
    const key = this.keyLength < 0 ? null : this.keySource;
    const partition = partitions.chooseFor(topic, record, key, this.keyLength, partitionCount);
    let batch: ProducerBatch;
    try {
      batch = accumulator.writePending(
        topic,
        partition,
        timestamp,
        key,
        this.keyLength,
        route.valueWriter,
        record.value,
        headers,
        overhead,
        sentAt,
      );
    } catch {
      // avsc describes the failure (SerdeError); should it take the value, its bytes are the record's.
      const bytes = route.value.serialize(record.value);
      batch = accumulator.writePending(
        topic,
        partition,
        timestamp,
        key,
        this.keyLength,
        writeBytes,
        bytes,
        headers,
        overhead,
        sentAt,
      );
    }
    if (batch.pendingSize > this.maxRequestSize) {
      const size = batch.pendingSize;
      accumulator.discardPending(batch);
      checkRecordSize(topic, size, this.maxRequestSize);
    }
    return batch;
  }

  /** The last record's key as a Buffer of its own (for a record that waits on the slow path). */
  keyCopy(): Buffer | null {
    return this.keyLength < 0 ? null : Buffer.from(this.keySource.subarray(0, this.keyLength));
  }

  private writeKey(route: Route, key: unknown): void {
    const binding = route.binding.key;
    this.keyLength = -1;
    if (binding.kind === 'none') {
      if (key !== undefined && key !== null) {
        throw new ProducerError(
          'PRODUCER_INVALID_RECORD',
          `topic ${route.topic} takes no key (see the topic map)`,
          {
            context: { topic: route.topic },
          },
        );
      }
      return;
    }
    if (key === undefined || key === null) return;
    const tap = this.keyTap;
    if (binding.kind === 'raw') {
      if (binding.type === 'string' && typeof key === 'string') {
        // Kafka's StringSerializer: the UTF-8 bytes, nothing else.
        this.ensureKeyRoom(3 * key.length);
        this.keySource = tap.buf;
        this.keyLength = writeUtf8(tap.buf, key);
        return;
      }
      const bytes = this.serde.serializeRawKey(route.topic, binding.type, key);
      this.keySource = bytes;
      this.keyLength = bytes.length;
      return;
    }
    for (;;) {
      tap.pos = 0;
      try {
        route.keyWriter!(tap, key);
      } catch {
        const bytes = route.key!.serialize(key); // throws the SerdeError that says why
        this.keySource = bytes;
        this.keyLength = bytes.length;
        return;
      }
      if (tap.pos <= tap.buf.length) break;
      this.ensureKeyRoom(tap.pos);
    }
    this.keySource = tap.buf;
    this.keyLength = tap.pos;
  }

  private ensureKeyRoom(bytes: number): void {
    if (bytes > this.keyTap.buf.length)
      this.keyTap.buf = Buffer.allocUnsafe(Math.max(bytes, this.keyTap.buf.length * 2));
  }
}
