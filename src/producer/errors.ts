import { AvrokitError, isTlsErrorCode, type AvrokitErrorOptions, type ErrorCode } from '../errors.js';

export { isTlsErrorCode };

export type ProducerErrorCode = Extract<ErrorCode, `PRODUCER_${string}`>;

/** Context every producer error carries: where the record was going. */
export interface ProducerErrorContext {
  readonly [key: string]: string | number | boolean | undefined;
  readonly topic?: string;
  readonly partition?: number;
  /** The broker's error name (e.g. NOT_LEADER_OR_FOLLOWER) and code, for broker errors. */
  readonly brokerError?: string;
  readonly brokerErrorCode?: number;
}

/**
 * A record that could not be sent. `retriable` says whether sending it again may succeed (the
 * producer has already retried `retries` times when it reports a retriable broker error).
 */
export class ProducerError extends AvrokitError {
  declare readonly context: ProducerErrorContext;

  constructor(
    code: ProducerErrorCode,
    message: string,
    options: AvrokitErrorOptions & { context?: ProducerErrorContext } = {},
  ) {
    super(code, message, options);
  }
}

export function tlsFailure(broker: string, code: string | undefined, message: string): ProducerError {
  return new ProducerError(
    'PRODUCER_TLS_FAILED',
    `the TLS handshake with broker ${broker} failed: ${message}${code ? ` (${code})` : ''}; check the CA (tls.ca) the broker's certificate is verified against, and the name it is for`,
    { context: { broker, ...(code ? { tlsError: code } : {}) } },
  );
}

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

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** A kafkajs failure as a ProducerError; only the name, type and message travel on. */
export function fromKafkaJs(err: unknown, context: ProducerErrorContext): ProducerError {
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
  if (cause?.name === 'KafkaJSSASLAuthenticationError') {
    return new ProducerError('PRODUCER_AUTH_FAILED', `the broker refused the SASL login: ${message}`, {
      context,
    });
  }
  if (cause?.name === 'KafkaJSConnectionError' && isTlsErrorCode(cause.code)) {
    return tlsFailure(
      cause.broker ?? String(context.brokers ?? ''),
      String(cause.code),
      message.replace(/^Connection error: /, ''),
    );
  }
  if (cause?.name === 'KafkaJSRequestTimeoutError' || /timed? ?out/i.test(cause?.name ?? '')) {
    return new ProducerError('PRODUCER_TIMEOUT', `request to the broker timed out: ${message}`, {
      retriable: true,
      context,
    });
  }
  // The broker's error name and code, where kafkajs gives them.
  const broker: ProducerErrorContext = {
    ...context,
    ...(cause?.type ? { brokerError: cause.type } : {}),
    ...(typeof cause?.code === 'number' ? { brokerErrorCode: cause.code } : {}),
  };
  if (cause?.type && TOO_LARGE.has(cause.type)) {
    return new ProducerError('PRODUCER_RECORD_TOO_LARGE', `the broker refused the batch: ${message}`, {
      context: broker,
    });
  }
  if (cause?.type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new ProducerError(
      'PRODUCER_UNKNOWN_TOPIC',
      `topic ${context.topic ?? ''} does not exist: ${message}`,
      {
        context: broker,
      },
    );
  }
  return new ProducerError('PRODUCER_BROKER_ERROR', `sending failed: ${message}`, {
    retriable: cause?.retriable ?? true,
    context: broker,
  });
}
