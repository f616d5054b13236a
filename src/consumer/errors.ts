import { AvrokitError, type AvrokitErrorOptions, type ErrorCode } from '../errors.js';
import { classifyKafkaFailure } from '../kafka/errors.js';

export type ConsumerErrorCode = Extract<ErrorCode, `CONSUMER_${string}`>;

/** Where the consumer was: the record's topic, partition and offset, and schema ids for decode errors. */
export interface ConsumerErrorContext {
  readonly [key: string]: string | number | boolean | undefined;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  /** The writer's schema id (from the record's frame). */
  readonly schemaId?: number;
  /** The broker's error name and code, for broker errors. */
  readonly brokerError?: string;
  readonly brokerErrorCode?: number;
}

export class ConsumerError extends AvrokitError {
  declare readonly context: ConsumerErrorContext;

  constructor(
    code: ConsumerErrorCode,
    message: string,
    options: AvrokitErrorOptions & { context?: ConsumerErrorContext } = {},
  ) {
    super(code, message, options);
  }
}

/** A kafkajs failure (or a failed TLS handshake) as a ConsumerError. */
export function consumerErrorFromKafka(err: unknown, context: ConsumerErrorContext): ConsumerError {
  if (err instanceof ConsumerError) return err;
  const failure = classifyKafkaFailure(err);
  switch (failure.kind) {
    case 'auth':
      return new ConsumerError(
        'CONSUMER_AUTH_FAILED',
        `the broker refused the SASL login: ${failure.message}`,
        {
          context,
        },
      );
    case 'tls':
      return new ConsumerError(
        'CONSUMER_TLS_FAILED',
        `the TLS handshake with broker ${failure.broker ?? ''} failed: ${failure.message}${failure.tlsCode ? ` (${failure.tlsCode})` : ''}`,
        { context: { ...context, ...(failure.broker ? { broker: failure.broker } : {}) } },
      );
    case 'timeout':
      return new ConsumerError('CONSUMER_TIMEOUT', `request to the broker timed out: ${failure.message}`, {
        retriable: true,
        context,
      });
    case 'broker':
      return new ConsumerError('CONSUMER_BROKER_ERROR', failure.message, {
        retriable: failure.retriable,
        context: {
          ...context,
          ...(failure.brokerError ? { brokerError: failure.brokerError } : {}),
          ...(failure.brokerErrorCode !== undefined ? { brokerErrorCode: failure.brokerErrorCode } : {}),
        },
      });
  }
}
