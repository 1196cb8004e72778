/**
 * Helpers for tests that need real S3: where the endpoint is (from the radosgw
 * globalSetup) and fresh, uniquely named buckets on it.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import type { S3StoreOptions } from '../../objectstore/s3-store.js';
import type { S3TestEndpoint } from './radosgw.js';

/** The shared endpoint, or why S3 tests must skip. In CI a missing endpoint is an error. */
export function s3TestTarget(): { endpoint: S3TestEndpoint; skipReason?: undefined } | { endpoint?: undefined; skipReason: string } {
  const endpoint = inject('tidegateS3');
  if (endpoint) return { endpoint };
  const reason = inject('tidegateS3SkipReason') ?? 'radosgw globalSetup (src-gateway-engine/test/support/radosgw.ts) is not configured';
  if (process.env.CI) throw new Error(`S3 tests cannot run in CI: ${reason}`);
  return { skipReason: reason };
}

/** S3Store options for `bucket` on the test endpoint; `overrides` win. */
export function s3StoreOptions(endpoint: S3TestEndpoint, bucket: string, overrides: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    bucket,
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    ...overrides,
  };
}

/** A unique, valid bucket name: "tg-<label>-<random>". It is not created. */
export function uniqueBucketName(label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'test';
  return `tg-${clean}-${randomBytes(6).toString('hex')}`;
}

/** A freshly created, uniquely named bucket; `remove()` empties and deletes it. */
export interface TestBucket {
  name: string;
  options: S3StoreOptions;
  remove(): Promise<void>;
}

/** Creates a fresh bucket on the test endpoint. */
export async function createTestBucket(endpoint: S3TestEndpoint, label: string): Promise<TestBucket> {
  const name = uniqueBucketName(label);
  const client = rawClient(endpoint);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return { name, options: s3StoreOptions(endpoint, name), remove: () => removeBucket(endpoint, name) };
}

/** Empties and deletes a bucket; a bucket already gone is fine. */
export async function removeBucket(endpoint: S3TestEndpoint, bucket: string): Promise<void> {
  const client = rawClient(endpoint);
  try {
    for (;;) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      if (keys.length === 0) break;
      // One by one: DeleteObjects needs a Content-MD5 that radosgw checks strictly.
      await Promise.all(keys.map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchBucket') throw err;
  } finally {
    client.destroy();
  }
}

/** A plain SDK client for the test endpoint, for setting up and inspecting state. */
export function rawClient(endpoint: S3TestEndpoint, secretAccessKey = endpoint.secretAccessKey): S3Client {
  return new S3Client({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    forcePathStyle: true,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
