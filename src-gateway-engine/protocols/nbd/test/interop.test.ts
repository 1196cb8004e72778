import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { MemoryDevice } from '../../../device/memory-device.js';
import type { NbdServer } from '../nbd-server.js';
import { missingTool, run } from './outside-tool.js';
import { startServer } from './test-server.js';

/**
 * Interop with real NBD clients: nbdinfo, libnbd's Python binding (nbdsh), nbdcopy and
 * qemu-img. A missing tool fails the test in CI (CI installs them) and skips it on a
 * laptop, with the reason.
 */

const MiB = 1024 * 1024;
const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

let server: NbdServer;
let port: number;
let workDir: string;
const devices = {
  info: new MemoryDevice({ size: 1024 * MiB }),
  nbdsh: new MemoryDevice({ size: 64 * MiB }),
  nbdcopy: new MemoryDevice({ size: 256 * MiB }),
  qemu: new MemoryDevice({ size: 256 * MiB }),
};

async function requireTool(ctx: TestContext, file: string, probeArgs?: string[]): Promise<void> {
  const reason = await missingTool(file, probeArgs);
  if (reason === undefined) return;
  if (process.env.CI) throw new Error(`required tool missing in CI: ${reason}`);
  ctx.skip(reason);
}

function uri(name: string): string {
  return `nbd://127.0.0.1:${port}/${name}`;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A 256 MiB image of random bytes, with a few zero runs so sparse paths are exercised too. */
async function makeImage(path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    const block = Buffer.allocUnsafe(4 * MiB);
    for (let pos = 0; pos < size; pos += block.length) {
      randomFillSync(block);
      if ((pos / block.length) % 16 === 5) block.fill(0); // 4 MiB of zeroes every 64 MiB
      if ((pos / block.length) % 16 === 9) block.fill(0, 4096, 3 * MiB);
      await file.write(block, 0, block.length, pos);
    }
  } finally {
    await file.close();
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tidegate-nbd-interop-'));
  await devices.info.write(MiB, Buffer.alloc(MiB, 1));
  ({ server, port } = await startServer(devices, { defaultExport: 'info' }));
});

afterAll(async () => {
  await server?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('NBD interop with real clients', () => {
  it('nbdinfo --json reports size, block sizes, flags and base:allocation', async (ctx) => {
    await requireTool(ctx, 'nbdinfo');
    const info = JSON.parse((await run('nbdinfo', ['--json', uri('info')])).stdout);
    expect(info.protocol).toBe('newstyle-fixed');
    expect(info.structured).toBe(true);
    const exp = info.exports[0];
    expect(exp['export-name']).toBe('info');
    expect(exp['export-size']).toBe(1024 * MiB);
    expect([exp.block_size_minimum, exp.block_size_preferred, exp.block_size_maximum]).toEqual([1, 4096, 32 * MiB]);
    expect(exp.contexts).toContain('base:allocation');
    expect(exp).toMatchObject({
      is_read_only: false,
      can_flush: true,
      can_fua: true,
      can_trim: true,
      can_zero: true,
      can_multi_conn: true,
      can_df: true,
    });
  });

  it('nbdinfo --list shows every export with its description; the empty name is the default', async (ctx) => {
    await requireTool(ctx, 'nbdinfo');
    const list = JSON.parse((await run('nbdinfo', ['--list', '--json', `nbd://127.0.0.1:${port}`])).stdout);
    const names = list.exports.map((e: { 'export-name': string; description: string }) => [e['export-name'], e.description]);
    expect(names).toEqual(Object.keys(devices).map((n) => [n, `volume ${n}`]));
    const dflt = JSON.parse((await run('nbdinfo', ['--json', `nbd://127.0.0.1:${port}/`])).stdout);
    expect(dflt.exports[0]['export-size']).toBe(1024 * MiB);
  });

  it('nbdinfo --map shows the allocation map', async (ctx) => {
    await requireTool(ctx, 'nbdinfo');
    const map = JSON.parse((await run('nbdinfo', ['--map', '--json', uri('info')])).stdout);
    expect(map).toEqual([
      { offset: 0, length: MiB, type: 3, description: 'hole,zero' },
      { offset: MiB, length: MiB, type: 0, description: 'data' },
      { offset: 2 * MiB, length: 1022 * MiB, type: 3, description: 'hole,zero' },
    ]);
  });

  it('nbdsh (libnbd Python): I/O, zero, trim, block status, structured reads, errors, multi-conn, AIO', async (ctx) => {
    await requireTool(ctx, PYTHON, ['-c', 'import nbd']);
    const { stdout } = await run(PYTHON, [join(here, 'nbdsh-checks.py'), uri('nbdsh')]);
    const out = JSON.parse(stdout);
    expect(out.size).toBe(64 * MiB);
    expect(out.structured).toBe(true);
    expect(out.can_meta).toBe(true);
    expect(out.flags).toEqual({
      flush: true,
      fua: true,
      trim: true,
      zero: true,
      df: true,
      multi_conn: true,
      read_only: false,
    });
    expect(out.block_size).toEqual([1, 4096, 32 * MiB]);
    expect(out.read_back && out.fua_read_back && out.df_read).toBe(true);
    // [length, flags] pairs: chunk 0 (fua write) and 16..16 (64 KiB at 1 MiB) are data.
    expect(out.status_initial).toEqual([65536, 0, MiB - 65536, 3, 65536, 0, 4 * MiB - MiB - 65536, 3]);
    expect(out.zeroed).toBe(true);
    // zero (may punch) at 1 MiB, zero with NO_HOLE (stays allocated: ZERO only) at 1 MiB + 64 KiB.
    expect(out.status_after).toEqual([65536, 0, MiB, 3, 65536, 2, 4 * MiB - MiB - 2 * 65536, 3]);
    expect(out.status_req_one).toEqual([65536, 0]);
    expect(out.sparse_read_ok).toBe(true);
    expect(out.chunk_kinds).toEqual([1, 2]); // READ_DATA and READ_HOLE
    expect(out.errors).toEqual({
      read_past_end: 'EINVAL',
      write_past_end: 'ENOSPC',
      zero_past_end: 'ENOSPC',
      trim_past_end: 'EINVAL',
    });
    expect(out.still_works).toBe(true);
    expect(out.multi_conn_visible && out.multi_conn_visible_back).toBe(true);
    expect(out.aio_ok).toBe(true);
  });

  describe('256 MiB round trips', () => {
    let image: string;
    let imageHash: string;

    beforeAll(async () => {
      image = join(workDir, 'source.img');
      await makeImage(image, 256 * MiB);
      imageHash = await sha256(image);
    });

    it('nbdcopy: file → NBD → file keeps the sha256', { timeout: 300_000 }, async (ctx) => {
      await requireTool(ctx, 'nbdcopy');
      const back = join(workDir, 'nbdcopy-back.img');
      await run('nbdcopy', [image, uri('nbdcopy')], { timeoutMs: 240_000 });
      await run('nbdcopy', [uri('nbdcopy'), back], { timeoutMs: 240_000 });
      expect(await sha256(back)).toBe(imageHash);
      // Zero runs of the image stayed sparse on the device.
      const extents = await devices.nbdcopy.blockStatus(5 * 4 * MiB, 4 * MiB);
      expect(extents.every((e) => e.zero)).toBe(true);
    });

    it('qemu-img convert: file → NBD → file keeps the sha256', { timeout: 300_000 }, async (ctx) => {
      await requireTool(ctx, 'qemu-img');
      const back = join(workDir, 'qemu-back.img');
      await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', image, uri('qemu')], { timeoutMs: 240_000 });
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', uri('qemu'), back], { timeoutMs: 240_000 });
      expect(await sha256(back)).toBe(imageHash);
      const info = JSON.parse((await run('qemu-img', ['info', '--output=json', uri('qemu')])).stdout);
      expect(info['virtual-size']).toBe(256 * MiB);
    });
  });
});
