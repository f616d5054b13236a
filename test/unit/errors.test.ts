/** Errors: one recognisable kind, whichever copy of avrokit raised them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvrokitError, isAvrokitError, SchemaError } from '../../src/errors.js';

test('isAvrokitError recognises an error of another copy of the package, where instanceof does not', async () => {
  // A second instance of the module, as when an application and a library each bundle avrokit.
  const other = (await import(
    new URL('../../src/errors.ts?another-copy', import.meta.url).href
  )) as typeof import('../../src/errors.js');
  assert.notEqual(other.AvrokitError, AvrokitError, 'the test needs a second copy');
  const foreign = new other.SchemaError('SCHEMA_INVALID', 'bad schema');
  assert.equal(foreign instanceof AvrokitError, false);
  assert.equal(isAvrokitError(foreign), true);
  assert.equal(other.isAvrokitError(new SchemaError('SCHEMA_INVALID', 'x')), true);
  assert.equal(isAvrokitError(new Error('plain')), false);
  assert.equal(isAvrokitError({ code: 'SCHEMA_INVALID', message: 'looks like one' }), false);
  assert.equal(isAvrokitError(undefined), false);
});
