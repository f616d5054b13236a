/** The Fetch response and the consumer protocol's embedded assignment, read with bounds checks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFetchResponse } from '../../../src/kafka/fetch-protocol.js';
import { decodeAssignment } from '../../../src/kafka/group-protocol.js';

const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const str = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);

/** A Fetch v11 response, written field by field from the protocol's schema. */
function fetchV11(records: Buffer): Buffer {
  return Buffer.concat([
    int32(7), // throttle_time_ms
    int16(0), // error_code
    int32(0), // session_id
    int32(1), // responses
    str('orders'),
    int32(1), // partitions
    int32(2), // partition_index
    int16(0), // error_code
    int64(42n), // high_watermark
    int64(40n), // last_stable_offset
    int64(0n), // log_start_offset
    int32(1), // aborted_transactions
    int64(9n), // producer_id
    int64(38n), // first_offset
    int32(-1), // preferred_read_replica
    int32(records.length),
    records,
  ]);
}

test('a Fetch v11 response is read field by field', () => {
  const records = Buffer.from('record batch bytes');
  const response = decodeFetchResponse(11, fetchV11(records));
  assert.equal(response.throttleTimeMs, 7);
  const [topic] = response.topics;
  assert.equal(topic!.topic, 'orders');
  const [partition] = topic!.partitions;
  assert.deepEqual(
    { ...partition!, records: partition!.records.toString() },
    {
      partition: 2,
      errorCode: 0,
      highWatermark: 42,
      lastStableOffset: 40,
      abortedTransactions: [{ producerId: 9n, firstOffset: 38 }],
      records: 'record batch bytes',
    },
  );
});

test('a truncated Fetch response is an error naming the field and offset, not a misread', () => {
  const whole = fetchV11(Buffer.from('record batch bytes'));
  assert.throws(
    () => decodeFetchResponse(11, whole.subarray(0, whole.length - 1)),
    /FetchResponse v11: truncated records .* at offset \d+/,
  );
  assert.throws(() => decodeFetchResponse(11, whole.subarray(0, 20)), /FetchResponse v11: truncated topic/);
  // A count that cannot fit in what is left.
  const lying = Buffer.concat([int32(0), int16(0), int32(0), int32(1_000_000)]);
  assert.throws(() => decodeFetchResponse(11, lying), /responses: 1000000 elements cannot fit/);
});

test('a truncated assignment from the coordinator is an error naming the field', () => {
  const assignment = Buffer.concat([
    int16(0),
    int32(1),
    str('orders'),
    int32(2),
    int32(0),
    int32(1),
    int32(-1),
  ]);
  assert.deepEqual(decodeAssignment(assignment), new Map([['orders', [0, 1]]]));
  assert.throws(
    () => decodeAssignment(assignment.subarray(0, 14)),
    /ConsumerProtocolAssignment: truncated partition/,
  );
});
