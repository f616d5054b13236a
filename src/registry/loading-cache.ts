import { LRUCache } from 'lru-cache';
import { isNotFound, type RegistryError } from './errors.js';
import type { Counters } from './transport.js';

export interface LoadingCacheOptions {
  readonly max: number;
  /** Entries expire after this long; omit for immutable data (a schema id never changes meaning). */
  readonly ttlMs?: number;
  /** "Not found" answers are remembered this long. */
  readonly notFoundTtlMs: number;
}

/**
 * A bounded cache that loads on miss with per-key single-flight: concurrent callers for one key share
 * one load, while loads for other keys proceed independently (no global lock, so a slow miss on one
 * subject never stalls hits on another). "Not found" is cached briefly as well.
 */
export class LoadingCache<V extends NonNullable<unknown>> {
  private readonly values: LRUCache<string, V>;
  private readonly notFound: LRUCache<string, RegistryError>;
  private readonly inflight = new Map<string, Promise<V>>();

  constructor(
    options: LoadingCacheOptions,
    private readonly counters: Counters,
  ) {
    this.values = new LRUCache<string, V>({
      max: options.max,
      ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
    });
    this.notFound = new LRUCache<string, RegistryError>({
      max: options.max,
      ttl: Math.max(1, options.notFoundTtlMs),
    });
  }

  delete(key: string): void {
    this.values.delete(key);
    this.notFound.delete(key);
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const value = this.values.get(key);
    if (value !== undefined) {
      this.counters.cacheHits++;
      return Promise.resolve(value);
    }
    const missing = this.notFound.get(key);
    if (missing) {
      this.counters.cacheHits++;
      return Promise.reject(missing);
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.counters.cacheHits++;
      return pending;
    }
    this.counters.cacheMisses++;
    const loading = (async () => {
      try {
        const loaded = await load();
        this.values.set(key, loaded);
        return loaded;
      } catch (err) {
        if (isNotFound(err)) this.notFound.set(key, err);
        throw err;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, loading);
    return loading;
  }
}
