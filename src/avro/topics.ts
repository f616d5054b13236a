import type { RawKeyKind } from '../serde/raw-keys.js';
import type { AvroSchemaJson, AvroType } from './avro-type.js';

/** A key or value written as Avro in Confluent's wire format, with a generated schema and Type. */
export interface AvroBinding {
  readonly kind: 'avro';
  /** The full name of the type (or the file key of an unnamed top-level schema). */
  readonly name: string;
  readonly schema: AvroSchemaJson;
  /** The generated Type (values of any generated type). */
  readonly type: AvroType<unknown, never>;
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

/** The TypeScript types of one topic's key and value, as a producer gives them. */
export interface TopicTypes {
  readonly key: unknown;
  readonly value: unknown;
}

/** What `avrokit gen --topics` generates as `TopicMap`: topic name → key and value types. */
export type TopicMapShape = { readonly [topic: string]: TopicTypes };

declare const topicTypes: unique symbol;

/**
 * The runtime topic bindings generated with a `TopicMap`. The map rides along as a type only, so a
 * producer given `topics` knows, at compile time, which key and value each topic takes.
 */
export type Topics<M extends TopicMapShape> = { readonly [T in keyof M & string]: TopicBinding } & {
  readonly [topicTypes]?: M;
};
