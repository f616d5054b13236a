/**
 * An in-process stand-in for a Kafka broker and a schema registry, for the consumer's no-network
 * benchmarks: Fetch responses are written as the bytes a broker sends (Fetch v11, whole record
 * batches up to the partition and response byte limits) and read back with avrokit's own
 * decodeFetchResponse, so everything after the socket is the consumer's real code. The log is made of
 * one batch (`batchRecords` records, built by avrokit's RecordBatchBuilder) repeated with its base
 * offset rewritten — the base offset is outside the CRC — so a log of any length costs no memory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsumerConnection } from '../src/consumer/consumer.js';
import type { Compression } from '../src/kafka/compression.js';
import {
  decodeFetchResponse,
  type FetchRequestBody,
  type FetchResponse,
} from '../src/kafka/fetch-protocol.js';
import { RecordBatchBuilder, type BatchRecord } from '../src/kafka/record-batch.js';

export interface InProcessLog {
  readonly topic: string;
  readonly partitions: number;
  /** Records in each partition (the log end offset); a multiple of `batchRecords`. */
  readonly recordsPerPartition: number;
  /** Records per batch: the producer's 16 KiB batches hold about 150 records of ~100 bytes. */
  readonly batchRecords: number;
  /** The i-th record of a batch. */
  record(i: number): BatchRecord;
  readonly compression?: Compression;
}

const FETCH_VERSION = 11;

export class InProcessBroker implements ConsumerConnection {
  private readonly batch: Buffer;
  fetches = 0;
  bytesServed = 0;

  constructor(readonly log: InProcessLog) {
    if (log.recordsPerPartition % log.batchRecords !== 0) {
      throw new Error('recordsPerPartition must be a multiple of batchRecords');
    }
    // As a producer builds it: timestamps as deltas from the first record's.
    const builder = new RecordBatchBuilder(log.record(0).timestamp);
    for (let i = 0; i < log.batchRecords; i++) builder.append(log.record(i));
    this.batch = Buffer.from(builder.close(log.compression ?? 'none').buffer);
  }

  /** Bytes of one batch on the wire. */
  get batchBytes(): number {
    return this.batch.length;
  }

  connect = (): Promise<void> => Promise.resolve();
  disconnect = (): Promise<void> => Promise.resolve();
  addTopics = (): Promise<void> => Promise.resolve();
  refreshMetadata = (): Promise<void> => Promise.resolve();

  // No group requests here: this stand-in serves assign()ed partitions only.
  apiVersion = (): Promise<number> => Promise.reject(new Error('no group requests in this stand-in'));
  request = <T>(): Promise<T> => Promise.reject(new Error('no group requests in this stand-in'));
  topicIds = (): Promise<Map<string, string>> => Promise.resolve(new Map());

  partitions = (topic: string): { partition: number; leader: number | undefined; errorCode: number }[] =>
    topic === this.log.topic
      ? Array.from({ length: this.log.partitions }, (_, partition) => ({
          partition,
          leader: 1,
          errorCode: 0,
        }))
      : [];

  broker = (() =>
    Promise.resolve({
      // Earliest is 0, latest the log end.
      listOffsets: (request: {
        topics: { topic: string; partitions: { partition: number; timestamp: string }[] }[];
      }) =>
        Promise.resolve({
          responses: request.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => ({
              partition: p.partition,
              offset: p.timestamp === '-2' ? '0' : String(this.log.recordsPerPartition),
            })),
          })),
        }),
    })) as unknown as ConsumerConnection['broker'];

  coordinator = (() =>
    Promise.reject(
      new Error('the in-process broker has no groups'),
    )) as unknown as ConsumerConnection['coordinator'];

  /** A Fetch answered from the log: whole batches from the one holding each fetch offset. */
  fetch = async (_nodeId: number, body: FetchRequestBody): Promise<FetchResponse> => {
    const { batchRecords, recordsPerPartition } = this.log;
    const batch = this.batch;
    // Per partition, the base offsets of the batches sent: at least one if the log has any, then
    // whole batches within the partition's and the response's byte limits, as a broker does.
    const plan: number[][] = [];
    let size = 4 + 2 + 4 + 4; // throttle, error, session id, topic count
    let total = 0;
    for (const t of body.topics) {
      size += 2 + Buffer.byteLength(t.topic) + 4;
      for (const p of t.partitions) {
        size += 4 + 2 + 8 + 8 + 8 + 4 + 4 + 4;
        const bases: number[] = [];
        let bytes = 0;
        for (
          let from = Math.floor(p.fetchOffset / batchRecords) * batchRecords;
          from < recordsPerPartition &&
          (bytes === 0 ||
            (bytes + batch.length <= p.partitionMaxBytes && total + batch.length <= body.maxBytes));
          from += batchRecords
        ) {
          bases.push(from);
          bytes += batch.length;
          total += batch.length;
        }
        plan.push(bases);
      }
    }
    // Nothing new: the broker holds the fetch for fetch.max.wait.ms, as a real one does.
    if (total === 0) await new Promise((resolve) => setTimeout(resolve, body.maxWaitMs));
    // The response's bytes as the broker writes them, then read by avrokit's decoder.
    const out = Buffer.allocUnsafe(size + total);
    let at = 0;
    at = out.writeInt32BE(0, at); // throttle_time_ms
    at = out.writeInt16BE(0, at); // error_code
    at = out.writeInt32BE(0, at); // session_id
    at = out.writeInt32BE(body.topics.length, at);
    let i = 0;
    for (const t of body.topics) {
      at = out.writeInt16BE(Buffer.byteLength(t.topic), at);
      at += out.write(t.topic, at);
      at = out.writeInt32BE(t.partitions.length, at);
      for (const p of t.partitions) {
        const bases = plan[i++]!;
        at = out.writeInt32BE(p.partition, at);
        at = out.writeInt16BE(0, at); // error_code
        at = out.writeBigInt64BE(BigInt(recordsPerPartition), at); // high watermark
        at = out.writeBigInt64BE(BigInt(recordsPerPartition), at); // last stable offset
        at = out.writeBigInt64BE(0n, at); // log start offset
        at = out.writeInt32BE(-1, at); // aborted transactions: none
        at = out.writeInt32BE(-1, at); // preferred read replica
        at = out.writeInt32BE(bases.length * batch.length, at);
        for (const base of bases) {
          batch.copy(out, at);
          out.writeBigInt64BE(BigInt(base), at);
          at += batch.length;
        }
      }
    }
    this.fetches++;
    this.bytesServed += out.length;
    return decodeFetchResponse(FETCH_VERSION, out);
  };
}

/** A schema registry answering `GET /schemas/ids/{id}` from a table, on loopback. */
export class InProcessRegistry {
  private constructor(private readonly server: Server) {}

  static async start(schemas: ReadonlyMap<number, string>): Promise<InProcessRegistry> {
    const server = createServer((req, res) => {
      const id = Number(/^\/schemas\/ids\/(\d+)/.exec(req.url ?? '')?.[1]);
      const schema = schemas.get(id);
      res.writeHead(schema ? 200 : 404, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(schema ? { schema } : { error_code: 40403, message: `Schema ${id} not found` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new InProcessRegistry(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
