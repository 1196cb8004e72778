import * as net from 'node:net';
import { DeleteBucketCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { objectStoreContract } from '../test/support/object-store-contract.js';
import { createTestBucket, rawClient, removeBucket, s3StoreOptions, s3TestTarget, uniqueBucketName, type TestBucket } from '../test/support/s3-test-bucket.js';
import { FaultInjectingStore } from './fault-injecting-store.js';
import { RetryingStore } from './retrying-store.js';
import { S3Store } from './s3-store.js';

const target = s3TestTarget();
const MiB = 1024 * 1024;

describe.skipIf(target.skipReason !== undefined)(`S3Store on radosgw${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
  const endpoint = target.endpoint!;
  const buckets: TestBucket[] = [];
  const stores: S3Store[] = [];
  const openBucket = async (label: string): Promise<{ bucket: TestBucket; store: S3Store }> => {
    const bucket = await createTestBucket(endpoint, label);
    buckets.push(bucket);
    const store = new S3Store({ ...bucket.options, prefix: 'gw-1/' });
    stores.push(store);
    return { bucket, store };
  };
  afterAll(async () => {
    stores.forEach((s) => s.destroy());
    await Promise.all(buckets.map((b) => b.remove()));
  });

  objectStoreContract('S3Store', async () => ({ store: (await openBucket('contract')).store }), { largeObjectBytes: 40 * MiB });

  let faulty: FaultInjectingStore | undefined;
  objectStoreContract(
    'S3Store + faults (10% errors, 5% ack-then-fail, latency) + RetryingStore',
    async () => {
      faulty = new FaultInjectingStore((await openBucket('faults')).store, { errorRate: 0.1, ackThenFailRate: 0.05, latencyMs: 1, latencyJitterMs: 5 }, 7);
      return { store: new RetryingStore(faulty, { baseDelayMs: 2, maxDelayMs: 50, maxAttempts: 30 }) };
    },
    { largeObjectBytes: 20 * MiB },
  );
  it('the fault-injected run really injected faults', () => {
    expect(faulty?.counters.errors).toBeGreaterThan(10);
    expect(faulty?.counters.ackThenFail).toBeGreaterThan(0);
  });

  it('ensureBucket creates a missing bucket, and keys live under the prefix', async () => {
    const name = uniqueBucketName('ensure');
    const store = new S3Store({ ...s3StoreOptions(endpoint, name), prefix: 'p/q' });
    stores.push(store);
    try {
      await store.ensureBucket();
      await store.ensureBucket();
      await store.put('k', Buffer.from('v'));
      const plain = new S3Store(s3StoreOptions(endpoint, name));
      stores.push(plain);
      expect((await plain.list('')).map((o) => o.key)).toEqual(['p/q/k']);
      expect(store.description).toBe(`s3://${name}/p/q/`);
    } finally {
      await removeBucket(endpoint, name);
    }
  });

  it('answers BUCKET_MISSING for every operation once the bucket is deleted', async () => {
    const { bucket, store } = await openBucket('vanish');
    await store.put('x', Buffer.from('x'));
    await store.delete('x');
    const client = rawClient(endpoint);
    await client.send(new DeleteBucketCommand({ Bucket: bucket.name }));
    client.destroy();
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['put', () => store.put('a', Buffer.from('y'))],
      ['conditional put', () => store.put('a', Buffer.from('y'), { ifNoneMatch: true })],
      ['get', () => store.get('a')],
      ['ranged get', () => store.get('a', { offset: 0, length: 1 })],
      ['head', () => store.head('a')],
      ['delete', () => store.delete('a')],
      ['list', () => store.list('')],
    ];
    for (const [name, op] of ops) {
      await expect(op(), name).rejects.toMatchObject({ code: ErrorCode.BucketMissing });
    }
  });

  it('answers ACCESS_DENIED for a wrong secret, without retrying', async () => {
    const { bucket } = await openBucket('secret');
    const store = new S3Store({
      ...bucket.options,
      credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: `${endpoint.secretAccessKey}x` },
    });
    stores.push(store);
    let retries = 0;
    const retrying = new RetryingStore(store, { onRetry: () => retries++ });
    await expect(retrying.put('k', Buffer.from('v'))).rejects.toMatchObject({ code: ErrorCode.AccessDenied, transient: false });
    await expect(retrying.get('k')).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    await expect(retrying.list('')).rejects.toMatchObject({ code: ErrorCode.AccessDenied });
    expect(retries).toBe(0);
  });

  it('refuses a multipart conditional put over an existing key and leaves no upload behind', async () => {
    const { bucket, store } = await openBucket('mpu');
    const small = new S3Store({ ...bucket.options, prefix: 'gw-1/', multipartThreshold: 5 * MiB, partSize: 5 * MiB });
    stores.push(small);
    await small.put('obj', Buffer.alloc(11 * MiB, 1), { ifNoneMatch: true });
    await expect(small.put('obj', Buffer.alloc(11 * MiB, 2), { ifNoneMatch: true })).rejects.toMatchObject({
      code: ErrorCode.PreconditionFailed,
    });
    expect((await store.get('obj', { offset: 11 * MiB - 1, length: 1 }))[0]).toBe(1);
    const client = rawClient(endpoint);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
    client.destroy();
    expect(uploads.Uploads ?? []).toEqual([]);
  });
});

describe('S3Store failures that need no S3 service', () => {
  let silent: net.Server;
  let silentPort = 0;
  const sockets = new Set<net.Socket>();
  let closedPort = 0;
  beforeAll(async () => {
    // A port nobody listens on: bind, read the port, close.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // A server that accepts connections and never answers.
    silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const options = (port: number) => ({
    bucket: 'tidegate-unreachable',
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestTimeoutMs: 300,
    maxAttempts: 1,
  });

  it('an unreachable endpoint is STORE_UNAVAILABLE after a bounded number of retries', async () => {
    const store = new S3Store(options(closedPort));
    let retries = 0;
    const retrying = new RetryingStore(store, { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4, deadlineMs: 5_000, onRetry: () => retries++ });
    const err = await retrying.get('k').catch((e: unknown) => e);
    store.destroy();
    expect(err).toBeInstanceOf(TidegateError);
    expect(err).toMatchObject({ code: ErrorCode.StoreUnavailable, transient: true });
    expect((err as Error).message).toMatch(/gave up after 4 attempts/);
    expect(retries).toBe(3);
  });

  it('a deadline stops retrying before the attempt limit', async () => {
    const store = new S3Store(options(closedPort));
    let retries = 0;
    const retrying = new RetryingStore(store, { baseDelayMs: 200, maxDelayMs: 200, maxAttempts: 1000, deadlineMs: 300, random: () => 1, onRetry: () => retries++ });
    await expect(retrying.head('k')).rejects.toMatchObject({ code: ErrorCode.StoreUnavailable, transient: true });
    store.destroy();
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThan(10);
  });

  it('a request with no answer times out as transient STORE_UNAVAILABLE', async () => {
    const store = new S3Store(options(silentPort));
    await expect(store.put('k', Buffer.from('v'))).rejects.toMatchObject({
      code: ErrorCode.StoreUnavailable,
      transient: true,
      message: expect.stringMatching(/no answer within 300 ms/),
    });
    store.destroy();
  });

  it("the caller's abort signal is not retried as a timeout", async () => {
    const store = new S3Store({ ...options(silentPort), requestTimeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(store.put('k', Buffer.from('v'), { signal: controller.signal })).rejects.toMatchObject({ transient: false });
    store.destroy();
  });
});
