import { AvrokitError } from '../errors.js';

/**
 * A value read from Avro bytes that the JavaScript representation cannot hold exactly: a long beyond
 * ±(2^53 − 1) read as a number, a timestamp beyond the range of a `Date`. Raised instead of rounding.
 */
export class AvroRangeError extends AvrokitError {
  constructor(avroType: string, message: string) {
    super('SERDE_VALUE_OUT_OF_RANGE', message, { context: { avroType } });
  }
}
