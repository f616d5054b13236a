import type { AvroValueSettings } from '../avro/avro-type.js';

/*
 * The TypeScript type of the values a schema written `as const` takes — what `defineTopics` types a topic
 * with when no generated type is given. It follows avrokit's value representation (the same as generated
 * code's); where it cannot be sure (named types used by name, unions avsc wraps, logical types a setting
 * turns off) it says `unknown`, never a wrong type. `Read` false: what a producer may write (fields with
 * defaults optional); true: what a reader gets (every field there, defaults filled).
 */
export type SchemaValue<
  X,
  S extends AvroValueSettings = AvroValueSettings,
  Read extends boolean = false,
> = X extends string
  ? PrimitiveValue<X, S>
  : X extends readonly unknown[]
    ? UnionValue<X, S, Read>
    : X extends { readonly type: infer T }
      ? X extends { readonly logicalType: string }
        ? LogicalValue<X, S>
        : T extends 'record' | 'error'
          ? RecordValue<X, S, Read>
          : T extends 'enum'
            ? X extends { readonly symbols: readonly (infer Symbol)[] }
              ? Symbol
              : string
            : T extends 'array'
              ? X extends { readonly items: infer Items }
                ? readonly SchemaValue<Items, S, Read>[]
                : unknown
              : T extends 'map'
                ? X extends { readonly values: infer Values }
                  ? Record<string, SchemaValue<Values, S, Read>>
                  : unknown
                : T extends 'fixed'
                  ? Buffer
                  : SchemaValue<T, S, Read>
      : unknown;

/** What a reader gets for a schema written `as const`: {@link SchemaValue} with every field there. */
export type SchemaReadValue<X, S extends AvroValueSettings = AvroValueSettings> = SchemaValue<X, S, true>;

type PrimitiveValue<X extends string, S extends AvroValueSettings> = string extends X
  ? unknown
  : X extends 'null'
    ? null
    : X extends 'boolean'
      ? boolean
      : X extends 'int' | 'float' | 'double'
        ? number
        : X extends 'long'
          ? S['longs'] extends 'bigint'
            ? bigint
            : number
          : X extends 'bytes'
            ? Buffer
            : X extends 'string'
              ? string
              : unknown; // a named type used by name: defined elsewhere

type LogicalValue<X, S extends AvroValueSettings> = X extends {
  readonly logicalType: infer L extends string;
}
  ? S['plainLogicalTypes'] extends readonly unknown[]
    ? unknown // some logical types read as their underlying type: which, the type cannot tell
    : L extends 'timestamp-millis' | 'local-timestamp-millis'
      ? Date
      : L extends 'date' | 'uuid' | 'decimal'
        ? string
        : L extends 'time-millis'
          ? number
          : unknown
  : unknown;

type Field = { readonly name: string; readonly type: unknown };

type RecordValue<X, S extends AvroValueSettings, Read extends boolean> = X extends {
  readonly fields: readonly Field[];
}
  ? Read extends true
    ? { -readonly [F in X['fields'][number] as F['name']]: SchemaValue<F['type'], S, true> }
    : Flatten<
        {
          -readonly [
            F in X['fields'][number] as F extends { readonly default: unknown } ? never : F['name']
          ]: SchemaValue<F['type'], S>;
        } & {
          -readonly [
            F in X['fields'][number] as F extends { readonly default: unknown } ? F['name'] : never
          ]?: SchemaValue<F['type'], S>;
        }
      >
  : unknown;

type Flatten<T> = { [K in keyof T]: T[K] };

/** The JavaScript kind each branch's values have: avsc keeps a union bare only while these differ. */
type Kind<X> = X extends 'null'
  ? 'null'
  : X extends 'boolean'
    ? 'boolean'
    : X extends 'int' | 'long' | 'float' | 'double'
      ? 'number'
      : X extends 'string'
        ? 'string'
        : X extends 'bytes'
          ? 'bytes'
          : 'other';

/**
 * A union avsc writes bare: `null` with one other branch, or primitives of distinct kinds. Anything else
 * (two records, two numbers, a named type by name) avsc may wrap — `unknown` rather than a guess.
 */
type UnionValue<
  X extends readonly unknown[],
  S extends AvroValueSettings,
  Read extends boolean,
> = X extends readonly ['null', infer Other]
  ? SchemaValue<Other, S, Read> | null
  : X extends readonly [infer Other, 'null']
    ? SchemaValue<Other, S, Read> | null
    : DistinctKinds<X> extends true
      ? SchemaValue<X[number], S, Read>
      : unknown;

type DistinctKinds<X extends readonly unknown[], Seen = never> = X extends readonly [
  infer Head,
  ...infer Rest,
]
  ? Kind<Head> extends 'other'
    ? false
    : Kind<Head> extends Seen
      ? false
      : DistinctKinds<Rest, Seen | Kind<Head>>
  : true;
