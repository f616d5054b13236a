import { AvrokitError, type ErrorCode } from '../errors.js';

export interface RegistryErrorContext {
  readonly [key: string]: string | number | boolean | undefined;
  /** `GET`, `POST`, … */
  readonly method?: string;
  /** The request URL with any user-info removed. */
  readonly url?: string;
  /** HTTP status, when the registry answered. */
  readonly status?: number;
  /** The registry's own `error_code` (40401 subject not found, 409 incompatible, 42201 invalid schema, …). */
  readonly errorCode?: number;
  readonly subject?: string;
  readonly schemaId?: number;
  readonly version?: number | string;
}

/** A schema-registry request failed. Carries the HTTP status and `error_code`; never a credential. */
export class RegistryError extends AvrokitError {
  declare readonly context: RegistryErrorContext;

  get status(): number | undefined {
    return this.context.status;
  }

  get errorCode(): number | undefined {
    return this.context.errorCode;
  }
}

/** Maps an HTTP answer to a stable code, preferring the registry's `error_code` where it is specific. */
export function codeForAnswer(status: number, errorCode: number | undefined): ErrorCode {
  if (status === 401 || status === 403) return 'REGISTRY_UNAUTHORIZED';
  if (status === 404 || (errorCode !== undefined && errorCode >= 40400 && errorCode < 40500))
    return 'REGISTRY_NOT_FOUND';
  if (status === 409) return 'REGISTRY_INCOMPATIBLE';
  if (errorCode === 42201) return 'REGISTRY_INVALID_SCHEMA';
  if (status === 429 || status >= 500) return 'REGISTRY_UNAVAILABLE';
  return 'REGISTRY_INVALID_REQUEST';
}

export function isNotFound(err: unknown): err is RegistryError {
  return err instanceof RegistryError && err.code === 'REGISTRY_NOT_FOUND';
}
