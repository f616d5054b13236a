import { loadSchemas } from '../../codegen/load.js';
import { AvrokitError, UsageError } from '../errors.js';
import { SchemaRegistry } from '../registry/schema-registry.js';
import { defineCommand, type Command } from './command.js';
import { standaloneSchema, subjectsFor, topLevelTypes } from './schema-selection.js';

const usage = `Usage: avrokit register <schema files or folders...> [--subject <s> | --topics <file>] [options]

Registers each named top-level type in the given schemas (standalone: the named types it uses defined
inline) under its subject, and prints the schema id and version. Registering an identical schema again
returns its existing id. The registry refuses an incompatible schema (409): run avrokit check first.

  --subject <subject>      with one type: its subject
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
    const url = values['registry-url'] ?? process.env.SCHEMA_REGISTRY_URL;
    if (!url) throw new UsageError('give the registry with --registry-url or SCHEMA_REGISTRY_URL');
    let loaded;
    try {
      loaded = await loadSchemas(positionals);
    } catch (err) {
      if (err instanceof AvrokitError) {
        process.stderr.write(`avrokit: ${err.message} [${err.code}]\n`);
        return 2;
      }
      throw err;
    }
    const types = topLevelTypes(loaded);
    const subjects = subjectsFor(types, values.subject, values.topics);
    const registry = new SchemaRegistry({ url });
    let refused = 0;
    try {
      for (const entry of types) {
        const schema = standaloneSchema(loaded, entry);
        for (const subject of subjects.get(entry.key) ?? []) {
          try {
            const id = await registry.register(subject, schema);
            const { version } = await registry.lookup(subject, schema);
            process.stdout.write(
              `${subject}: ${entry.key} registered, schema id ${id}, version ${version}\n`,
            );
          } catch (err) {
            if (!(err instanceof AvrokitError)) throw err;
            refused++;
            process.stderr.write(`avrokit register: ${subject}: ${err.message} [${err.code}]\n`);
          }
        }
      }
    } finally {
      registry.close();
    }
    return refused === 0 ? 0 : 1;
  },
});
