/**
 * How a subject's schemas may change, as Confluent-compatible registries and `checkEvolution` name it:
 * BACKWARD — consumers on the new schema read data written with the previous one; FORWARD — consumers
 * on the previous schema read data written with the new one; FULL — both; `_TRANSITIVE` — against every
 * earlier version, not only the previous one.
 */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
