/**
 * One process per state folder. Two processes writing the same snapshot files would each
 * overwrite the other's changes, so `openEmbeddedState` takes `state.lock` (created with
 * O_EXCL, holding the pid) and refuses a folder another live process holds. A lock left by
 * a dead process is taken over. The same process opening the folder twice is refused too:
 * close the first state before reopening.
 */
import { open, readFile, rm } from 'node:fs/promises';

/** A held folder lock. */
export interface DirLock {
  release(): Promise<void>;
}

/** Takes the lock file `file` for this process, or throws naming the holder. */
export async function takeDirLock(file: string): Promise<DirLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return { release: () => rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
      const who = holder === process.pid ? 'this process (close the other state first)' : `process ${holder}`;
      throw new Error(`control-plane state ${file} is in use by ${who}`);
    }
    // Stale lock of a dead process (or a half-written one): remove it and try again.
    await rm(file, { force: true });
  }
  throw new Error(`could not take the control-plane state lock ${file}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
