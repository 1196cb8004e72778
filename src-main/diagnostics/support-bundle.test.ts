import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BandwidthSettings, EngineStatus, LogLine, MetricSample, StorageInfo } from '../../src-gateway-engine/index.js';
import type { SupportBundle } from '../ipc/ipc-contract.js';
import { consoleHarness, volumeInfo, type EngineScript } from '../ipc/handlers/test/console-harness.js';
import { buildSupportBundle } from './support-bundle.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DIR = 'tidegate-support-2026-03-01T12-00-00-000Z';
const CONSOLE_TOKEN = 'consoleTokenThatMustNeverLeaveTheMachine0123';
const ADMIN_TOKEN = 'tg_adminTokenThatMustNeverLeaveTheMachine';
const PARTS = ['app-info.json', 'bandwidth.json', 'engine-log.jsonl', 'engine-process.json', 'host.json', 'metrics-14-days.json', 'metrics-last-hour.json', 'status.json', 'storage.json'];

const vol = { ...volumeInfo('finance'), iscsi: { ...volumeInfo('finance').iscsi, chapUser: 'alice', mutualChapUser: 'target' } };
const STATUS = { gatewayId: 'gw-1', version: '0.1.0', pid: 4242, volumes: [vol], controlPlane: { activated: true, connected: true, alerts: [] } } as unknown as EngineStatus;
const STORAGE = { cache: { path: '/var/lib/tidegate/cache', capacityBytes: 1 << 30, usedBytes: 1 << 20, filesystemBytes: 1 << 40, filesystemFreeBytes: 1 << 39 }, warnings: [] } as unknown as StorageInfo;
const BANDWIDTH: BandwidthSettings = { bytesPerSec: 0, schedule: [], timezone: 'Europe/Paris', effectiveBytesPerSec: 0 };
const SECONDS = [{ ts: 1, intervalMs: 1_000 }] as MetricSample[];
const MINUTES = [{ ts: 2, intervalMs: 60_000 }] as MetricSample[];
const LOGS: LogLine[] = [
  { seq: 1, ts: 10, level: 'info', msg: 'engine started', fields: { version: '0.1.0' } },
  { seq: 2, ts: 11, level: 'warn', msg: 'upload retried: "quotes" and\nnewline', fields: { volume: 'finance', attempt: 2 } },
];

const script = (): EngineScript => ({
  status: () => STATUS,
  'storage.describe': () => STORAGE,
  'bandwidth.get': () => BANDWIDTH,
  'metrics.history': (p) => (p.resolution === 'second' ? SECONDS : MINUTES),
  'logs.recent': () => LOGS,
});

let dir: string;
let dataDir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-bundle-'));
  // What a careless bundle could pick up from the data dir.
  dataDir = join(dir, 'data');
  await mkdir(join(dataDir, 'control-plane'), { recursive: true });
  await writeFile(join(dataDir, 'console-token'), `${CONSOLE_TOKEN}\n`);
  await writeFile(join(dataDir, 'control-plane', 'admin-token'), `${ADMIN_TOKEN}\n`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Write the bundle to a file and unpack it with the system tar; answers the files of its folder. */
async function unpack(b: SupportBundle): Promise<Map<string, string>> {
  const data = Buffer.from(b.dataBase64, 'base64');
  expect(b.bytes).toBe(data.length);
  const file = join(dir, b.fileName);
  await writeFile(file, data);
  const list = spawnSync('tar', ['tzf', file], { encoding: 'utf8' });
  expect(list.stderr).toBe('');
  const names = list.stdout.split('\n').filter(Boolean);
  const out = join(dir, 'out');
  await mkdir(out, { recursive: true });
  const x = spawnSync('tar', ['xzf', file, '-C', out], { encoding: 'utf8' });
  expect(x.status).toBe(0);
  expect(await readdir(out)).toEqual([DIR]);
  const files = new Map<string, string>();
  for (const name of names) {
    expect(name.startsWith(`${DIR}/`)).toBe(true);
    files.set(name.slice(DIR.length + 1), await readFile(join(out, name), 'utf8'));
  }
  return files;
}

/** Every key anywhere in a JSON value. */
function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      keysOf(x, out);
    }
  }
  return out;
}

describe('buildSupportBundle', () => {
  it('packs every part, named by the time, with what the engine and the supervisor said', async () => {
    const h = consoleHarness({ engine: script(), appInfo: { dataDir }, hostInfo: () => ({ hostname: 'gw-host', platform: 'linux' }) });
    const b = await buildSupportBundle(h.deps, NOW);
    expect(b.fileName).toBe(`${DIR}.tar.gz`);
    const files = await unpack(b);
    expect([...files.keys()].sort()).toEqual(PARTS);
    expect(JSON.parse(files.get('app-info.json')!)).toEqual(h.deps.appInfo);
    expect(JSON.parse(files.get('engine-process.json')!)).toEqual(h.engineProcess.state);
    expect(JSON.parse(files.get('host.json')!)).toEqual({ hostname: 'gw-host', platform: 'linux' });
    expect(JSON.parse(files.get('status.json')!)).toEqual(STATUS);
    expect(JSON.parse(files.get('storage.json')!)).toEqual(STORAGE);
    expect(JSON.parse(files.get('bandwidth.json')!)).toEqual(BANDWIDTH);
    expect(JSON.parse(files.get('metrics-last-hour.json')!)).toEqual(SECONDS);
    expect(JSON.parse(files.get('metrics-14-days.json')!)).toEqual(MINUTES);
    const log = files.get('engine-log.jsonl')!;
    expect(log.endsWith('\n')).toBe(true);
    expect(log.trimEnd().split('\n').map((l) => JSON.parse(l) as LogLine)).toEqual(LOGS);
    // All the log the engine keeps, every level; both metric resolutions; every call bounded in time.
    expect(h.calls.find((c) => c.method === 'logs.recent')?.params).toEqual({ level: 'debug', limit: 1_000 });
    expect(h.calls.filter((c) => c.method === 'metrics.history').map((c) => (c.params as { resolution: string }).resolution).sort()).toEqual(['minute', 'second']);
    expect(h.calls.every((c) => typeof c.timeoutMs === 'number' && c.timeoutMs > 0)).toBe(true);
  });

  it('writes why a part could not be collected instead of failing the bundle', async () => {
    const s = script();
    s['storage.describe'] = () => Promise.reject(new Error('the engine is restarting'));
    s['logs.recent'] = () => Promise.reject(new Error('connect ECONNREFUSED control.sock'));
    const h = consoleHarness({ engine: s, appInfo: { dataDir } });
    const files = await unpack(await buildSupportBundle(h.deps, NOW));
    expect([...files.keys()].sort()).toEqual(PARTS);
    expect(JSON.parse(files.get('storage.json')!)).toEqual({ error: 'the engine is restarting' });
    expect(files.get('engine-log.jsonl')).toBe('could not collect the engine log: connect ECONNREFUSED control.sock\n');
    expect(JSON.parse(files.get('status.json')!)).toEqual(STATUS);
    expect(JSON.parse(files.get('host.json')!)).toEqual({}); // no host info given
  });

  it('is built even with the engine down entirely, and a throwing host-info', async () => {
    const h = consoleHarness({ engine: {}, appInfo: { dataDir }, hostInfo: () => {
      throw new Error('no host info');
    } });
    h.engineProcess.set({ state: 'failed', pid: null, lastError: 'the engine exited' });
    const files = await unpack(await buildSupportBundle(h.deps, NOW));
    expect([...files.keys()].sort()).toEqual(PARTS);
    for (const part of ['status.json', 'storage.json', 'bandwidth.json', 'metrics-last-hour.json', 'metrics-14-days.json']) {
      expect(JSON.parse(files.get(part)!), part).toEqual({ error: expect.stringContaining('no answer') });
    }
    expect(JSON.parse(files.get('host.json')!)).toEqual({ error: 'no host info' });
    expect(JSON.parse(files.get('engine-process.json')!)).toMatchObject({ state: 'failed', lastError: 'the engine exited' });
  });

  it('holds no secrets: no token from the data dir, no field named like a secret or token', async () => {
    const h = consoleHarness({ engine: script(), appInfo: { dataDir }, hostInfo: () => ({ hostname: 'gw-host' }) });
    const files = await unpack(await buildSupportBundle(h.deps, NOW));
    for (const [name, text] of files) {
      expect(text, name).not.toContain(CONSOLE_TOKEN);
      expect(text, name).not.toContain(ADMIN_TOKEN);
      const values = name.endsWith('.jsonl') ? text.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown) : [JSON.parse(text) as unknown];
      for (const v of values) expect(keysOf(v).filter((k) => /secret|token|password|private/i.test(k)), name).toEqual([]);
    }
    // The CHAP user names are there (useful), never a CHAP secret.
    expect(files.get('status.json')).toContain('"chapUser": "alice"');
  });

  it('removes a pending activation key from the status it packs', async () => {
    const pending = { ...STATUS, controlPlane: { activated: false, connected: false, alerts: [], activation: { activationKey: 'ABCD-EFGH-JKMN', expiresAt: 'x', controlPlaneUrl: 'https://cp' } } } as unknown as EngineStatus;
    const h = consoleHarness({ engine: { ...script(), status: () => pending }, appInfo: { dataDir } });
    const files = await unpack(await buildSupportBundle(h.deps, NOW));
    expect(files.get('status.json')).not.toContain('ABCD-EFGH-JKMN');
    expect(JSON.parse(files.get('status.json')!).controlPlane.activation.controlPlaneUrl).toBe('https://cp');
  });
});
