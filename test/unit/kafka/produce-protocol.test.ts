import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeProduceResponse,
  encodeProduceRequest,
  type ProducePartitionResponse,
  type ProduceRequestBody,
  type ProduceResponse,
} from '../../../src/kafka/produce-protocol.js';
import { RecordBatchBuilder } from '../../../src/kafka/record-batch.js';
import { runKafkaOracle, token } from '../../support/kafka-oracle.js';
import { SeededRandom } from '../../support/random.js';

const SEED = Number(process.env.AVROKIT_TEST_SEED ?? 0x12b_9e0);
const random = new SeededRandom(SEED);
console.log(`produce-protocol: seed ${SEED} (AVROKIT_TEST_SEED to replay)`);

const VERSIONS = [3, 7, 8, 9, 11, 12];
const TOPIC_NAMES = ['customers', 'orders', 'a', 'très-long.topic_name-' + 'x'.repeat(200), 'ключи', '注文'];
const MESSAGES = [
  null,
  '',
  'The request included message batch larger than the configured segment size',
  'ошибка ⚠',
];

function batchOf(count: number): Buffer {
  const builder = new RecordBatchBuilder(1_763_000_000_000);
  for (let i = 0; i < count; i++) {
    builder.append({
      key: Buffer.from(`k${i}`),
      value: Buffer.alloc(random.int(0, 150), i),
      timestamp: 1_763_000_000_000 + i,
    });
  }
  const batch = builder.close('none');
  batch.setProducerState(BigInt(random.int(0, 1e6)), random.int(0, 5), random.int(0, 1e6));
  return batch.buffer;
}

function randomRequest(): ProduceRequestBody {
  const names = [...TOPIC_NAMES].sort(() => random.next() - 0.5).slice(0, random.int(1, 4));
  return {
    transactionalId: random.next() < 0.5 ? null : random.pick(['', 'tx-1', 'транзакция']),
    acks: random.pick([0, 1, -1] as const),
    timeoutMs: random.int(0, 2 ** 31 - 1),
    topics: names.map((topic) => ({
      topic,
      partitions: Array.from({ length: random.int(1, 4) }, (_, partition) => ({
        partition: partition * random.int(1, 1000),
        // Several batches back to back in one partition, as after a retry or a long linger.
        records: Buffer.concat(Array.from({ length: random.int(1, 3) }, () => batchOf(random.int(1, 30)))),
      })),
    })),
  };
}

/** kafkajs' request header v1: api key, version, correlation id, client id (int16-length string). */
function kafkajsHeader(version: number, correlationId: number, clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const header = Buffer.alloc(10 + id.length);
  header.writeInt16BE(0, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  id.copy(header, 10);
  return header;
}

function requestCommand(
  version: number,
  correlationId: number,
  clientId: string,
  body: ProduceRequestBody,
): string {
  const parts = [
    'request',
    version,
    correlationId,
    token(clientId),
    token(body.transactionalId),
    body.acks,
    body.timeoutMs,
  ];
  parts.push(body.topics.length);
  for (const topic of body.topics) {
    parts.push(token(topic.topic), topic.partitions.length);
    for (const p of topic.partitions) parts.push(p.partition, token(p.records));
  }
  return parts.join(' ');
}

test('requests: kafkajs’ v1 header + our chunks are the bytes Java’s ProduceRequest serializes with its header', () => {
  const cases = VERSIONS.flatMap((version) =>
    Array.from({ length: 4 }, () => ({
      version,
      correlationId: random.int(0, 2 ** 31 - 1),
      clientId: random.pick(['avrokit', '', 'producer-ü']),
      body: randomRequest(),
    })),
  );
  const { maxProduceVersion, outputs } = runKafkaOracle(
    cases.map((c) => requestCommand(c.version, c.correlationId, c.clientId, c.body)),
  );
  if (maxProduceVersion < 12) {
    console.log(
      `kafka-clients serializes Produce ≤ v${maxProduceVersion}; v12 is compared with its v11 body (identical by spec)`,
    );
  }
  cases.forEach((c, i) => {
    const { chunks, length } = encodeProduceRequest(c.version, c.body);
    const ours = Buffer.concat([kafkajsHeader(c.version, c.correlationId, c.clientId), ...chunks]);
    assert.equal(
      length,
      chunks.reduce((n, chunk) => n + chunk.length, 0),
    );
    assert.equal(ours.toString('hex'), outputs[i]![0], `v${c.version} request ${i}`);
    // The batches travel as the caller's buffers, not copies.
    for (const topic of c.body.topics)
      for (const p of topic.partitions) assert.ok(chunks.includes(p.records));
  });
  console.log(`${cases.length} requests over versions ${VERSIONS.join(', ')}: identical to Java's`);
});

interface ResponseCase {
  readonly version: number;
  readonly correlationId: number;
  readonly response: ProduceResponse;
  readonly command: string;
}

/** A response with every field the version has set to something other than its default. */
function randomResponse(version: number): ResponseCase {
  const correlationId = random.int(0, 2 ** 31 - 1);
  const parts: (string | number | bigint)[] = ['response', version, correlationId];
  const throttleTimeMs = random.int(0, 30_000);
  parts.push(throttleTimeMs);
  const names = [...TOPIC_NAMES].sort(() => random.next() - 0.5).slice(0, random.int(0, 3));
  parts.push(names.length);
  const topics = names.map((topic) => {
    const count = random.int(0, 4);
    parts.push(token(topic), count);
    const partitions = Array.from({ length: count }, (): ProducePartitionResponse => {
      const partition = random.int(0, 5000);
      const errorCode = random.pick([0, 0, 6, 10, 19, 45, 87]);
      const baseOffset = random.int64();
      const logAppendTimeMs = random.next() < 0.5 ? -1n : BigInt(random.int(0, 2 ** 45));
      const logStartOffset = random.int64();
      const errorMessage = random.pick(MESSAGES);
      const recordErrors = Array.from({ length: random.int(0, 3) }, () => ({
        batchIndex: random.int(0, 10_000),
        message: random.pick(MESSAGES),
      }));
      const leader =
        random.next() < 0.5 ? { leaderId: random.int(0, 100), leaderEpoch: random.int(0, 1000) } : undefined;
      // Java refuses to write what a version cannot carry when it is not ignorable (CurrentLeader).
      const sentLeader = version >= 10 ? leader : undefined;
      parts.push(partition, errorCode, baseOffset, logAppendTimeMs, logStartOffset, token(errorMessage));
      parts.push(recordErrors.length, ...recordErrors.flatMap((e) => [e.batchIndex, token(e.message)]));
      parts.push(sentLeader?.leaderId ?? -1, sentLeader?.leaderEpoch ?? -1);
      return {
        partition,
        errorCode,
        baseOffset,
        logAppendTimeMs,
        logStartOffset: version >= 5 ? logStartOffset : -1n,
        recordErrors: version >= 8 ? recordErrors : [],
        errorMessage: version >= 8 ? errorMessage : null,
        currentLeader: sentLeader,
      };
    });
    return { topic, partitions };
  });
  const nodes =
    version >= 10
      ? Array.from({ length: random.int(0, 3) }, (_, n) => ({
          nodeId: n * 7 + random.int(0, 6),
          host: random.pick(['localhost', 'broker-1.kafka.svc', 'кафка.example']),
          port: random.int(1, 65535),
          rack: random.pick([null, 'rack-a', '']),
        }))
      : [];
  parts.push(nodes.length, ...nodes.flatMap((n) => [n.nodeId, token(n.host), n.port, token(n.rack)]));
  return {
    version,
    correlationId,
    response: { topics, throttleTimeMs, nodeEndpoints: nodes },
    command: parts.join(' '),
  };
}

function javaResponses(cases: readonly ResponseCase[]): Buffer[] {
  const { outputs } = runKafkaOracle(cases.map((c) => c.command));
  return cases.map((c, i) => {
    const bytes = Buffer.from(outputs[i]![0]!, 'hex');
    assert.equal(bytes.readInt32BE(0), c.correlationId);
    return bytes.subarray(4);
  });
}

const responseCases = [...VERSIONS, 10].flatMap((version) =>
  Array.from({ length: 6 }, () => randomResponse(version)),
);
let responsePayloads: Buffer[] | undefined;

test('responses Java serializes decode to what it was given, for every field the version carries', () => {
  responsePayloads = javaResponses(responseCases);
  responseCases.forEach((c, i) => {
    assert.deepEqual(
      decodeProduceResponse(c.version, responsePayloads![i]!),
      c.response,
      `v${c.version} response ${i}`,
    );
  });
  const partitions = responseCases.reduce(
    (n, c) => n + c.response.topics.reduce((m, t) => m + t.partitions.length, 0),
    0,
  );
  console.log(`${responseCases.length} responses (${partitions} partition responses) decoded`);
});

test('a truncated, padded or garbled response is an Error naming the offset, never a wrong answer', () => {
  const payloads = responsePayloads ?? javaResponses(responseCases);
  let checked = 0;
  responseCases.forEach((c, i) => {
    const payload = payloads[i]!;
    for (let length = 0; length < payload.length; length++) {
      assert.throws(
        () => decodeProduceResponse(c.version, payload.subarray(0, length)),
        (err: unknown) =>
          err instanceof Error && err.constructor === Error && /at offset \d+ of \d+/.test(err.message),
        `v${c.version} response ${i} cut at ${length}`,
      );
      checked++;
    }
    assert.throws(
      () => decodeProduceResponse(c.version, Buffer.concat([payload, Buffer.from([0])])),
      /trailing bytes at offset/,
    );
  });
  // A topic-name length pointing past the end; a null topic name.
  const plain = responseCases.findIndex((c) => c.version < 9 && c.response.topics.length > 0);
  const tooLong = Buffer.from(payloads[plain]!);
  tooLong.writeInt16BE(0x7fff, 4); // after the topic count
  assert.throws(
    () => decodeProduceResponse(responseCases[plain]!.version, tooLong),
    /truncated topic name \(needs 32767 bytes, \d+ left\) at offset 6 of/,
  );
  const flexible = responseCases.findIndex((c) => c.version >= 9 && c.response.topics.length > 0);
  const nullName = Buffer.from(payloads[flexible]!);
  nullName[2] = 0; // after the header's tagged fields and the topic count
  assert.throws(
    () => decodeProduceResponse(responseCases[flexible]!.version, nullName),
    /topic name: null where a string is required at offset 2 of/,
  );
  // An array count beyond what the bytes can hold.
  assert.throws(
    () => decodeProduceResponse(3, Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])),
    /responses: 2147483647 elements cannot fit/,
  );
  assert.throws(
    () => decodeProduceResponse(9, Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0])),
    /longer than 5 bytes at offset 1/,
  );
  console.log(`${checked} truncations refused`);
});

test('versions outside 3–12 are refused on both sides', () => {
  const body: ProduceRequestBody = { transactionalId: null, acks: -1, timeoutMs: 30_000, topics: [] };
  for (const version of [2, 13, 9.5]) {
    assert.throws(() => encodeProduceRequest(version, body), RangeError);
    assert.throws(() => decodeProduceResponse(version, Buffer.alloc(8)), RangeError);
  }
});
