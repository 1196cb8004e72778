/**
 * A minimal ustar writer (POSIX.1-1988) for the support bundle: regular files only, names
 * up to 100 bytes, each file padded to 512-byte blocks, two zero blocks at the end. Readable
 * by `tar xzf` everywhere; no dependency needed for something this small.
 */

/** One file of an archive. */
export interface TarEntry {
  name: string;
  data: Buffer;
  /** Modification time; default now. */
  mtime?: Date;
}

const BLOCK = 512;

/** The archive bytes of `entries` (not compressed). */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function header(e: TarEntry): Buffer {
  const name = Buffer.from(e.name, 'utf8');
  if (name.length === 0 || name.length > 100) throw new Error(`tar entry name must be 1–100 bytes: ${e.name}`);
  const h = Buffer.alloc(BLOCK);
  name.copy(h, 0);
  octal(h, 100, 8, 0o644); // mode
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, e.data.length);
  octal(h, 136, 12, Math.floor((e.mtime ?? new Date()).getTime() / 1000));
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write('0', 156, 'latin1'); // regular file
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return h;
}

function octal(h: Buffer, offset: number, width: number, value: number): void {
  h.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, 'latin1');
}
