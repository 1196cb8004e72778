/**
 * Store URLs, as an administrator writes them in the configuration:
 *
 *   file:///srv/tidegate
 *   s3://bucket/optional/prefix?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true
 *
 * Credentials never appear in a URL (URLs end up in logs and status reports); S3 takes
 * them from the SDK's default chain or from openStore's options.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, TidegateError } from '../errors/index.js';

/** A local folder store. */
export interface LocalStoreConfig {
  readonly kind: 'local';
  readonly url: string;
  /** Absolute folder path. */
  readonly root: string;
}

/** An S3-compatible store. */
export interface S3StoreConfig {
  readonly kind: 's3';
  readonly url: string;
  readonly bucket: string;
  /** "" or a prefix ending in '/'. */
  readonly prefix: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Per-request timeout in ms, from `timeoutMs=`. */
  readonly requestTimeoutMs?: number;
}

/** A parsed, validated, frozen store location. */
export type StoreConfig = LocalStoreConfig | S3StoreConfig;

const S3_PARAMS = new Set(['endpoint', 'region', 'forcePathStyle', 'timeoutMs']);
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses a store URL; anything malformed or unknown is INVALID_ARGUMENT naming the problem. */
export function parseStoreUrl(text: string): StoreConfig {
  const fail = (why: string): never => {
    throw new TidegateError(ErrorCode.InvalidArgument, `store URL ${JSON.stringify(text)}: ${why}`);
  };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('not a URL (expected file:///absolute/path or s3://bucket/prefix)');
  }
  if (url.protocol === 'file:') {
    if (url.host !== '' && url.host !== 'localhost') fail(`file URLs name a local folder, not host ${url.host}`);
    if (url.search || url.hash) fail('file URLs take no query or fragment');
    const root = path.resolve(fileURLToPath(url));
    if (root === path.parse(root).root) fail('refusing to use the file system root as a store');
    return Object.freeze({ kind: 'local', url: text, root });
  }
  if (url.protocol === 's3:') {
    const bucket = url.hostname;
    if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
      fail(`bucket name ${JSON.stringify(bucket)} is invalid (3-63 of a-z 0-9 . -)`);
    }
    if (url.port || url.username || url.password) fail('put the endpoint in ?endpoint=, not in the host part');
    if (url.hash) fail('s3 URLs take no fragment');
    // From the raw text: URL parsing would silently resolve '..' and '.' segments.
    const rawPath = /^s3:\/\/[^/?#]*([^?#]*)/i.exec(text)?.[1] ?? '';
    let prefix = decodeURIComponent(rawPath.replace(/^\//, ''));
    if (prefix !== '') {
      if (!prefix.endsWith('/')) prefix += '/';
      const segments = prefix.slice(0, -1).split('/');
      if (segments.some((s) => s === '' || s === '.' || s === '..')) fail(`prefix ${JSON.stringify(prefix)} has an empty, '.' or '..' segment`);
    }
    const seen = new Set<string>();
    for (const name of url.searchParams.keys()) {
      if (!S3_PARAMS.has(name)) fail(`unknown parameter ${name} (known: ${[...S3_PARAMS].join(', ')})`);
      if (seen.has(name)) fail(`parameter ${name} given twice`);
      seen.add(name);
    }
    const params = url.searchParams;
    const endpoint = params.get('endpoint') ?? undefined;
    if (endpoint !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(endpoint);
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) fail(`endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
    }
    const region = params.get('region') ?? 'us-east-1';
    if (!/^[a-z0-9-]{1,64}$/.test(region)) fail(`region ${JSON.stringify(region)} is invalid`);
    const pathStyle = params.get('forcePathStyle');
    if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') fail(`forcePathStyle must be true or false, not ${JSON.stringify(pathStyle)}`);
    const timeout = params.get('timeoutMs');
    if (timeout !== null && !/^[1-9][0-9]{0,8}$/.test(timeout)) fail(`timeoutMs must be a positive integer, not ${JSON.stringify(timeout)}`);
    return Object.freeze({
      kind: 's3',
      url: text,
      bucket,
      prefix,
      ...(endpoint !== undefined ? { endpoint } : {}),
      region,
      // Custom endpoints (radosgw, MinIO) rarely have wildcard DNS for virtual-hosted buckets.
      forcePathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === 'true',
      ...(timeout !== null ? { requestTimeoutMs: Number(timeout) } : {}),
    });
  }
  return fail(`unsupported scheme ${url.protocol} (expected file: or s3:)`);
}
