/**
 * Every error avrokit throws is an {@link AvrokitError} with a stable `code` from this list, so callers
 * can branch on `err.code` instead of parsing messages. Codes are part of the public contract: add new
 * ones, never rename or reuse old ones.
 */
export const ERROR_CODES = [
  // Local stack (src/stack)
  'STACK_JAVA_MISSING',
  'STACK_MAVEN_MISSING',
  'STACK_PORT_IN_USE',
  'STACK_DOWNLOAD_FAILED',
  'STACK_START_FAILED',
  'STACK_BUSY',
  'STACK_NOT_RUNNING',
  'STACK_NGINX_MISSING',
  'STACK_NOT_SECURE',
  // Command line
  'CLI_USAGE',
  'CLI_INPUT',
  'CLI_INVALID_RECORD',
  // Options given to a constructor or function
  'INVALID_OPTIONS',
  // Schemas given by the user (unparseable JSON, not valid Avro)
  'SCHEMA_INVALID',
  // Schema registry (src/registry)
  'REGISTRY_NOT_FOUND',
  'REGISTRY_INCOMPATIBLE',
  'REGISTRY_INVALID_SCHEMA',
  'REGISTRY_INVALID_REQUEST',
  'REGISTRY_UNAUTHORIZED',
  'REGISTRY_UNAVAILABLE',
  'REGISTRY_TIMEOUT',
  'REGISTRY_INVALID_RESPONSE',
  'REGISTRY_TLS_FAILED',
  // Serializer / deserializer (src/serde)
  'SERDE_INVALID_VALUE',
  'SERDE_INVALID_FRAME',
  'SERDE_INCOMPATIBLE_SCHEMA',
  'SERDE_NOT_PREPARED',
  'SERDE_VALUE_OUT_OF_RANGE',
  // Producer (src/producer)
  'PRODUCER_BUFFER_EXHAUSTED',
  'PRODUCER_RECORD_TOO_LARGE',
  'PRODUCER_TIMEOUT',
  'PRODUCER_BROKER_ERROR',
  'PRODUCER_UNKNOWN_TOPIC',
  'PRODUCER_INVALID_RECORD',
  'PRODUCER_CLOSED',
  'PRODUCER_AUTH_FAILED',
  'PRODUCER_TLS_FAILED',
  'PRODUCER_FENCED',
  'PRODUCER_INVALID_TXN_STATE',
  'PRODUCER_TRANSACTION_ABORTABLE',
  'PRODUCER_TRANSACTION_ABORTED',
  // Consumer (src/consumer)
  'CONSUMER_DECODE_FAILED',
  'CONSUMER_CORRUPT_BATCH',
  'CONSUMER_NO_OFFSET',
  'CONSUMER_BROKER_ERROR',
  'CONSUMER_TIMEOUT',
  'CONSUMER_AUTH_FAILED',
  'CONSUMER_TLS_FAILED',
  'CONSUMER_NOT_SUBSCRIBED',
  'CONSUMER_CLOSED',
  'CONSUMER_COMMIT_FAILED',
  'CONSUMER_REBALANCE_IN_PROGRESS',
  'CONSUMER_FENCED_INSTANCE_ID',
  'CONSUMER_UNSUPPORTED_VERSION',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Structured facts about where an error happened. Never holds a credential. */
export interface ErrorContext {
  readonly [key: string]: string | number | boolean | undefined;
}

export interface AvrokitErrorOptions {
  /** Whether repeating the same operation may succeed (a timeout, a 503), as opposed to bad input. */
  retriable?: boolean;
  cause?: unknown;
  context?: ErrorContext;
}

/**
 * Marks every avrokit error, whichever copy of the package made it: two copies in one application (a
 * library bundling its own) have two `AvrokitError` classes, so `instanceof` alone would miss the other's.
 */
const AVROKIT_ERROR = Symbol.for('avrokit.error');

export class AvrokitError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: AvrokitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = Object.freeze({ ...options.context });
    Object.defineProperty(this, AVROKIT_ERROR, { value: true });
  }
}

/** The local development stack (Kafka broker + schema registry) could not be fetched, started or stopped. */
export class StackError extends AvrokitError {}

/** Options passed to a constructor or function are invalid; `context.option` names the offending one. */
export class OptionsError extends AvrokitError {
  constructor(option: string, message: string) {
    super('INVALID_OPTIONS', `invalid option ${option}: ${message}`, { context: { option } });
  }
}

/** A schema supplied by the user is not valid JSON or not valid Avro. */
export class SchemaError extends AvrokitError {}

/** The command line was called with arguments it cannot act on. */
export class UsageError extends AvrokitError {
  constructor(message: string, context?: ErrorContext) {
    super('CLI_USAGE', message, context === undefined ? {} : { context });
  }
}

/** A file or stream named on the command line cannot be read (missing, a folder, not readable). */
export class InputError extends AvrokitError {
  constructor(message: string, context?: ErrorContext) {
    super('CLI_INPUT', message, context === undefined ? {} : { context });
  }
}

/**
 * A line of input to `avrokit produce` is not a record of the topic's types (not JSON, a missing
 * field, a value of the wrong kind); `context.line` is its line number, `context.path` the field.
 */
export class InvalidRecordError extends AvrokitError {
  constructor(message: string, context: ErrorContext) {
    super('CLI_INVALID_RECORD', message, { context });
  }
}

/**
 * Node's error codes for a TLS handshake that failed: a certificate refused (expired, unknown issuer,
 * wrong name, …) or a peer that does not speak TLS. Not exported from the package.
 */
const CERTIFICATE_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

export function isTlsErrorCode(code: unknown): boolean {
  return typeof code === 'string' && CERTIFICATE_CODES.test(code);
}

/**
 * Whether a value is an error avrokit raised — also one from another copy of the package in the same
 * application, where `instanceof AvrokitError` says no. Then `code`, `retriable` and `context` can be read.
 */
export function isAvrokitError(value: unknown): value is AvrokitError {
  return (
    value instanceof AvrokitError ||
    (value instanceof Error && (value as unknown as Record<symbol, unknown>)[AVROKIT_ERROR] === true)
  );
}
