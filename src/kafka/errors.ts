/**
 * Failures of the Kafka layer in a neutral shape: the producer and the consumer each map them onto
 * their own error codes, so this layer names no client's codes.
 */
import { isTlsErrorCode } from '../errors.js';

/**
 * A TLS handshake with a broker that failed (a certificate refused, a peer that does not speak TLS).
 * Thrown by `checkTlsHandshake`; clients turn it into their own typed error.
 */
export class TlsHandshakeError extends Error {
  override readonly name = 'TlsHandshakeError';

  constructor(
    /** `host:port` of the broker. */
    readonly broker: string,
    /** Node's error code (e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE), when it gave one. */
    readonly tlsCode: string | undefined,
    /** Node's own message, without the code. */
    readonly detail: string,
  ) {
    super(`the TLS handshake with broker ${broker} failed: ${detail}`);
  }
}

/** What a failure of the network layer (kafkajs, or a TLS handshake of ours) comes down to. */
export type KafkaFailure =
  | { readonly kind: 'auth'; readonly message: string }
  | {
      readonly kind: 'tls';
      readonly broker: string | undefined;
      readonly tlsCode: string | undefined;
      readonly message: string;
    }
  | { readonly kind: 'timeout'; readonly message: string }
  | {
      readonly kind: 'broker';
      readonly message: string;
      /** The broker's error name (e.g. NOT_LEADER_OR_FOLLOWER) and code, where kafkajs gives them. */
      readonly brokerError: string | undefined;
      readonly brokerErrorCode: number | undefined;
      readonly retriable: boolean;
    };

interface KafkaJsErrorShape {
  name?: string;
  message?: string;
  type?: string;
  code?: number | string;
  retriable?: boolean;
  /** kafkajs 2.2.4's KafkaJSNumberOfRetriesExceeded keeps the last error here (there is no originalError). */
  cause?: unknown;
  /** KafkaJSConnectionError: `host:port`, and Node's error code (a refused certificate's among them). */
  broker?: string;
}

/** A kafkajs failure (or a TlsHandshakeError) classified; only the name, type and message travel on. */
export function classifyKafkaFailure(err: unknown): KafkaFailure {
  if (err instanceof TlsHandshakeError) {
    return { kind: 'tls', broker: err.broker, tlsCode: err.tlsCode, message: err.detail };
  }
  // KafkaJSNumberOfRetriesExceeded wraps the last error; the cause is what the user can act on.
  let cause = err as KafkaJsErrorShape;
  // Without this a broker refusing connections for a few seconds (restarting) read as not retriable,
  // and the sender failed the batch at once.
  while (
    (cause?.name === 'KafkaJSNumberOfRetriesExceeded' || cause?.name === 'KafkaJSNonRetriableError') &&
    cause.cause &&
    cause.cause !== cause
  ) {
    cause = cause.cause as KafkaJsErrorShape;
  }
  const message = cause?.message ?? String(err);
  // Java's client fails both at once (AuthenticationException, SslAuthenticationException): a wrong
  // password or an untrusted certificate does not get better by retrying.
  if (cause?.name === 'KafkaJSSASLAuthenticationError') return { kind: 'auth', message };
  if (cause?.name === 'KafkaJSConnectionError' && isTlsErrorCode(cause.code)) {
    return {
      kind: 'tls',
      broker: cause.broker,
      tlsCode: String(cause.code),
      message: message.replace(/^Connection error: /, ''),
    };
  }
  if (cause?.name === 'KafkaJSRequestTimeoutError' || /timed? ?out/i.test(cause?.name ?? '')) {
    return { kind: 'timeout', message };
  }
  return {
    kind: 'broker',
    message,
    brokerError: cause?.type,
    brokerErrorCode: typeof cause?.code === 'number' ? cause.code : undefined,
    retriable: cause?.retriable ?? true,
  };
}
