import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { checkGenerated, generateTypes, writeGenerated } from '../../codegen/generate.js';
import { LOGICAL_TYPE_NAMES, type LogicalTypeName } from '../avro/logical-types.js';
import { UsageError } from '../errors.js';
import { defineCommand, type Command } from './command.js';
import { errorLine, stderrStyle } from './style.js';

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
  --watch                      generate, then again whenever a schema or the topic map changes, until
                               Ctrl-C (an invalid schema is reported and the files are left as they were)

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
    watch: { type: 'boolean' },
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
    if (values.watch && values.check) throw new UsageError('--watch and --check do not go together');
    const generate = () =>
      generateTypes({
        inputs: positionals,
        outDir: values.out!,
        ...(values.topics ? { topics: values.topics } : {}),
        ...(values.longs ? { longs: values.longs as 'number' | 'bigint' } : {}),
        ...(plain.length ? { plainLogicalTypes: plain as LogicalTypeName[] } : {}),
        ...(values['runtime-import'] ? { runtimeImport: values['runtime-import'] } : {}),
      });
    const outDir = resolve(values.out);
    const style = stderrStyle();
    const shown = style.name(relative(process.cwd(), outDir) || '.');
    const writeOnce = async () => {
      const result = await writeGenerated(outDir, await generate());
      process.stderr.write(
        `${style.ok('✔')} avrokit gen: ${shown}: ${result.written.length} written, ${result.unchanged.length} unchanged` +
          `${result.removed.length ? `, ${result.removed.length} removed (${result.removed.join(', ')})` : ''}\n`,
      );
    };
    if (values.watch) {
      await writeOnce();
      const watched = [...positionals, ...(values.topics ? [values.topics] : [])].map((p) => resolve(p));
      await watchAndRegenerate(watched, outDir, async () => {
        try {
          await writeOnce();
        } catch (err) {
          // The edit loop goes on: the next save may fix it, and nothing was written.
          process.stderr.write(errorLine(err, 'avrokit gen'));
        }
      });
      return 0;
    }
    const files = await generate();
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
    await writeOnce();
    return 0;
  },
});

/**
 * Calls `regenerate` after each change to the schema files and folders (and the topic map) until
 * SIGINT or SIGTERM. Files are watched through their folder, as editors often save by renaming a new
 * file over the old one. Changes inside the output folder are not schema changes. Events that arrive
 * while a run is under way are gathered into one more run after it.
 */
async function watchAndRegenerate(
  paths: readonly string[],
  outDir: string,
  regenerate: () => Promise<void>,
): Promise<void> {
  const watchers: FSWatcher[] = [];
  let running: Promise<void> | undefined;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await regenerate();
      } while (again);
      running = undefined;
    })();
  };
  const isSchema = (file: string) => /\.(avsc|avdl|json)$/.test(file);
  const insideOut = (file: string) => file === outDir || file.startsWith(`${outDir}${sep}`);
  for (const path of paths) {
    const folder = (await stat(path)).isDirectory();
    const dir = folder ? path : dirname(path);
    watchers.push(
      watch(dir, { recursive: folder }, (_event, name) => {
        if (name === null) return run();
        const file = join(dir, name.toString());
        if (folder ? isSchema(file) && !insideOut(file) : basename(file) === basename(path)) run();
      }),
    );
  }
  process.stderr.write(
    `avrokit gen: watching ${paths.map((p) => relative(process.cwd(), p) || '.').join(', ')} (Ctrl-C to stop)\n`,
  );
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  for (const w of watchers) w.close();
  await running;
}
