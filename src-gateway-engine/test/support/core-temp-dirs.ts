/**
 * Temp folders for the storage-core unit tests: each test file makes its folders under
 * os.tmpdir() and removes them all in afterEach/afterAll via `cleanup()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A set of temp folders that one test file owns. */
export class CoreTempDirs {
  private readonly dirs: string[] = [];

  constructor(private readonly prefix: string) {}

  /** A new empty folder. */
  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `tidegate-core-${this.prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** Remove every folder made so far. */
  async cleanup(): Promise<void> {
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

/** Resolve after the event loop has run a few rounds (lets pending I/O and timers settle). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 2));
}

/** Poll `cond` until it is true or `timeoutMs` passes; throws on timeout. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A block of `size` bytes whose content names a tag, so a wrong read is recognisable. */
export function taggedBlock(tag: string, size = 4096): Buffer {
  const b = Buffer.alloc(size, 0x5a);
  b.write(tag.padEnd(Math.min(size, 32), '.'), 0, 'latin1');
  for (let i = 32; i < size; i++) b[i] = (tag.charCodeAt(i % tag.length) + i) & 0xff;
  return b;
}
