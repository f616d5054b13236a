/**
 * avrokit's public API: everything a user imports comes from here. Types are exported apart from
 * values so that `import type` users pull in no runtime code.
 */
export { AvrokitError, StackError, UsageError, ERROR_CODES, isAvrokitError } from './errors.js';
export type { ErrorCode, ErrorContext, AvrokitErrorOptions } from './errors.js';

export { stackUp, stackDown, stackStatus, resolveStackOptions } from './stack/index.js';
export type { ClusterEndpoints, StackStatus, UpResult, StackOptions } from './stack/index.js';
