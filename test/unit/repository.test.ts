/** A clone of this repository is all its tests, docs and main job need: nothing beside it. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { corpusDir } from '../support/corpus.js';
import { repoRoot } from '../support/typescript.js';

const SKIPPED = new Set(['node_modules', 'dist', '.avrokit', '.git']);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (SKIPPED.has(entry)) return [];
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('no file reaches outside the repository (no shared folder beside it)', () => {
  // Spelt in pieces, so that this file does not find itself.
  const outside = [['..', 'shared'].join('/'), ['/work', ''].join('/'), ['SPEC', 'md'].join('.')];
  const found = filesUnder(repoRoot)
    .filter((f) => /\.(ts|js|json|md|sh)$|^run$/.test(f.split('/').pop() ?? ''))
    .flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return outside.filter((s) => text.includes(s)).map((s) => `${relative(repoRoot, file)}: ${s}`);
    });
  assert.deepEqual(found, []);
});

test('the Avro corpus is vendored with where it came from and its licence', () => {
  const dir = corpusDir();
  const schemas = readdirSync(dir).filter((f) => f.endsWith('.avsc'));
  assert.equal(schemas.length, 59);
  const readme = readFileSync(new URL('../README.md', dir), 'utf8');
  assert.match(readme, /apache\/avro/);
  assert.match(readme, /87212a6d47247a30dff247d16386d722c56d4390/);
  assert.match(readme, /Apache License, Version 2\.0/);
  assert.match(readFileSync(new URL('../NOTICE', dir), 'utf8'), /The Apache Software Foundation/);
});

test('npm pack tarballs are not committed by accident', () => {
  assert.match(readFileSync(join(repoRoot, '.gitignore'), 'utf8'), /^\*\.tgz$/m);
});
