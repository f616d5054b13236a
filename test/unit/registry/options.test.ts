import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRegistryOptions } from '../../../src/registry/options.js';
import { SchemaRegistry } from '../../../src/index.js';

test('user-info in the URL becomes basic auth and leaves the URL', () => {
  const options = normalizeRegistryOptions({ url: 'https://ann:p%40ss@registry.example/api/' });
  assert.equal(options.url, 'https://registry.example/api');
  assert.deepEqual(options.auth, { username: 'ann', password: 'p@ss' });
  assert.equal(
    new SchemaRegistry({ url: 'https://ann:pw@registry.example' }).url,
    'https://registry.example',
  );
});

test('invalid options fail at construction naming the option', () => {
  assert.throws(() => normalizeRegistryOptions({ url: 'registry:8081' }), {
    code: 'INVALID_OPTIONS',
    message: /url/,
  });
  assert.throws(() => normalizeRegistryOptions({ url: 'not a url' }), {
    code: 'INVALID_OPTIONS',
    message: /option url/,
  });
  assert.throws(() => normalizeRegistryOptions({ url: 'http://r', retries: -1 }), {
    message: /option retries/,
  });
  assert.throws(() => normalizeRegistryOptions({ url: 'http://r', timeoutMs: 0 }), {
    message: /option timeoutMs/,
  });
  assert.throws(() => normalizeRegistryOptions({ url: 'http://a:b@r', auth: { bearer: 't' } }), {
    message: /both in url and in auth/,
  });
});
