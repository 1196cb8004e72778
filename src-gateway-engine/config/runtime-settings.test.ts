import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { validateEngineConfig } from './engine-config.js';
import { parseRuntimeSettings, RUNTIME_SETTINGS_FILE, RuntimeSettingsFile, startSettings } from './runtime-settings.js';

const dirs = new CoreTempDirs('runtime-settings');
afterAll(() => dirs.cleanup());

function collect(): { warn: (m: string, f: Record<string, unknown>) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (m) => messages.push(m), messages };
}

const schedule = [{ days: [1], start: '08:00', end: '18:00', bytesPerSec: 1000 }];

describe('RuntimeSettingsFile', () => {
  it('a missing file is no settings, silently', async () => {
    const { warn, messages } = collect();
    const f = new RuntimeSettingsFile(await dirs.make());
    expect(await f.load(warn)).toEqual({});
    expect(messages).toEqual([]);
  });

  it('saves atomically (no temp file left) and loads back what was saved, merging updates', async () => {
    const dir = await dirs.make();
    const f = new RuntimeSettingsFile(dir);
    await f.load(collect().warn);
    await Promise.all([f.update({ cacheCapacityBytes: 1 << 30 }), f.update({ bandwidthSchedule: schedule }), f.update({ uploadBandwidthBytesPerSec: 0 })]);
    expect(await readdir(dir)).toEqual([RUNTIME_SETTINGS_FILE]);
    const again = new RuntimeSettingsFile(dir);
    expect(await again.load(collect().warn)).toEqual({ cacheCapacityBytes: 1 << 30, bandwidthSchedule: schedule, uploadBandwidthBytesPerSec: 0 });
    expect(JSON.parse(await readFile(join(dir, RUNTIME_SETTINGS_FILE), 'utf8'))).toMatchObject({ format: 'tidegate-settings', version: 1 });
  });

  it('a failed save rejects, keeps the old settings, and does not block the next save', async () => {
    const dir = await dirs.make();
    const f = new RuntimeSettingsFile(join(dir, 'missing-folder'));
    await expect(f.update({ cacheCapacityBytes: 5 })).rejects.toThrow(/ENOENT/);
    expect(f.settings).toEqual({});
    const ok = new RuntimeSettingsFile(dir);
    await ok.update({ cacheCapacityBytes: 5 });
    expect(ok.settings).toEqual({ cacheCapacityBytes: 5 });
  });

  it('an unreadable or foreign file is reported and ignored', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, RUNTIME_SETTINGS_FILE), '{"format":"tidegate-settings","version":1,"cacheCap');
    const { warn, messages } = collect();
    expect(await new RuntimeSettingsFile(dir).load(warn)).toEqual({});
    expect(messages[0]).toMatch(/not valid JSON/);
  });
});

describe('parseRuntimeSettings', () => {
  it('keeps the good fields and reports each bad one', () => {
    const { warn, messages } = collect();
    const out = parseRuntimeSettings(
      JSON.stringify({ format: 'tidegate-settings', version: 1, cacheCapacityBytes: -1, writeLogCapacityBytes: 1 << 27, uploadBandwidthBytesPerSec: 'fast', bandwidthSchedule: [{ days: [8] }] }),
      warn,
    );
    expect(out).toEqual({ writeLogCapacityBytes: 1 << 27 });
    expect(messages).toHaveLength(3);
    expect(messages.join('\n')).toMatch(/cacheCapacityBytes.*ignored[\s\S]*uploadBandwidthBytesPerSec.*ignored[\s\S]*bandwidthSchedule ignored/);
  });

  it('refuses another format or version as a whole', () => {
    const { warn, messages } = collect();
    expect(parseRuntimeSettings(JSON.stringify({ format: 'tidegate-settings', version: 2, cacheCapacityBytes: 5 }), warn)).toEqual({});
    expect(parseRuntimeSettings('[]', warn)).toEqual({});
    expect(messages).toHaveLength(2);
  });
});

describe('startSettings (precedence)', () => {
  const limits = { minCacheBytes: 4096, maxCacheBytes: 2 ** 44, minWriteLogBytes: 8 << 20 };
  const GiB = 1 << 30;

  it('explicit config wins, then the stored value, then the default', () => {
    const stored = { cacheCapacityBytes: 3 * GiB, writeLogCapacityBytes: 5 * GiB, uploadBandwidthBytesPerSec: 1000, bandwidthSchedule: schedule };
    const infos: Array<[string, Record<string, unknown>]> = [];
    const defaulted = validateEngineConfig({ gatewayId: 'gw', dataDir: '/d' });
    expect(startSettings(defaulted, stored, limits, (m, f) => infos.push([m, f]), () => undefined)).toEqual({
      cacheCapacityBytes: 3 * GiB,
      writeLogCapacityBytes: 5 * GiB,
      uploadBandwidthBytesPerSec: 1000,
      bandwidthSchedule: schedule,
    });
    expect(infos).toEqual([]);
    const flags = validateEngineConfig({ gatewayId: 'gw', dataDir: '/d', cache: { capacityBytes: '1GiB' }, writeLog: { capacityBytes: '64MiB', segmentBytes: '8MiB' }, upload: { bandwidthBytesPerSec: 0 } });
    expect(startSettings(flags, stored, limits, (m, f) => infos.push([m, f]), () => undefined)).toEqual({
      cacheCapacityBytes: 1 * GiB,
      writeLogCapacityBytes: 64 << 20,
      uploadBandwidthBytesPerSec: 0,
      bandwidthSchedule: schedule,
    });
    expect(infos.map(([m]) => m)).toEqual([
      'cacheCapacityBytes from the config overrides the stored setting',
      'writeLogCapacityBytes from the config overrides the stored setting',
      'uploadBandwidthBytesPerSec from the config overrides the stored setting',
    ]);
    expect(startSettings(defaulted, {}, limits, () => undefined, () => undefined)).toEqual({
      cacheCapacityBytes: defaulted.cache.capacityBytes,
      writeLogCapacityBytes: defaulted.writeLog.capacityBytes,
      uploadBandwidthBytesPerSec: 0,
      bandwidthSchedule: [],
    });
  });

  it('a stored value out of bounds for this configuration is reported and the configured one used', () => {
    const warnings: string[] = [];
    const c = validateEngineConfig({ gatewayId: 'gw', dataDir: '/d' });
    const out = startSettings(c, { writeLogCapacityBytes: 1 << 20, cacheCapacityBytes: 100 }, limits, () => undefined, (m) => warnings.push(m));
    expect(out.writeLogCapacityBytes).toBe(c.writeLog.capacityBytes);
    expect(out.cacheCapacityBytes).toBe(c.cache.capacityBytes);
    expect(warnings).toHaveLength(2);
  });
});
