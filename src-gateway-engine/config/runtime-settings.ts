/**
 * Settings an administrator changes while the gateway runs (`storage.configure`,
 * `bandwidth.configure`, `bandwidth.set`), kept in DATA_DIR/settings.json and reapplied by
 * the engine at start.
 *
 * Precedence at start, per setting: a value given explicitly in the engine's config input
 * (e.g. `tidegate serve --cache-size`; see `EngineConfig.explicit`) wins; otherwise the
 * stored value; otherwise the default. A value changed at runtime is applied and stored even
 * when a flag set it, so it lasts until the next start with that flag.
 *
 * Format (JSON): { "format": "tidegate-settings", "version": 1, "cacheCapacityBytes"?,
 * "writeLogCapacityBytes"? (each volume's write log), "uploadBandwidthBytesPerSec"?,
 * "bandwidthSchedule"? }. Absent fields are not set.
 *
 * Crash semantics: a save writes a temp file, fsyncs it, renames it over settings.json and
 * fsyncs the folder, so after a crash the file holds either the old or the new settings,
 * never a mix. A file that cannot be read or parsed is reported and ignored (the gateway
 * starts on its config), as is each field that fails its check.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { BandwidthScheduleEntry } from '../runtime/engine-commands.js';
import { validateBandwidthSchedule } from '../upload/bandwidth-schedule.js';
import type { EngineConfig } from './engine-config.js';

/** File name of the settings in the data dir. */
export const RUNTIME_SETTINGS_FILE = 'settings.json';
const FORMAT = 'tidegate-settings';
const VERSION = 1;

/** The settings kept across restarts; an absent field was never changed at runtime. */
export interface RuntimeSettings {
  cacheCapacityBytes?: number;
  /** Capacity of each volume's write log (upload buffer). */
  writeLogCapacityBytes?: number;
  uploadBandwidthBytesPerSec?: number;
  bandwidthSchedule?: BandwidthScheduleEntry[];
}

/** Told about a settings file or field that was ignored. */
export type SettingsWarning = (message: string, fields: Record<string, unknown>) => void;

/** The settings file of one data dir: load once, then save changes one at a time. */
export class RuntimeSettingsFile {
  readonly path: string;
  private current: RuntimeSettings = {};
  /** Saves run one after another so two configure calls never interleave their temp files. */
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, RUNTIME_SETTINGS_FILE);
  }

  /** The settings as last loaded or saved. */
  get settings(): Readonly<RuntimeSettings> {
    return this.current;
  }

  /** Read the file (missing = no settings); unusable content is reported through `warn` and skipped. */
  async load(warn: SettingsWarning): Promise<Readonly<RuntimeSettings>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn('settings file unreadable; using the configured values', { path: this.path, error: (err as Error).message });
      this.current = {};
      return this.current;
    }
    this.current = parseRuntimeSettings(text, (msg, fields) => warn(msg, { path: this.path, ...fields }));
    return this.current;
  }

  /** Merge `patch` into the settings and store them durably (see the crash semantics above). */
  update(patch: RuntimeSettings): Promise<void> {
    const run = this.queue.then(async () => {
      // Merged when its turn comes, so concurrent updates of different fields all survive.
      const next: RuntimeSettings = { ...this.current, ...patch };
      await this.write(next);
      this.current = next;
    });
    // A failed save must not block later ones; the caller still sees its own failure.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(settings: RuntimeSettings): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const body = `${JSON.stringify({ format: FORMAT, version: VERSION, ...settings }, null, 1)}\n`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(body, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    await syncDir(this.dataDir);
  }
}

/** What the engine starts with: the config and the stored settings merged by the precedence rule above. */
export interface StartSettings {
  cacheCapacityBytes: number;
  writeLogCapacityBytes: number;
  uploadBandwidthBytesPerSec: number;
  bandwidthSchedule: BandwidthScheduleEntry[];
}

/** Bounds a stored value must respect to be used (it may predate a config change). */
export interface SettingsLimits {
  minCacheBytes: number;
  maxCacheBytes: number;
  minWriteLogBytes: number;
}

/**
 * Merge `config` and `stored` by the precedence rule: explicit config, else stored (when within
 * `limits`), else the config's default. `info` hears about stored values an explicit one
 * overrides; `warn` about stored values out of bounds.
 */
export function startSettings(config: EngineConfig, stored: Readonly<RuntimeSettings>, limits: SettingsLimits, info: SettingsWarning, warn: SettingsWarning): StartSettings {
  const pick = (key: 'cacheCapacityBytes' | 'writeLogCapacityBytes' | 'uploadBandwidthBytesPerSec', configured: number, explicit: boolean, min: number, max: number): number => {
    const s = stored[key];
    if (s === undefined) return configured;
    if (explicit) {
      if (s !== configured) info(`${key} from the config overrides the stored setting`, { configured, stored: s });
      return configured;
    }
    if (s < min || s > max) {
      warn(`stored ${key} is out of bounds for this configuration; using the configured value`, { stored: s, min, max, configured });
      return configured;
    }
    return s;
  };
  return {
    cacheCapacityBytes: pick('cacheCapacityBytes', config.cache.capacityBytes, config.explicit.cacheCapacityBytes, limits.minCacheBytes, limits.maxCacheBytes),
    writeLogCapacityBytes: pick('writeLogCapacityBytes', config.writeLog.capacityBytes, config.explicit.writeLogCapacityBytes, limits.minWriteLogBytes, Number.MAX_SAFE_INTEGER),
    uploadBandwidthBytesPerSec: pick('uploadBandwidthBytesPerSec', config.upload.bandwidthBytesPerSec, config.explicit.uploadBandwidthBytesPerSec, 0, Number.MAX_SAFE_INTEGER),
    bandwidthSchedule: stored.bandwidthSchedule ?? [],
  };
}

/** The settings in `text`; the file as a whole or single fields that fail their check are reported and left out. */
export function parseRuntimeSettings(text: string, warn: SettingsWarning): RuntimeSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    warn('settings file is not valid JSON; using the configured values', { error: (err as Error).message });
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    warn('settings file does not hold an object; using the configured values', {});
    return {};
  }
  const o = raw as Record<string, unknown>;
  if (o.format !== FORMAT || o.version !== VERSION) {
    warn(`settings file is not ${FORMAT} version ${VERSION}; using the configured values`, { format: o.format, version: o.version });
    return {};
  }
  const out: RuntimeSettings = {};
  const size = (key: 'cacheCapacityBytes' | 'writeLogCapacityBytes' | 'uploadBandwidthBytesPerSec', min: number): void => {
    const v = o[key];
    if (v === undefined) return;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min) out[key] = v;
    else warn(`settings file: ${key} is not an integer of at least ${min}; ignored`, { value: v });
  };
  size('cacheCapacityBytes', 1);
  size('writeLogCapacityBytes', 1);
  size('uploadBandwidthBytesPerSec', 0);
  if (o.bandwidthSchedule !== undefined) {
    try {
      out.bandwidthSchedule = validateBandwidthSchedule(o.bandwidthSchedule);
    } catch (err) {
      warn('settings file: bandwidthSchedule ignored', { error: (err as Error).message });
    }
  }
  return out;
}

/** fsync a folder so a rename in it survives power loss (skipped where the OS cannot). */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err;
  } finally {
    await fh?.close();
  }
}
