export { checkCompatibility } from './compatibility.js';
export type {
  CompatibilityResult,
  CompatibilityWarning,
  Incompatibility,
  IncompatibilityKind,
} from './compatibility.js';
export { checkEvolution, EVOLUTION_LEVELS } from './evolution.js';
export type { EvolutionCheck, EvolutionLevel, EvolutionResult } from './evolution.js';
export { explain } from './explain.js';
export type { Explanation } from './explain.js';
