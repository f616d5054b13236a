import type { Incompatibility } from './compatibility.js';

/** What an incompatibility means for the people running readers, and what to change. */
export interface Explanation {
  readonly why: string;
  readonly fix: string;
}

function quoted(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Explains an incompatibility found in one direction: 'backward' (the new schema reading old data)
 * or 'forward' (the old schema reading new data).
 */
export function explain(incompatibility: Incompatibility, direction: 'backward' | 'forward'): Explanation {
  const readers =
    direction === 'backward'
      ? 'consumers on the new schema cannot read records written with the old one'
      : 'consumers still on the old schema cannot read records written with the new one';
  switch (incompatibility.kind) {
    case 'READER_FIELD_MISSING_DEFAULT_VALUE':
      return direction === 'backward'
        ? {
            why: `field \`${incompatibility.message}\` is new and has no default: ${readers}`,
            fix: `add a default to field \`${incompatibility.message}\` (for an optional field: "type": ["null", …], "default": null)`,
          }
        : {
            why: `field \`${incompatibility.message}\` was removed and the old schema has no default for it: ${readers}`,
            fix: `keep field \`${incompatibility.message}\`, or remove it only after giving it a default in a release all consumers have`,
          };
    case 'TYPE_MISMATCH':
      return {
        why: `${incompatibility.message.replace('reader type', 'the reading type').replace('writer type', 'the written type')}: ${readers}`,
        fix: 'keep the old type (Avro converts only int→long→float→double and string↔bytes), or add a new field with a default and stop writing the old one',
      };
    case 'MISSING_ENUM_SYMBOLS':
      return {
        why: `enum symbols ${incompatibility.message} can be written but not read: ${readers}`,
        fix: 'keep those symbols, or give the reading enum a "default" symbol',
      };
    case 'MISSING_UNION_BRANCH':
      return {
        why: `${incompatibility.message.replace('reader union', 'the reading union')}: ${readers}`,
        fix: 'keep that branch in the union (adding branches is safe for readers of the new schema)',
      };
    case 'NAME_MISMATCH':
      return {
        why: `the named type was renamed (the written one is ${incompatibility.message.replace('expected: ', '')}): ${readers}`,
        fix: `add the old full name to the type's "aliases"`,
      };
    case 'FIXED_SIZE_MISMATCH':
      return {
        why: `the fixed size changed (${incompatibility.message}): ${readers}`,
        fix: 'keep the size; for a different size use a new fixed type in a new field',
      };
  }
  return { why: quoted(incompatibility.message), fix: '' };
}
