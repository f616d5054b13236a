import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../../src/kafka/group-protocol.js';

test('subscriptions of every version round-trip, fields a version lacks read as their defaults', () => {
  const owned = new Map([
    ['b', [2, 0]],
    ['a', [1]],
  ]);
  const full = {
    topics: ['ü', 'a'],
    userData: Buffer.from([0, 0, 0, 7]),
    ownedPartitions: owned,
    generationId: 7,
    rackId: 'r1',
  };
  // Java's ConsumerProtocol writes topics sorted and owned partitions sorted by topic, then partition.
  assert.deepEqual(decodeSubscription(encodeSubscription(full, 3)), {
    topics: ['a', 'ü'],
    userData: Buffer.from([0, 0, 0, 7]),
    ownedPartitions: new Map([
      ['a', [1]],
      ['b', [0, 2]],
    ]),
    generationId: 7,
    rackId: 'r1',
  });
  assert.deepEqual(decodeSubscription(encodeSubscription(full, 0)), {
    topics: ['a', 'ü'],
    userData: Buffer.from([0, 0, 0, 7]),
    ownedPartitions: new Map(),
    generationId: -1,
    rackId: null,
  });
  assert.equal(decodeSubscription(encodeSubscription(full, 1)).generationId, -1);
  assert.equal(decodeSubscription(encodeSubscription(full, 2)).generationId, 7);
  assert.equal(decodeSubscription(encodeSubscription({ topics: ['t'] })).userData, null);
});

test('assignments round-trip; an empty assignment is nothing', () => {
  const assignment = new Map([
    ['a', [0, 2]],
    ['b', [1]],
  ]);
  assert.deepEqual(decodeAssignment(encodeAssignment(assignment)), assignment);
  assert.deepEqual(decodeAssignment(encodeAssignment(assignment, 0)), assignment);
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), new Map());
});
