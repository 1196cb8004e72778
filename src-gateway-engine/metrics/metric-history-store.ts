/**
 * Minute samples on disk: DATA_DIR/metrics/YYYY-MM-DD.jsonl, one file per UTC day (the day
 * the minute starts in), one JSON object per line, appended as each minute ends. Files older
 * than the retention (14 days by default, today included) are deleted at open and whenever
 * the day changes. Nothing is kept in memory: a query reads the files of the days it spans.
 *
 * Crash semantics: a line is appended with one write and not fsynced — metrics are not worth
 * an fsync a minute. A process killed mid-write may leave a torn last line: readers skip
 * every line that does not parse as a sample, and the next append starts on a fresh line, so
 * one torn minute costs that minute only.
 */
import { appendFile, mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricSample } from '../runtime/engine-commands.js';
import { METRIC_SAMPLE_FIELDS } from './metric-sample-ring.js';

const DAY_MS = 86_400_000;
const FILE_RE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;

export interface MetricHistoryStoreOptions {
  /** Days of files kept, today included; default 14. */
  retentionDays?: number;
  now?: () => number;
  /** Told about files that could not be read or deleted. */
  onWarning?: (msg: string, fields: Record<string, unknown>) => void;
}

/** The UTC day ("YYYY-MM-DD") of `ms`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The stored minute samples of one data dir. */
export class MetricHistoryStore {
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly warn: (msg: string, fields: Record<string, unknown>) => void;
  /** Appends and prunes run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  /** Files this process has appended to, already known to end on a line break. */
  private readonly clean = new Set<string>();
  private prunedFor = '';

  constructor(
    readonly dir: string,
    options: MetricHistoryStoreOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? 14;
    this.now = options.now ?? Date.now;
    this.warn = options.onWarning ?? (() => undefined);
  }

  /** Create the folder and delete files past the retention. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.prune();
  }

  /** Append one minute sample (in time order); never rejects — a failed append is reported and that minute lost. */
  append(sample: MetricSample): Promise<void> {
    const run = this.queue.then(async () => {
      const day = utcDay(sample.ts - sample.intervalMs);
      if (utcDay(this.now()) !== this.prunedFor) await this.prune();
      const path = join(this.dir, `${day}.jsonl`);
      const lead = this.clean.has(path) ? '' : await this.separatorFor(path);
      await appendFile(path, `${lead}${encodeSample(sample)}\n`, { mode: 0o600 });
      this.clean.add(path);
    });
    this.queue = run.catch((err: unknown) => this.warn('metric history: a minute could not be stored', { dir: this.dir, error: (err as Error).message }));
    return this.queue;
  }

  /** Wait for every append so far. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** Stored samples with fromMs ≤ ts ≤ toMs, oldest first; unreadable lines and files are skipped. */
  async read(fromMs: number, toMs: number): Promise<MetricSample[]> {
    await this.queue;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    // A file holds minutes that start on its day, so their ts may reach into the next one.
    const firstDay = utcDay(Math.max(0, fromMs - DAY_MS));
    const lastDay = utcDay(Math.min(toMs, 8.64e15));
    const days = names.flatMap((n) => FILE_RE.exec(n)?.[1] ?? []).filter((d) => d >= firstDay && d <= lastDay).sort();
    const out: MetricSample[] = [];
    for (const day of days) {
      let text: string;
      try {
        text = await readFile(join(this.dir, `${day}.jsonl`), 'utf8');
      } catch (err) {
        this.warn('metric history: a day could not be read', { day, error: (err as Error).message });
        continue;
      }
      for (const line of text.split('\n')) {
        const s = decodeSample(line);
        if (s !== undefined && s.ts >= fromMs && s.ts <= toMs) out.push(s);
      }
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  /** Delete the files of days before the retention window. */
  private async prune(): Promise<void> {
    const today = utcDay(this.now());
    this.prunedFor = today;
    const oldestKept = utcDay(Date.parse(`${today}T00:00:00Z`) - (this.retentionDays - 1) * DAY_MS);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const day = FILE_RE.exec(name)?.[1];
      if (day === undefined || day >= oldestKept) continue;
      await rm(join(this.dir, name), { force: true }).catch((err: unknown) => this.warn('metric history: an old day could not be deleted', { file: name, error: (err as Error).message }));
    }
  }

  /** "\n" when the file exists and its last line is torn (a killed process), else "". */
  private async separatorFor(path: string): Promise<string> {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch {
      return '';
    }
    try {
      const { size } = await fh.stat();
      if (size === 0) return '';
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      return last[0] === 0x0a ? '' : '\n';
    } finally {
      await fh.close();
    }
  }
}

function encodeSample(s: MetricSample): string {
  const o: Record<string, number> = {};
  // Six significant digits are plenty for a chart and keep a day's file small.
  for (const f of METRIC_SAMPLE_FIELDS) o[f] = f === 'ts' || f === 'intervalMs' ? s[f] : Number(s[f].toPrecision(6));
  return JSON.stringify(o);
}

/** A sample from one stored line, or undefined for a torn, corrupt or foreign line. */
export function decodeSample(line: string): MetricSample | undefined {
  if (line === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const out = {} as Record<keyof MetricSample, number>;
  for (const f of METRIC_SAMPLE_FIELDS) {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    out[f] = v;
  }
  return out as MetricSample;
}
