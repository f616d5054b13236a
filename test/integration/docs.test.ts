/**
 * The docs run as written: every ```ts block of README.md and docs/*.md is type-checked against the
 * sources, and the blocks marked ```ts run are run against the test stack, after creating the topics
 * of schemas/topics.json as the README says to.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { testCluster } from '../support/cluster.js';
import {
  APP_COMPILER_OPTIONS,
  generateExamples,
  repoRoot,
  scratchDir,
  tscOf,
} from '../support/typescript.js';

interface Block {
  /** `README.md:42`: where the block starts. */
  readonly where: string;
  readonly file: string;
  readonly code: string;
  readonly run: boolean;
}

/** The ```ts blocks of a Markdown file; `ts run` marks a complete program that talks to the stack. */
function blocksOf(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)(\s+run)?\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith('```')) i++;
    const where = `${relative(repoRoot, path)}:${start}`;
    const name = where.replace(/[^a-zA-Z0-9]+/g, '-');
    blocks.push({ where, file: `${name}.ts`, code: lines.slice(start, i + 1).join('\n'), run: !!open[2] });
    i++;
  }
  return blocks;
}

const docs = [
  join(repoRoot, 'README.md'),
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(repoRoot, 'docs', f)),
];
const blocks = docs.flatMap(blocksOf);
const scratch = scratchDir('docs');
after(() => scratch.dispose());

/**
 * A folder where the blocks see what a user's app sees: `avrokit` and its subpaths (here: the sources) and
 * `./generated/index.js` (here: generated from schemas/ with `avrokit gen --topics`).
 */
function setUp(): void {
  generateExamples(join(scratch.dir, 'generated'));
  writeFileSync(
    join(scratch.dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...APP_COMPILER_OPTIONS,
        paths: {
          avrokit: [join(repoRoot, 'src', 'index.ts')],
          'avrokit/codegen': [join(repoRoot, 'codegen', 'index.ts')],
          'avrokit/stack': [join(repoRoot, 'src', 'stack', 'index.ts')],
        },
      },
      include: ['*.ts', 'generated/*.ts'],
    }),
  );
  for (const block of blocks) {
    // A block without imports is a script to tsc; `export {}` makes each its own module.
    writeFileSync(join(scratch.dir, block.file), `${block.code}\nexport {};\n`);
  }
}
setUp();

test('README.md and docs/ have TypeScript blocks, some of them marked to run', () => {
  assert.ok(
    blocks.some((b) => b.where.startsWith('README.md') && b.run),
    'the README quick start runs',
  );
  assert.ok(blocks.filter((b) => b.run).length >= 3, blocks.map((b) => b.where).join(', '));
});

test('every TypeScript block of the docs type-checks against the sources', () => {
  const result = spawnSync(process.execPath, [tscOf('5'), '-p', join(scratch.dir, 'tsconfig.json')], {
    encoding: 'utf8',
    cwd: scratch.dir,
  });
  // Diagnostics name the block's file; say which doc and line it came from.
  const byFile = new Map(blocks.map((b) => [b.file, b.where]));
  const report = `${result.stdout}${result.stderr}`.replace(/^([\w-]+\.ts)/gm, (f) => byFile.get(f) ?? f);
  assert.equal(result.status, 0, report);
});

const cluster = testCluster();
const env = {
  ...process.env,
  KAFKA_BROKERS: cluster.brokers.join(','),
  SCHEMA_REGISTRY_URL: cluster.registryUrl,
};

test('the blocks marked to run run against the stack, after avrokit topics create', () => {
  const topics = runCli(['topics', 'create', '--topics', join(repoRoot, 'schemas', 'topics.json')], env);
  assert.equal(topics.status, 0, topics.stderr);
  for (const block of blocks.filter((b) => b.run)) {
    // tsx maps `avrokit` to the sources with the folder's tsconfig paths.
    const run = spawnSync(process.execPath, ['--import', 'tsx', block.file], {
      cwd: scratch.dir,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, `${block.where}:\n${run.stdout}${run.stderr}`);
  }
});
