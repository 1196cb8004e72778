import { LocalFolderStore } from './local-folder-store.js';
import type { ObjectStore } from './object-store.js';
import { RetryingStore, type RetryOptions } from './retrying-store.js';
import { S3Store, type S3Credentials, type S3StoreOptions } from './s3-store.js';
import type { StoreConfig } from './store-url.js';

/** Things a store needs that do not belong in its URL. */
export interface OpenStoreOptions {
  /** S3 credentials; omitted → the SDK's default chain (env vars, shared profile, IMDS). */
  credentials?: S3Credentials;
  retry?: RetryOptions;
  /** Extra S3 tuning (part size, concurrency, timeouts) for tests and benchmarks. */
  s3?: Partial<Omit<S3StoreOptions, 'bucket' | 'prefix' | 'endpoint' | 'region' | 'forcePathStyle' | 'credentials'>>;
}

/**
 * Builds the ObjectStore for a parsed store URL, wrapped in a RetryingStore (a local folder
 * rarely fails transiently, but the same wrapper keeps every store behaving alike).
 */
export function openStore(config: StoreConfig, options: OpenStoreOptions = {}): ObjectStore {
  if (config.kind === 'local') return new RetryingStore(new LocalFolderStore(config.root), options.retry);
  const s3 = new S3Store({
    ...options.s3,
    bucket: config.bucket,
    prefix: config.prefix,
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
  });
  return new RetryingStore(s3, options.retry);
}
