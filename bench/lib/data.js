/** Random test data: files of incompressible bytes, written in 64 MiB chunks. */
import { randomFillSync } from 'node:crypto';
import { openSync, writeSync, closeSync, existsSync, statSync } from 'node:fs';

const CHUNK = 64 * 1024 * 1024;

/** Create (or reuse, when it already has the size) a file of `bytes` random bytes. */
export function randomFile(path, bytes) {
  if (existsSync(path) && statSync(path).size === bytes) return path;
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += CHUNK) {
      const n = Math.min(CHUNK, bytes - done);
      randomFillSync(buf, 0, n);
      writeSync(fd, buf, 0, n);
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
