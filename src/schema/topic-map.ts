import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { SchemaError } from '../errors.js';
import { isRawKeyKind, topicNameProblem, type RawKeyKind } from './topics.js';
import type { SchemaEntry } from './load.js';

/** One topic of a topic map file, checked: its key is raw, Avro or absent; its value is Avro. */
export interface TopicSpec {
  readonly topic: string;
  readonly key:
    | { readonly kind: 'raw'; readonly type: RawKeyKind }
    | { readonly kind: 'avro'; readonly name: string }
    | { readonly kind: 'none' };
  readonly value: { readonly kind: 'avro'; readonly name: string };
}

/** The parsed JSON of a topic map file, and how to fail with its name and a JSON pointer. */
async function readTopicMapJson(path: string, cwd: string) {
  const file = relative(cwd, path) || path;
  const fail = (pointer: string, message: string): never => {
    throw new SchemaError('SCHEMA_INVALID', `${file}: ${pointer || '/'}: ${message}`, {
      context: { file, path: pointer || '/' },
    });
  };
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    return fail('', `cannot read the topic map: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('', 'a topic map is an object: { "<topic>": { "key": "...", "value": "..." } }');
  }
  const topics = Object.entries(json as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const [topic] of topics) {
    const problem = topicNameProblem(topic);
    if (problem) fail(pointerTo(topic), problem);
  }
  return { topics, fail };
}

const pointerTo = (topic: string) => `/${topic.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** The topic names of a topic map, checked against Kafka's rule, sorted; the types are not looked at. */
export async function readTopicNames(path: string, cwd = process.cwd()): Promise<string[]> {
  return (await readTopicMapJson(path, cwd)).topics.map(([topic]) => topic);
}

/**
 * Reads a topic map: `{ "<topic>": { "key"?: "<raw kind or type name>", "value": "<type name>" } }`.
 * A key of `string`, `int`, `long` or `bytes` is written like Kafka's Java serializers (no schema id);
 * any other key, and every value, names a generated type by full name and is written as Avro.
 */
export async function readTopicMap(
  path: string,
  entries: readonly SchemaEntry[] | undefined,
  cwd = process.cwd(),
): Promise<TopicSpec[]> {
  const { topics, fail } = await readTopicMapJson(path, cwd);
  // Without the entries (a command given some of the schemas), names are not checked against them.
  const known = entries && new Set(entries.map((e) => e.key));
  const typeName = (value: unknown, pointer: string): string => {
    if (typeof value !== 'string') return fail(pointer, 'expected the full name of a generated type');
    if (known && entries && !known.has(value)) {
      const similar = entries.filter((e) => e.key.endsWith(`.${value}`)).map((e) => e.key);
      return fail(
        pointer,
        `no type named "${value}" was generated${similar.length ? ` (did you mean ${similar.join(' or ')}?)` : ''}`,
      );
    }
    return value;
  };
  return topics.map(([topic, spec]): TopicSpec => {
    const at = pointerTo(topic);
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
      return fail(at, 'expected { "key"?: ..., "value": ... }');
    const { key, value, ...rest } = spec as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) fail(`${at}/${extra[0]}`, 'unknown setting (a topic has "key" and "value")');
    if (value === undefined) fail(at, 'a topic needs a "value" type');
    return {
      topic,
      key:
        key === undefined || key === null
          ? { kind: 'none' }
          : isRawKeyKind(key)
            ? { kind: 'raw', type: key }
            : { kind: 'avro', name: typeName(key, `${at}/key`) },
      value: { kind: 'avro', name: typeName(value, `${at}/value`) },
    };
  });
}
