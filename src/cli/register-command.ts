import { loadSchemas } from '../schema/load.js';
import { AvrokitError, UsageError } from '../errors.js';
import { RegistryError } from '../registry/errors.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { defineCommand, type Command } from './command.js';
import { registryOptionsFrom, registryUrlFrom } from './environment.js';
import { errorLine, stdoutStyle } from './style.js';
import { standaloneSchema, subjectsFor, topLevelTypes } from './schema-selection.js';

const usage = `Usage: avrokit register <schema files or folders...> [--subject <s> | --topics <file>] [options]

Registers each named top-level type in the given schemas (standalone: the named types it uses defined
inline) under its subject, and prints the schema id and version. Registering an identical schema again
returns its existing id. The registry refuses an incompatible schema (409): run avrokit check first.

  --subject <subject>      the subject of the one type the files are for: the files may also define the
                           types it uses (avrokit register order.avsc address.avsc --subject orders-value)
  --topics <file>          topic map: <topic>-value (and <topic>-key for Avro keys)
                           (default: each type's full name, as with RecordNameStrategy)
  --registry-url <url>     the registry (default: SCHEMA_REGISTRY_URL)

Exit codes: 0 registered, 1 refused by the registry, 2 usage or input error.`;

export const registerCommand: Command = defineCommand({
  name: 'register',
  summary: 'register schemas under their subjects in the schema registry',
  usage,
  options: {
    subject: { type: 'string' },
    topics: { type: 'string' },
    'registry-url': { type: 'string' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new UsageError('give the schema files or folders to register');
    const url = registryUrlFrom(values['registry-url']);
    const loaded = await loadSchemas(positionals);
    const types = topLevelTypes(loaded);
    const subjects = await subjectsFor(loaded, types, values.subject, values.topics);
    const registry = new SchemaRegistry(registryOptionsFrom(url));
    const out = stdoutStyle();
    let refused = 0;
    try {
      for (const entry of types) {
        const schema = standaloneSchema(loaded, entry);
        for (const subject of subjects.get(entry.key) ?? []) {
          try {
            const id = await registry.register(subject, schema);
            const { version } = await registry.lookup(subject, schema);
            process.stdout.write(
              `${out.ok('✔')} ${out.name(subject)}: ${entry.key} registered, schema id ${id}, version ${version}\n`,
            );
          } catch (err) {
            if (!(err instanceof AvrokitError)) throw err;
            refused++;
            const message =
              err instanceof RegistryError && err.code === 'REGISTRY_INCOMPATIBLE'
                ? await incompatible(registry, subject, entry.key, entry.location.file, err)
                : err;
            process.stderr.write(errorLine(message, 'avrokit register'));
          }
        }
      }
    } finally {
      registry.close();
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
