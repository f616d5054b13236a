import avro from 'avsc';
import { createRequire } from 'node:module';
import {
  asAvroType,
  avroTypeOptions,
  type AvroType,
  type AvroValueSettings,
  type WriteValue,
} from '../avro/avro-type.js';
import { isAvrokitError, OptionsError } from '../errors.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import type { SchemaReference } from '../registry/types.js';
import { buildType, type ResolvedSchema } from '../schema/build.js';
import {
  fullNameOf,
  isBuiltType,
  schemaJsonOf,
  schemaText,
  type SchemaInput,
} from '../schema/schema-input.js';
import { isRawKeyKind, RAW_KEY_KINDS, type RawKeyKind, type RawKeyValue } from '../schema/topics.js';
import { formatIssues, SerdeError, valueIssues } from './errors.js';
import { decodeRawKey, encodeRawKey } from './raw-keys.js';
import { subjectFor, type SubjectStrategy } from './subject-strategy.js';
import {
  encodeFramed,
  encodeFramedTransient,
  HEADER_SIZE,
  MAGIC_BYTE,
  readSchemaId,
  writeFramedTransient,
} from './wire-format.js';
import { compileWriter, type AvscTap as WriteTap } from '../avro/writer.js';

/** avsc's read cursor (avsc/lib/utils.js), what its types and resolvers read from. */
interface AvscTap {
  buf: Buffer;
  pos: number;
  /** See avro/bounded-decoding.ts: per-payload state avrokit keeps on the cursor. */
  avrokitEmptyItems: number | undefined;
  avrokitEnd: number | undefined;
}
const { Tap } = createRequire(import.meta.url)('avsc/lib/utils.js') as {
  Tap: new (buf: Buffer, pos?: number) => AvscTap;
};
const NO_BYTES = Buffer.alloc(0);

/** Reads one framed payload at the tap: a reader type's or a resolver's `_read`. */
type ReadAt = (tap: AvscTap) => unknown;

/**
 * Reads Confluent-framed payloads where they lie inside a larger buffer (a record batch), for one topic
 * and reader schema; see {@link AvroSerde.framedReader}.
 */
export interface FramedReader {
  /**
   * The value framed in `buf[start, end)`: exactly what `deserializeSync` of those bytes gives — the
   * same value or the same error (SERDE_NOT_PREPARED while the writer's schema is not loaded).
   */
  read(buf: Buffer, start: number, end: number): unknown;
}

export interface AvroSerdeOptions {
  readonly registry: SchemaRegistry;
  /**
   * How a subject is named: `<topic>-key`/`<topic>-value` (TopicName), the record's full name
   * (RecordName), `<topic>-<full name>` (TopicRecordName), or a function.
   * @default 'TopicName'
   */
  readonly subjectStrategy?: SubjectStrategy;
  /**
   * Register the value's schema under its subject when it is not there yet. When false (and neither
   * `useLatestVersion` nor `schemaId` is set) the schema must already be registered (lookup only).
   * @default true
   */
  readonly autoRegister?: boolean;
  /**
   * Write with the subject's latest registered schema instead of the given one; the value must be valid
   * for the latest schema.
   * @default false
   */
  readonly useLatestVersion?: boolean;
  /**
   * With `useLatestVersion`: refuse unless the latest schema can read data written with the given one.
   * @default true
   */
  readonly latestCompatibilityStrict?: boolean;
  /** Write every record with this registered schema id (pinned); the value must be valid for it. */
  readonly schemaId?: number;
  /**
   * How values of schemas this serde builds itself (writer schemas read from the registry, schemas given
   * as JSON) are represented — the same settings as `avrokit gen`'s: `longs: 'bigint'` for every 64-bit
   * value, `plainLogicalTypes` to read a logical type as its underlying type. Generated types carry
   * their own. Default: longs as numbers, Date for timestamps, decimal text, … (as generated code types them).
   */
  readonly values?: AvroValueSettings;
}

export interface SerializeOptions {
  /** The schema the value is written with (JSON text, parsed JSON, or an avsc Type such as a generated `avroTypes` entry). */
  readonly schema: SchemaInput;
  /** @default false */
  readonly isKey?: boolean;
  /** Named types this schema uses from other subjects. */
  readonly references?: readonly SchemaReference[];
  /**
   * `'none'` writes a primitive key (`string`, `int`, `long`, `bytes`) the way Kafka's Java serializers
   * do, without a schema id; the registry is not involved.
   * @default 'confluent'
   */
  readonly framing?: 'confluent' | 'none';
}

export interface DeserializeOptions {
  /** Resolve the writer's schema into this one (schema evolution at read time). Default: the writer's schema. */
  readonly readerSchema?: SchemaInput;
  /** @default false */
  readonly isKey?: boolean;
  /** `'none'` reads a primitive key written without framing; `readerSchema` names its type. @default 'confluent' */
  readonly framing?: 'confluent' | 'none';
}

/** A serializer bound to one topic, subject and schema id; `serialize` is synchronous. */
export interface PreparedSerializer<T = unknown> {
  readonly topic: string;
  readonly isKey: boolean;
  readonly subject: string;
  readonly schemaId: number;
  /** The type values are written with (the registered latest or pinned one in those modes). */
  readonly type: AvroType<unknown, T>;
  serialize(value: T): Buffer;
  /**
   * `serialize` into space shared by every serializer: the returned bytes are valid only until the next
   * serialization. For callers that copy them straight away; everyone else wants `serialize`.
   */
  serializeTransient(value: T): Buffer;
}

type PreparedEntry = PreparedSerializer | Promise<PreparedSerializer>;

/**
 * Writes a value in Confluent's wire format at the tap, within avsc's tap protocol (past the end of the
 * buffer only `pos` moves; the caller grows the buffer and writes again). Throws for a value the schema
 * does not take — without describing it: `serialize` of the same value throws the SerdeError that says
 * why. For the producer, which writes values straight into its record batches.
 */
export type FramedWriter = (tap: WriteTap, value: unknown) => void;

const framedWriters = new WeakMap<PreparedSerializer, FramedWriter>();

/** The in-place writer of a serializer this package prepared (not part of the public API). */
export function framedWriterOf(serializer: PreparedSerializer): FramedWriter | undefined {
  return framedWriters.get(serializer);
}

/**
 * Avro serializer and deserializer in Confluent's wire format, backed by a {@link SchemaRegistry}.
 * After the first `serialize` (or an awaited `prepare`) for a topic and schema, serializing needs no
 * network and no promise: `prepare(...).serialize(value)` is synchronous.
 *
 * @example
 * const serde = new AvroSerde({ registry });
 * const bytes = await serde.serialize('customers', customer, { schema: avroTypes['customerManagement.avro.Customer'] });
 * const back = await serde.deserialize('customers', bytes);
 */
export class AvroSerde {
  private readonly registry: SchemaRegistry;
  private readonly strategy: SubjectStrategy;
  private readonly autoRegister: boolean;
  private readonly useLatestVersion: boolean;
  private readonly latestCompatibilityStrict: boolean;
  private readonly schemaId: number | undefined;
  private readonly values: AvroValueSettings;
  private readonly preparedByObject = new WeakMap<object, Map<string, PreparedEntry>>();
  private readonly preparedByText = new Map<string, Map<string, PreparedEntry>>();
  private readonly writerTypes = new Map<number, avro.Type | Promise<avro.Type>>();
  private readonly resolvers = new WeakMap<avro.Type, Map<number, avro.Resolver | undefined>>();
  private readonly textTypes = new Map<string, avro.Type>();
  // Per serde, like textTypes: a Type depends on this serde's value settings, so two serdes must not share one.
  private readonly objectTypes = new WeakMap<object, avro.Type>();

  constructor(options: AvroSerdeOptions) {
    if (!options?.registry) throw new OptionsError('registry', 'an AvroSerde needs a SchemaRegistry');
    if (options.schemaId !== undefined && (!Number.isInteger(options.schemaId) || options.schemaId < 0)) {
      throw new OptionsError(
        'schemaId',
        `must be a registered schema id (a non-negative integer), got ${options.schemaId}`,
      );
    }
    if (options.schemaId !== undefined && options.useLatestVersion) {
      throw new OptionsError('schemaId', 'cannot be combined with useLatestVersion');
    }
    this.registry = options.registry;
    this.strategy = options.subjectStrategy ?? 'TopicName';
    this.autoRegister = options.autoRegister ?? true;
    this.useLatestVersion = options.useLatestVersion ?? false;
    this.latestCompatibilityStrict = options.latestCompatibilityStrict ?? true;
    this.schemaId = options.schemaId;
    this.values = options.values ?? {};
    avroTypeOptions(this.values); // checks the settings now (OptionsError), not at the first record
  }

  /**
   * Prepared serializers by schema, then by key/value and topic. Schemas given as objects or Types are
   * found by identity and strings by their own text, so the hot path never re-serializes a schema.
   */
  private slotFor(schema: SchemaInput): Map<string, PreparedEntry> {
    let slot =
      typeof schema === 'string' ? this.preparedByText.get(schema) : this.preparedByObject.get(schema);
    if (!slot) {
      slot = new Map();
      if (typeof schema === 'string') this.preparedByText.set(schema, slot);
      else this.preparedByObject.set(schema, slot);
    }
    return slot;
  }

  /**
   * Resolves once `schema`'s id for `topic` is known; the returned serializer is synchronous. Given a
   * generated type, the serializer takes that type's values.
   */
  prepare<S extends SchemaInput>(
    topic: string,
    schema: S,
    options: Omit<SerializeOptions, 'schema' | 'framing'> = {},
  ): Promise<PreparedSerializer<WriteValue<S>>> {
    type T = WriteValue<S>;
    if (schema === undefined || schema === null) return Promise.reject(missingSchema());
    const isKey = options.isKey ?? false;
    const slot = this.slotFor(schema);
    const key = (isKey ? 'k' : 'v') + topic;
    const known = slot.get(key);
    if (known) return Promise.resolve(known as PreparedSerializer<T> | Promise<PreparedSerializer<T>>);
    const preparing = this.bind(topic, schema, isKey, options.references ?? []).then(
      (serializer) => {
        slot.set(key, serializer);
        return serializer;
      },
      (err: unknown) => {
        // Failures are not remembered: the next call asks again (the registry caches "not found" briefly).
        slot.delete(key);
        throw err;
      },
    );
    slot.set(key, preparing);
    return preparing as Promise<PreparedSerializer<T>>;
  }

  /** The synchronous serializer for a prepared topic and schema, or undefined if `prepare` has not completed. */
  preparedFor<S extends SchemaInput>(
    topic: string,
    schema: S,
    isKey = false,
  ): PreparedSerializer<WriteValue<S>> | undefined {
    type T = WriteValue<S>;
    const known = (
      typeof schema === 'string' ? this.preparedByText.get(schema) : this.preparedByObject.get(schema)
    )?.get((isKey ? 'k' : 'v') + topic);
    return known && !(known instanceof Promise) ? (known as PreparedSerializer<T>) : undefined;
  }

  /**
   * The value in Confluent's wire format (magic byte, schema id, Avro body), registering or looking up
   * its schema the first time. With a generated type as `schema`, only that type's values compile.
   */
  serialize<S extends SchemaInput>(
    topic: string,
    value: NoInfer<WriteValue<S>>,
    options: SerializeOptions & { readonly schema: S },
  ): Promise<Buffer> {
    try {
      if (options?.schema === undefined || options.schema === null) throw missingSchema();
      if (options.framing === 'none')
        return Promise.resolve(this.serializeRawKey(topic, rawKind(options.schema), value));
      const ready = this.preparedFor(topic, options.schema, options.isKey);
      if (ready) return Promise.resolve(ready.serialize(value));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.prepare(topic, options.schema, options).then((prepared) => prepared.serialize(value));
  }

  /**
   * A key written the way Kafka's Java serializers write primitives — no Avro, no schema id, no registry,
   * so it is synchronous: StringSerializer (UTF-8), IntegerSerializer, LongSerializer (big-endian),
   * ByteArraySerializer (as is).
   */
  serializeRawKey<K extends RawKeyKind>(topic: string, kind: K, key: RawKeyValue<K>): Buffer;
  serializeRawKey(topic: string, kind: RawKeyKind, key: unknown): Buffer;
  serializeRawKey(topic: string, kind: RawKeyKind, key: unknown): Buffer {
    return encodeRawKey(kind, key, topic);
  }

  /**
   * The value of a payload in Confluent's wire format, read with its writer's schema (fetched from the
   * registry by id the first time) — or resolved into `readerSchema`; with a generated type there, the
   * result has that type.
   */
  deserialize<T>(
    topic: string,
    bytes: Buffer,
    options: DeserializeOptions & { readonly readerSchema: AvroType<T, never> },
  ): Promise<T>;
  deserialize(topic: string, bytes: Buffer, options?: DeserializeOptions): Promise<unknown>;
  deserialize<T>(topic: string, bytes: Buffer, options?: DeserializeOptions): Promise<T> {
    try {
      if (options?.framing !== 'none') {
        const id = readSchemaId(bytes, topic);
        const writer = this.writerTypes.get(id);
        if (!(writer instanceof avro.Type)) {
          return (writer ?? this.loadWriterType(id)).then(
            () => this.deserializeSync(topic, bytes, options) as T,
          );
        }
      }
      return Promise.resolve(this.deserializeSync(topic, bytes, options) as T);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Synchronous `deserialize` for payloads whose writer schema is already known to this serde (it has
   * serialized or deserialized that schema id before); otherwise fails with SERDE_NOT_PREPARED.
   */
  deserializeSync<T>(
    topic: string,
    bytes: Buffer,
    options: DeserializeOptions & { readonly readerSchema: AvroType<T, never> },
  ): T;
  deserializeSync(topic: string, bytes: Buffer, options?: DeserializeOptions): unknown;
  deserializeSync<T>(topic: string, bytes: Buffer, options?: DeserializeOptions): T {
    if (options?.framing === 'none') {
      if (options.readerSchema === undefined)
        throw new OptionsError('readerSchema', "names the key's type when framing is 'none'");
      return decodeRawKey(rawKind(options.readerSchema), bytes, topic) as T;
    }
    const id = readSchemaId(bytes, topic);
    const writer = this.writerTypes.get(id);
    if (!(writer instanceof avro.Type)) {
      throw new SerdeError(
        'SERDE_NOT_PREPARED',
        `schema id ${id} (topic "${topic}") is not known yet: use deserialize() once`,
        {
          context: { topic, schemaId: id },
        },
      );
    }
    const reader = options?.readerSchema === undefined ? writer : this.typeOf(options.readerSchema);
    const resolver = reader === writer ? undefined : this.resolverFor(reader, writer, id, topic);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = reader.decode(bytes, HEADER_SIZE, resolver);
    } catch (err) {
      throw decodeError(err, topic, id);
    }
    const { value, offset } = decoded;
    if (offset !== bytes.length) {
      throw new SerdeError(
        'SERDE_INVALID_FRAME',
        offset < 0
          ? `payload on topic "${topic}" is truncated: schema id ${id} needs more than its ${bytes.length} bytes`
          : `payload on topic "${topic}" has ${bytes.length - offset} bytes left over after the value of schema id ${id}`,
        { context: { topic, schemaId: id, length: bytes.length } },
      );
    }
    return value as T;
  }

  /**
   * A reader of framed payloads inside a larger buffer — the consumer's record batches — for one topic
   * and reader schema: `read(buf, start, end)` gives exactly what `deserializeSync(topic,
   * buf.subarray(start, end), options)` gives, without making that view. Each writer schema id is
   * resolved into the reader once; the Avro is read in place, with one reused cursor whose end is the
   * payload's (array and map counts are checked against the payload's bytes, as ever). Anything but a
   * clean read — an unknown schema id, another frame, an incompatible writer, bytes that do not decode
   * to exactly the payload's end — goes to deserializeSync, so its values and its errors are the ones.
   */
  framedReader(topic: string, options: Omit<DeserializeOptions, 'framing'> = {}): FramedReader {
    const decoders = new Map<number, ReadAt>();
    const tap = new Tap(NO_BYTES, 0);
    tap.avrokitEmptyItems = undefined;
    tap.avrokitEnd = undefined;
    let lastId = -1;
    let last: ReadAt | undefined;
    const decoderFor = (id: number): ReadAt | undefined => {
      const known = decoders.get(id);
      if (known) return known;
      const writer = this.writerTypes.get(id);
      if (!(writer instanceof avro.Type)) return undefined;
      let read: ReadAt;
      try {
        const reader = options.readerSchema === undefined ? writer : this.typeOf(options.readerSchema);
        const resolver = reader === writer ? undefined : this.resolverFor(reader, writer, id, topic);
        const from = (resolver ?? reader) as unknown as { _read(tap: AvscTap): unknown };
        read = (t) => from._read(t);
      } catch {
        return undefined; // deserializeSync says why, each time
      }
      decoders.set(id, read);
      return read;
    };
    const exactly = (buf: Buffer, start: number, end: number): unknown =>
      this.deserializeSync(topic, buf.subarray(start, end), options);
    return {
      read: (buf, start, end) => {
        if (end - start < HEADER_SIZE || buf[start] !== MAGIC_BYTE) return exactly(buf, start, end);
        // buf.readUInt32BE(start + 1), without the call.
        const id =
          ((buf[start + 1]! << 24) | (buf[start + 2]! << 16) | (buf[start + 3]! << 8) | buf[start + 4]!) >>>
          0;
        let read = last;
        if (id !== lastId) {
          read = decoderFor(id);
          if (read === undefined) return exactly(buf, start, end);
          lastId = id;
          last = read;
        }
        tap.buf = buf;
        tap.pos = start + HEADER_SIZE;
        tap.avrokitEmptyItems = undefined;
        tap.avrokitEnd = end;
        let value: unknown;
        try {
          value = read!(tap);
        } catch {
          value = tap; // not a value: read again below, exactly
        }
        const clean = value !== tap && tap.pos === end;
        tap.buf = NO_BYTES; // the batch is not kept alive by the cursor
        // Reading stops at the payload's end only if it read nothing beyond it (reads only move on).
        return clean ? value : exactly(buf, start, end);
      },
    };
  }

  private loadWriterType(id: number): Promise<avro.Type> {
    const loading = this.registry.resolveById(id).then(
      (resolved) => {
        const type = this.buildType(resolved, `schema id ${id}`);
        this.writerTypes.set(id, type);
        return type;
      },
      (err: unknown) => {
        this.writerTypes.delete(id);
        throw err;
      },
    );
    this.writerTypes.set(id, loading);
    return loading;
  }

  private resolverFor(
    reader: avro.Type,
    writer: avro.Type,
    id: number,
    topic: string,
  ): avro.Resolver | undefined {
    let byId = this.resolvers.get(reader);
    if (!byId) this.resolvers.set(reader, (byId = new Map()));
    if (byId.has(id)) return byId.get(id);
    let resolver: avro.Resolver | undefined;
    try {
      // Same canonical form means the same binary layout: the reader decodes directly. This is faster,
      // and sidesteps avsc resolvers, which fail on some deeply nested schemas (the corpus' large_schema).
      resolver = reader.equals(writer) ? undefined : reader.createResolver(writer);
    } catch (err) {
      throw new SerdeError(
        'SERDE_INCOMPATIBLE_SCHEMA',
        `data on topic "${topic}" written with schema id ${id} (${writer.name ?? writer.typeName}) cannot be read as ${reader.name ?? reader.typeName}: ${(err as Error).message}`,
        { context: { topic, schemaId: id } },
      );
    }
    byId.set(id, resolver);
    return resolver;
  }

  private typeOf(schema: SchemaInput): avro.Type {
    if (isBuiltType(schema)) return schema as unknown as avro.Type;
    if (typeof schema === 'object') {
      let type = this.objectTypes.get(schema);
      if (!type) this.objectTypes.set(schema, (type = this.buildType(schema, 'the given schema')));
      return type;
    }
    const text = schemaText(schema);
    let type = this.textTypes.get(text);
    if (!type) this.textTypes.set(text, (type = this.buildType(text, 'the given schema')));
    return type;
  }

  private buildType(resolved: SchemaInput | ResolvedSchema, what: string): avro.Type {
    return buildType(resolved, { for: 'values', settings: this.values }, what);
  }

  private async bind(
    topic: string,
    schema: SchemaInput,
    isKey: boolean,
    references: readonly SchemaReference[],
  ): Promise<PreparedSerializer> {
    const local =
      references.length > 0
        ? this.buildType(
            { schema: schemaText(schema), dependencies: await this.registry.resolveReferences(references) },
            'the given schema',
          )
        : this.typeOf(schema);
    const subject = subjectFor(this.strategy, {
      topic,
      isKey,
      schema,
      recordName: local.name ?? fullNameOf(schema),
    });

    let schemaId: number;
    let writer = local;
    if (this.schemaId !== undefined) {
      schemaId = this.schemaId;
      writer = await (this.writerTypes.get(schemaId) ?? this.loadWriterType(schemaId));
    } else if (this.useLatestVersion) {
      const latest = await this.registry.getLatest(subject);
      schemaId = latest.id;
      writer = await (this.writerTypes.get(schemaId) ?? this.loadWriterType(schemaId));
      if (this.latestCompatibilityStrict) {
        try {
          writer.createResolver(local);
        } catch (err) {
          throw new SerdeError(
            'SERDE_INCOMPATIBLE_SCHEMA',
            `the latest schema of subject "${subject}" (id ${schemaId}, version ${latest.version}) cannot read data of the given schema: ${(err as Error).message}`,
            { context: { topic, subject, schemaId } },
          );
        }
      }
    } else if (this.autoRegister) {
      schemaId = await this.registry.register(subject, schema, { references });
    } else {
      schemaId = (await this.registry.lookup(subject, schema, { references })).id;
    }

    const type = writer;
    // Records this serde writes can be read back without asking the registry for their schema.
    if (!(this.writerTypes.get(schemaId) instanceof avro.Type)) this.writerTypes.set(schemaId, type);
    const encode = (value: unknown, encoder: typeof encodeFramed): Buffer => {
      try {
        return encoder(type, schemaId, value);
      } catch (err) {
        // The happy path pays nothing for validation (avsc's writers check as they go); only a failed
        // write walks the value again to say exactly where and why.
        const issues = valueIssues(type, value);
        const where = `${isKey ? 'key' : 'value'} for topic "${topic}" (subject ${subject}, schema id ${schemaId})`;
        if (issues.length === 0) {
          // avsc's message quotes the value, which may be personal data: it stays in `cause` only.
          throw new SerdeError('SERDE_INVALID_VALUE', `could not encode the ${where}`, {
            context: { topic, subject, schemaId, isKey },
            cause: err,
          });
        }
        throw new SerdeError('SERDE_INVALID_VALUE', `invalid ${where}: ${formatIssues(issues)}`, {
          context: { topic, subject, schemaId, isKey, path: issues[0]?.path },
          issues,
        });
      }
    };
    const writeBody = compileWriter(type);
    const id0 = (schemaId >>> 24) & 0xff;
    const id1 = (schemaId >>> 16) & 0xff;
    const id2 = (schemaId >>> 8) & 0xff;
    const id3 = schemaId & 0xff;
    const writeFramed: FramedWriter = (tap, value) => {
      const buf = tap.buf;
      const pos = tap.pos;
      buf[pos] = MAGIC_BYTE;
      buf[pos + 1] = id0;
      buf[pos + 2] = id1;
      buf[pos + 3] = id2;
      buf[pos + 4] = id3;
      tap.pos = pos + HEADER_SIZE;
      writeBody(tap, value);
    };
    // avrokit's writer first; a value it refuses goes to avsc, which says why (or, should it take
    // the value after all, writes it).
    const write = (value: unknown, copy: boolean): Buffer => {
      const bytes = writeFramedTransient(writeFramed, value);
      if (bytes === undefined) return encode(value, copy ? encodeFramed : encodeFramedTransient);
      return copy ? Buffer.from(bytes) : bytes;
    };
    const serializer: PreparedSerializer = {
      topic,
      isKey,
      subject,
      schemaId,
      type: asAvroType<unknown, never>(type),
      serialize: (value: unknown): Buffer => write(value, true),
      serializeTransient: (value: unknown): Buffer => write(value, false),
    };
    framedWriters.set(serializer, writeFramed);
    return serializer;
  }
}

const missingSchema = () =>
  new OptionsError('schema', 'the schema to write with is missing: serialize(topic, value, { schema })');

function rawKind(schema: SchemaInput): RawKeyKind {
  const json = schemaJsonOf(schema);
  const kind = typeof json === 'string' ? json : (json as { readonly type?: unknown }).type;
  if (!isRawKeyKind(kind)) {
    throw new OptionsError(
      'framing',
      `'none' works only for primitive keys (${RAW_KEY_KINDS.join(', ')}), not ${schemaText(schema)}`,
    );
  }
  return kind;
}

/** A failure inside avsc's reader, as a typed error that says which topic and schema id. */
function decodeError(err: unknown, topic: string, schemaId: number): SerdeError {
  const context = { topic, schemaId };
  if (isAvrokitError(err) && err.code === 'SERDE_VALUE_OUT_OF_RANGE') {
    return new SerdeError(err.code, `a value on topic "${topic}" (schema id ${schemaId}): ${err.message}`, {
      context: { ...context, ...err.context },
      cause: err,
    });
  }
  return new SerdeError(
    'SERDE_INVALID_FRAME',
    `payload on topic "${topic}" is not valid Avro for schema id ${schemaId}: ${(err as Error).message}`,
    { context, cause: err },
  );
}
