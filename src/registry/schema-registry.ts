import { OptionsError } from '../errors.js';
import { RegistryError, isNotFound } from './errors.js';
import { LoadingCache } from './loading-cache.js';
import {
  normalizeRegistryOptions,
  type NormalizedRegistryOptions,
  type SchemaRegistryOptions,
} from './options.js';
import type { ResolvedSchema } from '../schema/build.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../schema/compatibility-levels.js';
import { schemaText, type SchemaInput } from '../schema/schema-input.js';
import { RegistryTransport, type Counters } from './transport.js';
import type {
  RegistryCompatibilityResult,
  RegisteredSchema,
  RegistryStats,
  SchemaReference,
  SubjectVersion,
} from './types.js';

export interface RegisterOptions {
  readonly references?: readonly SchemaReference[];
}

export interface TestCompatibilityOptions extends RegisterOptions {
  /** The version to test against. @default 'latest' */
  readonly version?: number | 'latest';
  /** Ask the registry to explain an incompatibility (Confluent does; Apicurio answers without messages). @default true */
  readonly verbose?: boolean;
}

interface SchemaBody {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
  id?: unknown;
  subject?: unknown;
  version?: unknown;
}

const seg = encodeURIComponent;

/**
 * A client for the Confluent Schema Registry REST API (Confluent, Apicurio's `/apis/ccompat/v7`,
 * Karapace, Redpanda). Answers are cached in bounded LRU caches with per-key single-flight, so once a
 * schema's id is known, serializing never needs the network again.
 *
 * @example
 * const registry = new SchemaRegistry({ url: process.env.SCHEMA_REGISTRY_URL! });
 * const id = await registry.register('customers-value', customerSchema);
 */
export class SchemaRegistry {
  readonly url: string;
  private readonly options: NormalizedRegistryOptions;
  private readonly counters: Counters = { httpRequests: 0, cacheHits: 0, cacheMisses: 0, retries: 0 };
  private readonly transport: RegistryTransport;
  private readonly registered: LoadingCache<number>;
  private readonly lookedUp: LoadingCache<{ id: number; version: number }>;
  private readonly byId: LoadingCache<RegisteredSchema>;
  private readonly latest: LoadingCache<SubjectVersion>;
  private readonly versions: LoadingCache<SubjectVersion>;
  private readonly resolved: LoadingCache<ResolvedSchema>;

  constructor(options: SchemaRegistryOptions) {
    this.options = normalizeRegistryOptions(options);
    this.url = this.options.url;
    this.transport = new RegistryTransport(this.options, this.counters);
    const cache = { max: this.options.cacheSize, notFoundTtlMs: this.options.notFoundTtlMs };
    this.registered = new LoadingCache(cache, this.counters);
    this.lookedUp = new LoadingCache(cache, this.counters);
    this.byId = new LoadingCache(cache, this.counters);
    this.latest = new LoadingCache({ ...cache, ttlMs: this.options.latestTtlMs }, this.counters);
    this.versions = new LoadingCache(cache, this.counters);
    this.resolved = new LoadingCache(cache, this.counters);
  }

  /** Registers `schema` under `subject` (or finds it already registered) and returns its id. Never changes the subject's compatibility setting. */
  register(subject: string, schema: SchemaInput, options: RegisterOptions = {}): Promise<number> {
    const text = schemaText(schema);
    const references = options.references ?? [];
    const key = cacheKey(subject, text, references);
    return this.registered.get(key, async () => {
      const body = await this.transport.request<SchemaBody | null>({
        method: 'POST',
        path: `/subjects/${seg(subject)}/versions`,
        body: { schema: text, schemaType: 'AVRO', ...(references.length ? { references } : {}) },
        about: { subject },
      });
      const id = expectInteger(body?.id, 'id', { subject });
      // A new version may now be the latest, and an earlier "not registered" answer is now wrong.
      this.latest.delete(subject);
      this.lookedUp.delete(key);
      return id;
    });
  }

  /** Finds the id and version under which `schema` is registered in `subject`; REGISTRY_NOT_FOUND if it is not. */
  lookup(
    subject: string,
    schema: SchemaInput,
    options: RegisterOptions = {},
  ): Promise<{ id: number; version: number }> {
    const text = schemaText(schema);
    const references = options.references ?? [];
    return this.lookedUp.get(cacheKey(subject, text, references), async () => {
      const body = await this.transport.request<SchemaBody | null>({
        method: 'POST',
        path: `/subjects/${seg(subject)}`,
        body: { schema: text, schemaType: 'AVRO', ...(references.length ? { references } : {}) },
        about: { subject },
      });
      return {
        id: expectInteger(body?.id, 'id', { subject }),
        version: expectInteger(body?.version, 'version', { subject }),
      };
    });
  }

  getSchemaById(id: number): Promise<RegisteredSchema> {
    if (!Number.isInteger(id) || id < 0)
      throw new OptionsError('id', `a schema id is a non-negative integer, got ${id}`);
    return this.byId.get(String(id), async () => {
      const body = await this.transport.request<SchemaBody | null>({
        method: 'GET',
        path: `/schemas/ids/${id}`,
        about: { schemaId: id },
      });
      return toRegistered(body, id, { schemaId: id });
    });
  }

  /** The latest version of `subject`; cached for `latestTtlMs`. */
  getLatest(subject: string): Promise<SubjectVersion> {
    return this.latest.get(subject, () => this.fetchVersion(subject, 'latest'));
  }

  getVersion(subject: string, version: number): Promise<SubjectVersion> {
    return this.versions.get(`${subject}\0${version}`, () => this.fetchVersion(subject, version));
  }

  private async fetchVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const body = await this.transport.request<SchemaBody | null>({
      method: 'GET',
      path: `/subjects/${seg(subject)}/versions/${version}`,
      about: { subject, version },
    });
    const id = expectInteger(body?.id, 'id', { subject });
    return {
      ...toRegistered(body, id, { subject }),
      subject,
      version: expectInteger(body?.version, 'version', { subject }),
    };
  }

  async listSubjects(): Promise<string[]> {
    const body = await this.transport.request<unknown>({ method: 'GET', path: '/subjects' });
    if (!Array.isArray(body) || !body.every((s) => typeof s === 'string')) {
      throw invalidResponse('subjects', {}, 'a list of subject names');
    }
    return body as string[];
  }

  async listVersions(subject: string): Promise<number[]> {
    const body = await this.transport.request<unknown>({
      method: 'GET',
      path: `/subjects/${seg(subject)}/versions`,
      about: { subject },
    });
    if (!Array.isArray(body) || !body.every((v) => Number.isInteger(v))) {
      throw invalidResponse('versions', { subject }, 'a list of version numbers');
    }
    return body as number[];
  }

  /** The level in force for `subject` (its own, else the global one), or the global level. */
  async getCompatibility(subject?: string): Promise<CompatibilityLevel> {
    if (subject !== undefined) {
      try {
        return levelOf(
          await this.transport.request({
            method: 'GET',
            path: `/config/${seg(subject)}?defaultToGlobal=true`,
            about: { subject },
          }),
        );
      } catch (err) {
        // Confluent answers 404 (40401/40408) for a subject without a level of its own.
        if (!isNotFound(err)) throw err;
      }
    }
    return levelOf(await this.transport.request({ method: 'GET', path: '/config' }));
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel> {
    // Checked here because some registries answer an unknown level with a 500, which would be retried.
    if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
      throw new OptionsError(
        'level',
        `must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got ${String(level)}`,
      );
    }
    const body = await this.transport.request<unknown>({
      method: 'PUT',
      path: subject === undefined ? '/config' : `/config/${seg(subject)}`,
      body: { compatibility: level },
      ...(subject === undefined ? {} : { about: { subject } }),
    });
    return levelOf(body);
  }

  /** Asks the registry whether `schema` may be registered as the next version of `subject`. */
  async testCompatibility(
    subject: string,
    schema: SchemaInput,
    options: TestCompatibilityOptions = {},
  ): Promise<RegistryCompatibilityResult> {
    const version = options.version ?? 'latest';
    const references = options.references ?? [];
    const body = await this.transport.request<{ is_compatible?: unknown; messages?: unknown } | null>({
      method: 'POST',
      path: `/compatibility/subjects/${seg(subject)}/versions/${version}?verbose=${options.verbose ?? true}`,
      body: { schema: schemaText(schema), schemaType: 'AVRO', ...(references.length ? { references } : {}) },
      about: { subject, version },
    });
    if (typeof body?.is_compatible !== 'boolean') {
      throw invalidResponse('is_compatible', { subject });
    }
    const messages = Array.isArray(body.messages) ? body.messages.map(String) : [];
    return { compatible: body.is_compatible, messages };
  }

  /**
   * The schema registered under `id` with every schema it references, recursively, dependencies first:
   * everything needed to build a type for it. Cached.
   */
  resolveById(id: number): Promise<ResolvedSchema> {
    return this.resolved.get(`id\0${id}`, async () => {
      const registered = await this.getSchemaById(id);
      return { schema: registered.schema, dependencies: await this.resolveReferences(registered.references) };
    });
  }

  /** The schemas behind `references`, recursively, dependencies first, each once. */
  async resolveReferences(references: readonly SchemaReference[]): Promise<ResolvedSchema['dependencies']> {
    const ordered: Array<{ name: string; schema: string }> = [];
    const seen = new Set<string>();
    const visit = async (refs: readonly SchemaReference[], chain: readonly string[]): Promise<void> => {
      for (const ref of refs) {
        const key = `${ref.subject}\0${ref.version}`;
        if (chain.includes(key)) {
          throw new RegistryError(
            'REGISTRY_INVALID_RESPONSE',
            `schema references form a cycle through ${ref.subject} v${ref.version}`,
            {
              context: { subject: ref.subject, version: ref.version },
            },
          );
        }
        if (seen.has(key)) continue;
        const version = await this.getVersion(ref.subject, ref.version);
        await visit(version.references, [...chain, key]);
        if (!seen.has(key)) {
          seen.add(key);
          ordered.push({ name: ref.name, schema: version.schema });
        }
      }
    };
    await visit(references, []);
    return ordered;
  }

  stats(): RegistryStats {
    return { ...this.counters };
  }

  /** Closes kept-alive connections. The client must not be used afterwards. */
  close(): void {
    this.transport.close();
  }

  /**
   * What `console.log(registry)` and `JSON.stringify` show: the URL and the counters. The options
   * (credentials, a client key) and the HTTP client (an Authorization header) stay out of sight.
   */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    return Object.assign(Object.create({ constructor: SchemaRegistry }) as object, this.toJSON());
  }

  toJSON(): { url: string; stats: RegistryStats } {
    return { url: this.url, stats: this.stats() };
  }
}

function cacheKey(subject: string, text: string, references: readonly SchemaReference[]): string {
  const refs = references.map((r) => `${r.name}@${r.subject}/${r.version}`).join(',');
  return `${subject}\0${text}\0${refs}`;
}

type About = { readonly subject?: string; readonly schemaId?: number };

/** A 2xx answer without what it should hold (an error body, `null`, a wrong shape), naming what was asked. */
function invalidResponse(field: string, about: About, expected?: string): RegistryError {
  const what =
    about.subject !== undefined
      ? ` for subject "${about.subject}"`
      : about.schemaId !== undefined
        ? ` for schema id ${about.schemaId}`
        : '';
  return new RegistryError(
    'REGISTRY_INVALID_RESPONSE',
    `the registry's answer${what} has no valid "${field}"${expected ? ` (expected ${expected})` : ''}`,
    { context: { ...about } },
  );
}

function expectInteger(value: unknown, field: string, about: About): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidResponse(field, about);
  return value;
}

const isReference = (r: unknown): r is SchemaReference =>
  typeof r === 'object' &&
  r !== null &&
  typeof (r as SchemaReference).name === 'string' &&
  typeof (r as SchemaReference).subject === 'string' &&
  Number.isInteger((r as SchemaReference).version);

function toRegistered(body: SchemaBody | null | undefined, id: number, about: About): RegisteredSchema {
  if (typeof body?.schema !== 'string') throw invalidResponse('schema', about);
  const references = body.references ?? [];
  if (!Array.isArray(references) || !references.every(isReference)) {
    throw invalidResponse('references', about, 'a list of { name, subject, version }');
  }
  return {
    id,
    schema: body.schema,
    schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO',
    references,
  };
}

/** Confluent answers `compatibilityLevel` on GET and `compatibility` on PUT; Apicurio uses either. */
function levelOf(body: unknown): CompatibilityLevel {
  const { compatibilityLevel, compatibility } = (body ?? {}) as {
    compatibilityLevel?: unknown;
    compatibility?: unknown;
  };
  const level = compatibilityLevel ?? compatibility;
  if (typeof level !== 'string' || !(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
    throw invalidResponse('compatibilityLevel', {});
  }
  return level as CompatibilityLevel;
}
