/**
 * Status samples for the embedded state: `samples/<gatewayId>/<YYYY-MM-DD>.jsonl`, one JSON
 * sample per line, the day being the UTC day of the sample's `at` (embedded-format.ts).
 *
 * Lock discipline: every change to one day file (append, prune's rewrite or delete) runs in
 * that file's queue, one at a time, so a prune never loses a sample appended meanwhile.
 * Reads take no lock: they may see a line being appended only partly and skip it.
 *
 * Crash semantics: appends are not fsynced (a sample arrives every 10 s; losing the last
 * few seconds of history is acceptable). A torn last line is skipped on read, and the next
 * append to that file starts on a fresh line. Prune's rewrite of the boundary day is atomic.
 */
import { appendFile, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import { writeFileAtomic } from './atomic-file-write.js';
import type { SampleStore } from './control-plane-state.js';
import { SAMPLE_FILE_SUFFIX, SAMPLES_DIR } from './embedded-format.js';
import { newestPerMinute, sampleTimeMs } from './sample-time.js';

const DAY_MS = 86_400_000;
/** Range bounds are clamped to years 1970–9999, where day names sort as strings. */
const LAST_DAY_MS = Date.UTC(9999, 11, 31);
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
/** Gateway ids become folder names: allow only characters that are safe on every filesystem. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** JSON-lines `SampleStore` in `<dir>/samples/`. */
export class EmbeddedSamples implements SampleStore {
  private readonly root: string;
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Day files whose end was checked for a torn line since open. */
  private readonly checkedTails = new Set<string>();
  private readonly madeDirs = new Set<string>();
  private readonly latestCache = new Map<string, { ms: number; sample: StatusSample }>();
  /** Bumped by every append and prune, so `latest` does not cache a read that a change overtook. */
  private generation = 0;
  private closed = false;

  constructor(dir: string) {
    this.root = path.join(dir, SAMPLES_DIR);
  }

  async append(gatewayId: string, sample: StatusSample): Promise<void> {
    if (this.closed) throw new Error('control-plane state is closed');
    const ms = sampleTimeMs(sample);
    const gatewayDir = this.gatewayDir(gatewayId);
    const file = path.join(gatewayDir, dayName(ms) + SAMPLE_FILE_SUFFIX);
    const line = JSON.stringify(sample) + '\n';
    await this.inQueue(file, async () => {
      if (!this.madeDirs.has(gatewayDir)) {
        await mkdir(gatewayDir, { recursive: true, mode: 0o700 });
        this.madeDirs.add(gatewayDir);
      }
      const prefix = this.checkedTails.has(file) ? '' : await tornTailPrefix(file);
      await appendFile(file, prefix + line, { mode: 0o600 });
      this.checkedTails.add(file);
    });
    this.generation++;
    const cached = this.latestCache.get(gatewayId);
    if (cached && ms >= cached.ms) this.latestCache.set(gatewayId, { ms, sample: structuredClone(sample) });
  }

  async range(gatewayId: string, fromMs: number, toMs: number): Promise<StatusSample[]> {
    if (toMs < fromMs) return [];
    const gatewayDir = this.gatewayDir(gatewayId);
    const first = dayName(Math.min(Math.max(fromMs, 0), LAST_DAY_MS));
    const last = dayName(Math.min(Math.max(toMs, 0), LAST_DAY_MS));
    const out: StatusSample[] = [];
    for (const day of await dayFiles(gatewayDir)) {
      if (day < first || day > last) continue;
      const samples = newestPerMinute(await readDayFile(path.join(gatewayDir, day + SAMPLE_FILE_SUFFIX)));
      for (const sample of samples) {
        const ms = sampleTimeMs(sample);
        if (ms >= fromMs && ms <= toMs) out.push(sample);
      }
    }
    return out;
  }

  async latest(gatewayId: string): Promise<StatusSample | null> {
    const gatewayDir = this.gatewayDir(gatewayId);
    const cached = this.latestCache.get(gatewayId);
    if (cached) return structuredClone(cached.sample);
    const generation = this.generation;
    const days = await dayFiles(gatewayDir);
    for (let i = days.length - 1; i >= 0; i--) {
      const newest = newestPerMinute(await readDayFile(path.join(gatewayDir, days[i] + SAMPLE_FILE_SUFFIX))).at(-1);
      if (newest) {
        if (this.generation === generation) {
          this.latestCache.set(gatewayId, { ms: sampleTimeMs(newest), sample: structuredClone(newest) });
        }
        return newest;
      }
    }
    return null;
  }

  async prune(beforeMs: number): Promise<number> {
    let removed = 0;
    let gateways: string[];
    try {
      gateways = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    for (const gatewayId of gateways) {
      if (!SAFE_ID.test(gatewayId)) continue;
      const gatewayDir = path.join(this.root, gatewayId);
      for (const day of await dayFiles(gatewayDir)) {
        const start = Date.parse(`${day}T00:00:00.000Z`);
        if (start >= beforeMs) continue;
        const file = path.join(gatewayDir, day + SAMPLE_FILE_SUFFIX);
        removed += await this.inQueue(file, async () => {
          const samples = newestPerMinute(await readDayFile(file));
          if (start + DAY_MS <= beforeMs) {
            await rm(file, { force: true });
            this.checkedTails.delete(file);
            return samples.length;
          }
          const kept = samples.filter((s) => sampleTimeMs(s) >= beforeMs);
          if (kept.length === samples.length) return 0;
          await writeFileAtomic(file, kept.map((s) => JSON.stringify(s) + '\n').join(''));
          this.checkedTails.add(file);
          return samples.length - kept.length;
        });
      }
    }
    if (removed > 0) {
      this.generation++;
      this.latestCache.clear();
    }
    return removed;
  }

  /** Waits for queued file changes and refuses further appends. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.queues.values()]);
  }

  private gatewayDir(gatewayId: string): string {
    if (!SAFE_ID.test(gatewayId)) throw new TypeError(`gateway id not usable as a folder name: ${JSON.stringify(gatewayId)}`);
    return path.join(this.root, gatewayId);
  }

  /** Runs `task` after every earlier task on `file`. */
  private inQueue<T>(file: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(file) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.queues.set(file, tail);
    void tail.then(() => {
      if (this.queues.get(file) === tail) this.queues.delete(file);
    });
    return run;
  }
}

/** The UTC day of a time, `YYYY-MM-DD`. */
function dayName(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Day names of a gateway's files, oldest first (none when the folder does not exist). */
async function dayFiles(gatewayDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(gatewayDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.flatMap((n) => DAY_FILE.exec(n)?.[1] ?? []).sort();
}

/** The samples of a day file in storage order, skipping lines that do not parse (torn or damaged). */
async function readDayFile(file: string): Promise<StatusSample[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: StatusSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const sample = JSON.parse(line) as StatusSample;
      sampleTimeMs(sample);
      out.push(sample);
    } catch {
      // A line cut short by a crash: the sample is lost, the rest of the file is not.
    }
  }
  return out;
}

/** '\n' when `file` ends without one (a crash cut its last line), so the next line stands alone. */
async function tornTailPrefix(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return '';
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a ? '' : '\n';
  } finally {
    await handle.close();
  }
}
