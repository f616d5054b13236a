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

/** The registry's answer to `testCompatibility` (avrokit's own check is `checkCompatibility`). */
export interface RegistryCompatibilityResult {
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
