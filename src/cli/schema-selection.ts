import { resolve } from 'node:path';
import type { LoadedSchemas, SchemaEntry } from '../schema/load.js';
import { readTopicMap } from '../schema/topic-map.js';
import { assembleSchema } from '../schema/assemble.js';
import type { AvroSchemaJson } from '../avro/avro-type.js';
import { UsageError } from '../errors.js';

/** Top-level named types: what gets registered; nested types travel inside them. */
export function topLevelTypes(loaded: LoadedSchemas): SchemaEntry[] {
  return loaded.entries.filter(
    (e) => e.kind !== 'anonymous' && /^(|\/\d+|\/types\/\d+)$/.test(e.location.pointer),
  );
}

/** A type's standalone schema (the named types it uses defined inline). */
export function standaloneSchema(loaded: LoadedSchemas, entry: SchemaEntry): AvroSchemaJson {
  return assembleSchema(entry.root, loaded.definitions);
}

/**
 * The one type a `--subject` is for. Files given with it may also define the types it uses (each is a
 * top-level type of its own file): the type to register is the one no other given type uses.
 */
function subjectType(loaded: LoadedSchemas, types: readonly SchemaEntry[]): SchemaEntry {
  if (types.length === 1) return types[0]!;
  const usedByOthers = new Set<string>();
  for (const t of types) {
    for (const name of namedTypesIn(standaloneSchema(loaded, t))) if (name !== t.key) usedByOthers.add(name);
  }
  const roots = types.filter((t) => !usedByOthers.has(t.key));
  if (roots.length === 1) return roots[0]!;
  throw new UsageError(
    `--subject names one subject, but the schemas hold ${roots.length} types that none of the others use ` +
      `(${roots.map((t) => t.key).join(', ')}); give the file of the type to register and the files of the types it uses`,
  );
}

/** Full names of the named types defined in a standalone schema (each is defined once, inline). */
function namedTypesIn(schema: unknown, namespace = '', names = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const branch of schema) namedTypesIn(branch, namespace, names);
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return names;
  const node = schema as Record<string, unknown>;
  if (typeof node.type !== 'string') return namedTypesIn(node.type, namespace, names);
  let own = namespace;
  if (typeof node.name === 'string' && ['record', 'error', 'enum', 'fixed'].includes(node.type)) {
    own = node.name.includes('.')
      ? node.name.slice(0, node.name.lastIndexOf('.'))
      : typeof node.namespace === 'string'
        ? node.namespace
        : namespace;
    names.add(node.name.includes('.') || !own ? node.name : `${own}.${node.name}`);
  }
  if (Array.isArray(node.fields))
    for (const f of node.fields) namedTypesIn((f as { type: unknown }).type, own, names);
  namedTypesIn(node.items, namespace, names);
  namedTypesIn(node.values, namespace, names);
  return names;
}

/** How a subject was named: given with `--subject`, `<topic>-value`/`-key` from `--topics`, or the full name. */
export type SubjectStrategy = 'subject-option' | 'TopicNameStrategy' | 'RecordNameStrategy';

export interface SubjectChoice {
  readonly subject: string;
  readonly strategy: SubjectStrategy;
}

/** The strategy, as every line of `check` and `register` names it. */
export function describeStrategy(strategy: SubjectStrategy): string {
  switch (strategy) {
    case 'subject-option':
      return 'given with --subject';
    case 'TopicNameStrategy':
      return 'TopicNameStrategy, <topic>-value/-key from --topics';
    case 'RecordNameStrategy':
      return 'RecordNameStrategy, the full name: the default without --topics or --subject';
  }
}

/**
 * The subjects each type goes under: `--subject` (one type), `<topic>-value`/`<topic>-key` from a topic
 * map, or else its full name (RecordNameStrategy).
 */
export async function subjectsFor(
  loaded: LoadedSchemas,
  types: readonly SchemaEntry[],
  subject: string | undefined,
  topicsFile: string | undefined,
): Promise<Map<string, SubjectChoice[]>> {
  const subjects = new Map<string, SubjectChoice[]>();
  if (subject) {
    subjects.set(subjectType(loaded, types).key, [{ subject, strategy: 'subject-option' }]);
    return subjects;
  }
  if (topicsFile) {
    for (const spec of await readTopicMap(resolve(topicsFile), undefined)) {
      for (const [part, name] of [
        ['value', spec.value.name],
        ['key', spec.key.kind === 'avro' ? spec.key.name : undefined],
      ] as const) {
        if (name !== undefined && types.some((t) => t.key === name)) {
          const choice: SubjectChoice = { subject: `${spec.topic}-${part}`, strategy: 'TopicNameStrategy' };
          subjects.set(name, [...(subjects.get(name) ?? []), choice]);
        }
      }
    }
    return subjects;
  }
  for (const t of types) subjects.set(t.key, [{ subject: t.key, strategy: 'RecordNameStrategy' }]);
  return subjects;
}
