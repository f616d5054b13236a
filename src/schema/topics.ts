import {
  asAvroType,
  type AnyAvroType,
  type AvroSchemaJson,
  type AvroType,
  type AvroValueSettings,
} from '../avro/avro-type.js';
import { SchemaError } from '../errors.js';
import type { SchemaReadValue, SchemaValue } from './schema-values.js';
import { buildType } from './build.js';
import { isBuiltType, schemaJsonOf, type SchemaInput } from './schema-input.js';

/**
 * Keys written the way Kafka's own Java serializers write them, without Avro or a schema id:
 * StringSerializer (UTF-8), IntegerSerializer (4 bytes big-endian), LongSerializer (8 bytes
 * big-endian), ByteArraySerializer (as is). Many topics keyed by Java services use these.
 */
export type RawKeyKind = 'string' | 'int' | 'long' | 'bytes';
export type RawKeyValue<K extends RawKeyKind> = K extends 'string'
  ? string
  : K extends 'int'
    ? number
    : K extends 'long'
      ? number | bigint
      : Buffer;

export const RAW_KEY_KINDS: readonly RawKeyKind[] = ['string', 'int', 'long', 'bytes'];

export const isRawKeyKind = (value: unknown): value is RawKeyKind =>
  typeof value === 'string' && (RAW_KEY_KINDS as readonly string[]).includes(value);

/** A key or value written as Avro in Confluent's wire format. */
export interface AvroBinding {
  readonly kind: 'avro';
  /** The full name of the type (or, for an unnamed schema, its type name). */
  readonly name: string;
  readonly schema: AvroSchemaJson;
  /** The built type values are written with. */
  readonly type: AnyAvroType;
}

/** A key written the way Kafka's Java serializers write primitives (no schema id). */
export interface RawKeyBinding {
  readonly kind: 'raw';
  readonly type: RawKeyKind;
}

/** A topic whose records have no key. */
export interface NoKeyBinding {
  readonly kind: 'none';
}

export interface TopicBinding {
  readonly key: AvroBinding | RawKeyBinding | NoKeyBinding;
  readonly value: AvroBinding;
}

/**
 * The TypeScript types of one topic's key and value: as a producer gives them (`key`, `value`: fields
 * with defaults optional), and as a consumer gets them (`read`: every field there, defaults filled;
 * where absent, a consumer types its records with `key` and `value`).
 */
export interface TopicTypes {
  readonly key: unknown;
  readonly value: unknown;
  readonly read?: { readonly key: unknown; readonly value: unknown };
}

/** The key and value types a consumer reads from a topic of the map. */
export type ReadTypes<E extends TopicTypes> = E extends {
  readonly read: { readonly key: infer K; readonly value: infer V };
}
  ? { readonly key: K; readonly value: V }
  : { readonly key: E['key']; readonly value: E['value'] };

/** A topic map's types: topic name → key and value types (`avrokit gen --topics` generates one as `TopicMap`). */
export type TopicMapShape = { readonly [topic: string]: TopicTypes };

declare const topicTypes: unique symbol;

/**
 * A topic map at run time: how each topic's key and value are written. The map's types ride along as a
 * type only, so a producer given `topics` knows, at compile time, which key and value each topic takes.
 * Made by `avrokit gen --topics` (generated `topics`) or by {@link defineTopics}.
 */
export type Topics<M extends TopicMapShape> = { readonly [T in keyof M & string]: TopicBinding } & {
  readonly [topicTypes]?: M;
};

/** Kafka's own rule for topic names (`Topic.validate` in the Java client). */
export function topicNameProblem(topic: string): string | undefined {
  if (/^[a-zA-Z0-9._-]{1,249}$/.test(topic) && topic !== '.' && topic !== '..') return undefined;
  return `"${topic}" is not a valid Kafka topic name (letters, digits, '.', '_', '-'; at most 249)`;
}

/**
 * One topic for {@link defineTopics}. `key`: `'string'`, `'int'`, `'long'` or `'bytes'` for a key written
 * as Kafka's Java serializers write it (no Avro, no schema id — what most Java services use); any other
 * schema for an Avro key (an Avro-encoded string key is `{ type: 'string' }`); absent or null for none.
 * `value`: the value's schema. A schema is JSON, JSON text or a built type (generated `avroTypes`).
 */
export interface TopicDefinition {
  readonly key?: RawKeyKind | SchemaInput | null;
  readonly value: SchemaInput;
}

type KeyOf<K, S extends AvroValueSettings, Read extends boolean = false> = [K] extends [undefined | null]
  ? null
  : K extends RawKeyKind
    ? RawKeyValue<K>
    : Read extends true
      ? SchemaOutputValue<K, S>
      : SchemaInputValue<K, S>;

type SchemaInputValue<X, S extends AvroValueSettings> =
  X extends AvroType<unknown, infer I> ? I : SchemaValue<X, S>;

type SchemaOutputValue<X, S extends AvroValueSettings> =
  X extends AvroType<infer O, unknown> ? O : SchemaReadValue<X, S>;

/**
 * The topic map {@link defineTopics} gives for its definitions: each key and value typed as far as the
 * schema says, as written (`key`, `value`) and as read (`read`).
 */
export type TopicMapOf<
  D extends Readonly<Record<string, TopicDefinition>>,
  S extends AvroValueSettings = AvroValueSettings,
> = {
  [T in keyof D & string]: {
    key: D[T] extends { readonly key: infer K } ? KeyOf<K, S> : null;
    value: SchemaInputValue<D[T]['value'], S>;
    read: {
      key: D[T] extends { readonly key: infer K } ? KeyOf<K, S, true> : null;
      value: SchemaOutputValue<D[T]['value'], S>;
    };
  };
};

/**
 * Builds a topic map at run time — for code that does not generate types (plain JavaScript, topics
 * known only at run time) — from schemas as objects, JSON text, built types, or what `loadSchemas` or
 * the registry (`getLatest(subject).schema`) gives. Schemas written `as const` are typed: a producer given
 * the result checks keys and values at compile time; other schemas type their values as `unknown`.
 * Every schema is checked now; a problem is a `SCHEMA_INVALID` error naming the topic and `key`/`value`.
 *
 * @example
 * const topics = defineTopics({
 *   orders: { key: 'string', value: { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }] } },
 * } as const);
 */
export function defineTopics<
  const D extends Readonly<Record<string, TopicDefinition>>,
  const S extends AvroValueSettings = AvroValueSettings,
>(definitions: D, settings?: S): Topics<TopicMapOf<D, S>> {
  if (typeof definitions !== 'object' || definitions === null || Array.isArray(definitions)) {
    throw new SchemaError('SCHEMA_INVALID', 'defineTopics takes an object: { "<topic>": { key?, value } }');
  }
  const bindings: Record<string, TopicBinding> = {};
  for (const [topic, definition] of Object.entries(definitions)) {
    const where = (part: string) => `topic "${topic}" ${part}`;
    const problem = topicNameProblem(topic);
    if (problem) throw new SchemaError('SCHEMA_INVALID', problem, { context: { topic } });
    if (typeof definition !== 'object' || definition === null || definition.value === undefined) {
      throw new SchemaError('SCHEMA_INVALID', `${where('needs a value schema')}: { key?, value }`, {
        context: { topic },
      });
    }
    const { key } = definition;
    bindings[topic] = Object.freeze({
      key:
        key === undefined || key === null
          ? { kind: 'none' as const }
          : isRawKeyKind(key)
            ? { kind: 'raw' as const, type: key }
            : avroBinding(key, settings ?? {}, topic, 'key'),
      value: avroBinding(definition.value, settings ?? {}, topic, 'value'),
    });
  }
  return Object.freeze(bindings) as Topics<TopicMapOf<D, S>>;
}

function avroBinding(
  input: SchemaInput,
  settings: AvroValueSettings,
  topic: string,
  part: 'key' | 'value',
): AvroBinding {
  const what = `the ${part} schema of topic "${topic}"`;
  let type: AnyAvroType;
  try {
    type = isBuiltType(input) ? input : asAvroType(buildType(input, { for: 'values', settings }, what));
  } catch (err) {
    if (!(err instanceof SchemaError) || err.message.startsWith(what)) throw err;
    throw new SchemaError('SCHEMA_INVALID', `${what}: ${err.message}`, {
      context: { topic, part },
      cause: err,
    });
  }
  return Object.freeze({
    kind: 'avro' as const,
    name: type.name ?? type.typeName,
    schema: schemaJsonOf(type),
    type,
  });
}
