/**
 * A JSON file that mirrors one in-memory collection of the embedded state. Stores change
 * memory synchronously (so their decisions are atomic within the process) and then call
 * `save()`, which resolves once a snapshot taken after that change is durable on disk.
 * Saves coalesce: at most one write runs and at most one more is queued behind it, so 20
 * concurrent changes cost two writes, not 20. `saveSoon()` defers the write (for soft state
 * like lastSeenAt); `close()` flushes it.
 *
 * If a write fails, `save()` rejects and memory keeps the change; the next successful save
 * stores it. The caller's operation has failed and must be reported as such.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic-file-write.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { EMBEDDED_FORMAT_VERSION } from './embedded-format.js';

/** One snapshot file: load once at open, then `save()` after each change. */
export class JsonSnapshotFile {
  private writing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly format: string,
    private readonly snapshot: () => Record<string, unknown>,
    private readonly onError: BackgroundErrorHandler,
  ) {}

  /** The file's payload (without format and version), or null when it does not exist yet. */
  async load(): Promise<Record<string, unknown> | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${this.file}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`${this.file}: not a JSON object`);
    const record = parsed as Record<string, unknown>;
    if (record.format !== this.format) throw new Error(`${this.file}: format is ${String(record.format)}, expected ${this.format}`);
    if (record.version !== EMBEDDED_FORMAT_VERSION) throw new Error(`${this.file}: unsupported version ${String(record.version)}`);
    return record;
  }

  /** Resolves once the current in-memory state is durable. */
  save(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`control-plane state is closed (${path.basename(this.file)})`));
    this.cancelTimer();
    if (this.queued) return this.queued;
    if (!this.writing) {
      this.writing = this.write().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    // The running write took its snapshot before this change: queue one more behind it.
    this.queued = this.writing.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** Saves within `delayMs`; failures go to the background error handler. */
  saveSoon(delayMs: number): void {
    if (this.closed || this.timer || this.queued) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save().catch((err: unknown) => this.onError(err, `saving ${this.file}`));
    }, delayMs);
    this.timer.unref();
  }

  /** Writes any deferred change, waits for running writes, and refuses further saves. */
  async close(): Promise<void> {
    if (this.closed) return;
    const pendingDeferred = this.timer !== null;
    this.cancelTimer();
    const tail = pendingDeferred ? this.save() : (this.queued ?? this.writing);
    this.closed = true;
    await tail;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    this.writing = this.write().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async write(): Promise<void> {
    const text = JSON.stringify({ format: this.format, version: EMBEDDED_FORMAT_VERSION, ...this.snapshot() }, null, 1);
    await writeFileAtomic(this.file, text + '\n');
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The array `field` of a loaded snapshot (empty when the file did not exist yet). */
export function snapshotArray<T>(data: Record<string, unknown> | null, field: string, file: string): T[] {
  if (data === null) return [];
  const value = data[field];
  if (!Array.isArray(value)) throw new Error(`${file}: "${field}" is not an array`);
  return value as T[];
}
