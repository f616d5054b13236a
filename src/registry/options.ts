import { OptionsError } from '../errors.js';
import type { TlsOptions } from '../tls.js';

export type BearerTokenProvider = () => string | Promise<string>;

export type RegistryAuth =
  /** HTTP basic auth. May also be given as user-info in `url` (`https://user:pass@host/...`). */
  | { readonly username: string; readonly password: string }
  /** A static bearer token, or a provider called once at first use and again whenever the registry answers 401. */
  | { readonly bearer: string | BearerTokenProvider };

export interface SchemaRegistryOptions {
  /**
   * Base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:18081/apis/ccompat/v7` for
   * Apicurio or `https://psrc-x.confluent.cloud` for Confluent Cloud.
   */
  readonly url: string;
  readonly auth?: RegistryAuth;
  readonly tls?: TlsOptions;
  /**
   * Upper bound for one HTTP request, connection included.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * Retries after a network error, timeout, 5xx or 429 (never after any other 4xx).
   * @default 3
   */
  readonly retries?: number;
  /**
   * First retry delay; each further retry doubles it, up to `retryMaxDelayMs`, with full jitter.
   * @default 100
   */
  readonly retryInitialDelayMs?: number;
  /** @default 2000 */
  readonly retryMaxDelayMs?: number;
  /**
   * Entries per cache (schema → id per subject, id → schema, latest versions, …).
   * @default 1000
   */
  readonly cacheSize?: number;
  /**
   * How long `getLatest` answers from cache before asking again.
   * @default 60000
   */
  readonly latestTtlMs?: number;
  /**
   * How long a "not found" answer is remembered, so a hot loop on a missing schema does not hammer the registry.
   * @default 2000
   */
  readonly notFoundTtlMs?: number;
  /**
   * Maximum open connections to the registry.
   * @default 16
   */
  readonly maxSockets?: number;
}

export interface NormalizedRegistryOptions extends Required<Omit<SchemaRegistryOptions, 'auth' | 'tls'>> {
  readonly auth: RegistryAuth | undefined;
  readonly tls: TlsOptions | undefined;
}

export const defaultRegistryOptions = {
  timeoutMs: 10_000,
  retries: 3,
  retryInitialDelayMs: 100,
  retryMaxDelayMs: 2_000,
  cacheSize: 1_000,
  latestTtlMs: 60_000,
  notFoundTtlMs: 2_000,
  maxSockets: 16,
} as const satisfies Partial<SchemaRegistryOptions>;

function nonNegativeInteger(name: string, value: number, min = 0): number {
  if (!Number.isInteger(value) || value < min) {
    throw new OptionsError(name, `must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates once at construction and folds URL user-info into basic auth, so that no credential
 * is ever part of a URL we log or put in an error.
 */
export function normalizeRegistryOptions(options: SchemaRegistryOptions): NormalizedRegistryOptions {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch {
    throw new OptionsError('url', 'is not an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OptionsError('url', `must be http or https, got ${parsed.protocol}`);
  }
  let auth = options.auth;
  if (parsed.username || parsed.password) {
    if (auth) throw new OptionsError('auth', 'credentials are given both in url and in auth');
    auth = { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
    parsed.username = '';
    parsed.password = '';
  }
  const merged = { ...defaultRegistryOptions, ...options };
  return {
    url: parsed.toString().replace(/\/+$/, ''),
    auth,
    tls: options.tls,
    timeoutMs: nonNegativeInteger('timeoutMs', merged.timeoutMs, 1),
    retries: nonNegativeInteger('retries', merged.retries),
    retryInitialDelayMs: nonNegativeInteger('retryInitialDelayMs', merged.retryInitialDelayMs),
    retryMaxDelayMs: nonNegativeInteger('retryMaxDelayMs', merged.retryMaxDelayMs),
    cacheSize: nonNegativeInteger('cacheSize', merged.cacheSize, 1),
    latestTtlMs: nonNegativeInteger('latestTtlMs', merged.latestTtlMs),
    notFoundTtlMs: nonNegativeInteger('notFoundTtlMs', merged.notFoundTtlMs),
    maxSockets: nonNegativeInteger('maxSockets', merged.maxSockets, 1),
  };
}
