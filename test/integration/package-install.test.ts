/**
 * The README's first screen, followed as written in a new app that installs the `npm pack` tarball:
 * its shell lines, its schema and topic map, its TypeScript, against the test stack. Offline: the
 * registry is not asked; the app's lock file pins avrokit's dependencies (and tsx) to the versions of
 * this repository's lock file, which `npm ci --offline` takes from npm's cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { testCluster } from '../support/cluster.js';
import { repoRoot, scratchDir } from '../support/typescript.js';

const cluster = testCluster();
const scratch = scratchDir('package-install');
after(() => scratch.dispose());

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [more: string]: unknown;
}

/** The repository's lock entries for `names` and everything they need, as Node resolves them. */
function closure(packages: Record<string, LockEntry>, names: readonly string[]): Record<string, LockEntry> {
  const kept: Record<string, LockEntry> = {};
  const resolveFrom = (from: string, name: string): string | undefined => {
    for (let base = from; ;) {
      const path = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[path]) return path;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  const walk = (path: string | undefined) => {
    if (!path || kept[path]) return;
    const entry = packages[path]!;
    kept[path] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
      walk(resolveFrom(path, dep));
  };
  for (const name of names) walk(resolveFrom('', name));
  return kept;
}

/** The Quick start section's fenced blocks, in order, with their language. */
function quickStart(): { lang: string; code: string }[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Quick start'),
    readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1),
  );
  return [...section.matchAll(/```(\w+)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

test(
  "the README's first screen works in a new app that installed the npm pack tarball",
  { timeout: 300_000 },
  () => {
    const app = scratch.dir;
    const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
      const r = spawnSync(command, args, { cwd: app, env, encoding: 'utf8' });
      assert.equal(r.status, 0, `${command} ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      return r.stdout;
    };

    const packed = JSON.parse(
      run('npm', ['pack', repoRoot, '--ignore-scripts', '--json', '--pack-destination', app]),
    ) as [{ filename: string }];
    const tarball = packed[0].filename;

    // `npm install avrokit` and `npm install --save-dev tsx`, offline: a lock file from this repository's.
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
      license: string;
      dependencies: Record<string, string>;
      engines: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const tsxVersion = lock.packages['node_modules/tsx']!.version!;
    const manifest = {
      name: 'app',
      version: '1.0.0',
      private: true,
      dependencies: { avrokit: `file:${tarball}` },
      devDependencies: { tsx: tsxVersion },
    };
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
    const packages: Record<string, LockEntry> = {
      '': {
        name: 'app',
        version: '1.0.0',
        dependencies: manifest.dependencies,
        devDependencies: manifest.devDependencies,
      },
      'node_modules/avrokit': {
        version: pkg.version,
        resolved: `file:${tarball}`,
        license: pkg.license,
        dependencies: pkg.dependencies,
        bin: { avrokit: 'dist/src/cli/main.js' },
        engines: pkg.engines,
      },
    };
    const runtime = closure(lock.packages, Object.keys(pkg.dependencies));
    for (const [path, entry] of Object.entries(closure(lock.packages, ['tsx']))) {
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
      packages[path] = runtime[path] ? rest : { ...rest, dev: true };
    }
    for (const [path, entry] of Object.entries(runtime)) {
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
      packages[path] = rest;
    }
    writeFileSync(
      join(app, 'package-lock.json'),
      JSON.stringify(
        { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages },
        null,
        2,
      ),
    );
    run('npm', ['ci', '--offline', '--no-audit', '--no-fund']);

    // The rest as written: the shell lines (but the two installs, done above), the files, the program.
    const blocks = quickStart();
    const shell = blocks
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => b.code.split('\n'))
      .filter((line) => line.trim() && !/^npm install /.test(line));
    assert.ok(
      shell.some((l) => l.startsWith('npx avrokit gen ')),
      shell.join('\n'),
    );
    const [schema, topicMap] = blocks.filter((b) => b.lang === 'json');
    mkdirSync(join(app, 'schemas'));
    writeFileSync(join(app, 'schemas', 'customer.avsc'), schema!.code);
    writeFileSync(join(app, 'topics.json'), topicMap!.code);
    const program = blocks.find((b) => b.lang === 'ts');
    writeFileSync(join(app, 'send.ts'), program!.code);

    // With the test cluster named, `stack up` starts nothing and exports it, as the README says.
    const env = {
      ...process.env,
      KAFKA_BROKERS: cluster.brokers.join(','),
      SCHEMA_REGISTRY_URL: cluster.registryUrl,
      NO_COLOR: '1',
    };
    const out = run('bash', ['-c', `set -e\n${shell.join('\n')}\nnpx tsx send.ts`], env);
    assert.match(out, /sent to partition \d+, offset \d+/);
    const installed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { type?: string };
    assert.equal(installed.type, 'module');
    assert.match(readFileSync(join(app, 'generated', 'index.ts'), 'utf8'), /from "avrokit"/);
  },
);
