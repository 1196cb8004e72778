/**
 * Bad input at the gateway level, with real processes: each mistake gets its own clear,
 * specific error (NBD errno, one CLI line with a stable code and exit status) and nothing
 * acknowledged is lost; the gateway keeps serving everyone else (DESIGN invariants 5–7).
 *
 *  - out-of-range and oversized NBD requests (libnbd with its client-side checks off)
 *  - a full upload buffer slows the writer down and never fails it
 *  - a store that refuses (wrong secret) or vanishes (bucket deleted under a running gateway)
 *  - a second gateway taking over an owned volume; two engines on one data dir
 *  - CLI usage mistakes and bad serve configuration
 *
 * Waits are bounded; no assertion depends on how fast anything is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from './support/gateway-process.js';
import {
  cli,
  cliOk,
  GwScope,
  LIBNBD_PYTHON,
  localStore,
  makeImage,
  MiB,
  pollFor,
  PYTHON,
  radosgwStore,
  runTool,
  sha256File,
  statusJson,
  tidegateLines,
  toolSkipReason,
} from './support/gw-harness.js';
import { removeBucket, s3TestTarget } from './support/s3-test-bucket.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BAD_REQUESTS = join(HERE, 'support', 'gw-nbd-bad-requests.py');
const WRITER = join(HERE, 'support', 'nbd_block_writer.py');
const READER = join(HERE, 'support', 'nbd_block_reader.py');

const scope = new GwScope('bad-input');
afterAll(() => scope.cleanup());

const libnbdSkip = await toolSkipReason([LIBNBD_PYTHON]);
const copySkip = await toolSkipReason([['nbdcopy', ['--version']], ['qemu-io', ['--version']]]);
const s3Skip = s3TestTarget().skipReason;

/** A child process and a promise of its exit code. */
function background(file: string, args: string[]): { child: ChildProcess; exited: Promise<number | null>; out: () => string; err: () => string } {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, exited, out: () => out, err: () => err };
}

/** Resolve with the exit code, or undefined if the process is still running after `ms`. */
async function exitWithin(p: Promise<number | null>, ms: number): Promise<number | null | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms)))]);
  clearTimeout(timer);
  return r;
}

/** Expect exactly one "tidegate: …" error line (plus, for usage errors, the usage hint). */
function expectOneErrorLine(stderr: string, pattern: RegExp, usageHint = false): string {
  const lines = tidegateLines(stderr);
  const errors = lines.filter((l) => l.startsWith('tidegate:'));
  expect(errors, `stderr was:\n${stderr}`).toHaveLength(1);
  expect(errors[0]).toMatch(pattern);
  if (usageHint) expect(lines).toEqual([errors[0], '(run "tidegate help" for usage)']);
  else expect(lines).toEqual(errors);
  return errors[0]!;
}

describe('NBD requests outside the volume', () => {
  it.skipIf(libnbdSkip)(`get EINVAL/ENOSPC; the connection and another client keep working${libnbdSkip ? ` (${libnbdSkip})` : ''}`, async () => {
    const store = await localStore(scope);
    const dataDir = await scope.dir('data');
    const gw = await scope.start(dataDir, store.args);
    await cliOk(['volume', 'create', 'edge', '--size', '64MiB', '--data-dir', dataDir]);
    const uri = gw.nbdUri('edge');

    // Another client writes the first 256 blocks (with flushes) while the bad requests arrive.
    const writer = background(PYTHON, ['-u', WRITER, uri, '1', '3000', '256', '7', '50']);
    const bad = await runTool(PYTHON, [BAD_REQUESTS, uri]);
    expect(bad.code, bad.stderr).toBe(0);
    const results = new Map(
      bad.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { op: string; ok: boolean; errno?: string | null; error?: string })
        .map((r) => [r.op, r]),
    );
    const expected: Record<string, string> = {
      'read-past-end': 'EINVAL',
      'read-straddling-end': 'EINVAL',
      'read-huge-offset': 'EINVAL',
      'write-past-end': 'ENOSPC',
      'write-straddling-end': 'ENOSPC',
      'zero-straddling-end': 'ENOSPC',
      'trim-straddling-end': 'EINVAL',
      'read-oversized': 'EINVAL',
      'write-oversized': 'EINVAL',
      'write-unknown-flag': 'EINVAL',
    };
    for (const [op, errno] of Object.entries(expected)) {
      expect(results.get(op), `${op}: ${JSON.stringify(results.get(op))}`).toMatchObject({ ok: false, errno });
      expect(results.get(`good-after-${op}`), `the same connection serves a good write+read after ${op}`).toMatchObject({ ok: true });
    }
    expect(results.get('last-block-intact'), 'no refused write changed the last block').toMatchObject({ ok: true });
    expect(results.get('flush')).toMatchObject({ ok: true });

    // The other client was not disturbed: it finished, and every block holds its newest write.
    expect(await exitWithin(writer.exited, 120_000), writer.err()).toBe(0);
    const newest = new Map<number, number>();
    for (const line of writer.out().split('\n')) {
      const [tag, seq, block] = line.split(' ');
      if (tag === 'W') newest.set(Number(block), Number(seq));
    }
    const read = await runTool(PYTHON, [READER, uri, '256']);
    expect(read.code, read.stderr).toBe(0);
    for (const line of read.stdout.trim().split('\n')) {
      const [block, seq] = line.split(' ');
      expect(seq, `block ${block}`).toBe(String(newest.get(Number(block)) ?? 0));
    }
    expect((await statusJson(dataDir)).volumes[0]!.state).toBe('available');
  }, 180_000);
});

describe('a full upload buffer', () => {
  const reason = copySkip;
  it.skipIf(reason)(`slows the writer down (throttled, writes waiting for buffer space) and never fails it; lifting the limit lets it finish${reason ? ` (${reason})` : ''}`, async () => {
    const store = await localStore(scope);
    const dataDir = await scope.dir('data');
    const work = await scope.dir('work');
    // A small buffer: its log segments and the largest NBD request shrink with it.
    const gw = await scope.start(dataDir, [...store.args, '--upload-buffer-size', '16MiB']);
    await cliOk(['volume', 'create', 'full', '--size', '512MiB', '--data-dir', dataDir]);
    expect(await cliOk(['bandwidth', 'set', '1', '--data-dir', dataDir])).toMatch(/1 B\/s/);

    const image = join(work, 'big.img');
    await makeImage(image, 48 * MiB);
    const sha = await sha256File(image);
    const copy = background('nbdcopy', ['--flush', image, gw.nbdUri('full')]);
    try {
      const seen = await pollFor('the volume to be throttled with queued writes', async () => {
        const s = await statusJson(dataDir);
        const v = s.volumes.find((x) => x.name === 'full')!;
        return v.state === 'throttled' && Number(v.metrics.WritesWaitingForBuffer) > 0 && Number(v.metrics.QueuedWrites) > 0 ? { s, v } : undefined;
      });
      expect(seen.s.uploadBuffer.WritesWaitingForBuffer).toBeGreaterThan(0);
      expect(seen.s.uploadBuffer.QueuedWrites).toBeGreaterThan(0);
      expect(Number(seen.v.metrics.UploadBufferPercentUsed)).toBeGreaterThan(50);
      expect(seen.v.error).toBeNull();
      // The writer is waiting, not failed.
      expect(await exitWithin(copy.exited, 1000), `nbdcopy must still be waiting: ${copy.err()}`).toBeUndefined();
    } finally {
      expect(await cliOk(['bandwidth', 'set', '0', '--data-dir', dataDir])).toMatch(/unlimited/);
    }
    expect(await exitWithin(copy.exited, 180_000), `nbdcopy: ${copy.err()}`).toBe(0);

    const back = join(work, 'back.img');
    const read = await runTool('nbdcopy', [gw.nbdUri('full'), back]);
    expect(read.code, read.stderr).toBe(0);
    // The volume is 512 MiB; the image is its first 48 MiB and the rest reads as zeroes.
    const head = await runTool('sh', ['-c', `head -c ${48 * MiB} '${back}' | sha256sum`]);
    expect(head.stdout.split(' ')[0]).toBe(sha);
    const tail = await runTool('qemu-io', ['-f', 'raw', gw.nbdUri('full'), '-c', `read -P 0 ${48 * MiB} ${464 * MiB}`]);
    expect(tail.code, tail.stdout + tail.stderr).toBe(0);

    expect(await cliOk(['volume', 'sync', 'full', '--data-dir', dataDir])).toMatch(/recovery point \d+ committed/);
    const after = (await statusJson(dataDir)).volumes.find((x) => x.name === 'full')!;
    expect(after).toMatchObject({ state: 'available', error: null });
    expect(after.metrics.QueuedWrites).toBe(0);
  }, 300_000);
});

describe('a store that refuses or vanishes (radosgw)', () => {
  it.skipIf(s3Skip)(`a wrong secret key: serve stops at once with one ACCESS_DENIED line and exit 1${s3Skip ? ` (${s3Skip})` : ''}`, async () => {
    const store = await radosgwStore(scope, 'wrong-secret', 'not-the-secret-key-at-all');
    const dataDir = await scope.dir('data');
    const r = await cli(['serve', '--data-dir', dataDir, '--nbd', '127.0.0.1:0', '--metrics', 'off', '--control-plane', 'off', ...store.args], store.env, 120_000);
    expect(r.code).toBe(1);
    expectOneErrorLine(r.stderr, /access denied.*\[ACCESS_DENIED\]$/);
    // It let go of the data dir: a correct gateway can start there now.
    const ok = await radosgwStore(scope, 'right-secret');
    const gw = await scope.start(dataDir, ok.args, ok.env);
    await gw.kill9();
  }, 180_000);

  it.skipIf(s3Skip ?? copySkip)(`the bucket deleted under a running gateway: the upload error shows, writes go on into the log, reads return everything${(s3Skip ?? copySkip) ? ` (${s3Skip ?? copySkip})` : ''}`, async () => {
    const store = await radosgwStore(scope, 'vanish');
    const dataDir = await scope.dir('data');
    const gw = await scope.start(dataDir, store.args, store.env);
    await cliOk(['volume', 'create', 'v', '--size', '64MiB', '--data-dir', dataDir], store.env);
    const uri = gw.nbdUri('v');
    const io = async (...cmds: string[]): Promise<void> => {
      const r = await runTool('qemu-io', ['-f', 'raw', uri, ...cmds.flatMap((c) => ['-c', c])]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/failed/);
    };
    await io('write -P 0x11 0 4M', 'flush');
    await cliOk(['volume', 'sync', 'v', '--data-dir', dataDir], store.env);

    // Someone empties and deletes the bucket with a plain S3 client.
    await removeBucket(s3TestTarget().endpoint!, store.bucket!.name);

    // Writes are still accepted and flushed into the local log.
    await io('write -P 0x22 4M 4M', 'flush');
    const v = await pollFor('the upload error to show on the volume', async () => {
      const s = await statusJson(dataDir, store.env);
      const vol = s.volumes.find((x) => x.name === 'v')!;
      return typeof vol.metrics.LastUploadError === 'string' ? vol : undefined;
    });
    expect(v.metrics.LastUploadError).toMatch(/^BUCKET_MISSING: .*NoSuchBucket/);
    expect(Number(v.metrics.UploadBufferUsedBytes), 'the un-uploaded write is kept in the log').toBeGreaterThan(0);
    await io('write -P 0x33 8M 1M', 'flush');
    // Nothing acknowledged is lost locally.
    await io('read -P 0x11 0 4M', 'read -P 0x22 4M 4M', 'read -P 0x33 8M 1M', 'read -P 0 9M 1M');
    // A sync never claims a recovery point the store does not have: it fails with the reason.
    const sync = await cli(['volume', 'sync', 'v', '--data-dir', dataDir], store.env, 120_000);
    expect(sync.stdout).not.toMatch(/recovery point/);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toMatch(/uploads to the store are failing .*BUCKET_MISSING|BUCKET_MISSING/);
    // And the volume says so where an administrator looks first.
    const degraded = await pollFor('the volume to show degraded', async () => {
      const s = await statusJson(dataDir, store.env);
      const vol = s.volumes.find((x) => x.name === 'v')!;
      return vol.state === 'degraded' ? vol : undefined;
    });
    expect(degraded.error).toMatch(/^uploads failing: BUCKET_MISSING/);
  }, 180_000);
});

describe('one owner per volume', () => {
  it.skipIf(copySkip)(`a second gateway is refused without --force (naming the owner), adopts with it, and the first one is fenced out${copySkip ? ` (${copySkip})` : ''}`, async () => {
    const store = await localStore(scope);
    const dirA = await scope.dir('gw-a');
    const dirB = await scope.dir('gw-b');
    const a = await scope.start(dirA, store.args);
    const b = await scope.start(dirB, store.args);
    const ownerA = (JSON.parse(await readFile(join(dirA, 'gateway.json'), 'utf8')) as { gatewayId: string }).gatewayId;
    await cliOk(['volume', 'create', 'shared', '--size', '32MiB', '--data-dir', dirA]);
    const ioA = (...cmds: string[]): ReturnType<typeof runTool> => runTool('qemu-io', ['-f', 'raw', a.nbdUri('shared'), ...cmds.flatMap((c) => ['-c', c])]);
    expect((await ioA('write -P 0x41 0 1M', 'flush')).code).toBe(0);
    await cliOk(['volume', 'sync', 'shared', '--data-dir', dirA]);

    const refused = await cli(['recover', '--store', store.url, '--data-dir', dirB]);
    expect(refused.code).toBe(1);
    const line = expectOneErrorLine(refused.stderr, /\[VOLUME_OWNED\]$/);
    expect(line).toContain(ownerA);
    expect(line).toMatch(/--force/);
    expect(JSON.parse(await cliOk(['volume', 'list', '--json', '--data-dir', dirB])), 'a refused recover leaves nothing behind').toEqual([]);

    expect(await cliOk(['recover', '--store', store.url, '--force', '--data-dir', dirB])).toMatch(/recovered shared at recovery point \d+/);
    const readB = await runTool('qemu-io', ['-f', 'raw', b.nbdUri('shared'), '-c', 'read -P 0x41 0 1M']);
    expect(readB.stdout + readB.stderr, 'the new owner has the synced data').not.toMatch(/fail/);

    // A checks its ownership every few seconds: it stops by itself, without a write or an upload.
    await pollFor('gateway A to notice the takeover', async () => {
      const vols = JSON.parse(await cliOk(['volume', 'list', '--json', '--data-dir', dirA])) as Array<{ state: string }>;
      return vols[0]?.state === 'failed' ? true : undefined;
    }, 30_000);
    // Fenced: nothing more is acknowledged, and the commit that would publish it is refused.
    const lateWrite = await ioA('write -P 0x44 2M 64k', 'flush');
    expect(lateWrite.code, 'a fenced-out gateway acknowledges no write').not.toBe(0);
    const syncA = await cli(['volume', 'sync', 'shared', '--data-dir', dirA]);
    expect(syncA.code).toBe(1);
    expectOneErrorLine(syncA.stderr, /fenced out.*\[VOLUME_OWNED\]$/);
    const listA = JSON.parse(await cliOk(['volume', 'list', '--json', '--data-dir', dirA])) as Array<{ name: string; state: string; error: string | null }>;
    expect(listA).toHaveLength(1);
    expect(listA[0]).toMatchObject({ name: 'shared', state: 'failed' });
    expect(listA[0]!.error).toMatch(/^VOLUME_OWNED: /);
    expect((await cli(['volume', 'list', '--data-dir', dirA])).stdout).toMatch(/shared: VOLUME_OWNED: /);
    // From now on A's writes are refused with an error, not acknowledged and dropped.
    const writeA = await ioA('write -P 0x42 0 64k');
    expect(writeA.code).not.toBe(0);
    expect(writeA.stdout + writeA.stderr).toMatch(/write failed: Input\/output error/);

    // B's data is untouched by A.
    const readB2 = await runTool('qemu-io', ['-f', 'raw', b.nbdUri('shared'), '-c', 'read -P 0x41 0 1M', '-c', 'write -P 0x43 1M 64k', '-c', 'read -P 0x43 1M 64k']);
    expect(readB2.code).toBe(0);
    expect(readB2.stdout).not.toMatch(/fail/);
  }, 180_000);

  it('a second `serve` on the same data dir exits non-zero, naming the engine in it', async () => {
    const dataDir = await scope.dir('data');
    const first = await scope.start(dataDir, []);
    const second = await cli(['serve', '--data-dir', dataDir, '--nbd', '127.0.0.1:0', '--metrics', 'off', '--control-plane', 'off'], {}, 60_000);
    expect(second.code).toBe(1);
    expectOneErrorLine(second.stderr, new RegExp(`in use by another engine \\(pid ${first.pid}\\)`));
    // The first one is unharmed.
    expect((await statusJson(dataDir)).pid).toBe(first.pid);
  }, 120_000);
});

describe('CLI mistakes: one line on stderr, exit 2 for usage errors and 1 otherwise', () => {
  let gw: GatewayProcess | undefined;
  let dataDir = '';
  const run = async (args: string[]): ReturnType<typeof cli> => {
    if (!gw) {
      dataDir = await scope.dir('data');
      gw = await scope.start(dataDir, (await localStore(scope)).args);
      await cliOk(['volume', 'create', 'good', '--size', '8MiB', '--data-dir', dataDir]);
    }
    return cli([...args, '--data-dir', dataDir]);
  };

  it.each([
    { args: ['volume', 'create', 'x', '--size', '10XB'], code: 1, error: /invalid size "10XB": unknown unit "XB".*\[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'create', 'x', '--size', '0'], code: 1, error: /size.*\[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'create', 'x', '--size', '1000'], code: 1, error: /multiple of 4096.*\[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'create', 'Bad_Name', '--size', '8MiB'], code: 1, error: /invalid volume name "Bad_Name": uppercase letters are not allowed \(try "bad-name"\) \[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'create', 'bad_name', '--size', '8MiB'], code: 1, error: /invalid volume name "bad_name": character "_" at position 4 is not allowed.*\[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'create', 'good', '--size', '8MiB'], code: 1, error: /volume good already exists.*\[ALREADY_EXISTS\]$/ },
    { args: ['volume', 'create', 'y', '--size', '8MiB', '--mode', 'stored'], code: 1, error: /stored volume needs --disk.*\[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'delete', 'nope'], code: 1, error: /no volume named nope on this gateway \[NOT_FOUND\]$/ },
    { args: ['volume', 'sync', 'nope'], code: 1, error: /no volume named nope on this gateway \[NOT_FOUND\]$/ },
    { args: ['bandwidth', 'set', 'fast'], code: 1, error: /invalid size "fast".*\[INVALID_ARGUMENT\]$/ },
    { args: ['volume', 'create', 'y', '--size', '8MiB', '--colour', 'red'], code: 2, error: /^tidegate: unknown option --colour$/, usage: true },
    { args: ['volume', 'create', 'y'], code: 2, error: /^tidegate: volume create needs --size/, usage: true },
    { args: ['volume', 'explode', 'y'], code: 2, error: /^tidegate: volume create\|list\|delete\|sync/, usage: true },
    { args: ['status', '--json=yes'], code: 2, error: /^tidegate: --json takes no value$/, usage: true },
    { args: ['frobnicate'], code: 2, error: /^tidegate: unknown command frobnicate$/, usage: true },
  ].map((c) => ({ ...c, cmd: c.args.join(' ') })))('tidegate $cmd → exit $code', async ({ args, code, error, usage }) => {
    const r = await run(args);
    expect(r.code, r.stderr).toBe(code);
    expectOneErrorLine(r.stderr, error, usage ?? false);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('mistakes change nothing: the gateway still has exactly its one volume, available', async () => {
    await run(['status']);
    const list = JSON.parse(await cliOk(['volume', 'list', '--json', '--data-dir', dataDir])) as Array<{ name: string; state: string }>;
    expect(list.map((v) => [v.name, v.state])).toEqual([['good', 'available']]);
  });

  it('no gateway running on the data dir: status says so (and how to start one) without creating the dir', async () => {
    const empty = join(await scope.dir('empty'), 'never-created');
    const r = await cli(['status', '--data-dir', empty]);
    expect(r.code).toBe(1);
    expectOneErrorLine(r.stderr, /no gateway is running with data dir .*never-created \(start it with: tidegate serve --data-dir .*\) \[NOT_FOUND\]$/);
    expect(existsSync(empty)).toBe(false);
  });
});

describe('bad serve configuration: one clear line, non-zero exit, nothing left running', () => {
  it.each([
    { args: ['--store', 'ftp://x'], error: /store URL "ftp:\/\/x": unsupported scheme ftp: \(expected file: or s3:\) \[INVALID_ARGUMENT\]$/ },
    { args: ['--nbd', 'nonsense'], error: /invalid address "nonsense": missing port; expected host:port \[INVALID_ARGUMENT\]$/ },
    { args: ['--nbd', '127.0.0.1:99999'], error: /99999.*\[INVALID_ARGUMENT\]$/ },
    { args: ['--upload-buffer-size', '4KiB'], error: /^tidegate: --upload-buffer-size must be at least 8 MiB \(got 4KiB\)$/, usage: true },
    { args: ['--sync-policy', 'sometimes'], error: /syncPolicy.*sometimes.*\[INVALID_ARGUMENT\]$/ },
    { args: ['--store'], error: /^tidegate: --store needs a value$/, usage: true },
    { args: ['--upload-defer', 'soon'], error: /^tidegate: --upload-defer takes whole seconds \(got "soon"\)$/, usage: true },
    { args: ['--upload-defer', '7200'], error: /upload\.deferWhileBusySeconds must be an integer from 0 to 3600 \(got 7200\).*\[INVALID_ARGUMENT\]$/ },
    { args: ['--busy-poll', 'fast'], error: /^tidegate: --busy-poll takes whole microseconds \(got "fast"\)$/, usage: true },
    { args: ['--busy-poll', '5000'], error: /protocols\.busyPollMicroseconds must be an integer from 0 to 1000 \(got 5000\).*\[INVALID_ARGUMENT\]$/ },
  ].map((c) => ({ ...c, cmd: c.args.join(' ') })))('serve $cmd', async ({ args, error, usage }) => {
    const dataDir = await scope.dir('data');
    const r = await cli(['serve', '--data-dir', dataDir, '--metrics', 'off', '--control-plane', 'off', ...(args.includes('--nbd') ? [] : ['--nbd', '127.0.0.1:0']), ...args], {}, 60_000);
    expect(r.signal, 'serve must exit by itself, not keep running').toBeNull();
    expect(r.code).toBe(usage ? 2 : 1);
    expectOneErrorLine(r.stderr, error, usage ?? false);
    expect(existsSync(join(dataDir, 'control.sock')), 'no command socket left behind').toBe(false);
  }, 60_000);
});
