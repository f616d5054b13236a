/**
 * The consumer's read path over a scripted broker (test/support/scripted-log.ts): every record handed
 * out once, in order, at its exact offset, whichever way the application reads; fetching stays one
 * answer ahead of a stalled application; a corrupt batch is reached after the records before it; a
 * partition at its end never holds up the fetches of the others.
 */
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import {
  avroSchemas,
  avroTypes,
  topics as generated,
  type TopicMap,
} from '../../../schemas/generated/index.js';
import { createConsumerOver, type Consumer, type ConsumerRecord } from '../../../src/consumer/consumer.js';
import { SchemaRegistry, type Topics } from '../../../src/index.js';
import { RecordBatchBuilder, type BatchRecord } from '../../../src/kafka/record-batch.js';
import { ScriptedLog } from '../../support/scripted-log.js';
import { startSchemaServer, type SchemaServer } from '../../support/schema-server.js';

type Map1 = { reads: TopicMap['customers'] };
const topic = 'reads';
const topics = { reads: generated.customers } as Topics<Map1>;
const customer = avroTypes['customerManagement.avro.Customer'];
let server: SchemaServer;
let registry: SchemaRegistry;

before(async () => {
  server = await startSchemaServer(
    new Map([[1, JSON.stringify(avroSchemas['customerManagement.avro.Customer'])]]),
  );
  registry = new SchemaRegistry({ url: server.url });
});

after(async () => {
  registry.close();
  await server.close();
});

const value = (id: number) => {
  const body = customer.toBuffer({ id, name: `name ${id}`, email: id % 3 === 0 ? null : `${id}@x` });
  const framed = Buffer.alloc(5 + body.length);
  framed.writeInt32BE(1, 1);
  body.copy(framed, 5);
  return framed;
};

/** Record i of a partition: keyed or not, a tombstone every 11th, headers every 7th. */
function record(partition: number, i: number): BatchRecord {
  const id = partition * 100_000 + i;
  return {
    key: i % 5 === 0 ? null : Buffer.from(`key-${id}`),
    value: i % 11 === 10 ? null : value(id),
    timestamp: 1_700_000_000_000 + i,
    headers: i % 7 === 0 ? { trace: Buffer.from(`t${id}`), twice: 'second' } : undefined,
  };
}

/** A partition's log: `count` records in batches of `perBatch`. */
function partitionLog(partition: number, count: number, perBatch: number, corruptAt?: number): Buffer[] {
  const batches: Buffer[] = [];
  for (let base = 0; base < count; base += perBatch) {
    const builder = new RecordBatchBuilder(1_700_000_000_000 + base);
    for (let i = base; i < Math.min(count, base + perBatch); i++) builder.append(record(partition, i));
    const batch = Buffer.from(builder.close(partition === 1 ? 'gzip' : 'none').buffer);
    batch.writeBigInt64BE(BigInt(base), 0);
    if (base === corruptAt) batch[batch.length - 2]! ^= 0xff;
    batches.push(batch);
  }
  return batches;
}

function consumerOver(log: ScriptedLog, settings: object = {}): Consumer<Map1> {
  return createConsumerOver<Map1>(
    {
      brokers: ['scripted:0'],
      registry,
      topics,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      maxPartitionFetchBytes: 4096,
      maxPollRecords: 70,
      ...settings,
    },
    log,
  );
}

const PER_PARTITION = 600;

for (const mode of ['for await', 'eachRecord', 'eachBatch'] as const) {
  test(`${mode}: every record once, in offset order per partition, exactly as written`, async () => {
    const log = new ScriptedLog(
      topic,
      [0, 1, 2].map((p) => partitionLog(p, PER_PARTITION, 40)),
    );
    const consumer = consumerOver(log);
    await consumer.connect();
    await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })));
    const got: ConsumerRecord<Map1>[] = [];
    const total = 3 * PER_PARTITION;
    if (mode === 'for await') {
      for await (const r of consumer) if (got.push(r) === total) break;
    } else {
      await new Promise<void>((resolve, reject) => {
        const run =
          mode === 'eachRecord'
            ? consumer.run({ eachRecord: (r) => void (got.push(r) === total && resolve()) })
            : consumer.run({
                eachBatch: ({ topic: t, partition, records }) => {
                  assert.equal(t, topic);
                  assert.ok(records.length > 0 && records.length <= 70, `a batch of ${records.length}`);
                  records.forEach((r, i) => {
                    assert.equal(r.partition, partition);
                    assert.equal(r.offset, records[0]!.offset + i);
                  });
                  if (got.push(...records) === total) resolve();
                },
              });
        run.catch(reject);
      });
    }
    for (const partition of [0, 1, 2]) {
      const mine = got.filter((r) => r.partition === partition);
      assert.deepEqual(
        mine.map((r) => r.offset),
        Array.from({ length: PER_PARTITION }, (_, i) => i),
      );
      mine.forEach((r, i) => {
        const written = record(partition, i);
        const id = partition * 100_000 + i;
        assert.equal(r.topic, topic);
        assert.equal(r.key, written.key === null ? null : `key-${id}`);
        assert.equal(r.timestamp, written.timestamp);
        if (written.value === null) assert.deepEqual([r.value, r.schemaId], [null, null]);
        else {
          assert.deepEqual(
            { ...r.value },
            { id, name: `name ${id}`, email: id % 3 === 0 ? null : `${id}@x` },
          );
          assert.equal(r.schemaId, 1);
        }
        if (written.headers) {
          assert.deepEqual(r.headers, { trace: Buffer.from(`t${id}`), twice: Buffer.from('second') });
        } else {
          // No headers: one frozen object, shared (checked below).
          assert.ok(Object.isFrozen(r.headers) && Object.keys(r.headers).length === 0);
        }
      });
      assert.equal(consumer.position(topic, partition), PER_PARTITION);
    }
    const empty = got.filter((r) => Object.keys(r.headers).length === 0).map((r) => r.headers);
    assert.ok(
      empty.every((h) => h === empty[0]),
      'records without headers share one object',
    );
    assert.equal(consumer.stats().recordsConsumed, total);
    await consumer.close();
  });
}

test('an application that stops taking records stops the fetching: one answer ahead per partition, no more', async () => {
  const log = new ScriptedLog(
    topic,
    [0, 1, 2].map((p) => partitionLog(p, 2000, 20)),
  );
  const consumer = consumerOver(log, { maxPollRecords: 500 });
  await consumer.connect();
  await consumer.assign([0, 1, 2].map((partition) => ({ topic, partition })));
  let handedOut = 0;
  void consumer.run({
    eachBatch: ({ records }) => {
      handedOut += records.length;
      return new Promise<void>(() => {}); // never done
    },
  });
  for (let i = 0; i < 300; i++) await turn();
  const requests = log.requests.length;
  for (let i = 0; i < 300; i++) await turn();
  assert.equal(log.requests.length, requests, 'no more fetches while the application holds its batch');
  assert.equal(log.pending, 0);
  assert.ok(handedOut > 0);
  for (const partition of [0, 1, 2]) {
    // An answer carries whole 20-record batches up to maxPartitionFetchBytes (4096), at least one.
    const smallest = Math.min(...log.log[partition]!.map((batch) => batch.length));
    const perAnswer = 20 * Math.max(1, Math.floor(4096 / smallest));
    const ahead = log.served[partition]! - consumer.position(topic, partition)!;
    assert.ok(
      ahead <= 2 * perAnswer,
      `partition ${partition} is ${ahead} records ahead (answers of ${perAnswer})`,
    );
    assert.ok(log.served[partition]! < 2000, 'and far from the end of its log');
  }
  // The handler never returns: nothing to wait for.
  await consumer.close({ timeoutMs: 0 });
});

test('a corrupt batch: the records before it are handed out, then CONSUMER_CORRUPT_BATCH naming where, nothing after', async () => {
  const log = new ScriptedLog(topic, [partitionLog(0, 80, 20, 40)]);
  const consumer = consumerOver(log);
  await consumer.connect();
  await consumer.assign([{ topic, partition: 0 }]);
  const offsets: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const r of consumer) offsets.push(r.offset);
    })(),
    (err: { code?: string; context?: Record<string, unknown> }) => {
      assert.equal(err.code, 'CONSUMER_CORRUPT_BATCH');
      assert.deepEqual(err.context, { topic, partition: 0, offset: 40 });
      return true;
    },
  );
  assert.deepEqual(
    offsets,
    Array.from({ length: 40 }, (_, i) => i),
  );
  await consumer.close();
});

test('a partition at its end never holds up the fetches of the others (the broker holds a fetch with nothing to return)', async () => {
  const log = new ScriptedLog(topic, [[], partitionLog(1, 1500, 30), partitionLog(2, 1500, 30), []]);
  const consumer = consumerOver(log, { fetchMaxWaitMs: 200 });
  await consumer.connect();
  await consumer.assign([0, 1, 2, 3].map((partition) => ({ topic, partition })));
  let count = 0;
  for await (const _ of consumer) if (++count === 3000) break;
  assert.equal(log.heldEarly, 0, 'no fetch was held while records were still to be fetched');
  await consumer.close();
});
