/**
 * The Apache Avro corpus through the generator: every valid schema generates TypeScript that compiles
 * under `tsc --strict`; random values of every type compile as literals of the generated type and
 * survive a binary round trip; mutated values (a missing field, a value of the wrong kind, an unknown
 * field) do not compile. One tsc run checks all of it: each mutated literal sits under
 * `@ts-expect-error`, so the run fails if any of them compiles.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import avro from 'avsc';
import { generateTypes, writeGenerated } from '../../../codegen/generate.js';
import { SchemaError } from '../../../src/errors.js';
import { corpusDir } from '../../support/corpus.js';
import {
  compile,
  evaluateLiteral,
  randomValue,
  repoRoot,
  runtimeImportFrom,
  scratchDir,
  tsLiteral,
  type CompileResult,
} from '../../support/typescript.js';

const corpus = fileURLToPath(corpusDir());
const INVALID = new Map([
  [
    'lang__c++__jsonschemas__nested.error.avsc',
    /nested\.error\.avsc: \/fields\/1\/type\/0: unknown type name "LongLister"/,
  ],
  ['lang__c++__jsonschemas__verboseint.avsc', /verboseint\.avsc: invalid JSON at line 1, column \d+/],
]);
// These three refer to each other by name, so they are read together.
const TOGETHER = /multipleFile__/;

const files = readdirSync(corpus)
  .filter((f) => f.endsWith('.avsc'))
  .sort();
const groups: string[][] = [
  ...files.filter((f) => !INVALID.has(f) && !TOGETHER.test(f)).map((f) => [f]),
  files.filter((f) => TOGETHER.test(f)),
];

const scratch = scratchDir('corpus');
let compiled: CompileResult;
const summary = { groups: 0, types: 0, values: 0, mutations: 0 };

interface GeneratedModule {
  avroTypes: Record<string, avro.Type>;
}

/** avsc reads records as class instances; compare their contents. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Date)
    return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

/** Kinds of JavaScript value a type refuses at runtime: the compiler must refuse them too. */
function refusedLiteral(type: avro.Type): string {
  const accepts = (...values: unknown[]) => values.some((v) => type.isValid(v));
  if (!accepts(null)) return 'null';
  if (!accepts('x', '2020-01-01', '1.00', '123e4567-e89b-12d3-a456-426614174000')) return '"not-this-kind"';
  if (!accepts(0, 1, 1.5)) return '12345';
  if (!accepts(true, false)) return 'true';
  return 'Symbol("wrong")';
}

before(async () => {
  assert.ok(
    groups.length >= 50,
    `expected the corpus to hold at least 50 valid schemas, found ${groups.length}`,
  );
  for (const [i, group] of groups.entries()) {
    const dir = join(scratch.dir, `g${String(i).padStart(2, '0')}`);
    await mkdir(dir, { recursive: true });
    const generated = await generateTypes({
      inputs: group.map((f) => join(corpus, f)),
      outDir: dir,
      runtimeImport: runtimeImportFrom(dir),
    });
    await writeGenerated(dir, generated);
    const { avroTypes } = (await import(pathToFileURL(join(dir, 'index.ts')).href)) as GeneratedModule;

    const lines = ["import type { AvroTypes } from './index.js';", ''];
    let n = 0;
    for (const [name, type] of Object.entries(avroTypes)) {
      summary.types++;
      const key = `AvroTypes[${JSON.stringify(name)}]`;
      for (let k = 0; k < 3; k++) {
        // One round trip first: a random float is only an Avro float once it is 32 bits.
        const value = type.fromBuffer(type.toBuffer(randomValue(type)));
        const literal = tsLiteral(value);
        const evaluated = evaluateLiteral(literal);
        assert.ok(type.isValid(evaluated), `${group.join('+')} ${name}: literal is not a valid value`);
        assert.deepEqual(
          plain(evaluated),
          plain(value),
          `${group.join('+')} ${name}: literal differs from the value`,
        );
        assert.deepEqual(
          plain(type.fromBuffer(type.toBuffer(evaluated))),
          plain(value),
          `${name}: round trip changed it`,
        );
        lines.push(`export const v${n++}: ${key} = ${literal};`);
        summary.values++;

        if (k > 0 || !(type instanceof avro.types.RecordType) || type.fields.length === 0) continue;
        const record = value as Record<string, unknown>;
        for (const field of type.fields.slice(0, 8)) {
          const { [field.name]: _dropped, ...missing } = record;
          lines.push(`// @ts-expect-error ${name}: field ${field.name} missing`);
          lines.push(`export const m${n++}: ${key} = ${tsLiteral(missing)};`);
          const wrong = refusedLiteral(field.type);
          const mutated = tsLiteral({ ...record, [field.name]: '__WRONG__' }).replace('"__WRONG__"', wrong);
          lines.push(`// @ts-expect-error ${name}: field ${field.name} = ${wrong}`);
          lines.push(`export const m${n++}: ${key} = ${mutated};`);
          summary.mutations += 2;
        }
        lines.push(`// @ts-expect-error ${name}: a field the schema does not have`);
        lines.push(`export const m${n++}: ${key} = ${tsLiteral({ ...record, notInTheSchema: 1 })};`);
        summary.mutations++;
      }
      if (type instanceof avro.types.EnumType) {
        lines.push(`// @ts-expect-error ${name}: not one of the symbols`);
        lines.push(`export const m${n++}: ${key} = "NOT_A_SYMBOL_OF_${type.symbols.length}";`);
        summary.mutations++;
      }
    }
    await writeFile(join(dir, 'values.ts'), `${lines.join('\n')}\n`);
    summary.groups++;
  }
  compiled = compile(scratch.dir);
});

after(() => scratch.dispose());

/** A diagnostic with the source line it is about (and the next, for an unused `@ts-expect-error`). */
function explain(error: string): string {
  const match = /^(.*?)\((\d+),\d+\)/.exec(error);
  if (!match?.[1] || !match[2]) return error;
  const lines = readFileSync(join(repoRoot, match[1]), 'utf8').split('\n');
  const at = Number(match[2]) - 1;
  return `${error}\n    ${lines
    .slice(at, at + 2)
    .join('\n    ')
    .slice(0, 600)}`;
}

test('every valid corpus schema generates TypeScript that compiles under tsc --strict', () => {
  assert.equal(summary.groups, groups.length);
  assert.deepEqual(compiled.errors.slice(0, 20).map(explain), []);
  assert.ok(compiled.ok);
});

test('random values compile as their generated type; mutated values do not', (t) => {
  t.diagnostic(`corpus: ${JSON.stringify(summary)}`);
  // The compile above includes values.ts of every group; these counts show it was not empty.
  assert.ok(summary.types >= 500, `types: ${summary.types}`);
  assert.ok(summary.values >= 3 * summary.types);
  assert.ok(summary.mutations >= 200, `mutations: ${summary.mutations}`);
  assert.ok(compiled.ok);
});

for (const [file, message] of INVALID) {
  test(`${file} fails with an error naming the file and where`, async () => {
    await assert.rejects(
      generateTypes({ inputs: [join(corpus, file)], outDir: join(scratch.dir, 'invalid') }),
      (err: unknown) => {
        assert.ok(err instanceof SchemaError);
        assert.equal(err.code, 'SCHEMA_INVALID');
        assert.match(err.message, message);
        return true;
      },
    );
  });
}
