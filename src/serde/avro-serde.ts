import avro from 'avsc';
import { avroTypeOptions, withExactNumbers } from '../avro/avro-type.js';
import { isAvrokitError, OptionsError, SchemaError } from '../errors.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import { fullNameOf, schemaText } from '../registry/schema-text.js';
import type { ResolvedSchema, SchemaInput, SchemaReference } from '../registry/types.js';
import { formatIssues, SerdeError, valueIssues } from './errors.js';
import { decodeRawKey, encodeRawKey, RAW_KEY_KINDS, type RawKeyKind } from './raw-keys.js';
import { subjectFor, type SubjectStrategy } from './subject-strategy.js';
import { encodeFramed, encodeFramedTransient, HEADER_SIZE, readSchemaId } from './wire-format.js';

/** avsc's options for building a Type (union wrapping, logical types, …). */
export type TypeOptions = NonNullable<Parameters<typeof avro.Type.forSchema>[1]>;

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
   * Options for types built from schema text (writer schemas read from the registry, JSON schemas given
   * here). The default reads values the way generated code types them (`avroTypeOptions()`: Date for
   * timestamp-millis, decimal text, …); pass `{}` for avsc's plain defaults.
   */
  readonly typeOptions?: TypeOptions;
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
  readonly type: avro.Type;
  serialize(value: T): Buffer;
  /**
   * `serialize` into space shared by every serializer: the returned bytes are valid only until the next
   * serialization. For callers that copy them straight away; everyone else wants `serialize`.
   */
  serializeTransient(value: T): Buffer;
}

type PreparedEntry = PreparedSerializer | Promise<PreparedSerializer>;

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
  private readonly typeOptions: TypeOptions;
  private readonly preparedByObject = new WeakMap<object, Map<string, PreparedEntry>>();
  private readonly preparedByText = new Map<string, Map<string, PreparedEntry>>();
  private readonly writerTypes = new Map<number, avro.Type | Promise<avro.Type>>();
  private readonly resolvers = new WeakMap<avro.Type, Map<number, avro.Resolver | undefined>>();
  private readonly textTypes = new Map<string, avro.Type>();
  // Per serde, like textTypes: a Type depends on this serde's typeOptions, so two serdes must not share one.
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
    // Whatever the caller's options, longs and floats are exact (avsc's own long is not, below −2^52).
    this.typeOptions = options.typeOptions ? withExactNumbers(options.typeOptions) : avroTypeOptions();
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

  /** Resolves once `schema`'s id for `topic` is known; the returned serializer is synchronous. */
  prepare<T = unknown>(
    topic: string,
    schema: SchemaInput,
    options: Omit<SerializeOptions, 'schema' | 'framing'> = {},
  ): Promise<PreparedSerializer<T>> {
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
  preparedFor<T = unknown>(
    topic: string,
    schema: SchemaInput,
    isKey = false,
  ): PreparedSerializer<T> | undefined {
    const known = (
      typeof schema === 'string' ? this.preparedByText.get(schema) : this.preparedByObject.get(schema)
    )?.get((isKey ? 'k' : 'v') + topic);
    return known && !(known instanceof Promise) ? (known as PreparedSerializer<T>) : undefined;
  }

  serialize(topic: string, value: unknown, options: SerializeOptions): Promise<Buffer> {
    try {
      if (options.framing === 'none')
        return Promise.resolve(encodeRawKey(rawKind(options.schema), value, topic));
      const ready = this.preparedFor(topic, options.schema, options.isKey);
      if (ready) return Promise.resolve(ready.serialize(value));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.prepare(topic, options.schema, options).then((prepared) => prepared.serialize(value));
  }

  deserialize<T = unknown>(topic: string, bytes: Buffer, options?: DeserializeOptions): Promise<T> {
    try {
      if (options?.framing !== 'none') {
        const id = readSchemaId(bytes, topic);
        const writer = this.writerTypes.get(id);
        if (!(writer instanceof avro.Type)) {
          return (writer ?? this.loadWriterType(id)).then(() =>
            this.deserializeSync<T>(topic, bytes, options),
          );
        }
      }
      return Promise.resolve(this.deserializeSync<T>(topic, bytes, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Synchronous `deserialize` for payloads whose writer schema is already known to this serde (it has
   * serialized or deserialized that schema id before); otherwise fails with SERDE_NOT_PREPARED.
   */
  deserializeSync<T = unknown>(topic: string, bytes: Buffer, options?: DeserializeOptions): T {
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
    if (schema instanceof avro.Type) return schema;
    if (typeof schema === 'object') {
      let type = this.objectTypes.get(schema);
      if (!type)
        this.objectTypes.set(
          schema,
          (type = this.buildType({ schema: schemaText(schema), dependencies: [] }, 'the given schema')),
        );
      return type;
    }
    const text = schemaText(schema);
    let type = this.textTypes.get(text);
    if (!type)
      this.textTypes.set(
        text,
        (type = this.buildType({ schema: text, dependencies: [] }, 'the given schema')),
      );
    return type;
  }

  private buildType(resolved: ResolvedSchema, what: string): avro.Type {
    const registry: Record<string, avro.Type> = {};
    try {
      for (const dependency of resolved.dependencies) {
        avro.Type.forSchema(JSON.parse(dependency.schema) as avro.Schema, { ...this.typeOptions, registry });
      }
      return avro.Type.forSchema(JSON.parse(resolved.schema) as avro.Schema, {
        ...this.typeOptions,
        registry,
      });
    } catch (err) {
      throw new SchemaError(
        'SCHEMA_INVALID',
        `${what} is not a valid Avro schema: ${(err as Error).message}`,
      );
    }
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
    return {
      topic,
      isKey,
      subject,
      schemaId,
      type,
      serialize: (value: unknown): Buffer => encode(value, encodeFramed),
      serializeTransient: (value: unknown): Buffer => encode(value, encodeFramedTransient),
    };
  }
}

function rawKind(schema: SchemaInput): RawKeyKind {
  const text = schemaText(schema);
  const name: unknown = JSON.parse(text);
  const kind = typeof name === 'string' ? name : (name as { type?: unknown }).type;
  if (typeof kind !== 'string' || !(RAW_KEY_KINDS as readonly string[]).includes(kind)) {
    throw new OptionsError(
      'framing',
      `'none' works only for primitive keys (${RAW_KEY_KINDS.join(', ')}), not ${text}`,
    );
  }
  return kind as RawKeyKind;
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
