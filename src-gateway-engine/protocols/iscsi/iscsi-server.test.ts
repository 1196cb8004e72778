import { afterEach, describe, expect, it } from 'vitest';
import type { WriteOptions } from '../../device/block-device.js';
import { MemoryDevice } from '../../device/memory-device.js';
import { BusyPoll } from '../common/busy-poll.js';
import { IscsiServer, type IscsiServerOptions } from './iscsi-server.js';
import { TargetTable, targetNameOf, type ExportedVolume } from './target-table.js';
import { RawIscsiClient, RESERVED, senseCodes, TOp, type CommandResult } from './test/raw-iscsi-client.js';

const TARGET = 'iqn.2026-11.dev.tidegate:mem';
const servers: IscsiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** An in-process portal over one in-memory volume. */
async function portal(options: IscsiServerOptions = {}, extra: ExportedVolume[] = []): Promise<{ server: IscsiServer; address: string; table: TargetTable }> {
  const vols: ExportedVolume[] = [
    { name: 'mem', volumeId: '00000000-0000-4000-8000-000000000001', device: new MemoryDevice({ size: 8 * 1024 * 1024 }), access: {}, reservationStatePath: '/nonexistent/pr.json' },
    ...extra,
  ];
  const table = new TargetTable(
    { byTargetName: (n) => vols.find((v) => (v.targetName ?? targetNameOf(v.name)) === n), list: () => vols },
    { maxRequestBytes: 1024 * 1024, productRevision: '0.1' },
  );
  const server = new IscsiServer(table, { closeGraceMs: 1000, ...options });
  servers.push(server);
  const a = await server.listen('127.0.0.1', 0);
  return { server, address: `127.0.0.1:${a.port}`, table };
}

describe('IscsiServer', () => {
  it('pings an idle initiator with NOP-In, keeps a connection that answers and drops one that does not', async () => {
    const { server, address } = await portal({ limits: { nopIntervalMs: 100, nopTimeoutMs: 300 } });
    const answering = await RawIscsiClient.connect(address);
    await answering.loginOk({ targetName: TARGET });
    const silent = await RawIscsiClient.connect(address);
    await silent.loginOk({ targetName: TARGET, isid: Buffer.from('80000000a002', 'hex') });
    const ping = await answering.until((p) => p.opcode === TOp.NopIn && p.itt === RESERVED && p.bhs.readUInt32BE(20) !== RESERVED, 5000);
    if (typeof ping !== 'object') throw new Error(`no NOP-In ping: ${ping}`);
    answering.answerTargetPing(ping);
    // Answer every ping for a while; the silent client never does.
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      const p = await answering.next(200);
      if (typeof p === 'object') answering.answerTargetPing(p);
      if (p === 'closed') break;
    }
    expect(await silent.waitClosed(5000)).toBe(true);
    expect(answering.closed).toBe(false);
    expect(server.sessionCount).toBe(1);
    expect(typeof (await answering.logout())).toBe('object');
  });

  it('counts refused logins and sessions per target', async () => {
    const { server, address } = await portal();
    const bad = await RawIscsiClient.connect(address);
    const r = await bad.login({ targetName: 'iqn.2026-11.dev.tidegate:nosuch' });
    expect(r.statusClass).toBe(2);
    const good = await RawIscsiClient.connect(address);
    await good.loginOk({ targetName: TARGET });
    expect(server.sessionsOf(TARGET)).toBe(1);
    expect(server.stats.loginFailures).toBe(1);
    await good.logout();
    await good.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    expect(server.sessionsOf(TARGET)).toBe(0);
  });

  it('a volume with its own target name is found by that name only (any case), and lists under it', async () => {
    const custom = 'iqn.2001-04.com.example:storage.disk7';
    const { server, address, table } = await portal({}, [
      { name: 'db', targetName: custom, volumeId: '00000000-0000-4000-8000-000000000002', device: new MemoryDevice({ size: 8 * 1024 * 1024 }), access: {}, reservationStatePath: '/nonexistent/pr2.json' },
    ]);
    expect(table.list().map((t) => t.name)).toEqual([TARGET, custom]);
    const byDefault = await RawIscsiClient.connect(address);
    expect((await byDefault.login({ targetName: targetNameOf('db') })).statusClass).toBe(2);
    const c = await RawIscsiClient.connect(address);
    await c.loginOk({ targetName: custom.toUpperCase(), initiatorName: 'iqn.2026-11.dev.tidegate.test:c' });
    expect(server.sessionsOf(custom)).toBe(1);
    const [info] = server.sessionInfo(custom);
    expect(info).toEqual({ initiatorName: 'iqn.2026-11.dev.tidegate.test:c', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), connectedAt: expect.any(Number) });
    expect(Date.now() - info!.connectedAt).toBeLessThan(10_000);
    expect(server.sessionInfo(TARGET)).toEqual([]);
    await c.logout();
  });

  it('PREEMPT AND ABORT aborts the preempted initiator\'s commands in flight before it answers', async () => {
    const { address } = await portal();
    const a = await RawIscsiClient.connect(address);
    await a.loginOk({ targetName: TARGET, initiatorName: 'iqn.2026-11.dev.tidegate.test:a', isid: Buffer.from('80000000a00a', 'hex'), immediateData: false, initialR2T: true });
    const b = await RawIscsiClient.connect(address);
    await b.loginOk({ targetName: TARGET, initiatorName: 'iqn.2026-11.dev.tidegate.test:b', isid: Buffer.from('80000000b00b', 'hex') });
    const prOut = (serviceAction: number, type: number, key: bigint, sark: bigint): [Buffer, Buffer] => {
      const data = Buffer.alloc(24);
      data.writeBigUInt64BE(key, 0);
      data.writeBigUInt64BE(sark, 8);
      return [Buffer.from([0x5f, serviceAction, type, 0, 0, 0, 0, 0, 24, 0]), data];
    };
    const ok = async (c: RawIscsiClient, [cdb, dataOut]: [Buffer, Buffer]): Promise<void> => {
      const r = (await c.command(cdb, { dataOut })) as CommandResult;
      expect(r.status, JSON.stringify(senseCodes(r.sense))).toBe(0);
    };
    await ok(a, prOut(0x00, 0, 0n, 0xaan)); // REGISTER
    await ok(b, prOut(0x00, 0, 0n, 0xbbn));
    await ok(a, prOut(0x01, 0x01, 0xaan, 0n)); // RESERVE, Write Exclusive
    // A starts a write and holds back its data: the command waits at the target for Data-Out.
    const itt = a.itt();
    a.sendScsi({ itt, cdb: Buffer.from([0x2a, 0, 0, 0, 0, 8, 0, 0, 8, 0]), edtl: 4096, flags: 0xa1 });
    const r2t = await a.until((p) => p.opcode === TOp.R2T && p.itt === itt, 5000);
    if (typeof r2t !== 'object') throw new Error(`no R2T: ${r2t}`);
    await ok(b, prOut(0x05, 0x01, 0xbbn, 0xaan)); // PREEMPT AND ABORT A's registration
    // A's write was aborted: its data is dropped and no status ever comes for it.
    a.sendDataSequence(itt, r2t.bhs.readUInt32BE(20), Buffer.alloc(4096, 7), 0, 4096);
    expect(await a.until((p) => p.itt === itt && (p.opcode === TOp.ScsiResponse || p.opcode === TOp.DataIn), 500)).toBe('timeout');
    // A hears why on its next command; the block was not written.
    const tur = (await a.command(Buffer.from([0, 0, 0, 0, 0, 0]))) as CommandResult;
    expect(tur.status).toBe(2);
    expect(senseCodes(tur.sense)?.key).toBe(6);
    const read = (await b.command(Buffer.from([0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0]), { readLength: 4096 })) as CommandResult;
    expect(read.data.equals(Buffer.alloc(4096))).toBe(true);
  });

  it('lends a WRITE\'s data buffer again only once the device write has settled, and data stays intact', async () => {
    // A device that holds the first write and remembers the memory and first byte of every
    // write it gets (a command's data reaches it in pieces of the LU's maximum transfer).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const seen: Array<{ data: Buffer; memory: ArrayBufferLike; fill: number }> = [];
    class RecordingDevice extends MemoryDevice {
      override async write(offset: number, data: Buffer, options?: WriteOptions): Promise<void> {
        seen.push({ data, memory: data.buffer, fill: data[0]! });
        if (seen.length === 1) await held;
        return super.write(offset, data, options);
      }
    }
    const device = new RecordingDevice({ size: 8 * 1024 * 1024 });
    const { address } = await portal({}, [{ name: 'rec', volumeId: '00000000-0000-4000-8000-000000000002', device, access: {}, reservationStatePath: '/nonexistent/pr2.json' }]);
    const target = 'iqn.2026-11.dev.tidegate:rec';
    const a = await RawIscsiClient.connect(address);
    await a.loginOk({ targetName: target, initiatorName: 'iqn.2026-11.dev.tidegate.test:a', isid: Buffer.from('80000000a00a', 'hex') });
    const b = await RawIscsiClient.connect(address);
    await b.loginOk({ targetName: target, initiatorName: 'iqn.2026-11.dev.tidegate.test:b', isid: Buffer.from('80000000b00b', 'hex') });
    // 256 KiB (512 blocks of 512 bytes) at `lba`: more than the immediate data, so several PDUs.
    const KiB256 = 256 * 1024;
    const cdb10 = (opcode: number, lba: number) => Buffer.from([opcode, 0, 0, 0, lba >> 8, lba & 0xff, 0, 2, 0, 0]);
    const write = (c: RawIscsiClient, lba: number, fill: number) => c.command(cdb10(0x2a, lba), { dataOut: Buffer.alloc(KiB256, fill) }) as Promise<CommandResult>;
    const first = write(a, 0, 0xa1);
    await waitFor(() => seen.length === 1);
    expect((await write(b, 512, 0xb2)).status).toBe(0);
    expect((await write(b, 1024, 0xc3)).status).toBe(0);
    // The pool lent the second write's buffer again to the third, never the held one's.
    const memoryOf = (fill: number) => new Set(seen.filter((w) => w.fill === fill).map((w) => w.memory));
    expect([...memoryOf(0xc3)]).toEqual([...memoryOf(0xb2)]);
    expect(memoryOf(0xb2).has(seen[0]!.memory)).toBe(false);
    expect(seen[0]!.data.equals(Buffer.alloc(seen[0]!.data.length, 0xa1))).toBe(true);
    release();
    expect((await first).status).toBe(0);
    for (const [lba, fill] of [[0, 0xa1], [512, 0xb2], [1024, 0xc3]] as const) {
      const r = (await b.command(cdb10(0x28, lba), { readLength: KiB256 })) as CommandResult;
      expect(r.data.equals(Buffer.alloc(KiB256, fill))).toBe(true);
    }
  });
});

describe('IscsiServer busy polling', () => {
  it('tells the poller of every command and response: an initiator answering inside the budget finds the loop still polling', async () => {
    // A generous budget (20 ms), so a loaded test machine's initiator answers inside it.
    const poll = new BusyPoll({ budgetMicros: 20_000 });
    const { address } = await portal({ poll });
    const c = await RawIscsiClient.connect(address);
    await c.loginOk({ targetName: TARGET });
    const hitsAfterLogin = poll.stats.hits;
    for (let i = 0; i < 20; i++) {
      const r = (await c.command(Buffer.from([0x28, 0, 0, 0, 0, i, 0, 0, 1, 0]), { readLength: 512 })) as CommandResult;
      expect(r.status).toBe(0);
    }
    expect(poll.stats.hits - hitsAfterLogin).toBeGreaterThanOrEqual(15);
    poll.stop();
  });

  it('opens no polling window while Data-In still waits in the socket\'s buffer (the initiator is busy reading it)', async () => {
    const poll = new BusyPoll({ budgetMicros: 20_000 });
    const { address } = await portal({ poll });
    const c = await RawIscsiClient.connect(address);
    await c.loginOk({ targetName: TARGET });
    await new Promise((r) => setTimeout(r, 50)); // the login's last window has ended
    const before = { ...poll.stats };
    c.socket.pause(); // the initiator reads nothing: 8 MiB of Data-In cannot all reach the kernel
    const read = c.command(Buffer.from([0x28, 0, 0, 0, 0, 0, 0, 0x40, 0, 0]), { readLength: 8 << 20 }); // READ(10), 16,384 blocks
    await new Promise((r) => setTimeout(r, 100));
    expect(poll.active).toBe(false);
    expect(poll.stats.misses).toBe(before.misses);
    expect(poll.stats.pollingMs).toBe(before.pollingMs);
    c.socket.resume();
    expect(((await read) as CommandResult).status).toBe(0);
    poll.stop();
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error('timed out');
}
