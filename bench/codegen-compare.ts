/**
 * `npm run bench:codegen`: our generator against @ovotech/avro-ts on the cases where generated types
 * and avsc's runtime values part ways. For each case the value avsc actually reads (or accepts for
 * writing) is written as a TypeScript literal of each generator's type and type-checked: a type that
 * rejects a real value, or accepts what avsc refuses, is wrong. Prints a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toTypeScript } from '@ovotech/avro-ts';
import avro from 'avsc';
import { generateTypes, writeGenerated } from '../codegen/generate.js';
import { createAvroType } from '../src/avro/avro-type.js';
import { compile, runtimeImportFrom, scratchDir, tsLiteral } from '../test/support/typescript.js';

const fields = [
  { name: 'il', type: ['int', 'long'] },
  { name: 'fx', type: { type: 'fixed', name: 'F', size: 2 } },
  { name: 'by', type: 'bytes' },
  { name: 'opt', type: ['null', 'string'], default: null },
  { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } },
  {
    name: 'two',
    type: [
      'null',
      { type: 'record', name: 'A', fields: [{ name: 'a', type: 'int' }] },
      { type: 'record', name: 'B', fields: [{ name: 'b', type: 'int' }] },
    ],
  },
  { name: 'ext', type: 'other.Address' },
];
const record = { type: 'record', name: 'R', namespace: 'n', fields };
const address = {
  type: 'record',
  name: 'Address',
  namespace: 'other',
  fields: [{ name: 'city', type: 'string' }],
};

interface Case {
  readonly label: string;
  readonly field: string;
  /** What a program passes to avsc for this field, per library's runtime options. */
  readonly sample: { readonly ovo: unknown; readonly ours: unknown };
  readonly wrong?: unknown;
}

const cases: Case[] = [
  { label: '`["int","long"]` union', field: 'il', sample: { ovo: { int: 5 }, ours: { int: 5 } }, wrong: 5 },
  {
    label: '`fixed`',
    field: 'fx',
    sample: { ovo: Buffer.from([1, 2]), ours: Buffer.from([1, 2]) },
    wrong: 'ab',
  },
  { label: '`bytes`', field: 'by', sample: { ovo: Buffer.from([1]), ours: Buffer.from([1]) }, wrong: 'a' },
  { label: 'nullable with default', field: 'opt', sample: { ovo: null, ours: null }, wrong: 5 },
  {
    label: 'timestamp-millis',
    field: 'ts',
    sample: { ovo: 1_700_000_000_000, ours: new Date(1_700_000_000_000) },
    wrong: 'yesterday',
  },
  {
    label: 'decimal(4,2)',
    field: 'dec',
    sample: { ovo: Buffer.from([0x04, 0xd2]), ours: '12.34' },
    wrong: 12.34,
  },
  {
    label: 'union of two records',
    field: 'two',
    sample: { ovo: { 'n.B': { b: 1 } }, ours: { 'n.B': { b: 1 } } },
    wrong: { b: 1 },
  },
  {
    label: 'type from another file',
    field: 'ext',
    sample: { ovo: { city: 'Lyon' }, ours: { city: 'Lyon' } },
    wrong: { town: 'Lyon' },
  },
];

const scratch = scratchDir('bench-codegen');
try {
  // avro-ts: one schema at a time (its documented use); ours: both files read together.
  const ovoDir = join(scratch.dir, 'ovo');
  mkdirSync(ovoDir, { recursive: true });
  // The cross-file case goes in a folder of its own, so its failure does not hide the other cases.
  const withoutExt = { ...record, fields: fields.filter((f) => f.name !== 'ext') };
  writeFileSync(join(ovoDir, 'types.ts'), toTypeScript(withoutExt as avro.Schema));
  const ovoExtDir = join(scratch.dir, 'ovo-ext');
  mkdirSync(ovoExtDir, { recursive: true });
  writeFileSync(join(ovoExtDir, 'types.ts'), toTypeScript(record as avro.Schema));
  const oursDir = join(scratch.dir, 'ours');
  const schemasDir = join(scratch.dir, 'schemas');
  mkdirSync(schemasDir, { recursive: true });
  writeFileSync(join(schemasDir, 'r.avsc'), JSON.stringify(record));
  writeFileSync(join(schemasDir, 'address.avsc'), JSON.stringify(address));
  await writeGenerated(
    oursDir,
    await generateTypes({ inputs: [schemasDir], outDir: oursDir, runtimeImport: runtimeImportFrom(oursDir) }),
  );

  // The runtime each generator's types describe: avsc's defaults for avro-ts, ours for avrokit.
  const registry = {};
  avro.Type.forSchema(address as avro.Schema, { registry });
  const ovoType = avro.Type.forSchema(record as avro.Schema, { registry }) as avro.types.RecordType;
  const oursType = createAvroType({
    ...record,
    fields: [...fields.slice(0, -1), { name: 'ext', type: address }],
  });

  const verdicts: { label: string; ovo: string; ours: string }[] = [];
  const check = (dir: string, typeOf: string, values: { accepted: unknown; refused: unknown }): string => {
    writeFileSync(
      join(dir, 'check.ts'),
      [
        `import type * as G from './${dir === oursDir ? 'index' : 'types'}.js';`,
        `export const accepted: ${typeOf} = ${tsLiteral(values.accepted)};`,
        `export const refused: ${typeOf} = ${tsLiteral(values.refused)};`,
      ].join('\n'),
    );
    const { errors } = compile(dir);
    const onLine = (n: number) => errors.some((e) => e.includes(`check.ts(${n},`));
    const otherFile = errors.some((e) => !e.includes('check.ts('));
    if (otherFile) {
      const first = errors.find((e) => !e.includes('check.ts('));
      return `generated code does not compile (${first?.replace(/^.*error (TS\d+): /, '$1 ').slice(0, 60)})`;
    }
    const problems = [
      ...(onLine(2) ? ['rejects what avsc reads'] : []),
      ...(onLine(3) ? [] : ['accepts what avsc refuses']),
    ];
    return problems.length === 0 ? 'exact' : problems.join('; ');
  };

  for (const c of cases) {
    const field = (type: avro.types.RecordType, name: string) =>
      type.fields.find((f) => f.name === name)!.type;
    const readBack = (type: avro.Type, value: unknown) => type.fromBuffer(type.toBuffer(value));
    const ovoField = field(ovoType, c.field);
    const oursField = field(oursType as unknown as avro.types.RecordType, c.field);
    if (ovoField.isValid(c.wrong) || oursField.isValid(c.wrong))
      throw new Error(`${c.label}: "wrong" is valid`);
    verdicts.push({
      label: c.label,
      ovo: check(c.field === 'ext' ? ovoExtDir : ovoDir, `G.N.R[${JSON.stringify(c.field)}]`, {
        accepted: readBack(ovoField, c.sample.ovo),
        refused: c.wrong,
      }),
      ours: check(oursDir, `G.AvroTypes["n.R"][${JSON.stringify(c.field)}]`, {
        accepted: readBack(oursField, c.sample.ours),
        refused: c.wrong,
      }),
    });
  }

  // Producer input: a record without its defaulted field must be writable.
  const input = { ...readBack(ovoType, sampleRecord('ovo')) } as Record<string, unknown>;
  delete input.ext;
  delete (input as Record<string, unknown>).opt;
  verdicts.push({
    label: 'write without a defaulted field',
    ovo: ovoType.isValid({ ...input, ext: { city: 'Lyon' } })
      ? inputVerdict(ovoDir, 'G.N.R', input)
      : 'avsc refuses',
    ours: inputVerdict(oursDir, 'G.AvroInputs["n.R"]', {
      ...input,
      ext: { city: 'Lyon' },
      ts: new Date(1),
      dec: '1.00',
    }),
  });

  process.stdout.write('| case | @ovotech/avro-ts 6.2.0 | avrokit |\n|---|---|---|\n');
  for (const v of verdicts) process.stdout.write(`| ${v.label} | ${v.ovo} | ${v.ours} |\n`);

  function sampleRecord(lib: 'ovo' | 'ours'): Record<string, unknown> {
    return Object.fromEntries(cases.map((c) => [c.field, c.sample[lib]]));
  }
  function readBack(type: avro.Type, value: unknown): object {
    return type.fromBuffer(type.toBuffer(value)) as object;
  }
  function inputVerdict(dir: string, typeOf: string, value: unknown): string {
    writeFileSync(
      join(dir, 'check.ts'),
      `import type * as G from './${dir === oursDir ? 'index' : 'types'}.js';\nexport const input: ${typeOf} = ${tsLiteral(value)};\n`,
    );
    const { errors } = compile(dir);
    if (errors.some((e) => !e.includes('check.ts('))) return 'generated code does not compile';
    return errors.length === 0 ? 'exact' : 'rejects a value avsc writes';
  }
} finally {
  scratch.dispose();
}
