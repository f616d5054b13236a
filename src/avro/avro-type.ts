import avro from 'avsc';
import { OptionsError, SchemaError } from '../errors.js';
import { boundedBlocksHook } from './bounded-decoding.js';
import { LOGICAL_TYPE_CLASSES, LOGICAL_TYPE_NAMES, type LogicalTypeName } from './logical-types.js';
import { exactFloatType } from './float.js';
import { bigintLongType, exactLongType } from './long.js';

/**
 * A schema as JSON (what `JSON.parse` of an `.avsc` file gives): a type name, a union array, or an
 * object with a `type`. Wider than avsc's own `Schema` type, which has no room for the custom
 * attributes (`java-class`, …) real schemas carry.
 */
export type AvroSchemaJson =
  string | readonly AvroSchemaJson[] | { readonly type: unknown; readonly [attribute: string]: unknown };

/**
 * How Avro values are represented in JavaScript. Generated types and the avsc `Type`s built for them
 * must use the same settings, so the generator records them in its output.
 */
export interface AvroValueSettings {
  /**
   * `long` as `number` (exact within ±(2^53 − 1); values beyond are refused on write and on read, never
   * rounded) or as `bigint` (every 64-bit value).
   * @default 'number'
   */
  readonly longs?: 'number' | 'bigint';
  /** Logical types to read and write as their underlying Avro type instead (see {@link LOGICAL_TYPE_NAMES}). */
  readonly plainLogicalTypes?: readonly LogicalTypeName[];
}

declare const resolverBrand: unique symbol;

/** How to read data of one schema as another (from {@link AvroType.createResolver}); opaque. */
export interface AvroResolver {
  readonly [resolverBrand]: 'AvroResolver';
}

/**
 * A built Avro type whose values are `T` when read and `I` when written (`I` lets fields with defaults
 * be left out). At run time it is an avsc `Type`; this is the part of it avrokit supports, typed — avsc's
 * own signatures take `any`, so a wrong value would compile against them.
 */
export interface AvroType<T, I = T> {
  /** The full name of a named type (record, enum, fixed); undefined for the others. */
  readonly name: string | undefined;
  /** `record`, `enum`, `long`, `union:unwrapped`, `logical:timestamp-millis`, … */
  readonly typeName: string;
  /** Writes a value; fails (naming the field) when the value does not fit the schema. */
  toBuffer(value: I): Buffer;
  fromBuffer(buffer: Buffer, resolver?: AvroResolver, noCheck?: boolean): T;
  /** Writes into `buffer` at `position`; returns the position after the value (negative: too small). */
  encode(value: I, buffer: Buffer, position?: number): number;
  /** Reads at `position`; `offset` is where the value ends (negative: the buffer was too short). */
  decode(buffer: Buffer, position?: number, resolver?: AvroResolver): { value: T; offset: number };
  isValid(
    value: unknown,
    opts?: {
      errorHook?: (path: string[], value: unknown, type: AvroType<unknown, never>) => void;
      noUndeclaredFields?: boolean;
    },
  ): boolean;
  /** Avro's JSON encoding of a value; without one, the type's Parsing Canonical Form. */
  toString(value?: I): string;
  /** Reads a value from Avro's JSON encoding. */
  fromString(text: string): T;
  clone(value: I, opts?: { wrapUnions?: boolean }): T;
  /** Orders two values the way Avro's specification sorts them. */
  compare(a: I, b: I): -1 | 0 | 1;
  random(): T;
  /** Same Parsing Canonical Form (same binary layout). */
  equals(other: AvroType<unknown, never>): boolean;
  /** How to read data written with `writer` as this type (schema resolution). */
  createResolver(writer: AvroType<unknown, never>): AvroResolver;
  /** The type's schema as JSON (`exportAttrs` keeps custom attributes and docs). */
  schema(opts?: { exportAttrs?: boolean; noDeref?: boolean }): AvroSchemaJson;
}

/**
 * What a schema takes when written: a built type's input type (`AvroType<T, I>` → `I`); `unknown` for a
 * schema given as JSON or text, whose values the compiler cannot know.
 */
export type WriteValue<S> = S extends AvroType<unknown, infer I> ? I : unknown;

/** A built type of any values: what a function that takes every AvroType asks for. */
export type AnyAvroType = AvroType<unknown, unknown>;

/** An avsc Type as avrokit's typed view of it. */
export function asAvroType<T, I = T>(type: avro.Type): AvroType<T, I> {
  return type as unknown as AvroType<T, I>;
}

/** avsc options for the given settings: union wrapping, logical types and the long representation. */
export function avroTypeOptions(settings: AvroValueSettings = {}): Partial<avro.ForSchemaOptions> {
  const longs = settings.longs ?? 'number';
  if (longs !== 'number' && longs !== 'bigint') {
    throw new OptionsError('longs', `must be 'number' or 'bigint', got ${String(longs)}`);
  }
  const plain = new Set<string>(settings.plainLogicalTypes ?? []);
  for (const name of plain) {
    if (!(LOGICAL_TYPE_NAMES as readonly string[]).includes(name)) {
      throw new OptionsError(
        'plainLogicalTypes',
        `${name} is not one of avrokit's logical types (${LOGICAL_TYPE_NAMES.join(', ')})`,
      );
    }
  }
  const logicalTypes = Object.fromEntries(
    Object.entries(LOGICAL_TYPE_CLASSES).filter(([name]) => !plain.has(name)),
  );
  const options: Partial<avro.ForSchemaOptions> = {
    // avsc's default: a union is unwrapped unless two branches share a JavaScript kind (two records,
    // int and double, …); then each value is an object keyed by its branch name.
    wrapUnions: 'auto',
    logicalTypes,
    typeHook: exactNumbersHook(longs === 'bigint' ? bigintLongType : exactLongType, logicalTypes),
  };
  return options;
}

/**
 * Options for a Type that reads and writes Avro's own JSON encoding (unions wrapped, logical types as
 * their underlying type), with avrokit's exact long and float: avsc's own long refuses the safe
 * integers next to ±2^53, which a long may hold and `avrokit consume` writes.
 */
export function avroJsonTypeOptions(): Partial<avro.ForSchemaOptions> {
  return { wrapUnions: true, typeHook: exactNumbersHook(exactLongType, {}) };
}

type TypeHook = NonNullable<avro.ForSchemaOptions['typeHook']>;

/**
 * Puts avrokit's exact `long` and `float` wherever a schema says `long` or `float`. A type hook, not the
 * registry, because `{"type": "long"}` objects bypass registry lookups. Logical types in
 * `logicalTypes` keep their own representation (the ones over long build on the exact long
 * themselves); any other annotated long is a plain long, as the specification asks.
 */
function exactNumbersHook(longType: avro.Type, logicalTypes: Readonly<Record<string, unknown>>): TypeHook {
  return (schema, opts) => {
    if (schema === 'long') return longType;
    if (schema === 'float') return exactFloatType;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
    const { type, logicalType } = schema as { type?: unknown; logicalType?: unknown };
    if (typeof logicalType === 'string' && logicalType in logicalTypes) return undefined;
    return type === 'long' ? longType : type === 'float' ? exactFloatType : boundedBlocksHook(schema, opts);
  };
}

const sourceSchemas = new WeakMap<avro.Type, AvroSchemaJson>();

/**
 * Builds the avsc Type for a schema with the given value settings (generated code calls this once per
 * type). The Type remembers the schema it came from, so registering it registers exactly that schema:
 * avsc's own export drops attributes it does not know (unknown logical types, custom properties).
 */
export function createAvroType<T, I = T>(
  schema: AvroSchemaJson,
  settings: AvroValueSettings = {},
): AvroType<T, I> {
  const options = avroTypeOptions(settings); // invalid settings: INVALID_OPTIONS, as they are
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(schema as avro.Schema, options);
  } catch (err) {
    // avsc's errors (and a RangeError for a schema nested too deep for the stack) become ours.
    throw new SchemaError('SCHEMA_INVALID', `not a valid Avro schema: ${(err as Error).message}`, {
      cause: err,
    });
  }
  sourceSchemas.set(type, schema);
  return asAvroType<T, I>(type);
}

/**
 * Remembers the schema a type was built from, so that registering the type registers exactly that
 * schema: avsc's own export drops attributes it does not know (unknown logical types, custom properties).
 */
export function rememberSourceSchema(type: avro.Type, schema: AvroSchemaJson): void {
  sourceSchemas.set(type, schema);
}

/** The schema a Type was built from by {@link createAvroType}, if it was. */
export function sourceSchemaOf(type: AnyAvroType | avro.Type): AvroSchemaJson | undefined {
  return sourceSchemas.get(type as avro.Type);
}

/**
 * A union avsc wraps (two branches of one JavaScript kind, such as two records): a value is an object
 * with exactly one key, the branch's name, holding the branch's value. `M` maps branch name → type.
 */
export type AvroUnion<M> = {
  [K in keyof M]: { [P in K]: M[P] } & { [P in Exclude<keyof M, K>]?: never };
}[keyof M];
