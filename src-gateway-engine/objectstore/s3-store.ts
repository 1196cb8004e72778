/**
 * An ObjectStore over any S3-compatible service through AWS SDK v3.
 *
 * Checksums are computed and validated only when an operation requires them: radosgw
 * (Ceph 16) refuses the SDK's default streaming-checksum uploads with 411. Objects at or
 * above `multipartThreshold` are uploaded in parts, a few at a time; a failed multipart
 * upload is aborted so its parts do not linger and cost money. The SDK retries a little
 * (maxAttempts 2); the RetryingStore above does the real retrying with its own budget.
 *
 * Conditional create (`ifNoneMatch`) sends `If-None-Match: *`. For multipart uploads the
 * condition goes on CompleteMultipartUpload; a service that ignores it there (older
 * radosgw) is additionally guarded by a HEAD before the upload starts — a best effort
 * that cannot close the race between that HEAD and the completion.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { abortError } from './abort-error.js';
import { checkObjectKey, checkRange, compareKeys } from './object-key.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store.js';
import { httpStatusOf, mapS3Error, s3ErrorName } from './s3-error.js';

const MiB = 1024 * 1024;

/** Static S3 credentials; omit them to use the SDK's default chain (env vars, profile, IMDS). */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Settings of an S3Store. */
export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket ("" or e.g. "gateway-1/"); a missing trailing '/' is added. */
  prefix?: string;
  /** e.g. "http://127.0.0.1:7480"; omit for AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style URLs (endpoint/bucket/key), needed by radosgw and MinIO without DNS. */
  forcePathStyle?: boolean;
  credentials?: S3Credentials;
  /** Abort any single request (including reading its body) after this long. Default 30 s. */
  requestTimeoutMs?: number;
  /** Objects of at least this size use multipart upload. Default 16 MiB. */
  multipartThreshold?: number;
  /** Part size for multipart uploads (S3 minimum is 5 MiB). Default 8 MiB. */
  partSize?: number;
  /** Parts in flight at once. Default 4. */
  partConcurrency?: number;
  /** The SDK's own attempts per request. Default 2. */
  maxAttempts?: number;
}

/** An ObjectStore over an S3 bucket (see the file comment for the guarantees). */
export class S3Store implements ObjectStore {
  readonly description: string;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly requestTimeoutMs: number;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.description = `s3://${this.bucket}/${this.prefix}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.multipartThreshold = options.multipartThreshold ?? 16 * MiB;
    this.partSize = options.partSize ?? 8 * MiB;
    this.partConcurrency = Math.max(1, options.partConcurrency ?? 4);
    if (this.partSize < 5 * MiB && this.multipartThreshold <= this.partSize) {
      throw new TidegateError(ErrorCode.InvalidArgument, `${this.description}: partSize must be at least 5 MiB`);
    }
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 2,
    });
  }

  /** Closes the SDK's sockets. */
  destroy(): void {
    this.client.destroy();
  }

  async ensureBucket(): Promise<void> {
    const what = `${this.description}: ensure bucket`;
    try {
      await this.send((abortSignal) => this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }), what);
      return;
    } catch (err) {
      // HEAD has no body, so a missing bucket is only a bare 404.
      if (!(err instanceof TidegateError && (err.code === ErrorCode.NotFound || err.code === ErrorCode.BucketMissing))) throw err;
    }
    try {
      await this.send((abortSignal) => this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal }), what);
    } catch (err) {
      // Someone (maybe our own earlier, unacknowledged attempt) created it meanwhile.
      const name = err instanceof TidegateError ? s3ErrorName(err.cause) : '';
      if (name === 'BucketAlreadyOwnedByYou') return;
      if (name === 'BucketAlreadyExists') {
        await this.send((abortSignal) => this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }), what);
        return;
      }
      throw err;
    }
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    checkObjectKey(key, this.description);
    if (body.length >= this.multipartThreshold) return this.putMultipart(key, body, options);
    const what = `${this.description}: put ${key}`;
    const out = await this.send(
      (abortSignal) =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: body,
            ContentLength: body.length,
            ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          }),
          { abortSignal },
        ),
      what,
      options.signal,
    );
    options.onProgress?.(body.length);
    const etag = unquote(out.ETag);
    return { etag: etag || (await this.etagAfterWrite(key, what)) };
  }

  /**
   * Reads a whole object or a range. A range reaching past the end is clamped to the end
   * (S3 does this itself); a range starting at or past the end, which S3 answers with 416,
   * returns an empty buffer, as does a zero-length range of an existing object. A body
   * shorter than the length the store announced is CORRUPT.
   */
  async get(key: string, range?: ByteRange): Promise<Buffer> {
    checkObjectKey(key, this.description);
    const what = `${this.description}: get ${key}`;
    if (range) {
      checkRange(range, this.description, key);
      if (range.length === 0) {
        if ((await this.head(key)) === undefined) throw new TidegateError(ErrorCode.NotFound, `${what}: no such object`);
        return Buffer.alloc(0);
      }
    }
    try {
      return await this.send(async (abortSignal) => {
        const out = await this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
          }),
          { abortSignal },
        );
        // The body is read inside the same timeout as the request.
        const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
        const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        if (out.ContentLength !== undefined && data.length !== out.ContentLength) {
          throw new TidegateError(ErrorCode.Corrupt, `${what}: received ${data.length} of ${out.ContentLength} bytes`);
        }
        if (range && data.length > range.length) {
          throw new TidegateError(ErrorCode.Corrupt, `${what}: asked for ${range.length} bytes, received ${data.length}`);
        }
        return data;
      }, what);
    } catch (err) {
      if (range && err instanceof TidegateError && httpStatusOf(err.cause) === 416) return Buffer.alloc(0);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    checkObjectKey(key, this.description);
    const what = `${this.description}: head ${key}`;
    try {
      const out = await this.send(
        (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), { abortSignal }),
        what,
      );
      return { key, size: out.ContentLength ?? 0, ...(out.ETag ? { etag: unquote(out.ETag) } : {}) };
    } catch (err) {
      if (!(err instanceof TidegateError && err.code === ErrorCode.NotFound)) throw err;
    }
    // A HEAD answer has no body, so "no such bucket" looks like "no such key": ask the bucket.
    await this.requireBucket(what);
    return undefined;
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key, this.description);
    const what = `${this.description}: delete ${key}`;
    try {
      await this.send(
        (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), { abortSignal }),
        what,
      );
    } catch (err) {
      // S3 answers 204 for a missing key; some services answer 404 instead.
      if (err instanceof TidegateError && err.code === ErrorCode.NotFound) return;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const what = `${this.description}: list ${prefix}`;
    const found: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const out = await this.send(
        (abortSignal) =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: this.prefix + prefix,
              ...(token !== undefined ? { ContinuationToken: token } : {}),
            }),
            { abortSignal },
          ),
        what,
      );
      for (const item of out.Contents ?? []) {
        if (item.Key === undefined) continue;
        found.push({
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          ...(item.ETag ? { etag: unquote(item.ETag) } : {}),
        });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    // S3 already lists in UTF-8 byte order; sorting again costs little and covers
    // services that do not.
    return found.sort((a, b) => compareKeys(a.key, b.key));
  }

  private async putMultipart(key: string, body: Buffer, options: PutOptions): Promise<PutResult> {
    const what = `${this.description}: put ${key}`;
    const Key = this.prefix + key;
    if (options.ifNoneMatch && (await this.head(key)) !== undefined) {
      throw new TidegateError(ErrorCode.PreconditionFailed, `${what}: object already exists`);
    }
    const created = await this.send(
      (abortSignal) => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }), { abortSignal }),
      what,
      options.signal,
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new TidegateError(ErrorCode.StoreUnavailable, `${what}: CreateMultipartUpload returned no upload id`);
    try {
      const partCount = Math.ceil(body.length / this.partSize);
      const parts: CompletedPart[] = new Array(partCount);
      let next = 0;
      let sent = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (!failed && next < partCount) {
          const index = next++;
          const chunk = body.subarray(index * this.partSize, Math.min(body.length, (index + 1) * this.partSize));
          try {
            const out = await this.send(
              (abortSignal) =>
                this.client.send(
                  new UploadPartCommand({
                    Bucket: this.bucket,
                    Key,
                    UploadId: uploadId,
                    PartNumber: index + 1,
                    Body: chunk,
                    ContentLength: chunk.length,
                  }),
                  { abortSignal },
                ),
              `${what} (part ${index + 1}/${partCount})`,
              options.signal,
            );
            parts[index] = { PartNumber: index + 1, ETag: out.ETag };
            sent += chunk.length;
            options.onProgress?.(sent);
          } catch (err) {
            failed = true; // stop the other workers taking new parts
            throw err;
          }
        }
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(this.partConcurrency, partCount) }, worker));
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw rejected.reason;
      const done = await this.send(
        (abortSignal) =>
          this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key,
              UploadId: uploadId,
              MultipartUpload: { Parts: parts },
              ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
            }),
            { abortSignal },
          ),
        what,
        options.signal,
      );
      // radosgw answers CompleteMultipartUpload with an empty ETag; HEAD has the real one.
      const etag = unquote(done.ETag);
      return { etag: etag || (await this.etagAfterWrite(key, what)) };
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId }), {
          abortSignal: AbortSignal.timeout(this.requestTimeoutMs),
        })
        .catch(() => undefined); // best effort; a lifecycle rule cleans up what this misses
      throw err;
    }
  }

  private async etagAfterWrite(key: string, what: string): Promise<string> {
    const info = await this.head(key);
    if (!info?.etag) throw new TidegateError(ErrorCode.StoreUnavailable, `${what}: object has no ETag after upload`, { transient: true });
    return info.etag;
  }

  private async requireBucket(what: string): Promise<void> {
    try {
      await this.send((abortSignal) => this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }), what);
    } catch (err) {
      if (err instanceof TidegateError && err.code === ErrorCode.NotFound) {
        throw new TidegateError(ErrorCode.BucketMissing, `${this.description}: bucket ${this.bucket} does not exist`, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Runs one SDK request under the per-request timeout and the caller's signal, mapping
   * every failure to a TidegateError. A timeout is STORE_UNAVAILABLE and transient; the
   * caller's own abort is not.
   */
  private async send<T>(request: (signal: AbortSignal) => Promise<T>, what: string, callerSignal?: AbortSignal): Promise<T> {
    if (callerSignal?.aborted) throw abortError(callerSignal, what);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.requestTimeoutMs);
    const signal = callerSignal ? AbortSignal.any([timeout.signal, callerSignal]) : timeout.signal;
    try {
      return await request(signal);
    } catch (err) {
      if (callerSignal?.aborted) throw abortError(callerSignal, what);
      if (timeout.signal.aborted) {
        throw new TidegateError(ErrorCode.StoreUnavailable, `${what}: no answer within ${this.requestTimeoutMs} ms`, {
          cause: err,
          transient: true,
        });
      }
      throw mapS3Error(err, what);
    } finally {
      clearTimeout(timer);
    }
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"(.*)"$/, '$1');
}
