import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findJava, parseJavaMajor } from '../../../src/stack/toolchain.js';

test('parseJavaMajor reads modern and legacy version banners', () => {
  assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15'), 17);
  assert.equal(parseJavaMajor('openjdk version "25.0.3" 2026-04-21 LTS'), 25);
  assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
  assert.equal(parseJavaMajor('java version "1.8.0_392"'), 8);
  assert.equal(parseJavaMajor('not a banner'), undefined);
});

test('a JAVA_HOME without a java binary is a STACK_JAVA_MISSING error naming the path', () => {
  assert.throws(
    () => findJava({ JAVA_HOME: '/nonexistent/jdk' }),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal((err as { code?: string }).code, 'STACK_JAVA_MISSING');
      assert.match(err.message, /\/nonexistent\/jdk\/bin\/java/);
      return true;
    },
  );
});
