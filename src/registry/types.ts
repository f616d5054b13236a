import type { Type } from 'avsc';

/** An Avro schema as JSON text, as parsed JSON, or as an avsc `Type` (e.g. from the generated `avroTypes`). */
export type SchemaInput = string | object | Type;

/** A named type defined under another subject (Confluent schema references). */
export interface SchemaReference {
  /** The full name of the referenced type, as used inside the referencing schema. */
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

export interface RegisteredSchema {
  readonly id: number;
  /** The schema text exactly as the registry stores it. */
  readonly schema: string;
  readonly schemaType: string;
  readonly references: readonly SchemaReference[];
}

export interface SubjectVersion extends RegisteredSchema {
  readonly subject: string;
  readonly version: number;
}

/** A schema together with every schema it references, dependencies first, ready to be parsed. */
export interface ResolvedSchema {
  readonly schema: string;
  readonly dependencies: readonly { readonly name: string; readonly schema: string }[];
}

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

export interface CompatibilityResult {
  readonly compatible: boolean;
  /** The registry's explanation when it gives one (Confluent does with `verbose`; Apicurio does not). */
  readonly messages: readonly string[];
}

export interface RegistryStats {
  /** HTTP requests sent, retries included. */
  readonly httpRequests: number;
  /** Answers given without a new HTTP request: from a cache (including cached "not found") or by joining an identical request in flight. */
  readonly cacheHits: number;
  /** Answers that needed an HTTP request. */
  readonly cacheMisses: number;
  readonly retries: number;
}
