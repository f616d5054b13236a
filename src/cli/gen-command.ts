import { relative, resolve } from 'node:path';
import { checkGenerated, generateTypes, writeGenerated } from '../../codegen/generate.js';
import { LOGICAL_TYPE_NAMES, type LogicalTypeName } from '../avro/logical-types.js';
import { UsageError } from '../errors.js';
import { defineCommand, type Command } from './command.js';
import { stderrStyle } from './style.js';

const usage = `Usage: avrokit gen <schema files or folders...> --out <dir> [options]

Generates TypeScript from .avsc (and .avdl) files, read together: an interface per record, a
string-literal union per enum, and in <dir>/index.ts the AvroTypes / AvroInputs maps (full name →
type), avroSchemas and avroTypes (the avsc Type of each, built once).

  --out <dir>                  where the TypeScript goes (required)
  --topics <file>              topic map JSON: { "<topic>": { "key": "string", "value": "<full name>" } }
                               → a TopicMap type and the topics bindings for createProducer
  --longs number|bigint        long as number (safe integers, checked) or bigint (default number)
  --plain-logical-types <list> comma-separated logical types to keep as their underlying type
                               (${LOGICAL_TYPE_NAMES.join(', ')})
  --runtime-import <module>    where generated code imports avrokit from (default avrokit)
  --check                      write nothing; exit 1 if the files in <dir> are not what would be generated

Exit codes: 0 done (or up to date), 1 stale (--check), 2 usage or input error (a missing file, an invalid
schema or topic map).`;

export const genCommand: Command = defineCommand({
  name: 'gen',
  summary: 'generate TypeScript types and avsc Types from .avsc schemas',
  usage,
  options: {
    out: { type: 'string', short: 'o' },
    topics: { type: 'string' },
    longs: { type: 'string' },
    'plain-logical-types': { type: 'string' },
    'runtime-import': { type: 'string' },
    check: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the .avsc files or folders to generate from');
    if (!values.out) throw new UsageError('--out <dir> is required');
    if (values.longs !== undefined && values.longs !== 'number' && values.longs !== 'bigint') {
      throw new UsageError(`--longs must be number or bigint, got ${values.longs}`);
    }
    const plain = (values['plain-logical-types'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const name of plain) {
      if (!(LOGICAL_TYPE_NAMES as readonly string[]).includes(name)) {
        throw new UsageError(
          `--plain-logical-types: unknown logical type ${name} (${LOGICAL_TYPE_NAMES.join(', ')})`,
        );
      }
    }
    const files = await generateTypes({
      inputs: positionals,
      outDir: values.out,
      ...(values.topics ? { topics: values.topics } : {}),
      ...(values.longs ? { longs: values.longs } : {}),
      ...(plain.length ? { plainLogicalTypes: plain as LogicalTypeName[] } : {}),
      ...(values['runtime-import'] ? { runtimeImport: values['runtime-import'] } : {}),
    });
    const outDir = resolve(values.out);
    const style = stderrStyle();
    const shown = style.name(relative(process.cwd(), outDir) || '.');
    if (values.check) {
      const { stale, differences } = await checkGenerated(outDir, files);
      if (stale.length === 0) {
        process.stderr.write(
          `${style.ok('✔')} avrokit gen: ${shown} is up to date (${files.length} files)\n`,
        );
        return 0;
      }
      process.stderr.write(
        `${style.fail('✖')} avrokit gen: ${shown} is stale; run avrokit gen again. Differs: ${stale.join(', ')}\n`,
      );
      // The real difference, so a CI log says what changed without a local run.
      for (const d of differences.slice(0, 10)) {
        const line = (text: string | undefined) =>
          text === undefined
            ? 'the end of the file'
            : JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
        process.stderr.write(
          d.what === 'differs'
            ? `  ${d.path} line ${d.line}: generated ${line(d.expected)}, on disk ${line(d.found)}\n`
            : `  ${d.path}: ${d.what}\n`,
        );
      }
      if (differences.length > 10) process.stderr.write(`  … ${differences.length - 10} more\n`);
      return 1;
    }
    const result = await writeGenerated(outDir, files);
    process.stderr.write(
      `${style.ok('✔')} avrokit gen: ${shown}: ${result.written.length} written, ${result.unchanged.length} unchanged` +
        `${result.removed.length ? `, ${result.removed.length} removed (${result.removed.join(', ')})` : ''}\n`,
    );
    return 0;
  },
});
