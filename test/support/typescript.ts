import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { runCli } from './cli.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A scratch folder inside the repository (so generated code resolves avsc, @types/node and the
 * runtime), removed by `dispose`.
 */
export function scratchDir(prefix: string): { dir: string; dispose(): void } {
  const parent = join(repoRoot, '.avrokit', 'test');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `${prefix}-`));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The import path of avrokit's runtime as seen from a generated folder. */
export function runtimeImportFrom(dir: string): string {
  return `${relative(dir, join(repoRoot, 'src', 'index.js'))
    .split('\\')
    .join('/')}`;
}

export interface CompileResult {
  readonly ok: boolean;
  /** tsc's diagnostics, one per line. */
  readonly errors: readonly string[];
}

/** The TypeScript compilers the project supports: `typescript` (5.x) and the alias `typescript-7`. */
export const TYPESCRIPT_VERSIONS = ['5', '7'] as const;
export type TypeScriptVersion = (typeof TYPESCRIPT_VERSIONS)[number];

/** The `tsc` of one TypeScript version, by path: both packages install a bin named tsc. */
export function tscOf(version: TypeScriptVersion): string {
  return join(repoRoot, 'node_modules', version === '5' ? 'typescript' : 'typescript-7', 'bin', 'tsc');
}

/** What a new app's tsconfig says: `--strict`, NodeNext, type-check only. */
export const APP_COMPILER_OPTIONS = {
  target: 'ES2022',
  lib: ['ES2023'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
} as const;

/**
 * Code generated from the example schemas (schemas/, with schemas/topics.json) by the built CLI, into
 * `outDir`: what `./generated/index.js` is in the docs' examples.
 */
export function generateExamples(outDir: string, extra: readonly string[] = []): void {
  const gen = runCli([
    'gen',
    join(repoRoot, 'schemas'),
    '--out',
    outDir,
    '--topics',
    join(repoRoot, 'schemas', 'topics.json'),
    ...extra,
  ]);
  if (gen.status !== 0) throw new Error(`avrokit gen failed: ${gen.stderr}`);
}

/** Type-checks the given folder with `tsc --strict` (and the repository's other strictness flags). */
export function compile(dir: string, version: TypeScriptVersion = '5'): CompileResult {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...APP_COMPILER_OPTIONS,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        noUnusedLocals: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
      },
      include: ['./**/*.ts'],
    }),
  );
  const result = spawnSync(process.execPath, [tscOf(version), '-p', join(dir, 'tsconfig.json')], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
  const errors = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes('error TS'));
  return { ok: result.status === 0, errors };
}

/** The value as a TypeScript expression that evaluates to an equal value. */
export function tsLiteral(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) return `Buffer.from(${JSON.stringify(value.toString('hex'))}, "hex")`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(', ')}]`;
  if (typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${tsLiteral(v)}`)
      .join(', ')} }`;
  }
  throw new Error(`no literal for ${typeof value}`);
}

/** Evaluates a literal written by {@link tsLiteral}. */
export function evaluateLiteral(literal: string): unknown {
  return new Function('Buffer', `return (${literal});`)(Buffer) as unknown;
}

/**
 * avsc's `random()`, or for recursive types where it overflows the stack, a value built the same way
 * but bounded in depth (null branches, empty arrays and maps once deep enough).
 */
export function randomValue(type: avro.Type): unknown {
  try {
    return type.random();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return boundedRandom(type, 0);
  }
}

/** A random value built like avsc's `random()`, bounded in depth from the start: no stack overflow, whose point varies between runs, decides what it consumes of the random sequence. */
export function boundedRandomValue(type: avro.Type): unknown {
  return boundedRandom(type, 0);
}

function boundedRandom(type: avro.Type, depth: number): unknown {
  const deep = depth > 6;
  if (type instanceof avro.types.RecordType) {
    const Record = type.recordConstructor as new (...args: unknown[]) => unknown;
    return new Record(...type.fields.map((f) => boundedRandom(f.type, depth + 1)));
  }
  if (type instanceof avro.types.ArrayType) {
    return deep ? [] : [boundedRandom(type.itemsType, depth + 1)];
  }
  if (type instanceof avro.types.MapType) {
    return deep ? {} : { k: boundedRandom(type.valuesType, depth + 1) };
  }
  if (type instanceof avro.types.WrappedUnionType || type instanceof avro.types.UnwrappedUnionType) {
    const branches = type.types;
    const index =
      deep && branches.some((b) => b.typeName === 'null')
        ? branches.findIndex((b) => b.typeName === 'null')
        : Math.floor(Math.random() * branches.length);
    const branch = branches[index]!;
    const value = boundedRandom(branch, depth + 1);
    if (value === null || type instanceof avro.types.UnwrappedUnionType) return value;
    return { [branch.branchName ?? branch.typeName]: value };
  }
  return type.random();
}
