export { SchemaRegistry } from './schema-registry.js';
export type { RegisterOptions, TestCompatibilityOptions } from './schema-registry.js';
export { RegistryError } from './errors.js';
export type { RegistryErrorContext } from './errors.js';
export { defaultRegistryOptions } from './options.js';
export type { SchemaRegistryOptions, RegistryAuth, BearerTokenProvider } from './options.js';
export type {
  SchemaReference,
  RegisteredSchema,
  SubjectVersion,
  RegistryCompatibilityResult,
  RegistryStats,
} from './types.js';
