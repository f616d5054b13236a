import avro from 'avsc';
import { AvrokitError } from '../errors.js';

/**
 * Items of a type that takes no bytes (null, an empty record, a record of nulls, fixed(0)) that one
 * payload may claim in all its arrays together. Every other item takes at least one byte, so the bytes
 * that remain bound those; these have only this limit.
 */
export const MAX_EMPTY_ITEMS = 100_000;

/** The part of avsc's Tap (its read cursor over a buffer) the block readers use. */
interface Tap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  readString(): string;
  skipString(): void;
  /** Left on the tap (one per decode) by avrokit: how many more zero-byte items this payload may claim. */
  avrokitEmptyItems?: number | undefined;
  /**
   * Set by avrokit when the payload ends before the buffer does (a value read in place inside a record
   * batch): where it ends, so counts are checked against the payload's bytes, not the buffer's.
   */
  avrokitEnd?: number | undefined;
}

/** Where the tap's payload ends. */
const endOf = (tap: Tap): number => tap.avrokitEnd ?? tap.buf.length;

/** A type or resolver as avsc reads with it. */
interface Reader {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

/**
 * Bytes whose array or map block claims more items or bytes than the payload could hold. Raised before
 * anything is allocated: avsc trusts the count, allocates for it and loops over it (a 7-byte payload
 * claiming 200,000,000 items kept it busy for 21 s and could exhaust the heap).
 */
export class AvroBlockError extends AvrokitError {
  constructor(message: string) {
    super('SERDE_INVALID_FRAME', message);
  }
}

type Kind = 'array' | 'map';

function claim(tap: Tap, count: number, mayBeEmpty: boolean, what: Kind): void {
  const remaining = endOf(tap) - tap.pos;
  if (!mayBeEmpty) {
    if (count <= remaining) return;
    throw new AvroBlockError(
      `an ${what} block at byte ${tap.pos} claims ${count} items, but only ${remaining} bytes remain`,
    );
  }
  const budget = tap.avrokitEmptyItems ?? MAX_EMPTY_ITEMS;
  if (count > budget) {
    throw new AvroBlockError(
      `an ${what} block at byte ${tap.pos} claims ${count} items that take no bytes (at most ${MAX_EMPTY_ITEMS} in one payload)`,
    );
  }
  tap.avrokitEmptyItems = budget - count;
}

/** The byte size of a block written with its size (a negative count): checked, then returned. */
function blockSize(tap: Tap, what: Kind): number {
  const size = tap.readLong();
  const remaining = endOf(tap) - tap.pos;
  if (!(size >= 0 && size <= remaining)) {
    throw new AvroBlockError(
      `an ${what} block at byte ${tap.pos} claims ${size} bytes, but ${remaining} remain`,
    );
  }
  return size;
}

function readArray(items: Reader, mayBeEmpty: boolean, tap: Tap): unknown[] {
  let values: unknown[] | undefined;
  let i = 0;
  let n: number;
  while ((n = tap.readLong())) {
    if (n < 0) {
      n = -n;
      blockSize(tap, 'array');
    }
    claim(tap, n, mayBeEmpty, 'array');
    // Sized by the first block, as avsc does (faster), now that the count is known to be possible.
    values ??= new Array<unknown>(n);
    while (n--) values[i++] = items._read(tap);
    if (tap.pos > endOf(tap)) break; // truncated: the caller sees the position past the end
  }
  return values ?? [];
}

function skipArray(items: Reader, mayBeEmpty: boolean, tap: Tap): void {
  let n: number;
  while ((n = tap.readLong())) {
    if (n < 0) {
      tap.pos += blockSize(tap, 'array');
      continue;
    }
    claim(tap, n, mayBeEmpty, 'array');
    while (n--) items._skip(tap);
    if (tap.pos > endOf(tap)) break;
  }
}

// Map entries always take a byte (the key's length), so the bytes left bound their count.
function readMap(values: Reader, tap: Tap): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  let n: number;
  while ((n = tap.readLong())) {
    if (n < 0) {
      n = -n;
      blockSize(tap, 'map');
    }
    claim(tap, n, false, 'map');
    while (n--) {
      const key = tap.readString();
      map[key] = values._read(tap);
    }
    if (tap.pos > endOf(tap)) break;
  }
  return map;
}

function skipMap(values: Reader, tap: Tap): void {
  let n: number;
  while ((n = tap.readLong())) {
    if (n < 0) {
      tap.pos += blockSize(tap, 'map');
      continue;
    }
    claim(tap, n, false, 'map');
    while (n--) {
      tap.skipString();
      values._skip(tap);
    }
    if (tap.pos > endOf(tap)) break;
  }
}

/** Whether a value of the type may be written in zero bytes. */
function mayBeEmpty(type: avro.Type, visiting = new Set<avro.Type>()): boolean {
  if (type instanceof avro.types.LogicalType) return mayBeEmpty(type.underlyingType, visiting);
  if (type instanceof avro.types.NullType) return true;
  if (type instanceof avro.types.FixedType) return type.size === 0;
  if (type instanceof avro.types.RecordType) {
    // A record that contains itself is finite only through a union or an array (a byte): not empty.
    if (visiting.has(type)) return false;
    visiting.add(type);
    const empty = type.fields.every((field) => mayBeEmpty(field.type, visiting));
    visiting.delete(type);
    return empty;
  }
  return false; // every other type writes at least one byte (a varint, a length, a branch index)
}

const emptyItems = new WeakMap<avro.Type, boolean>();

/** {@link mayBeEmpty}, computed once per type (avsc freezes its types, so it is kept beside them). */
function itemsMayBeEmpty(items: avro.Type): boolean {
  let empty = emptyItems.get(items);
  if (empty === undefined) emptyItems.set(items, (empty = mayBeEmpty(items)));
  return empty;
}

type Resolver = { _read?: (this: Resolver, tap: Tap) => unknown; itemsType?: Reader; valuesType?: Reader };
type Update = (resolver: Resolver, writer: avro.Type, opts: unknown) => void;
const reader = (type: avro.Type) => type as unknown as Reader;

/**
 * avsc's array type, with block counts and sizes checked against the bytes that remain before anything
 * is allocated or looped over — when reading with the type, when skipping with it, and in the resolvers
 * it creates (there the writer's items decide how small an item can be). A subclass, built through a type
 * hook: avsc freezes its types, and its own classes stay as they are for everyone else.
 */
class BoundedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown[] {
    return readArray(reader(this.itemsType), itemsMayBeEmpty(this.itemsType), tap);
  }

  _skip(tap: Tap): void {
    skipArray(reader(this.itemsType), itemsMayBeEmpty(this.itemsType), tap);
  }

  _update(resolver: Resolver, writer: avro.Type, opts: unknown): void {
    (avro.types.ArrayType.prototype as unknown as { _update: Update })._update.call(
      this,
      resolver,
      writer,
      opts,
    );
    if (writer instanceof avro.types.ArrayType) {
      const empty = itemsMayBeEmpty(writer.itemsType);
      resolver._read = function (tap) {
        return readArray(this.itemsType!, empty, tap);
      };
    }
  }
}

/** avsc's map type, with block counts and sizes checked (see {@link BoundedArrayType}). */
class BoundedMapType extends avro.types.MapType {
  _read(tap: Tap): Record<string, unknown> {
    return readMap(reader(this.valuesType), tap);
  }

  _skip(tap: Tap): void {
    skipMap(reader(this.valuesType), tap);
  }

  _update(resolver: Resolver, writer: avro.Type, opts: unknown): void {
    (avro.types.MapType.prototype as unknown as { _update: Update })._update.call(
      this,
      resolver,
      writer,
      opts,
    );
    if (writer instanceof avro.types.MapType) {
      resolver._read = function (tap) {
        return readMap(this.valuesType!, tap);
      };
    }
  }
}

type TypeHook = NonNullable<avro.ForSchemaOptions['typeHook']>;

/** Builds arrays and maps as avrokit's bounded types; every type avrokit builds goes through it. */
export const boundedBlocksHook: TypeHook = (schema, opts) => {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const { type, logicalType } = schema as { type?: unknown; logicalType?: unknown };
  // A logical type avsc knows wraps the array; the array itself comes back here without it.
  if (typeof logicalType === 'string' && opts.logicalTypes && logicalType in opts.logicalTypes)
    return undefined;
  if (type === 'array') return new BoundedArrayType(schema as avro.schema.ArrayType, opts);
  if (type === 'map') return new BoundedMapType(schema as avro.schema.MapType, opts);
  return undefined;
};

/** The options with {@link boundedBlocksHook} after the options' own type hook. */
export function withBoundedBlocks(options: Partial<avro.ForSchemaOptions>): Partial<avro.ForSchemaOptions> {
  const theirs = options.typeHook;
  return {
    ...options,
    typeHook: theirs
      ? (schema, opts) => theirs(schema, opts) ?? boundedBlocksHook(schema, opts)
      : boundedBlocksHook,
  };
}
