import { readFileSync } from 'node:fs';
import type { LoadedSchemas, SchemaEntry } from '../../codegen/load.js';
import { assembleSchema } from '../avro/assemble.js';
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
 * The subjects each type goes under: `--subject` (one type), `<topic>-value`/`<topic>-key` from a topic
 * map, or else its full name (RecordNameStrategy).
 */
export function subjectsFor(
  types: readonly SchemaEntry[],
  subject: string | undefined,
  topicsFile: string | undefined,
): Map<string, string[]> {
  const subjects = new Map<string, string[]>();
  if (subject) {
    if (types.length !== 1) {
      throw new UsageError(
        `--subject names one subject, but the schemas hold ${types.length} top-level types`,
      );
    }
    subjects.set(types[0]!.key, [subject]);
    return subjects;
  }
  if (topicsFile) {
    let map: Record<string, { key?: unknown; value?: unknown }>;
    try {
      map = JSON.parse(readFileSync(topicsFile, 'utf8')) as typeof map;
    } catch (err) {
      throw new UsageError(`cannot read the topic map ${topicsFile}: ${(err as Error).message}`);
    }
    for (const [topic, spec] of Object.entries(map)) {
      for (const [part, name] of [
        ['value', spec.value],
        ['key', spec.key],
      ] as const) {
        if (typeof name === 'string' && types.some((t) => t.key === name)) {
          subjects.set(name, [...(subjects.get(name) ?? []), `${topic}-${part}`]);
        }
      }
    }
    return subjects;
  }
  for (const t of types) subjects.set(t.key, [t.key]);
  return subjects;
}
