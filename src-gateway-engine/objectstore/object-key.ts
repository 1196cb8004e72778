import { ErrorCode, TidegateError } from '../errors/index.js';

/**
 * Throws INVALID_ARGUMENT unless `key` is a plain relative object key: non-empty,
 * '/'-separated, no empty, '.' or '..' segments, no NUL. The same rule holds for every
 * store so that a key that works on a local folder also works on S3 and back.
 */
export function checkObjectKey(key: string, store: string): void {
  const bad =
    typeof key !== 'string' ||
    key.length === 0 ||
    key.length > 1024 ||
    key.includes('\0') ||
    key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) {
    throw new TidegateError(ErrorCode.InvalidArgument, `${store}: invalid object key ${JSON.stringify(key)}`);
  }
}

/** Compares two keys by their UTF-8 bytes, the order S3 lists keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Throws INVALID_ARGUMENT unless offset and length are non-negative safe integers. */
export function checkRange(range: { offset: number; length: number }, store: string, key: string): void {
  if (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length < 0) {
    throw new TidegateError(
      ErrorCode.InvalidArgument,
      `${store}: invalid range offset=${range.offset} length=${range.length} for ${key}`,
    );
  }
}
