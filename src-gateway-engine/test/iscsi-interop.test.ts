/**
 * Gateway-level iSCSI interop: the real `tidegate serve` process, real volumes, and the
 * initiators administrators use — libiscsi's utilities (iscsi-inq, iscsi-readcapacity16,
 * iscsi-ls) and qemu's iscsi:// block driver (qemu-img, qemu-io) — plus a small raw client
 * (support/iscsi-login-client.ts) for what no real initiator does on purpose: replaying a
 * CHAP response, reflecting the target's challenge, and dropping or stalling a connection
 * in the middle of a write.
 *
 * What is proven: a 256 MiB image round-trips bit for bit through qemu-img over iSCSI and
 * reads the same over NBD; discards and write-zeroes become holes both protocols report;
 * the LU is who it says it is (INQUIRY, serial, NAA designator,
 * READ CAPACITY(16), SendTargets) and stays so across restarts; CHAP (one-way and mutual)
 * and the initiator allow-list let in exactly who they should; bad settings are refused by
 * the CLI; and a dropped connection loses nothing that was acknowledged.
 *
 * A missing tool fails the test in CI (CI installs it) and skips it elsewhere, with the reason.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { taggedBlock } from './support/core-temp-dirs.js';
import type { GatewayProcess } from './support/gateway-process.js';
import { cli, cliOk, GwScope, MiB, pollFor, runTool, sha256File, tidegateLines, toolSkipReason } from './support/gw-harness.js';
import {
  chapResponse,
  hexValue,
  inquiryVpd,
  IscsiTestConnection,
  parseBinaryValue,
  parseDeviceIdentification,
  read10,
  ScsiStatusCode,
  synchronizeCache10,
  write10,
  type LoginReply,
} from './support/iscsi-login-client.js';

const scope = new GwScope('iscsi-interop');
afterAll(() => scope.cleanup());

const LIBISCSI_TOOLS: Array<[string, string[]]> = [
  ['iscsi-inq', ['--help']],
  ['iscsi-readcapacity16', ['--help']],
  ['iscsi-ls', ['--help']],
];

/** qemu only speaks iscsi:// with its iSCSI block module (Debian: qemu-block-extra). */
async function qemuIscsiSkipReason(): Promise<string | undefined> {
  const base = await toolSkipReason([
    ['qemu-img', ['--version']],
    ['qemu-io', ['--version']],
  ]);
  if (base) return base;
  const probe = await runTool('qemu-img', ['info', 'iscsi://127.0.0.1:1/iqn.2026-11.dev.tidegate:probe/0'], { timeoutMs: 20_000 });
  if (/unknown protocol|unknown driver/i.test(probe.stderr)) {
    const reason = `qemu-img has no iscsi:// support (install qemu-block-extra): ${probe.stderr.trim().split('\n')[0]}`;
    if (process.env.CI) throw new Error(`required tool missing in CI: ${reason}`);
    return reason;
  }
  return undefined;
}

const libiscsiSkip = await toolSkipReason(LIBISCSI_TOOLS);
const qemuSkip = await qemuIscsiSkipReason();
const nbdcopySkip = await toolSkipReason([['nbdcopy', ['--version']]]);
const roundTripSkip = qemuSkip ?? nbdcopySkip;
const thinSkip = qemuSkip ?? (await toolSkipReason([['nbdinfo', ['--version']]]));

const IQN_PREFIX = 'iqn.2026-11.dev.tidegate:';
const iqn = (volume: string): string => `${IQN_PREFIX}${volume}`;
/** Our raw client's initiator names (a test namespace under the project's own IQN date). */
const RAW_INITIATOR = 'iqn.2026-11.dev.tidegate.test:raw-client';
/** The initiator name libiscsi's iscsi-inq uses unless told otherwise. */
const LIBISCSI_INQ_INITIATOR = 'iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-inq';
const STATUS_AUTHENTICATION_FAILURE = 0x0201;
const STATUS_AUTHORIZATION_FAILURE = 0x0202;

/** Run a tool that must succeed; its output is in the failure message. */
async function must(file: string, args: string[]): Promise<string> {
  const r = await runTool(file, args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Run a tool that must fail; returns what it said. */
async function mustFail(file: string, args: string[]): Promise<string> {
  const r = await runTool(file, args, { timeoutMs: 60_000 });
  expect(r.code, `${file} ${args.join(' ')} should fail, but exited 0:\n${r.stdout}`).not.toBe(0);
  return r.stdout + r.stderr;
}

/** A gateway on loopback with fresh volumes. */
async function gatewayWith(volumes: Array<[string, string]>): Promise<{ gw: GatewayProcess; dataDir: string }> {
  const dataDir = await scope.dir('data');
  const gw = await scope.start(dataDir);
  expect(gw.iscsi, 'the gateway printed its iSCSI portal').toMatch(/^127\.0\.0\.1:\d+$/);
  for (const [name, size] of volumes) await cliOk(['volume', 'create', name, '--size', size, '--data-dir', dataDir]);
  return { gw, dataDir };
}

/** `login rejected` lines the target logged so far, as { status, reason }. */
function loginRejections(gw: GatewayProcess): Array<{ status: string; reason: string }> {
  const out: Array<{ status: string; reason: string }> = [];
  for (const line of gw.stderr().split('\n')) {
    if (!line.includes('login rejected')) continue;
    try {
      const j = JSON.parse(line) as { msg?: string; status?: string; reason?: string };
      if (j.msg?.includes('login rejected')) out.push({ status: String(j.status), reason: String(j.reason) });
    } catch {
      // not a JSON log line
    }
  }
  return out;
}

/** Wait for the target's log to show one more `login rejected` line than `before`, with `status`. */
async function expectRejectionLogged(gw: GatewayProcess, before: number, status: number): Promise<void> {
  const hex = `0x${status.toString(16).padStart(4, '0')}`;
  const line = await pollFor(
    `a "login rejected" line with status ${hex} in the target's log`,
    async () => loginRejections(gw).slice(before).find((r) => r.status === hex),
    10_000,
  );
  expect(line.status).toBe(hex);
}

/** Serial (VPD 0x80) and NAA designator (VPD 0x83) of a volume's LUN 0, through the raw client. */
async function rawIdentity(gw: GatewayProcess, volume: string): Promise<{ serial: string; naa: string; designators: ReturnType<typeof parseDeviceIdentification> }> {
  const conn = await IscsiTestConnection.connect(gw.iscsi!);
  try {
    await conn.login({ initiatorName: RAW_INITIATOR, targetName: iqn(volume) });
    const page80 = await conn.scsi(inquiryVpd(0x80), { readLength: 1024 });
    expect(page80.status).toBe(ScsiStatusCode.good);
    expect(page80.data[1], 'VPD page 0x80').toBe(0x80);
    const serial = page80.data.subarray(4, 4 + page80.data.readUInt16BE(2)).toString('latin1').trim();
    const page83 = await conn.scsi(inquiryVpd(0x83), { readLength: 1024 });
    expect(page83.status).toBe(ScsiStatusCode.good);
    const designators = parseDeviceIdentification(page83.data);
    const naa = designators.filter((d) => d.type === 3 && d.association === 0);
    expect(naa, `exactly one NAA designator for the logical unit: ${JSON.stringify(designators)}`).toHaveLength(1);
    expect(naa[0]!.codeSet, 'NAA designators are binary').toBe(1);
    expect(naa[0]!.value.length, 'NAA IEEE Registered Extended: 16 bytes').toBe(16);
    expect(naa[0]!.value[0]! >> 4, 'NAA type 6').toBe(6);
    await conn.logout();
    return { serial, naa: naa[0]!.value.toString('hex'), designators };
  } finally {
    conn.destroy();
  }
}

/** `iscsi-inq -e 1 -c 128`: the unit serial number as libiscsi prints it. */
async function libiscsiSerial(uri: string): Promise<string> {
  // iscsi-inq parses -c with atoi(): the page code must be decimal (0x80 = 128).
  const out = await must('iscsi-inq', ['-e', '1', '-c', '128', uri]);
  const m = /Unit Serial Number:\[([^\]]*)\]/.exec(out);
  expect(m, `iscsi-inq printed a serial:\n${out}`).not.toBeNull();
  return m![1]!;
}

describe('iSCSI interop with real initiators', () => {
  it.skipIf(roundTripSkip)(
    `qemu-img writes a 256 MiB image over iSCSI and reads it back bit for bit; NBD sees the same bytes${roundTripSkip ? ` (${roundTripSkip})` : ''}`,
    async () => {
      const { gw } = await gatewayWith([['image', '256MiB']]);
      const work = await scope.dir('work');
      const src = join(work, 'random.img');
      const file = await open(src, 'w');
      for (let at = 0; at < 256 * MiB; at += 16 * MiB) await file.write(randomBytes(16 * MiB), 0, 16 * MiB, at);
      await file.close();
      const sha = await sha256File(src);

      await must('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', '-n', src, gw.iscsiUri('image')]);
      await must('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', gw.iscsiUri('image'), join(work, 'back-iscsi.img')]);
      expect(await sha256File(join(work, 'back-iscsi.img')), 'qemu-img in over iSCSI, qemu-img out over iSCSI').toBe(sha);
      await must('nbdcopy', [gw.nbdUri('image'), join(work, 'back-nbd.img')]);
      expect(await sha256File(join(work, 'back-nbd.img')), 'written over iSCSI, read over NBD').toBe(sha);

      // And the other way round: a change made over NBD is what iSCSI reads.
      await must('qemu-io', ['-f', 'raw', gw.nbdUri('image'), '-c', `write -P 0x6b ${100 * MiB} 1M`, '-c', 'flush']);
      await must('qemu-io', ['-f', 'raw', gw.iscsiUri('image'), '-c', `read -P 0x6b ${100 * MiB} 1M`]);
      const wrong = await runTool('qemu-io', ['-f', 'raw', gw.iscsiUri('image'), '-c', `read -P 0x6c ${100 * MiB} 4k`]);
      expect(wrong.stdout + wrong.stderr, 'a wrong pattern is noticed, so the read above checked something').toMatch(/Pattern verification failed/);
    },
    120_000,
  );

  it.skipIf(thinSkip)(
    `thin provisioning over iSCSI: discard and write-zeroes make holes that GET LBA STATUS (qemu-img map) and NBD (nbdinfo --map) both report; header digests work${thinSkip ? ` (${thinSkip})` : ''}`,
    async () => {
      const { gw } = await gatewayWith([['thin', '64MiB']]);
      const [host, port] = [gw.iscsi!.slice(0, gw.iscsi!.lastIndexOf(':')), gw.iscsi!.slice(gw.iscsi!.lastIndexOf(':') + 1)];
      // qemu's own option syntax: the only way to ask libiscsi for CRC32C header digests from qemu.
      const withDigest = `driver=iscsi,transport=tcp,portal=${host}:${port},target=${iqn('thin')},lun=0,header-digest=crc32c`;
      await must('qemu-io', [
        '--image-opts', withDigest,
        '-c', `write -P 0x11 ${8 * MiB} ${8 * MiB}`, // data in [8, 16) MiB
        '-c', `discard ${9 * MiB} ${2 * MiB}`, //      UNMAP: hole in [9, 11)
        '-c', `write -z ${12 * MiB} ${1 * MiB}`, //     WRITE SAME (zeroes): [12, 13) reads as zeroes
        '-c', 'flush',
        '-c', `read -P 0x11 ${8 * MiB} ${1 * MiB}`,
        '-c', `read -P 0 ${9 * MiB} ${2 * MiB}`,
        '-c', `read -P 0x11 ${11 * MiB} ${1 * MiB}`,
        '-c', `read -P 0 ${12 * MiB} ${1 * MiB}`,
        '-c', `read -P 0x11 ${13 * MiB} ${3 * MiB}`,
      ]);
      const logins = gw.stderr().split('\n').filter((l) => l.includes('"iscsi: login"') && l.includes('iqn.2008-11.org.linux-kvm'));
      expect(logins.some((l) => l.includes('"headerDigest":true')), `the target negotiated CRC32C header digests with qemu:\n${logins.join('\n')}`).toBe(true);

      interface Extent {
        start: number;
        length: number;
        zero: boolean;
        data: boolean;
      }
      const map = JSON.parse(await must('qemu-img', ['map', '-f', 'raw', '--output=json', gw.iscsiUri('thin')])) as Extent[];
      const at = (offset: number): Extent | undefined => map.find((e) => e.start <= offset && offset < e.start + e.length);
      expect(at(0), `untouched space is unmapped: ${JSON.stringify(map)}`).toMatchObject({ data: false, zero: true });
      expect(at(8 * MiB)).toMatchObject({ data: true, zero: false });
      expect(at(9 * MiB), 'a discarded range is unmapped').toMatchObject({ data: false, zero: true });
      expect(at(11 * MiB - 1)).toMatchObject({ data: false, zero: true });
      expect(at(11 * MiB)).toMatchObject({ data: true });
      expect(at(12 * MiB), 'write-zeroes reads as zeroes').toMatchObject({ zero: true });
      expect(at(13 * MiB)).toMatchObject({ data: true });
      expect(at(16 * MiB)).toMatchObject({ data: false, zero: true });

      const nbdMap = JSON.parse(await must('nbdinfo', ['--map', '--json', gw.nbdUri('thin')])) as Array<{ offset: number; length: number; description: string }>;
      const nbdAt = (offset: number): string | undefined => nbdMap.find((e) => e.offset <= offset && offset < e.offset + e.length)?.description;
      expect(nbdAt(8 * MiB)).toBe('data');
      expect(nbdAt(9 * MiB), 'NBD sees the hole iSCSI made').toMatch(/zero/);
      expect(nbdAt(12 * MiB)).toMatch(/zero/);
      expect(nbdAt(13 * MiB)).toBe('data');
    },
    60_000,
  );

  it.skipIf(libiscsiSkip)(
    `identity: INQUIRY, serial and NAA designator, READ CAPACITY(16), SendTargets; stable across a restart, distinct per volume${libiscsiSkip ? ` (${libiscsiSkip})` : ''}`,
    async () => {
      const { gw, dataDir } = await gatewayWith([
        ['ident-a', '256MiB'],
        ['ident-b', '64MiB'],
      ]);

      const std = await must('iscsi-inq', [gw.iscsiUri('ident-a')]);
      expect(std).toMatch(/Peripheral Device Type:DIRECT_ACCESS/);
      expect(std).toMatch(/^Vendor:TIDEGATE\s*$/m);
      expect(std).toMatch(/^Product:VOLUME\s*$/m);

      const serialA = await libiscsiSerial(gw.iscsiUri('ident-a'));
      const serialB = await libiscsiSerial(gw.iscsiUri('ident-b'));
      expect(serialA).toMatch(/^[\x21-\x7e]+$/);
      expect(serialA, 'two volumes have different serials').not.toBe(serialB);

      const devId = await must('iscsi-inq', ['-e', '1', '-c', '131', gw.iscsiUri('ident-a')]);
      expect(devId).toMatch(/Page Code:\(0x83\) DEVICE_IDENTIFICATION/);
      expect(devId, 'an NAA designator is listed').toMatch(/Designator Type:\(3\) NAA/);
      expect(devId, 'the target name is a SCSI name string designator').toContain(`Designator:[${iqn('ident-a')}]`);

      // iscsi-inq prints binary designators with %s, so the NAA value itself is read with the raw client.
      const rawA = await rawIdentity(gw, 'ident-a');
      const rawB = await rawIdentity(gw, 'ident-b');
      expect(rawA.serial, 'the raw client and libiscsi read the same serial').toBe(serialA);
      expect(rawA.naa, 'two volumes have different NAA designators').not.toBe(rawB.naa);

      const cap = await must('iscsi-readcapacity16', [gw.iscsiUri('ident-a')]);
      expect(cap).toMatch(/^LOGICAL BLOCK LENGTH IN BYTES:512$/m);
      expect(cap, 'last LBA = size / 512 - 1').toMatch(new RegExp(`^RETURNED LOGICAL BLOCK ADDRESS:${(256 * MiB) / 512 - 1}$`, 'm'));
      // The 4 KiB volume block is announced as the optimal transfer granularity (VPD B0); the
      // physical block exponent may say it too (3) or leave provisioning per 512-byte block (0).
      expect(cap).toMatch(/LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT:(0|3)$/m);
      const limits = await must('iscsi-inq', ['-e', '1', '-c', '176', gw.iscsiUri('ident-a')]);
      expect(limits, 'Block Limits VPD: 4 KiB (8 blocks) optimal transfer granularity').toMatch(/^optimal transfer length granularity:8$/m);
      expect(cap, 'thin provisioned').toMatch(/LBPME:1/);
      expect(cap).toMatch(new RegExp(`^Total size:${256 * MiB}$`, 'm'));
      const capB = await must('iscsi-readcapacity16', [gw.iscsiUri('ident-b')]);
      expect(capB).toMatch(new RegExp(`^RETURNED LOGICAL BLOCK ADDRESS:${(64 * MiB) / 512 - 1}$`, 'm'));

      // SendTargets (a Discovery session) lists every volume's target at this portal.
      const list = await must('iscsi-ls', [`iscsi://${gw.iscsi}`]);
      for (const v of ['ident-a', 'ident-b']) expect(list).toContain(`Target:${iqn(v)} Portal:${gw.iscsi},1`);
      expect(list.trim().split('\n').filter((l) => l.startsWith('Target:'))).toHaveLength(2);

      // A name that is not a volume is refused, not served as something else.
      const missing = await mustFail('iscsi-inq', [`iscsi://${gw.iscsi}/${iqn('no-such-volume')}/0`]);
      expect(missing).toMatch(/login|target/i);

      // Same identity after a restart (a new port, the same data dir).
      expect(await gw.stop(), 'a clean stop exits 0').toBe(0);
      const gw2 = await scope.start(dataDir);
      expect(await libiscsiSerial(gw2.iscsiUri('ident-a')), 'serial survives a restart').toBe(serialA);
      expect(await libiscsiSerial(gw2.iscsiUri('ident-b'))).toBe(serialB);
      expect((await rawIdentity(gw2, 'ident-a')).naa, 'NAA designator survives a restart').toBe(rawA.naa);
      expect((await rawIdentity(gw2, 'ident-b')).naa).toBe(rawB.naa);
    },
    120_000,
  );

  it.skipIf(libiscsiSkip)(
    `iscsi-ls -s logs in to every target it discovers and shows LUN 0 with its size${libiscsiSkip ? ` (${libiscsiSkip})` : ''}`,
    async () => {
      const { gw } = await gatewayWith([
        ['ls-a', '256MiB'],
        ['ls-b', '64MiB'],
      ]);
      // A fresh initiator port per target: the first command after login is TEST UNIT READY.
      const out = await must('iscsi-ls', ['-s', `iscsi://${gw.iscsi}`]);
      // iscsi-ls prints block length × LAST LBA (not LBA count), truncated to MiB.
      const shown = (bytes: number): string => `${Math.floor((bytes - 512) / MiB)}M`;
      for (const [v, size] of [
        ['ls-a', 256 * MiB],
        ['ls-b', 64 * MiB],
      ] as const) {
        const at = out.indexOf(`Target:${iqn(v)} `);
        expect(at, `iscsi-ls -s lists ${v}:\n${out}`).toBeGreaterThanOrEqual(0);
        const lun = /Lun:(\d+)\s+Type:(\S+) \(Size:(\S+)\)/.exec(out.slice(at));
        expect(lun, `a LUN line follows ${v}`).not.toBeNull();
        expect(lun!.slice(1)).toEqual(['0', 'DIRECT_ACCESS', shown(size)]);
      }
    },
    60_000,
  );

  it.skipIf(libiscsiSkip ?? qemuSkip)(
    `CHAP with libiscsi and qemu: the right secret logs in; a wrong one, none, or an unknown user is refused; mutual CHAP checks the target${libiscsiSkip ?? qemuSkip ? ` (${libiscsiSkip ?? qemuSkip})` : ''}`,
    async () => {
      const { gw, dataDir } = await gatewayWith([['secure', '64MiB']]);
      const SECRET = 'Initiator5ecret';
      const TARGET_SECRET = 'Target5ecret99';
      const set = await cliOk(['volume', 'iscsi', 'secure', '--chap-user', 'alice', '--chap-secret', SECRET, '--data-dir', dataDir]);
      expect(set).toMatch(/CHAP user alice/);
      expect(set, 'secrets are never echoed').not.toContain(SECRET);

      const ok = await must('iscsi-inq', [gw.iscsiUri('secure', `alice%${SECRET}`)]);
      expect(ok).toMatch(/^Vendor:TIDEGATE\s*$/m);
      // A data path with CHAP: qemu's initiator writes and reads back.
      await must('qemu-io', ['-f', 'raw', gw.iscsiUri('secure', `alice%${SECRET}`), '-c', 'write -P 0x3c 1M 256k', '-c', 'flush', '-c', 'read -P 0x3c 1M 256k']);

      const refusals: Array<[string, string]> = [
        ['a wrong secret', gw.iscsiUri('secure', 'alice%Wrong5ecret123')],
        ['no secret at all', gw.iscsiUri('secure')],
        ['an unknown user', gw.iscsiUri('secure', `mallory%${SECRET}`)],
      ];
      for (const [what, uri] of refusals) {
        const before = loginRejections(gw).length;
        const said = await mustFail('iscsi-inq', [uri]);
        expect(said, `${what}: libiscsi reports a failed login`).toMatch(/Login Failed/i);
        expect(said, `${what}: the reason is authentication`).toMatch(/Authentication failure/i);
        await expectRejectionLogged(gw, before, STATUS_AUTHENTICATION_FAILURE);
      }
      const qemuRefused = await runTool('qemu-img', ['info', gw.iscsiUri('secure', 'alice%Wrong5ecret123')], { timeoutMs: 60_000 });
      expect(qemuRefused.code, 'qemu with a wrong secret cannot open the volume').not.toBe(0);

      // Mutual CHAP: the target must prove it knows its own secret.
      await cliOk(['volume', 'iscsi', 'secure', '--chap-user', 'alice', '--chap-secret', SECRET, '--mutual-chap-user', 'gateway', '--mutual-chap-secret', TARGET_SECRET, '--data-dir', dataDir]);
      const mutual = (targetSecret: string): string => `${gw.iscsiUri('secure', `alice%${SECRET}`)}?target_user=gateway&target_password=${targetSecret}`;
      expect(await must('iscsi-inq', [mutual(TARGET_SECRET)])).toMatch(/^Vendor:TIDEGATE\s*$/m);
      const wrongTarget = await mustFail('iscsi-inq', [mutual('NotTheTarget42')]);
      expect(wrongTarget, 'libiscsi catches a target that does not know the expected secret').toMatch(/Invalid CHAP_R response from the target/i);
      // One-way CHAP still works while mutual is configured (the initiator decides whether to ask).
      expect(await must('iscsi-inq', [gw.iscsiUri('secure', `alice%${SECRET}`)])).toMatch(/Vendor:TIDEGATE/);

      // --no-chap opens the volume again.
      const off = await cliOk(['volume', 'iscsi', 'secure', '--no-chap', '--data-dir', dataDir]);
      expect(off).toMatch(/CHAP off/);
      expect(await must('iscsi-inq', [gw.iscsiUri('secure')])).toMatch(/Vendor:TIDEGATE/);
      await must('qemu-io', ['-f', 'raw', gw.iscsiUri('secure'), '-c', 'read -P 0x3c 1M 256k']);
    },
    120_000,
  );

  it.skipIf(libiscsiSkip)(
    `--allow-initiators lets in the listed initiator names only; --allow-any-initiator lifts it${libiscsiSkip ? ` (${libiscsiSkip})` : ''}`,
    async () => {
      const { gw, dataDir } = await gatewayWith([['acl', '16MiB']]);
      const allowed = 'iqn.2026-11.dev.tidegate.test:allowed';
      const set = await cliOk(['volume', 'iscsi', 'acl', '--allow-initiators', `${allowed},iqn.2026-11.dev.tidegate.test:second`, '--data-dir', dataDir]);
      expect(set).toContain(allowed);

      expect(await must('iscsi-inq', ['-i', allowed, gw.iscsiUri('acl')])).toMatch(/Vendor:TIDEGATE/);
      // iSCSI names compare case-insensitively (RFC 3722).
      expect(await must('iscsi-inq', ['-i', allowed.toUpperCase(), gw.iscsiUri('acl')])).toMatch(/Vendor:TIDEGATE/);

      for (const other of [LIBISCSI_INQ_INITIATOR, 'iqn.2026-11.dev.tidegate.test:allowed-not']) {
        const before = loginRejections(gw).length;
        const said = await mustFail('iscsi-inq', ['-i', other, gw.iscsiUri('acl')]);
        expect(said, `${other} is refused at login`).toMatch(/Login Failed/i);
        await expectRejectionLogged(gw, before, STATUS_AUTHORIZATION_FAILURE);
      }
      // The raw client sees the status itself: 0x0202, initiator not authorized.
      const conn = await IscsiTestConnection.connect(gw.iscsi!);
      const r = await conn.loginStep({
        transit: true,
        csg: 0,
        nsg: 1,
        keys: [
          ['InitiatorName', RAW_INITIATOR],
          ['SessionType', 'Normal'],
          ['TargetName', iqn('acl')],
          ['AuthMethod', 'None'],
        ],
      });
      expect(r.status).toBe(STATUS_AUTHORIZATION_FAILURE);
      await conn.closed;

      await cliOk(['volume', 'iscsi', 'acl', '--allow-any-initiator', '--data-dir', dataDir]);
      expect(await must('iscsi-inq', [gw.iscsiUri('acl')])).toMatch(/Vendor:TIDEGATE/);
    },
    60_000,
  );

  it('a replayed CHAP response, a reflected challenge and a reused mutual challenge are refused (raw client)', async () => {
    const { gw, dataDir } = await gatewayWith([['chap-raw', '16MiB']]);
    const SECRET = 'Initiator5ecret';
    const TARGET_SECRET = 'Target5ecret99';
    await cliOk(['volume', 'iscsi', 'chap-raw', '--chap-user', 'alice', '--chap-secret', SECRET, '--mutual-chap-user', 'gateway', '--mutual-chap-secret', TARGET_SECRET, '--data-dir', dataDir]);
    const identity: Array<[string, string]> = [
      ['InitiatorName', RAW_INITIATOR],
      ['SessionType', 'Normal'],
      ['TargetName', iqn('chap-raw')],
    ];

    /**
     * A new connection up to the target's challenge. `eager`: ask to leave the security stage
     * (T=1, NSG=1) from the first PDU on, as many initiators do; the target must stay in it
     * (answer T=0) until CHAP is done.
     */
    const challenged = async (eager = false): Promise<{ conn: IscsiTestConnection; id: number; challenge: Buffer }> => {
      const conn = await IscsiTestConnection.connect(gw.iscsi!);
      const step = { transit: eager, csg: 0, nsg: eager ? 1 : 0 } as const;
      const r1 = await conn.loginStep({ ...step, keys: [...identity, ['AuthMethod', 'CHAP,None']] });
      expect(r1.status).toBe(0);
      expect(r1.keys.get('AuthMethod')).toBe('CHAP');
      expect(r1.transit, 'no transit before CHAP is done').toBe(false);
      const r2 = await conn.loginStep({ ...step, keys: [['CHAP_A', '7,5']] });
      expect(r2.status).toBe(0);
      expect(r2.transit, 'no transit before CHAP is done').toBe(false);
      expect(r2.keys.get('CHAP_A'), 'the target picks MD5').toBe('5');
      const id = Number(r2.keys.get('CHAP_I'));
      expect(Number.isInteger(id) && id >= 0 && id <= 255, `CHAP_I=${r2.keys.get('CHAP_I')}`).toBe(true);
      const challenge = parseBinaryValue(r2.keys.get('CHAP_C') ?? '');
      expect(challenge.length, 'a challenge of at least 16 bytes').toBeGreaterThanOrEqual(16);
      return { conn, id, challenge };
    };
    const answer = (conn: IscsiTestConnection, keys: Array<[string, string]>): Promise<LoginReply> => conn.loginStep({ transit: true, csg: 0, nsg: 1, keys });
    const expectRefused = async (conn: IscsiTestConnection, r: LoginReply, what: string): Promise<void> => {
      expect(r.status, `${what}: Login Response status`).toBe(STATUS_AUTHENTICATION_FAILURE);
      expect(r.keys.has('CHAP_R'), `${what}: the target proves nothing to a refused initiator`).toBe(false);
      await conn.closed; // the target ends the connection after a Login Reject
    };

    // Session 1: a valid login with mutual CHAP; the target answers our challenge correctly.
    const s1 = await challenged(true);
    const r1 = chapResponse(s1.id, SECRET, s1.challenge);
    const mutualId = 7;
    const mutualChallenge = randomBytes(16);
    const ok = await answer(s1.conn, [
      ['CHAP_N', 'alice'],
      ['CHAP_R', hexValue(r1)],
      ['CHAP_I', String(mutualId)],
      ['CHAP_C', hexValue(mutualChallenge)],
    ]);
    expect(ok.status, 'a correct response is accepted').toBe(0);
    expect([ok.transit, ok.csg, ok.nsg], 'and the login moves on to the operational stage').toEqual([true, 0, 1]);
    expect(ok.keys.get('CHAP_N')).toBe('gateway');
    expect(parseBinaryValue(ok.keys.get('CHAP_R') ?? '').equals(chapResponse(mutualId, TARGET_SECRET, mutualChallenge)), 'the target proves its secret').toBe(true);
    await s1.conn.operationalStage();
    await s1.conn.logout();

    // Session 2: the response captured in session 1 does not answer the new challenge.
    let before = loginRejections(gw).length;
    const s2 = await challenged();
    expect(s2.challenge.equals(s1.challenge), 'every login gets a fresh challenge').toBe(false);
    await expectRefused(s2.conn, await answer(s2.conn, [['CHAP_N', 'alice'], ['CHAP_R', hexValue(r1)]]), 'replayed CHAP_R');
    await expectRejectionLogged(gw, before, STATUS_AUTHENTICATION_FAILURE);

    // Session 3: a correct response, but the mutual challenge reflects the target's own (it would make the target answer for us).
    before = loginRejections(gw).length;
    const s3 = await challenged();
    const reflected = await answer(s3.conn, [
      ['CHAP_N', 'alice'],
      ['CHAP_R', hexValue(chapResponse(s3.id, SECRET, s3.challenge))],
      ['CHAP_I', String(s3.id)],
      ['CHAP_C', hexValue(s3.challenge)],
    ]);
    await expectRefused(s3.conn, reflected, 'reflected challenge');
    await expectRejectionLogged(gw, before, STATUS_AUTHENTICATION_FAILURE);

    // Session 4: a correct response, but the mutual challenge of session 1 again (a recorded exchange would replay).
    before = loginRejections(gw).length;
    const s4 = await challenged();
    const reused = await answer(s4.conn, [
      ['CHAP_N', 'alice'],
      ['CHAP_R', hexValue(chapResponse(s4.id, SECRET, s4.challenge))],
      ['CHAP_I', String(mutualId)],
      ['CHAP_C', hexValue(mutualChallenge)],
    ]);
    await expectRefused(s4.conn, reused, 'reused mutual challenge');
    await expectRejectionLogged(gw, before, STATUS_AUTHENTICATION_FAILURE);

    // Session 5: CHAP is required, so an initiator that offers only None is refused…
    before = loginRejections(gw).length;
    const s5 = await IscsiTestConnection.connect(gw.iscsi!);
    const none = await s5.loginStep({ transit: true, csg: 0, nsg: 1, keys: [...identity, ['AuthMethod', 'None']] });
    expect(none.status).toBe(STATUS_AUTHENTICATION_FAILURE);
    await s5.closed;
    await expectRejectionLogged(gw, before, STATUS_AUTHENTICATION_FAILURE);

    // …and after all that, an honest initiator still gets in.
    const s6 = await IscsiTestConnection.connect(gw.iscsi!);
    await s6.login({ initiatorName: RAW_INITIATOR, targetName: iqn('chap-raw'), chap: { user: 'alice', secret: SECRET, mutual: { user: 'gateway', secret: TARGET_SECRET } } });
    await s6.clearUnitAttentions();
    const read = await s6.scsi(read10(0, 8), { readLength: 4096 });
    expect(read.status).toBe(ScsiStatusCode.good);
    await s6.logout();
  }, 60_000);

  it('the CLI refuses bad iSCSI settings with exit code 1 and says why; the settings stay as they were', async () => {
    const { dataDir } = await gatewayWith([['cli', '16MiB']]);
    const refuse = async (args: string[], message: RegExp): Promise<void> => {
      const r = await cli(['volume', 'iscsi', 'cli', ...args, '--data-dir', dataDir]);
      expect(r.code, `volume iscsi ${args.join(' ')} exits 1`).toBe(1);
      expect(tidegateLines(r.stderr).join('\n'), `volume iscsi ${args.join(' ')}`).toMatch(message);
    };
    await refuse(['--chap-user', 'alice', '--chap-secret', 'short123'], /CHAP secret must be 12 to 16 characters long \(it is 8\)/);
    await refuse(['--chap-user', 'alice', '--chap-secret', 'seventeen-chars!!'], /CHAP secret must be 12 to 16 characters long \(it is 17\)/);
    await refuse(['--chap-user', 'alice', '--chap-secret', 'SameSecret1234', '--mutual-chap-user', 'gateway', '--mutual-chap-secret', 'SameSecret1234'], /target \(mutual\) secret must differ from the initiator secret/);
    await refuse(['--chap-user', 'alice', '--chap-secret', 'Initiator5ecret', '--mutual-chap-user', 'gateway', '--mutual-chap-secret', 'short'], /mutual CHAP secret must be 12 to 16 characters long \(it is 5\)/);
    await refuse(['--allow-initiators', 'iqn.2026-11.dev.tidegate.test:ok,not-an-iscsi-name'], /not an iSCSI initiator name: "not-an-iscsi-name"/);
    await refuse(['--allow-initiators', 'iqn.26-11.dev.tidegate.test:bad-date'], /not an iSCSI initiator name/);

    const now = JSON.parse(await cliOk(['volume', 'iscsi', 'cli', '--json', '--data-dir', dataDir])) as Record<string, unknown>;
    expect(now, 'refused settings changed nothing').toEqual({ targetName: iqn('cli'), chapUser: null, mutualChapUser: null, allowedInitiators: [], sessions: 0 });

    // A valid setting is taken, and shown without its secret.
    const set = await cliOk(['volume', 'iscsi', 'cli', '--chap-user', 'alice', '--chap-secret', 'Initiator5ecret', '--json', '--data-dir', dataDir]);
    expect(set).not.toContain('Initiator5ecret');
    expect(JSON.parse(set)).toMatchObject({ chapUser: 'alice', mutualChapUser: null });
  }, 60_000);

  it.skipIf(qemuSkip)(
    `a connection dropped in the middle of a write loses no acknowledged write; the same initiator port logs in again (reinstating a stalled session) and the target keeps serving${qemuSkip ? ` (${qemuSkip})` : ''}`,
    async () => {
      const { gw } = await gatewayWith([['drop', '64MiB']]);
      const target = iqn('drop');
      const isid = Buffer.from([0x80, 0x12, 0x34, 0x56, 0x00, 0x07]);
      const REGION = MiB;
      const LBAS = REGION / 512;
      const REGIONS = 8;
      /** What each region must read back as: the last acknowledged content, plus an unacknowledged alternative per region. */
      const acked = new Map<number, Buffer>();
      const pending = new Map<number, Buffer>();
      const content = (region: number, gen: number): Buffer => taggedBlock(`drop-r${region}-g${gen}`, REGION);

      const writeAcked = async (conn: IscsiTestConnection, region: number, gen: number): Promise<void> => {
        const data = content(region, gen);
        const r = await conn.scsi(write10(region * LBAS, LBAS), { dataOut: data });
        expect(r.status, `WRITE(10) of region ${region} gen ${gen}: ${JSON.stringify(r.sense)}`).toBe(ScsiStatusCode.good);
        acked.set(region, data);
        pending.delete(region);
      };
      /** Every 512-byte block reads as its acknowledged content, or (for a write cut short) as the unacknowledged one. */
      const verify = (region: number, got: Buffer, who: string): void => {
        const want = acked.get(region)!;
        const alt = pending.get(region);
        let bad = -1;
        for (let at = 0; at < REGION; at += 512) {
          const block = got.subarray(at, at + 512);
          if (block.equals(want.subarray(at, at + 512))) continue;
          if (alt && block.equals(alt.subarray(at, at + 512))) continue;
          bad = at;
          break;
        }
        expect(bad, `${who}: region ${region} block at byte ${bad} is neither the acknowledged data nor the interrupted write`).toBe(-1);
      };
      const verifyAll = async (conn: IscsiTestConnection, who: string): Promise<void> => {
        for (let region = 0; region < REGIONS; region++) {
          const r = await conn.scsi(read10(region * LBAS, LBAS), { readLength: REGION });
          expect(r.status, `READ(10) of region ${region}`).toBe(ScsiStatusCode.good);
          verify(region, r.data, who);
        }
      };
      const loginAgain = async (): Promise<IscsiTestConnection> => {
        const conn = await IscsiTestConnection.connect(gw.iscsi!, isid);
        await conn.login({ initiatorName: RAW_INITIATOR, targetName: target });
        const uas = await conn.clearUnitAttentions();
        for (const ua of uas) expect(ua.asc, `a reset-class unit attention (29h) after a new login: ${JSON.stringify(ua)}`).toBe(0x29);
        return conn;
      };

      // Session 1: eight regions written and flushed, two overwritten and acknowledged (not flushed).
      const c1 = await loginAgain();
      for (let region = 0; region < REGIONS; region++) await writeAcked(c1, region, 0);
      expect((await c1.scsi(synchronizeCache10())).status, 'SYNCHRONIZE CACHE').toBe(ScsiStatusCode.good);
      await writeAcked(c1, 0, 1);
      await writeAcked(c1, 1, 1);
      await verifyAll(c1, 'before the drop');

      // A 4 MiB write over regions 4..7 gets 64 KiB of its data in, then the connection drops.
      const interrupted = Buffer.concat([4, 5, 6, 7].map((r) => content(r, 9)));
      for (const r of [4, 5, 6, 7]) pending.set(r, interrupted.subarray((r - 4) * REGION, (r - 3) * REGION));
      await c1.startWrite(4 * LBAS, interrupted, 64 * 1024);
      c1.destroy();
      await c1.closed;

      // Session 2: the same initiator port (same ISID) logs in again; everything acknowledged is there.
      const c2 = await loginAgain();
      await verifyAll(c2, 'after the drop');
      await writeAcked(c2, 2, 2);

      // Session 2 stalls in the middle of a 2 MiB write over regions 5..6 and never finishes it;
      // a new login from the same initiator port must replace it (session reinstatement).
      const stalled = Buffer.concat([5, 6].map((r) => content(r, 8)));
      for (const r of [5, 6]) pending.set(r, stalled.subarray((r - 5) * REGION, (r - 4) * REGION));
      await c2.startWrite(5 * LBAS, stalled, 16 * 1024);
      const c3 = await loginAgain();
      await Promise.race([
        c2.closed,
        new Promise((_, reject) => setTimeout(() => reject(new Error('the target did not close the reinstated session within 20 s')), 20_000).unref()),
      ]);
      expect(c2.isClosed, 'the old session was ended by the reinstating login').toBe(true);
      await verifyAll(c3, 'after reinstatement');
      for (let region = 3; region < REGIONS; region++) await writeAcked(c3, region, 3);
      expect((await c3.scsi(synchronizeCache10())).status).toBe(ScsiStatusCode.good);
      await c3.logout();

      // A real initiator on a new connection reads exactly what was acknowledged.
      const work = await scope.dir('work');
      const image = join(work, 'drop.img');
      await must('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', gw.iscsiUri('drop'), image]);
      const all = await readFile(image);
      expect(all.length).toBe(64 * MiB);
      for (let region = 0; region < REGIONS; region++) {
        expect(all.subarray(region * REGION, (region + 1) * REGION).equals(acked.get(region)!), `qemu-img reads region ${region} as acknowledged`).toBe(true);
      }
      expect(all.subarray(REGIONS * REGION).every((b) => b === 0), 'nothing was written past the regions').toBe(true);
    },
    90_000,
  );
});
