import { OptionsError } from '../errors.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../schema/compatibility-levels.js';
import type { SchemaInput } from '../schema/schema-input.js';
import { checkCompatibility, type CompatibilityWarning, type Incompatibility } from './compatibility.js';

/** One check made: `backward` = the new schema reads data written with a previous one; `forward` = the reverse. */
export interface EvolutionCheck {
  readonly direction: 'backward' | 'forward';
  /** Index into `previous` (oldest first). */
  readonly previousIndex: number;
  readonly compatible: boolean;
  readonly incompatibilities: readonly Incompatibility[];
  readonly warnings: readonly CompatibilityWarning[];
}

export interface EvolutionResult {
  readonly compatible: boolean;
  readonly level: CompatibilityLevel;
  readonly checks: readonly EvolutionCheck[];
}

/**
 * Whether `next` may follow `previous` (oldest first) under a compatibility level, with the semantics
 * of Confluent's schema registry: BACKWARD — the new schema can read data written with the latest
 * previous one; FORWARD — the latest previous one can read data written with the new one; FULL — both;
 * `_TRANSITIVE` — against every previous schema, not only the latest; NONE — no check.
 */
export function checkEvolution(
  next: SchemaInput,
  previous: readonly SchemaInput[],
  level: CompatibilityLevel,
): EvolutionResult {
  if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
    throw new OptionsError(
      'level',
      `must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got ${String(level)}`,
    );
  }
  if (level === 'NONE' || previous.length === 0) return { compatible: true, level, checks: [] };
  const transitive = level.endsWith('_TRANSITIVE');
  const indexes = transitive ? previous.map((_, i) => i) : [previous.length - 1];
  const directions: ('backward' | 'forward')[] = level.startsWith('BACKWARD')
    ? ['backward']
    : level.startsWith('FORWARD')
      ? ['forward']
      : ['backward', 'forward'];
  const checks: EvolutionCheck[] = [];
  for (const i of indexes) {
    for (const direction of directions) {
      const old = previous[i]!;
      const result = direction === 'backward' ? checkCompatibility(next, old) : checkCompatibility(old, next);
      checks.push({ direction, previousIndex: i, ...result });
    }
  }
  return { compatible: checks.every((c) => c.compatible), level, checks };
}
