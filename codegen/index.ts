export { generateTypes, writeGenerated, checkGenerated } from './generate.js';
export type { GenerateOptions, GeneratedFile, WriteResult, CheckResult } from './generate.js';
export { loadSchemas } from './load.js';
export type { LoadedSchemas, SchemaEntry, SchemaLocation } from './load.js';
