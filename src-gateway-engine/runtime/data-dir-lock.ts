/**
 * One engine per data dir: `engine.lock` holds the owner's pid, created exclusively. A lock
 * left by a dead process (kill -9) is taken over; a live one is refused with a clear error.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, TidegateError } from '../errors/index.js';

export interface DataDirLock {
  release(): Promise<void>;
}

/** Take the data dir's lock or explain who holds it. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, 'engine.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.sync();
      await fh.close();
      return {
        release: async () => {
          const owner = await readFile(path, 'utf8').catch(() => '');
          if (owner.trim() === String(process.pid)) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new TidegateError(ErrorCode.AlreadyExists, `data dir ${dataDir} is in use by another engine (pid ${pid})`);
      }
      await rm(path, { force: true }); // stale: its process is gone
    }
  }
  throw new TidegateError(ErrorCode.AlreadyExists, `could not lock data dir ${dataDir}`);
}

/**
 * Throw the same "in use" error `acquireDataDirLock` would, without taking the lock: lets
 * `serve` refuse a second gateway on a data dir before it starts anything else.
 */
export async function assertDataDirFree(dataDir: string): Promise<void> {
  const pid = Number.parseInt((await readFile(join(dataDir, 'engine.lock'), 'utf8').catch(() => '')).trim(), 10);
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new TidegateError(ErrorCode.AlreadyExists, `data dir ${dataDir} is in use by another engine (pid ${pid})`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process that its parent has not reaped yet (a zombie) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
