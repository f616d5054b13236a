import { OptionsError } from '../errors.js';
import type { SchemaInput } from '../schema/schema-input.js';

export interface SubjectContext {
  readonly topic: string;
  readonly isKey: boolean;
  readonly schema: SchemaInput;
  /** The full name of the schema's top-level named type, if it has one. */
  readonly recordName: string | undefined;
}

/**
 * The subject a schema is registered under, as in Confluent's serializers:
 * - `TopicName`: `<topic>-key` / `<topic>-value` (one schema per topic);
 * - `RecordName`: the record's full name (one schema per record type, across topics);
 * - `TopicRecordName`: `<topic>-<full name>` (several record types per topic);
 * - a function of the topic, key/value and schema.
 */
export type SubjectStrategy =
  'TopicName' | 'RecordName' | 'TopicRecordName' | ((context: SubjectContext) => string);

export function subjectFor(strategy: SubjectStrategy, context: SubjectContext): string {
  if (typeof strategy === 'function') {
    const subject = strategy(context);
    if (typeof subject !== 'string' || subject === '') {
      throw new OptionsError(
        'subjectStrategy',
        `the function returned ${JSON.stringify(subject)} for topic "${context.topic}", not a subject name`,
      );
    }
    return subject;
  }
  switch (strategy) {
    case 'TopicName':
      return `${context.topic}-${context.isKey ? 'key' : 'value'}`;
    case 'RecordName':
    case 'TopicRecordName': {
      if (!context.recordName) {
        throw new OptionsError(
          'subjectStrategy',
          `${strategy} needs a named schema (record, enum or fixed) for topic "${context.topic}"`,
        );
      }
      return strategy === 'RecordName' ? context.recordName : `${context.topic}-${context.recordName}`;
    }
    default:
      throw new OptionsError('subjectStrategy', `unknown strategy ${JSON.stringify(strategy)}`);
  }
}
