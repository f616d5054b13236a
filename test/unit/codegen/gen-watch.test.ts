/**
 * `avrokit gen --watch`: generates, then again after each schema change (an invalid one reported, the
 * files left as they were), until it is stopped. Bounded: every wait is for an event, under a deadline.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { builtCli } from '../../support/cli.js';
import { runtimeImportFrom, scratchDir } from '../../support/typescript.js';

const scratch = scratchDir('gen-watch');
after(() => scratch.dispose());

const record = (fields: { name: string; type: string }[]) =>
  JSON.stringify({ type: 'record', name: 'W', namespace: 'watch', fields });

test(
  'gen --watch regenerates after a schema changes, reports an invalid one and goes on, and stops on SIGTERM',
  { timeout: 120_000 },
  async () => {
    const src = join(scratch.dir, 'schemas');
    const out = join(scratch.dir, 'generated');
    mkdirSync(src);
    const file = join(src, 'w.avsc');
    writeFileSync(file, record([{ name: 'a', type: 'int' }]));
    const child = spawn(
      process.execPath,
      [builtCli, 'gen', src, '--out', out, '--runtime-import', runtimeImportFrom(out), '--watch'],
      { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const waiters: { test: () => boolean; resolve: () => void }[] = [];
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      for (const w of waiters.splice(0)) (w.test() ? w.resolve : () => waiters.push(w))();
    });
    /** Resolves once `test` holds, asked again at each line the process writes (a run ends with one). */
    const until = (test: () => boolean) =>
      new Promise<void>((resolve) => {
        if (test()) resolve();
        else waiters.push({ test, resolve });
      });
    const generated = () => readFileSync(join(out, 'watch.W.ts'), 'utf8');
    const seen = (pattern: RegExp) => until(() => pattern.test(stderr));
    const generates = (pattern: RegExp) => until(() => pattern.test(generated()));
    try {
      await seen(/watching /);
      assert.match(generated(), /\n {2}a: number;/);

      writeFileSync(
        file,
        record([
          { name: 'a', type: 'int' },
          { name: 'b', type: 'string' },
        ]),
      );
      await generates(/\n {2}b: string;/);

      writeFileSync(file, record([{ name: 'a', type: 'Nope' }]));
      await seen(/unknown type name "Nope"/);
      assert.match(generated(), /\n {2}b: string;/, 'the files of the last good run stay');

      writeFileSync(file, record([{ name: 'c', type: 'long' }]));
      await generates(/\n {2}c: number;/);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
  },
);
