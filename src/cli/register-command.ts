import { loadSchemas } from '../schema/load.js';
import { AvrokitError, UsageError } from '../errors.js';
import { isNotFound, RegistryError } from '../registry/errors.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { defineCommand, type Command } from './command.js';
import { registryOptionsFrom, registryUrlFrom } from './environment.js';
import { errorLine, stdoutStyle } from './style.js';
import {
  describeStrategy,
  standaloneSchema,
  subjectsFor,
  topLevelTypes,
  type SubjectStrategy,
} from './schema-selection.js';

const usage = `Usage: avrokit register <schema files or folders...> [--subject <s> | --topics <file>] [options]

Registers each named top-level type in the given schemas (standalone: the named types it uses defined
inline) under its subject, and prints the subject, how it was named, the schema id and the version.
A schema the subject already holds is not registered again: the line says "already registered as
version n". The registry refuses an incompatible schema (409): run avrokit check first.

  --subject <subject>      the subject of the one type the files are for: the files may also define the
                           types it uses (avrokit register order.avsc address.avsc --subject orders-value)
  --topics <file>          topic map: <topic>-value (and <topic>-key for Avro keys)
                           (default: each type's full name, as with RecordNameStrategy)
  --registry-url <url>     the registry (default: SCHEMA_REGISTRY_URL)
  --format text|json       (default text; json: one object, its shape in docs/cli.md)

Exit codes: 0 registered (or already registered), 1 refused by the registry, 2 usage or input error.`;

/** One subject's outcome, as --format json prints it (documented in docs/cli.md). */
interface RegisterResult {
  readonly subject: string;
  readonly strategy: SubjectStrategy;
  readonly type: string;
  readonly file: string;
  readonly status: 'registered' | 'already-registered' | 'refused';
  readonly id?: number;
  readonly version?: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export const registerCommand: Command = defineCommand({
  name: 'register',
  summary: 'register schemas under their subjects in the schema registry',
  usage,
  options: {
    subject: { type: 'string' },
    topics: { type: 'string' },
    'registry-url': { type: 'string' },
    format: { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the schema files or folders to register');
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError('--format must be text or json');
    const url = registryUrlFrom(values['registry-url']);
    const loaded = await loadSchemas(positionals);
    const types = topLevelTypes(loaded);
    const subjects = await subjectsFor(loaded, types, values.subject, values.topics);
    const registry = new SchemaRegistry(registryOptionsFrom(url));
    const out = stdoutStyle();
    const results: RegisterResult[] = [];
    try {
      for (const entry of types) {
        const schema = standaloneSchema(loaded, entry);
        for (const { subject, strategy } of subjects.get(entry.key) ?? []) {
          const about = { subject, strategy, type: entry.key, file: entry.location.file };
          try {
            const before = await registry.lookup(subject, schema).catch((err: unknown) => {
              if (isNotFound(err)) return undefined;
              throw err;
            });
            const { id, version } = before ?? {
              id: await registry.register(subject, schema),
              version: (await registry.lookup(subject, schema)).version,
            };
            const status = before ? 'already-registered' : 'registered';
            results.push({ ...about, status, id, version });
            if (format === 'text') {
              const what = before ? 'already registered' : 'registered';
              process.stdout.write(
                `${out.ok('✔')} ${out.name(subject)}: ${entry.key} ${what} as version ${version}, schema id ${id} ` +
                  `(subject ${describeStrategy(strategy)})\n`,
              );
            }
          } catch (err) {
            if (!(err instanceof AvrokitError)) throw err;
            const message =
              err instanceof RegistryError && err.code === 'REGISTRY_INCOMPATIBLE'
                ? await incompatible(registry, subject, entry.key, entry.location.file, err)
                : err;
            results.push({
              ...about,
              status: 'refused',
              error: { code: message.code, message: message.message },
            });
            process.stderr.write(errorLine(message, 'avrokit register'));
          }
        }
      }
    } finally {
      registry.close();
    }
    const refused = results.filter((r) => r.status === 'refused').length;
    if (format === 'json')
      process.stdout.write(`${JSON.stringify({ ok: refused === 0, subjects: results }, null, 2)}\n`);
    if (results.some((r) => r.strategy === 'RecordNameStrategy')) {
      // Producers and consumers default to TopicNameStrategy: a schema registered under its full name
      // is not where they look, so the default is said, not just applied.
      process.stderr.write(
        "avrokit register: subjects are the types' full names (RecordNameStrategy), the default without " +
          '--topics or --subject; a producer with the default TopicNameStrategy looks under <topic>-value: ' +
          'pass --topics <topic map> for that\n',
      );
    }
    return refused === 0 ? 0 : 1;
  },
});

/**
 * The registry's 409 names neither the level nor what breaks (Apicurio's is a RuleViolationException
 * dump): say which subject and level refused it, and where the details are.
 */
async function incompatible(
  registry: SchemaRegistry,
  subject: string,
  type: string,
  file: string,
  refusal: RegistryError,
): Promise<RegistryError> {
  const level = await registry.getCompatibility(subject).catch(() => undefined);
  const why = level
    ? `under the subject's compatibility level, ${level}, it cannot follow the registered version(s)`
    : 'it is incompatible with the registered version(s)';
  return new RegistryError(
    'REGISTRY_INCOMPATIBLE',
    `${subject}: the registry refused ${type}: ${why}; for what breaks and how to fix it, run ` +
      `avrokit check ${file} --against registry --subject ${subject}`,
    { cause: refusal, context: { ...refusal.context, subject, ...(level ? { level } : {}) } },
  );
}
