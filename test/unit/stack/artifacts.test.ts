import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureKafka } from '../../../src/stack/artifacts.js';
import { resolveStackOptions } from '../../../src/stack/options.js';

/**
 * A stand-in for `mvn` that records each call and "copies" one jar into -DoutputDirectory, so the cache
 * logic is tested without Maven Central.
 */
function fakeMaven(dir: string): { mvn: string; calls: () => number } {
  const mvn = join(dir, 'mvn');
  const log = join(dir, 'calls');
  writeFileSync(log, '');
  writeFileSync(
    mvn,
    [
      '#!/bin/sh',
      `echo call >> '${log}'`,
      'for arg; do case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}";; esac; done',
      'mkdir -p "$out" && touch "$out/fake.jar"',
      '',
    ].join('\n'),
  );
  chmodSync(mvn, 0o755);
  return { mvn, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
}

test('a cached Kafka classpath is reused, and rebuilt when it was fetched with other jars', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'avrokit-artifacts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { mvn, calls } = fakeMaven(dir);
  const options = resolveStackOptions({ AVROKIT_CACHE_DIR: dir, AVROKIT_KAFKA_VERSION: '4.4.0' });
  const cached = join(dir, 'kafka-4.4.0');

  assert.equal(ensureKafka(options, mvn).classpath, join(cached, 'libs', '*'));
  assert.equal(calls(), 1);
  assert.match(readFileSync(join(cached, 'pom.xml'), 'utf8'), /<artifactId>log4j-slf4j-impl<\/artifactId>/);
  ensureKafka(options, mvn);
  assert.equal(calls(), 1, 'a complete cache is not fetched again');

  // As an avrokit that gave every Kafka the 3.x logging backend left it.
  const stale = readFileSync(join(cached, 'pom.xml'), 'utf8').replace('log4j-slf4j-impl', 'slf4j-reload4j');
  writeFileSync(join(cached, 'pom.xml'), stale);
  ensureKafka(options, mvn);
  assert.equal(calls(), 2);
  assert.doesNotMatch(readFileSync(join(cached, 'pom.xml'), 'utf8'), /slf4j-reload4j/);
  assert.ok(existsSync(join(cached, 'libs', 'fake.jar')));
});
