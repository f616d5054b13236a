import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  rangeAssign,
} from '../../../src/kafka/group-protocol.js';

test('subscriptions and assignments round-trip; an empty assignment is nothing', () => {
  assert.deepEqual(decodeSubscription(encodeSubscription({ topics: ['a', 'ü'] })), { topics: ['a', 'ü'] });
  const assignment = new Map([
    ['a', [0, 2]],
    ['b', [1]],
  ]);
  assert.deepEqual(decodeAssignment(encodeAssignment(assignment)), assignment);
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)), new Map());
});

test("the range assignor splits as Java's RangeAssignor: contiguous ranges per topic, the first members one more", () => {
  // Java's RangeAssignor javadoc: t0 and t1 of 3 partitions each, C0 and C1 → C0 [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2].
  const members = new Map([
    ['C1', { topics: ['t0', 't1'] }],
    ['C0', { topics: ['t0', 't1'] }],
  ]);
  const plan = rangeAssign(
    members,
    new Map([
      ['t0', 3],
      ['t1', 3],
    ]),
  );
  assert.deepEqual(
    plan.get('C0'),
    new Map([
      ['t0', [0, 1]],
      ['t1', [0, 1]],
    ]),
  );
  assert.deepEqual(
    plan.get('C1'),
    new Map([
      ['t0', [2]],
      ['t1', [2]],
    ]),
  );
  // More members than partitions: the last get nothing; a topic only some subscribe to goes to them.
  const crowd = rangeAssign(
    new Map([
      ['a', { topics: ['x'] }],
      ['b', { topics: ['x', 'y'] }],
      ['c', { topics: ['x'] }],
    ]),
    new Map([
      ['x', 2],
      ['y', 2],
    ]),
  );
  assert.deepEqual(crowd.get('a'), new Map([['x', [0]]]));
  assert.deepEqual(
    crowd.get('b'),
    new Map([
      ['x', [1]],
      ['y', [0, 1]],
    ]),
  );
  assert.deepEqual(crowd.get('c'), new Map());
});
