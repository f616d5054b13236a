import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AvroSchemaJson } from '../../../src/avro/avro-type.js';
import { checkEvolution } from '../../../src/evolution/evolution.js';
import type { CompatibilityLevel } from '../../../src/schema/compatibility-levels.js';

const customer = (fields: unknown[]) => ({ type: 'record', name: 'Customer', fields });
const v1 = customer([{ name: 'id', type: 'int' }]);
// v2 adds a required field: new readers cannot read v1 data (not backward); v1 readers ignore it (forward).
const v2 = customer([
  { name: 'id', type: 'int' },
  { name: 'name', type: 'string' },
]);
// v3 gives it a default: backward with v2 and v1, forward with v2.
const v3 = customer([
  { name: 'id', type: 'int' },
  { name: 'name', type: 'string', default: '' },
]);

const verdict = (next: AvroSchemaJson, previous: AvroSchemaJson[], level: CompatibilityLevel) =>
  checkEvolution(next, previous, level).compatible;

test('BACKWARD: the new schema reads data written with the latest previous one', () => {
  assert.equal(verdict(v2, [v1], 'BACKWARD'), false);
  assert.equal(verdict(v3, [v1], 'BACKWARD'), true);
  const result = checkEvolution(v2, [v1], 'BACKWARD');
  assert.deepEqual(
    result.checks.map((c) => [
      c.direction,
      c.previousIndex,
      c.incompatibilities.map((i) => [i.kind, i.path]),
    ]),
    [['backward', 0, [['READER_FIELD_MISSING_DEFAULT_VALUE', '/fields/1']]]],
  );
});

test('FORWARD: the latest previous schema reads data written with the new one', () => {
  assert.equal(verdict(v2, [v1], 'FORWARD'), true);
  assert.equal(verdict(v1, [v2], 'FORWARD'), false, 'dropping a field without a default breaks old readers');
});

test('FULL is both directions', () => {
  assert.equal(verdict(v2, [v1], 'FULL'), false);
  assert.equal(verdict(v3, [v1], 'FULL'), true);
});

test('_TRANSITIVE checks every previous version, the plain levels only the latest', () => {
  // A change only the oldest version breaks: v4 still needs `name`, which v1 data lacks.
  const v4 = customer([
    { name: 'id', type: 'int' },
    { name: 'name', type: 'string' },
    { name: 'tier', type: 'string', default: 'basic' },
  ]);
  assert.equal(verdict(v4, [v1, v2], 'BACKWARD'), true, 'v4 reads v2');
  assert.equal(verdict(v4, [v1, v2], 'BACKWARD_TRANSITIVE'), false, 'v4 cannot read v1 (no name)');
  assert.equal(checkEvolution(v4, [v1, v2], 'FULL_TRANSITIVE').checks.length, 4);
});

test('NONE and a first version check nothing; an unknown level is refused', () => {
  assert.deepEqual(checkEvolution(v2, [v1], 'NONE'), { compatible: true, level: 'NONE', checks: [] });
  assert.equal(verdict(v2, [], 'FULL_TRANSITIVE'), true);
  assert.throws(() => checkEvolution(v2, [v1], 'SIDEWAYS' as CompatibilityLevel), /level/);
});
