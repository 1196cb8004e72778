export { ErrorCode } from './error-codes.js';
export { TidegateError, hasCode } from './tidegate-error.js';
export { errnoCode } from './errno.js';
