import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { openStore } from './open-store.js';
import { parseStoreUrl } from './store-url.js';

describe('parseStoreUrl', () => {
  it('parses a local folder URL into a frozen config', () => {
    const c = parseStoreUrl('file:///srv/tidegate/');
    expect(c).toEqual({ kind: 'local', url: 'file:///srv/tidegate/', root: '/srv/tidegate' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(parseStoreUrl('file://localhost/srv/a%20b')).toMatchObject({ root: '/srv/a b' });
  });

  it('parses an S3 URL with endpoint, region and path style', () => {
    const c = parseStoreUrl('s3://my-bucket/gw/one?endpoint=http://127.0.0.1:7480&region=eu-west-1&forcePathStyle=true&timeoutMs=5000');
    expect(c).toEqual({
      kind: 's3',
      url: 's3://my-bucket/gw/one?endpoint=http://127.0.0.1:7480&region=eu-west-1&forcePathStyle=true&timeoutMs=5000',
      bucket: 'my-bucket',
      prefix: 'gw/one/',
      endpoint: 'http://127.0.0.1:7480',
      region: 'eu-west-1',
      forcePathStyle: true,
      requestTimeoutMs: 5000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('defaults region to us-east-1, prefix to none, and path style to "only with a custom endpoint"', () => {
    expect(parseStoreUrl('s3://bucket')).toMatchObject({ bucket: 'bucket', prefix: '', region: 'us-east-1', forcePathStyle: false });
    expect(parseStoreUrl('s3://bucket/?endpoint=https://s3.example.com')).toMatchObject({ prefix: '', forcePathStyle: true });
    expect(parseStoreUrl('s3://bucket/p?endpoint=https://s3.example.com&forcePathStyle=false')).toMatchObject({ forcePathStyle: false });
  });

  it.each([
    ['not a url', /not a URL/],
    ['http://example.com/x', /unsupported scheme http:/],
    ['file://server/share', /not host server/],
    ['file:///srv/x?y=1', /no query/],
    ['file:///', /file system root/],
    ['s3://Bad_Bucket/x', /bucket name/],
    ['s3://ab', /bucket name/],
    ['s3://bucket:9000/x', /endpoint/],
    ['s3://bucket/a//b', /segment/],
    ['s3://bucket/a/../b', /segment/],
    ['s3://bucket/?endpoint=ftp://x', /not an http/],
    ['s3://bucket/?endpoint=nonsense', /not an http/],
    ['s3://bucket/?regin=us-east-1', /unknown parameter regin/],
    ['s3://bucket/?region=a&region=b', /given twice/],
    ['s3://bucket/?forcePathStyle=yes', /forcePathStyle must be/],
    ['s3://bucket/?timeoutMs=0', /timeoutMs must be/],
  ])('rejects %s', (url, why) => {
    let err: unknown;
    try {
      parseStoreUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: ErrorCode.InvalidArgument, message: expect.stringMatching(why) });
  });
});

describe('openStore', () => {
  it('opens a working local folder store', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tidegate-open-'));
    try {
      const store = openStore(parseStoreUrl(`file://${dir}/store`));
      expect(store.description).toBe(`file://${dir}/store`);
      await store.ensureBucket();
      await store.put('a/b', Buffer.from('x'));
      expect((await store.list('')).map((o) => o.key)).toEqual(['a/b']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('opens an S3 store described by its bucket and prefix', () => {
    const store = openStore(parseStoreUrl('s3://bucket/gw?endpoint=http://127.0.0.1:1'), {
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    expect(store.description).toBe('s3://bucket/gw/');
  });
});
