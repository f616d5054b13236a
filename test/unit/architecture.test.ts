/**
 * The layers import one way (docs/architecture.md): a module imports only from the layers below its
 * own, and no modules import each other in a circle.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/typescript.js';

type Layer =
  | 'base'
  | 'avro'
  | 'schema'
  | 'registry'
  | 'serde'
  | 'evolution'
  | 'kafka'
  | 'producer'
  | 'consumer'
  | 'stack'
  | 'codegen'
  | 'cli'
  | 'entry';

/** What each layer may import, bottom up. */
const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  base: [],
  avro: ['base'],
  schema: ['base', 'avro'],
  registry: ['base', 'avro', 'schema'],
  serde: ['base', 'avro', 'schema', 'registry'],
  evolution: ['base', 'avro', 'schema'],
  // The Kafka protocol both clients speak: connections, record batches, codecs, broker errors.
  kafka: ['base', 'avro'],
  producer: ['base', 'avro', 'schema', 'registry', 'serde', 'kafka'],
  consumer: ['base', 'avro', 'schema', 'registry', 'serde', 'evolution', 'kafka'],
  stack: ['base'],
  codegen: ['base', 'avro', 'schema'],
  cli: [
    'base',
    'avro',
    'schema',
    'registry',
    'serde',
    'evolution',
    'kafka',
    'producer',
    'consumer',
    'stack',
    'codegen',
  ],
  entry: ['base', 'avro', 'schema', 'registry', 'serde', 'evolution', 'kafka', 'producer', 'consumer'],
};

function layerOf(file: string): Layer {
  const path = relative(repoRoot, file);
  // The base: what every layer shares — the errors, and the TLS options of the producer and the registry.
  if (path === 'src/errors.ts' || path === 'src/tls.ts') return 'base';
  if (path === 'src/index.ts') return 'entry';
  if (path.startsWith('codegen/')) return 'codegen';
  const folder = path.split('/')[1] as Layer;
  if (!(folder in MAY_IMPORT)) throw new Error(`${path} is in no layer: add its folder to MAY_IMPORT`);
  return folder;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The project files a module imports (relative specifiers, `.js` written for `.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const files = [...sources(join(repoRoot, 'src')), ...sources(join(repoRoot, 'codegen'))];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

test('every import goes down the layers', () => {
  const wrong: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    for (const target of imports) {
      const to = layerOf(target);
      if (to !== from && !MAY_IMPORT[from].includes(to)) {
        wrong.push(`${relative(repoRoot, file)} (${from}) imports ${relative(repoRoot, target)} (${to})`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  // The rule is not vacuous: the graph has the imports it is about.
  assert.ok([...graph.values()].flat().length > 150);
});

test('no modules import each other in a circle', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(repoRoot, f)).join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});
