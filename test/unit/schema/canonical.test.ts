/** Parsing Canonical Form and the 64-bit fingerprint, against Apache Avro's Java SchemaNormalization. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalForm, fingerprint64 } from '../../../src/schema/canonical.js';
import { javaCanonicalForms } from '../../support/avro-oracle.js';
import { corpusDir } from '../../support/corpus.js';

const handWritten: unknown[] = [
  'int',
  { type: 'long', logicalType: 'timestamp-millis' },
  ['null', 'string'],
  {
    type: 'record',
    name: 'Order',
    namespace: 'com.acme',
    doc: 'dropped from the canonical form',
    aliases: ['OldOrder'],
    fields: [
      { name: 'id', type: 'long', default: 0, doc: 'gone too' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'], default: 'NEW' } },
      { name: 'hash', type: { type: 'fixed', name: 'Md5', namespace: 'other', size: 16 } },
      { name: 'again', type: 'Status' },
      { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'string' } } },
      { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
    ],
  },
];

function corpusSchemas(): unknown[] {
  const dir = fileURLToPath(corpusDir());
  return readdirSync(dir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown];
      } catch {
        return []; // not JSON (verboseint.avsc)
      }
    });
}

test('canonical form and fingerprint agree with Java for hand-written schemas and the Avro corpus', () => {
  const schemas = [...handWritten, ...corpusSchemas()];
  const java = javaCanonicalForms(schemas);
  let compared = 0;
  schemas.forEach((schema, i) => {
    const expected = java[i]!;
    if ('error' in expected) return; // a schema Java refuses alone (it uses types from another file)
    const label = JSON.stringify(schema).slice(0, 80);
    assert.equal(canonicalForm(schema as never), expected.form, label);
    assert.equal(fingerprint64(schema as never), expected.fingerprint, label);
    compared++;
  });
  assert.ok(compared >= handWritten.length + 20, `only ${compared} schemas compared`);
});

test('schemas that differ only in docs, aliases, defaults and whitespace share a canonical form', () => {
  const a = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}';
  const b = `{
    "type": "record", "name": "R", "doc": "x", "aliases": ["Q"],
    "fields": [{ "name": "a", "type": "int", "default": 1, "doc": "y" }]
  }`;
  assert.equal(canonicalForm(a), canonicalForm(b));
  assert.equal(fingerprint64(a), fingerprint64(b));
  assert.notEqual(fingerprint64(a), fingerprint64(a.replace('"int"', '"long"')));
});
