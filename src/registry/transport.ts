import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { isTlsErrorCode } from '../errors.js';
import { codeForAnswer, RegistryError, type RegistryErrorContext } from './errors.js';
import type { BearerTokenProvider, NormalizedRegistryOptions } from './options.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPT =
  'application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json';

export interface Counters {
  httpRequests: number;
  cacheHits: number;
  cacheMisses: number;
  retries: number;
}

export interface RegistryRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** What the request is about, for errors: subject, schemaId, version. */
  readonly about?: Pick<RegistryErrorContext, 'subject' | 'schemaId' | 'version'>;
}

const RETRIABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_CANCELED',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/**
 * HTTP to the registry: keep-alive connections, authentication, an absolute timeout per request, and
 * retries with exponential backoff and full jitter on network errors, 5xx and 429 only.
 */
export class RegistryTransport {
  private readonly http: AxiosInstance;
  private readonly agents: Array<HttpAgent | HttpsAgent>;
  private bearer: Promise<string> | undefined;

  constructor(
    private readonly options: NormalizedRegistryOptions,
    private readonly counters: Counters,
  ) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
    const httpAgent = new HttpAgent(agentOptions);
    const httpsAgent = new HttpsAgent({ ...agentOptions, ...options.tls });
    this.agents = [httpAgent, httpsAgent];
    const auth = options.auth;
    this.http = axios.create({
      baseURL: options.url,
      httpAgent,
      httpsAgent,
      timeout: options.timeoutMs,
      // Status codes are ours to interpret; axios should only throw for transport failures.
      validateStatus: () => true,
      maxRedirects: 0,
      proxy: false,
      headers: {
        Accept: ACCEPT,
        'Content-Type': CONTENT_TYPE,
        ...(auth && 'username' in auth
          ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
          : {}),
      },
    });
  }

  close(): void {
    for (const agent of this.agents) agent.destroy();
  }

  private bearerProvider(): BearerTokenProvider | undefined {
    const auth = this.options.auth;
    return auth && 'bearer' in auth && typeof auth.bearer === 'function' ? auth.bearer : undefined;
  }

  /**
   * The token to send. `rejected` is the token promise a 401 answered: only the first request to
   * report it calls the provider; requests that report the same stale token later share that call.
   */
  private token(rejected?: Promise<string>): Promise<string> | undefined {
    const auth = this.options.auth;
    if (!auth || !('bearer' in auth)) return undefined;
    if (typeof auth.bearer === 'string') return Promise.resolve(auth.bearer);
    if (!this.bearer || (rejected !== undefined && this.bearer === rejected)) {
      const provider: BearerTokenProvider = auth.bearer;
      const fresh = Promise.resolve().then(provider);
      this.bearer = fresh;
      fresh.catch(() => {
        if (this.bearer === fresh) this.bearer = undefined;
      });
    }
    return this.bearer;
  }

  private delayBeforeRetry(attempt: number, response: AxiosResponse | undefined): number {
    const retryAfter = Number(response?.headers['retry-after']);
    if (Number.isFinite(retryAfter) && retryAfter >= 0)
      return Math.min(retryAfter * 1000, this.options.retryMaxDelayMs);
    const ceiling = Math.min(this.options.retryMaxDelayMs, this.options.retryInitialDelayMs * 2 ** attempt);
    return Math.random() * ceiling;
  }

  async request<T>(req: RegistryRequest): Promise<T> {
    const context = { method: req.method, url: `${this.options.url}${req.path}`, ...req.about };
    let refreshedToken = false;
    let tokenPromise = this.token();
    for (let attempt = 0; ; attempt++) {
      let response: AxiosResponse | undefined;
      let failure: { code: string; message: string } | undefined;
      try {
        const token = tokenPromise ? await tokenPromise : undefined;
        this.counters.httpRequests++;
        response = await this.http.request({
          method: req.method,
          url: req.path,
          data: req.body === undefined ? undefined : JSON.stringify(req.body),
          headers: token ? { Authorization: `Bearer ${token}` } : {},
          // axios' `timeout` only bounds idle sockets; the signal bounds the whole exchange.
          signal: AbortSignal.timeout(this.options.timeoutMs),
          responseType: 'text',
          transformResponse: (data: unknown) => data,
        });
      } catch (err) {
        // Only the code and message travel on: axios errors hold the request config, headers included.
        const e = err as { code?: string; message?: string; name?: string };
        failure = { code: e.code ?? e.name ?? 'ERR_NETWORK', message: e.message ?? String(err) };
      }

      if (response && response.status >= 200 && response.status < 300) {
        return parseBody<T>(response, context);
      }
      if (response?.status === 401 && !refreshedToken && this.bearerProvider()) {
        refreshedToken = true;
        tokenPromise = this.token(tokenPromise);
        attempt--;
        continue;
      }
      const retriable = response
        ? response.status >= 500 || response.status === 429
        : RETRIABLE_NETWORK_CODES.has(failure?.code ?? '');
      if (retriable && attempt < this.options.retries) {
        this.counters.retries++;
        await sleep(this.delayBeforeRetry(attempt, response));
        continue;
      }
      throw response
        ? answerError(response, context)
        : transportError(failure, context, this.options.timeoutMs);
    }
  }
}

function parseBody<T>(response: AxiosResponse, context: RegistryErrorContext): T {
  const text = typeof response.data === 'string' ? response.data : '';
  try {
    return (text === '' ? undefined : JSON.parse(text)) as T;
  } catch {
    throw new RegistryError(
      'REGISTRY_INVALID_RESPONSE',
      `${context.method} ${context.url} answered ${response.status} with a body that is not JSON`,
      {
        context: { ...context, status: response.status },
      },
    );
  }
}

function answerError(response: AxiosResponse, context: RegistryErrorContext): RegistryError {
  let errorCode: number | undefined;
  let detail = '';
  try {
    const body = JSON.parse(String(response.data)) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'number') errorCode = body.error_code;
    if (typeof body.message === 'string') detail = body.message;
  } catch {
    detail = String(response.data ?? '').slice(0, 200);
  }
  const code = codeForAnswer(response.status, errorCode);
  const what = [
    context.subject !== undefined ? `subject "${context.subject}"` : undefined,
    context.schemaId !== undefined ? `schema id ${context.schemaId}` : undefined,
    context.version !== undefined ? `version ${context.version}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return new RegistryError(
    code,
    `${context.method} ${context.url} failed with HTTP ${response.status}` +
      (errorCode !== undefined ? ` (error_code ${errorCode})` : '') +
      (what ? ` for ${what}` : '') +
      (detail ? `: ${detail}` : ''),
    {
      retriable: code === 'REGISTRY_UNAVAILABLE',
      context: { ...context, status: response.status, errorCode },
    },
  );
}

function transportError(
  failure: { code: string; message: string } | undefined,
  context: RegistryErrorContext,
  timeoutMs: number,
): RegistryError {
  if (isTlsErrorCode(failure?.code)) {
    // As a refused certificate is for Java's clients: final, so it is not retried, and it names the
    // server whose certificate (or its CA) is wrong.
    const { host, port, protocol } = new URL(context.url ?? 'https://unknown');
    const where = `${host}${port ? '' : protocol === 'https:' ? ':443' : ':80'}`;
    return new RegistryError(
      'REGISTRY_TLS_FAILED',
      `the TLS handshake with the registry at ${where} failed: ${failure?.message ?? ''} (${failure?.code}); check the CA (tls.ca) its certificate is verified against, and the name it is for`,
      { context: { ...context, host: where, tlsError: failure?.code } },
    );
  }
  const timedOut =
    failure?.code === 'ECONNABORTED' ||
    failure?.code === 'ERR_CANCELED' ||
    failure?.code === 'ETIMEDOUT' ||
    /timeout/i.test(failure?.message ?? '');
  if (timedOut) {
    return new RegistryError(
      'REGISTRY_TIMEOUT',
      `${context.method} ${context.url} got no answer within ${timeoutMs} ms`,
      {
        retriable: true,
        context,
      },
    );
  }
  return new RegistryError(
    'REGISTRY_UNAVAILABLE',
    `${context.method} ${context.url} failed: ${failure?.code ?? 'network error'}${failure?.message ? ` (${failure.message})` : ''}`,
    { retriable: true, context },
  );
}
