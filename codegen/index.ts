/** `avrokit/codegen`: TypeScript types and avsc Types from `.avsc`/`.avdl` files. */
export { generateTypes, writeGenerated, checkGenerated } from './generate.js';
export type { GenerateOptions, GeneratedFile, WriteResult, CheckResult } from './generate.js';
