/**
 * One interface for every object store: local folder, S3 (AWS SDK v3), and the
 * fault-injecting wrapper. Keys are '/'-separated, relative to the store's prefix.
 *
 * Errors are TidegateErrors: NOT_FOUND (no such key), PRECONDITION_FAILED (a conditional
 * put lost), BUCKET_MISSING, ACCESS_DENIED, STORE_UNAVAILABLE (transient: timeouts, 5xx,
 * throttling — `transient: true`), CORRUPT (short or mismatched reads).
 */
export interface ObjectStore {
  /** Human-readable location, e.g. "file:///srv/tidegate" or "s3://bucket/prefix". */
  readonly description: string;
  /** Create the bucket/folder if the store allows it; succeeds when it already exists. */
  ensureBucket(): Promise<void>;
  /**
   * Store an object atomically: readers see the old object or the new one, never a mix.
   * `ifNoneMatch: true` creates only if the key does not exist (else PRECONDITION_FAILED).
   * Nothing may read `body` once the returned promise settles: callers reuse the memory.
   */
  put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult>;
  /** Read an object, or `length` bytes of it from `offset`. */
  get(key: string, range?: ByteRange): Promise<Buffer>;
  /** Metadata, or undefined when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Delete; succeeds when the key is already gone. */
  delete(key: string): Promise<void>;
  /** Every key under a prefix, in lexicographic order. */
  list(prefix: string): Promise<ObjectInfo[]>;
}

export interface PutOptions {
  ifNoneMatch?: boolean;
  /** Called with bytes sent so far, for upload progress. */
  onProgress?: (sentBytes: number) => void;
  signal?: AbortSignal;
}

export interface PutResult {
  etag: string;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
}
