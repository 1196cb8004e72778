/**
 * Gateway-level NBD interop: the real `tidegate serve` process, real volumes (cached and
 * stored) and the real clients administrators use — nbdinfo, nbdcopy, qemu-img, qemu-io.
 * The export is what the volume is (name, size, flags, allocation map); a 256 MiB image
 * with zero runs round-trips bit for bit through both copy tools, and still does after
 * `volume sync`, a clean stop, deleting the cache and a restart (reads come from the store).
 * On the local-folder store, and on radosgw (real S3) for the round trip.
 *
 * A missing tool fails the test in CI (CI installs it) and skips it elsewhere, with the reason.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayProcess } from './support/gateway-process.js';
import {
  cliOk,
  GwScope,
  localStore,
  makeImage,
  MiB,
  radosgwStore,
  runTool,
  sha256File,
  statusJson,
  toolSkipReason,
  type StoreArgs,
} from './support/gw-harness.js';
import { s3TestTarget } from './support/s3-test-bucket.js';

const scope = new GwScope('nbd-interop');
afterAll(() => scope.cleanup());

const toolsSkip = await toolSkipReason([
  ['nbdinfo', ['--version']],
  ['nbdcopy', ['--version']],
  ['qemu-img', ['--version']],
  ['qemu-io', ['--version']],
]);

const IMAGE_BYTES = 256 * MiB;

/** Run a client that must succeed; its stderr is in the failure message. */
async function must(file: string, args: string[]): Promise<string> {
  const r = await runTool(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface MapEntry {
  offset: number;
  length: number;
  type: number;
  description: string;
}

async function allocationMap(uri: string): Promise<MapEntry[]> {
  return JSON.parse(await must('nbdinfo', ['--map', '--json', uri])) as MapEntry[];
}

/** The map's description of byte `at` (e.g. "data", "hole,zero"). */
function mapAt(map: MapEntry[], at: number): string | undefined {
  return map.find((e) => e.offset <= at && at < e.offset + e.length)?.description;
}

/** The map covers [0, size) with no gaps or overlaps. */
function expectContiguous(map: MapEntry[], size: number): void {
  let pos = 0;
  for (const e of map) {
    expect(e.offset, 'map entries are contiguous').toBe(pos);
    pos += e.length;
  }
  expect(pos, 'the map covers the whole export').toBe(size);
}

/** `volume create` arguments for a mode (a stored volume gets a primary disk file in the data dir). */
function createArgs(name: string, size: string, mode: 'cached' | 'stored', dataDir: string): string[] {
  return ['volume', 'create', name, '--size', size, '--mode', mode, ...(mode === 'stored' ? ['--disk', join(dataDir, `${name}.img`)] : []), '--data-dir', dataDir];
}

/**
 * Copy image A in with nbdcopy and read it back with nbdcopy and qemu-img; then image B in
 * with `qemu-img convert -n` and back with nbdcopy. Returns B's sha256 (what the volume holds).
 */
async function roundTrip(uri: string, work: string): Promise<string> {
  const a = join(work, 'a.img');
  const b = join(work, 'b.img');
  await makeImage(a, IMAGE_BYTES, 0);
  await makeImage(b, IMAGE_BYTES, 3);
  const shaA = await sha256File(a);
  const shaB = await sha256File(b);
  expect(shaA).not.toBe(shaB);

  await must('nbdcopy', ['--flush', a, uri]);
  await must('nbdcopy', [uri, join(work, 'a-back-nbdcopy.img')]);
  expect(await sha256File(join(work, 'a-back-nbdcopy.img')), 'nbdcopy in, nbdcopy out').toBe(shaA);
  await must('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', uri, join(work, 'a-back-qemu.img')]);
  expect(await sha256File(join(work, 'a-back-qemu.img')), 'nbdcopy in, qemu-img out').toBe(shaA);

  await must('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', b, uri]);
  await must('nbdcopy', [uri, join(work, 'b-back-nbdcopy.img')]);
  expect(await sha256File(join(work, 'b-back-nbdcopy.img')), 'qemu-img in, nbdcopy out').toBe(shaB);
  for (const f of ['a.img', 'a-back-nbdcopy.img', 'a-back-qemu.img', 'b-back-nbdcopy.img']) await rm(join(work, f));
  return shaB;
}

/** After a sync: clean stop, cache deleted, restart; the image reads back the same through both tools. */
async function coldRestartAndVerify(
  gw: GatewayProcess,
  store: StoreArgs,
  volume: string,
  sha: string,
  work: string,
  expectStoreReads: boolean,
): Promise<GatewayProcess> {
  const dataDir = gw.dataDir;
  expect(await gw.stop(), 'a clean stop exits 0').toBe(0);
  await rm(join(dataDir, 'cache'), { recursive: true, force: true });
  const next = await scope.start(dataDir, store.args, store.env);
  const uri = next.nbdUri(volume);
  await must('nbdcopy', [uri, join(work, 'cold-nbdcopy.img')]);
  expect(await sha256File(join(work, 'cold-nbdcopy.img')), 'after sync + restart without cache, nbdcopy reads the image').toBe(sha);
  await must('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', uri, join(work, 'cold-qemu.img')]);
  expect(await sha256File(join(work, 'cold-qemu.img')), 'after sync + restart without cache, qemu-img reads the image').toBe(sha);
  if (expectStoreReads) {
    const v = (await statusJson(dataDir, store.env)).volumes.find((x) => x.name === volume)!;
    expect(Number(v.metrics.CloudBytesDownloaded), 'with the cache gone, reads came from the store').toBeGreaterThan(0);
  }
  return next;
}

describe.each(['cached', 'stored'] as const)('NBD interop with real clients: %s volume on the local-folder store', (mode) => {
  it.skipIf(toolsSkip)(`nbdinfo --json / --list show the export as the volume is${toolsSkip ? ` (${toolsSkip})` : ''}`, async () => {
    const store = await localStore(scope);
    const dataDir = await scope.dir('data');
    const gw = await scope.start(dataDir, store.args);
    await cliOk(createArgs('info', '96MiB', mode, dataDir));
    await cliOk(createArgs('other-one', '8MiB', mode, dataDir));

    const info = JSON.parse(await must('nbdinfo', ['--json', gw.nbdUri('info')])) as { protocol: string; exports: Array<Record<string, unknown>> };
    expect(info.protocol).toBe('newstyle-fixed');
    expect(info.exports).toHaveLength(1);
    const e = info.exports[0]!;
    expect(e['export-name']).toBe('info');
    expect(e['export-size']).toBe(96 * MiB);
    expect(e.description).toBe(`${mode} volume`);
    expect(e).toMatchObject({ is_read_only: false, can_flush: true, can_fua: true, can_trim: true, can_zero: true, can_multi_conn: true });
    expect(e.contexts).toContain('base:allocation');

    const list = JSON.parse(await must('nbdinfo', ['--list', '--json', `nbd://${gw.nbd}`])) as { exports: Array<Record<string, unknown>> };
    const byName = new Map(list.exports.map((x) => [x['export-name'], x]));
    expect([...byName.keys()].sort()).toEqual(['info', 'other-one']);
    expect(byName.get('other-one')!['export-size']).toBe(8 * MiB);

    // A name that is not a volume is refused by name, not served as something else.
    const missing = await runTool('nbdinfo', ['--json', gw.nbdUri('no-such-volume')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-volume/);
  }, 120_000);

  it.skipIf(toolsSkip)(`nbdinfo --map: an empty volume is one hole; written ranges become data, discarded ones holes again${toolsSkip ? ` (${toolsSkip})` : ''}`, async () => {
    const store = await localStore(scope);
    const dataDir = await scope.dir('data');
    const gw = await scope.start(dataDir, store.args);
    await cliOk(createArgs('map', '64MiB', mode, dataDir));
    const uri = gw.nbdUri('map');

    const empty = await allocationMap(uri);
    expectContiguous(empty, 64 * MiB);
    expect(empty.every((x) => x.description === 'hole,zero'), `empty volume map: ${JSON.stringify(empty)}`).toBe(true);

    await must('qemu-io', ['-f', 'raw', uri, '-c', `write -P 0x5c ${8 * MiB} 1M`, '-c', `write -P 0x5d ${40 * MiB} 4k`, '-c', 'flush']);
    const written = await allocationMap(uri);
    expectContiguous(written, 64 * MiB);
    expect(mapAt(written, 8 * MiB)).toBe('data');
    expect(mapAt(written, 9 * MiB - 1)).toBe('data');
    expect(mapAt(written, 40 * MiB)).toBe('data');
    expect(mapAt(written, 0)).toBe('hole,zero');
    expect(mapAt(written, 9 * MiB)).toBe('hole,zero');
    expect(mapAt(written, 64 * MiB - 1)).toBe('hole,zero');

    await must('qemu-io', ['-f', 'raw', uri, '-c', `discard ${8 * MiB} 512k`, '-c', 'flush']);
    const trimmed = await allocationMap(uri);
    expectContiguous(trimmed, 64 * MiB);
    expect(mapAt(trimmed, 8 * MiB), 'a discarded range reads as zeroes').toMatch(/zero/);
    expect(mapAt(trimmed, 8 * MiB + 512 * 1024)).toBe('data');
  }, 120_000);

  it.skipIf(toolsSkip)(`qemu-io write/read/discard patterns${toolsSkip ? ` (${toolsSkip})` : ''}`, async () => {
    const store = await localStore(scope);
    const dataDir = await scope.dir('data');
    const gw = await scope.start(dataDir, store.args);
    await cliOk(createArgs('pat', '32MiB', mode, dataDir));
    const uri = gw.nbdUri('pat');

    await must('qemu-io', ['-f', 'raw', uri, '-c', 'write -P 0xab 0 1M', '-c', 'read -P 0xab 0 1M', '-c', 'discard 0 64k', '-c', 'read -P 0 0 64k', '-c', 'read -P 0xab 64k 960k']);
    // Unaligned writes, write-zeroes, FUA, and the last bytes of the volume.
    await must('qemu-io', [
      '-f', 'raw', uri,
      '-c', 'write -P 0x11 1000 3000',
      '-c', 'read -P 0 0 1000',
      '-c', 'read -P 0x11 1000 3000',
      '-c', 'read -P 0 4000 96',
      '-c', 'write -z 4096 8k',
      '-c', 'read -P 0 4096 8k',
      '-c', 'read -P 0xab 64k 4k',
      '-c', 'write -f -P 0x77 2M 128k',
      '-c', `write -P 0xee ${32 * MiB - 4096} 4k`,
      '-c', `read -P 0xee ${32 * MiB - 4096} 4k`,
    ]);
    // A wrong expectation is reported by qemu-io, so the checks above do check something.
    const wrong = await runTool('qemu-io', ['-f', 'raw', uri, '-c', 'read -P 0xab 0 64k']);
    expect(wrong.stdout + wrong.stderr).toMatch(/Pattern verification failed/);

    // The same bytes from a new connection after a restart.
    expect(await gw.stop()).toBe(0);
    const gw2 = await scope.start(dataDir, store.args);
    await must('qemu-io', [
      '-f', 'raw', gw2.nbdUri('pat'),
      '-c', 'read -P 0 0 1000',
      '-c', 'read -P 0 4000 61536',
      '-c', 'read -P 0x11 1000 3000',
      '-c', 'read -P 0xab 64k 4k',
      '-c', 'read -P 0x77 2M 128k',
      '-c', `read -P 0xee ${32 * MiB - 4096} 4k`,
    ]);
  }, 120_000);

  it.skipIf(toolsSkip)(`a 256 MiB image round-trips through nbdcopy and qemu-img, also after sync + cold restart${toolsSkip ? ` (${toolsSkip})` : ''}`, async () => {
    const store = await localStore(scope);
    const dataDir = await scope.dir('data');
    const work = await scope.dir('work');
    let gw = await scope.start(dataDir, store.args);
    await cliOk(createArgs('image', '256MiB', mode, dataDir));
    const sha = await roundTrip(gw.nbdUri('image'), work);
    const map = await allocationMap(gw.nbdUri('image'));
    // Image B is all zeroes in [8 MiB, 12 MiB) (makeImage variant 3): qemu-img wrote it as zeroes.
    expect(mapAt(map, 8 * MiB), 'the zero run of the image is reported as zeroes').toMatch(/zero/);
    expect(mapAt(map, 12 * MiB - 1)).toMatch(/zero/);
    expect(mapAt(map, 12 * MiB)).toBe('data');
    expect(await cliOk(['volume', 'sync', 'image', '--data-dir', dataDir])).toMatch(/recovery point \d+ committed/);
    // Uploaded 64 MiB segments' files stay to hold later writes, and status says how much.
    expect(await cliOk(['status', '--data-dir', dataDir])).toMatch(/^upload buffer: .*, \d+(\.\d+)? MiB of uploaded log files kept for reuse,/m);
    gw = await coldRestartAndVerify(gw, store, 'image', sha, work, mode === 'cached');
  }, 300_000);
});

describe('NBD interop on radosgw (real S3)', () => {
  const s3Skip = s3TestTarget().skipReason;
  const reason = toolsSkip ?? s3Skip;
  it.skipIf(reason)(`cached volume: a 256 MiB image round-trips, and reads back from S3 after sync + cold restart${reason ? ` (${reason})` : ''}`, async () => {
    const store = await radosgwStore(scope, 'nbd-interop');
    const dataDir = await scope.dir('data');
    const work = await scope.dir('work');
    let gw = await scope.start(dataDir, store.args, store.env);
    await cliOk(createArgs('image', '256MiB', 'cached', dataDir), store.env);
    const sha = await roundTrip(gw.nbdUri('image'), work);
    expect(await cliOk(['volume', 'sync', 'image', '--data-dir', dataDir], store.env)).toMatch(/recovery point \d+ committed/);
    gw = await coldRestartAndVerify(gw, store, 'image', sha, work, true);
  }, 300_000);
});
