/**
 * Shared helpers for the gateway-level interop and bad-input tests: temp folders and
 * gateways that are always cleaned up, outside tools run without throwing (exit code,
 * stdout and stderr come back), the CLI run the same way, a store URL for the local folder
 * or radosgw, and big test images with their sha256.
 */
import { execFile } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBuiltCli, startGateway, TIDEGATE_BIN, type GatewayProcess } from './gateway-process.js';
import { createTestBucket, s3TestTarget, type TestBucket } from './s3-test-bucket.js';

export const MiB = 1024 * 1024;
export const PYTHON = '/usr/bin/python3';

/** What a finished process said. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a program to completion; never rejects for a non-zero exit (the test looks at `code`). */
export function runTool(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 180_000, maxBuffer: 64 * MiB, encoding: 'utf8', killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number' && !error.signal) {
          reject(error); // could not start it at all
          return;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr });
      },
    );
  });
}

/** Run a one-shot `tidegate` command; resolves with its exit code and output whatever happened. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<RunResult> {
  requireBuiltCli();
  return runTool(process.execPath, [TIDEGATE_BIN, ...args], { env, timeoutMs });
}

/** Run a `tidegate` command that must succeed; returns stdout, throws with stderr otherwise. */
export async function cliOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await cli(args, env);
  if (r.code !== 0) throw new Error(`tidegate ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The lines of stderr the tidegate command itself wrote ("tidegate: …" and its usage hint),
 * without warnings that libraries print (the AWS SDK warns about Node 20 on stderr).
 */
export function tidegateLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('tidegate:') || l.startsWith('(run "tidegate help"'));
}

/** Temp folders and gateways of one test file; `cleanup()` kills every gateway and removes every folder. */
export class GwScope {
  private readonly dirs: string[] = [];
  private readonly gateways = new Set<GatewayProcess>();
  private readonly buckets: TestBucket[] = [];

  constructor(private readonly label: string) {}

  async dir(what: string): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), `tidegate-${this.label}-${what}-`));
    this.dirs.push(d);
    return d;
  }

  /** Start `tidegate serve`; it is SIGKILLed by `cleanup()` if the test did not stop it. */
  async start(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<GatewayProcess> {
    const gw = await startGateway(dataDir, args, env);
    this.gateways.add(gw);
    return gw;
  }

  /** A fresh bucket on radosgw, removed by `cleanup()`. */
  async bucket(label: string): Promise<TestBucket> {
    const t = s3TestTarget();
    if (!t.endpoint) throw new Error(t.skipReason);
    const b = await createTestBucket(t.endpoint, label);
    this.buckets.push(b);
    return b;
  }

  async cleanup(): Promise<void> {
    for (const gw of this.gateways) await gw.kill9().catch(() => undefined);
    this.gateways.clear();
    for (const b of this.buckets.splice(0)) await b.remove().catch(() => undefined);
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

/** `--store` arguments and environment for the local folder or a fresh radosgw bucket. */
export interface StoreArgs {
  url: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  bucket?: TestBucket;
}

/** A local-folder store in a new temp folder. */
export async function localStore(scope: GwScope): Promise<StoreArgs> {
  const url = `file://${await scope.dir('store')}`;
  return { url, args: ['--store', url], env: {} };
}

/** A fresh radosgw bucket as a store (`secret` overrides the secret key, to test refusals). */
export async function radosgwStore(scope: GwScope, label: string, secret?: string): Promise<StoreArgs> {
  const t = s3TestTarget();
  if (!t.endpoint) throw new Error(t.skipReason);
  const bucket = await scope.bucket(label);
  const url = `s3://${bucket.name}/gw/?endpoint=${t.endpoint.endpoint}&region=${t.endpoint.region}&forcePathStyle=true`;
  return {
    url,
    args: ['--store', url],
    env: { AWS_ACCESS_KEY_ID: t.endpoint.accessKeyId, AWS_SECRET_ACCESS_KEY: secret ?? t.endpoint.secretAccessKey },
    bucket,
  };
}

/** Why an outside tool cannot be used (undefined when it can). In CI a missing tool is an error. */
export async function toolSkipReason(tools: Array<[string, string[]]>): Promise<string | undefined> {
  for (const [file, probe] of tools) {
    const r = await runTool(file, probe, { timeoutMs: 20_000 }).catch((err: Error) => ({ code: -1, stderr: err.message }) as RunResult);
    if (r.code !== 0) {
      const reason = `${file} not usable (${file} ${probe.join(' ')}: ${r.stderr.split('\n')[0] ?? r.code})`;
      if (process.env.CI) throw new Error(`required tool missing in CI: ${reason}`);
      return reason;
    }
  }
  return undefined;
}

/** The libnbd Python binding. */
export const LIBNBD_PYTHON: [string, string[]] = [PYTHON, ['-c', 'import nbd']];

/** sha256 of a file (or of its first `limit` bytes). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A raw image of random bytes with zero runs (a whole 4 MiB zero chunk every 64 MiB, and a
 * mostly-zero chunk with data at both ends), so clients' sparse and zero paths are used too.
 */
export async function makeImage(path: string, size: number, variant = 0): Promise<void> {
  const file = await open(path, 'w');
  try {
    const block = Buffer.allocUnsafe(4 * MiB);
    for (let pos = 0; pos < size; pos += block.length) {
      randomFillSync(block);
      const i = pos / block.length;
      if ((i + variant) % 16 === 5) block.fill(0);
      if ((i + variant) % 16 === 9) block.fill(0, 4096, 3 * MiB);
      if (i % 7 === 3) block.fill(0, 64 * 1024, 128 * 1024); // a small zero run inside data
      await file.write(block, 0, Math.min(block.length, size - pos), pos);
    }
  } finally {
    await file.close();
  }
}

/** One volume's entry of `tidegate status --json`. */
export interface VolumeStatus {
  name: string;
  mode: string;
  state: 'available' | 'degraded' | 'throttled' | 'failed';
  error: string | null;
  metrics: Record<string, number | string | null>;
}

/** `tidegate status --json`, parsed. */
export async function statusJson(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ uploadBuffer: Record<string, number>; volumes: VolumeStatus[] } & Record<string, unknown>> {
  return JSON.parse(await cliOk(['status', '--json', '--data-dir', dataDir], env)) as { uploadBuffer: Record<string, number>; volumes: VolumeStatus[] };
}

/** Poll `probe` every 200 ms until it returns a value (not undefined) or `timeoutMs` passes. */
export async function pollFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
