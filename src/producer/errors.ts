import { AvrokitError, isTlsErrorCode, type AvrokitErrorOptions, type ErrorCode } from '../errors.js';
import { classifyKafkaFailure } from '../kafka/errors.js';

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

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** A kafkajs failure (or a failed TLS handshake) as a ProducerError; only the name, type and message travel on. */
export function fromKafkaJs(err: unknown, context: ProducerErrorContext): ProducerError {
  const failure = classifyKafkaFailure(err);
  const message = failure.message;
  switch (failure.kind) {
    case 'auth':
      return new ProducerError('PRODUCER_AUTH_FAILED', `the broker refused the SASL login: ${message}`, {
        context,
      });
    case 'tls':
      return tlsFailure(failure.broker ?? String(context.brokers ?? ''), failure.tlsCode, message);
    case 'timeout':
      return new ProducerError('PRODUCER_TIMEOUT', `request to the broker timed out: ${message}`, {
        retriable: true,
        context,
      });
    case 'broker':
      break;
  }
  const broker: ProducerErrorContext = {
    ...context,
    ...(failure.brokerError ? { brokerError: failure.brokerError } : {}),
    ...(failure.brokerErrorCode !== undefined ? { brokerErrorCode: failure.brokerErrorCode } : {}),
  };
  if (failure.brokerError && TOO_LARGE.has(failure.brokerError)) {
    return new ProducerError('PRODUCER_RECORD_TOO_LARGE', `the broker refused the batch: ${message}`, {
      context: broker,
    });
  }
  if (failure.brokerError === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new ProducerError(
      'PRODUCER_UNKNOWN_TOPIC',
      `topic ${context.topic ?? ''} does not exist: ${message}`,
      {
        context: broker,
      },
    );
  }
  return new ProducerError('PRODUCER_BROKER_ERROR', `sending failed: ${message}`, {
    retriable: failure.retriable,
    context: broker,
  });
}
