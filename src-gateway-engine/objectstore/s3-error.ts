import { ErrorCode, TidegateError } from '../errors/index.js';

/** Error names (S3 codes) that mean "try again later". */
const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'ConditionalRequestConflict',
  'TimeoutError',
  'AbortError',
]);

/** Node socket errors: the endpoint could not be reached or dropped us. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const ACCESS_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'CredentialsProviderError',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** HTTP status of an SDK error, when the store answered at all. */
export function httpStatusOf(err: unknown): number | undefined {
  return (err as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** S3 error code (e.g. "NoSuchKey") or Node error code of an SDK error. */
export function s3ErrorName(err: unknown): string {
  const e = (err ?? {}) as SdkErrorShape;
  return e.Code ?? e.name ?? e.code ?? 'Error';
}

/**
 * Maps an AWS SDK error to a TidegateError. `what` names the store and key, e.g.
 * "s3://bucket/prefix: get volumes/a/head". Unknown 4xx answers are STORE_UNAVAILABLE
 * but not transient: retrying the same request will not help.
 */
export function mapS3Error(err: unknown, what: string): TidegateError {
  if (err instanceof TidegateError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const name = s3ErrorName(err);
  const status = httpStatusOf(err);
  const detail = e.message && e.message !== name && e.message !== 'UnknownError' ? `${name}: ${e.message}` : name;
  const line = `${what}: ${status ? `HTTP ${status} ` : ''}${detail}`.replace(/\s*\n\s*/g, ' ');
  const make = (code: ErrorCode, transient = false): TidegateError =>
    new TidegateError(code, line, { cause: err, transient });

  if (name === 'NoSuchBucket') return make(ErrorCode.BucketMissing);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return make(ErrorCode.NotFound);
  if (name === 'PreconditionFailed' || status === 412) return make(ErrorCode.PreconditionFailed);
  if (ACCESS_NAMES.has(name) || status === 403 || status === 401) {
    // A HEAD answer has no body, so the SDK only says "Unknown": say what a 403 means.
    if (!ACCESS_NAMES.has(name) && (name === 'Unknown' || name === 'UnknownError')) {
      return new TidegateError(ErrorCode.AccessDenied, `${what}: HTTP ${status ?? 403} access denied (check the store credentials and bucket permissions)`, { cause: err });
    }
    return make(ErrorCode.AccessDenied);
  }
  if (TRANSIENT_NAMES.has(name) || (status !== undefined && (status >= 500 || status === 429 || status === 408 || status === 409))) {
    return make(ErrorCode.StoreUnavailable, true);
  }
  if (status === undefined && (NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(name))) {
    return make(ErrorCode.StoreUnavailable, true);
  }
  return make(ErrorCode.StoreUnavailable);
}
