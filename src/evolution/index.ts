export { checkCompatibility } from './compatibility.js';
export type {
  CompatibilityResult,
  CompatibilityWarning,
  Incompatibility,
  IncompatibilityKind,
} from './compatibility.js';
export { checkEvolution } from './evolution.js';
export type { EvolutionCheck, EvolutionResult } from './evolution.js';
export { explain } from './explain.js';
export type { Explanation } from './explain.js';
