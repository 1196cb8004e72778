import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarArchive, type TarEntry } from './tar-archive.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-tar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the system tar in `dir`; its stderr must stay empty (no "lone zero block", no checksum warning). */
function tar(args: string[]): string {
  const r = spawnSync('tar', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' } });
  if (r.error) throw r.error;
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

async function writeArchive(entries: TarEntry[]): Promise<string> {
  const path = join(dir, 'bundle.tar.gz');
  await writeFile(path, gzipSync(tarArchive(entries)));
  return path;
}

async function filesUnder(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    const rel = prefix === '' ? d.name : `${prefix}/${d.name}`;
    if (d.isDirectory()) out.push(...(await filesUnder(join(root, d.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

const NAME_100 = `${'n'.repeat(95)}.json`;
const UTF8_100 = `${'é'.repeat(49)}.j`; // 49 × 2 + 2 = 100 bytes in 51 characters

describe('tarArchive', () => {
  const entries: TarEntry[] = [
    { name: 'exactly-512.bin', data: randomBytes(512) },
    { name: 'empty.txt', data: Buffer.alloc(0) },
    { name: 'just-over-513.bin', data: randomBytes(513) },
    { name: 'tidegate-support/status.json', data: Buffer.from('{"ok":true}\n') },
    { name: 'données/résumé-日本語.txt', data: Buffer.from('texte accentué, 日本語\n') },
    { name: NAME_100, data: randomBytes(100) },
    { name: UTF8_100, data: randomBytes(7) },
    { name: 'big.bin', data: randomBytes(1024 * 1024 + 1) },
    { name: 'zeros.bin', data: Buffer.alloc(2048) }, // blocks of zeros inside a file are not the end
    { name: 'after-zeros.txt', data: Buffer.from('still here\n') },
  ];

  it('has the byte-length checks the test relies on', () => {
    expect(Buffer.byteLength(NAME_100)).toBe(100);
    expect(Buffer.byteLength(UTF8_100)).toBe(100);
  });

  it('is listed by tar tzf with every name, in order', async () => {
    const path = await writeArchive(entries);
    expect(tar(['tzf', path]).split('\n').filter(Boolean)).toEqual(entries.map((e) => e.name));
  });

  it('extracts with tar xzf to the same bytes', async () => {
    const path = await writeArchive(entries);
    const out = join(dir, 'out');
    await mkdir(out);
    tar(['xzf', path, '-C', out]);
    expect(await filesUnder(out)).toEqual(entries.map((e) => e.name).sort());
    for (const e of entries) {
      const got = await readFile(join(out, e.name));
      expect(got.length, e.name).toBe(e.data.length);
      expect(got.equals(e.data), e.name).toBe(true);
    }
  });

  it('records size, mode 0644 and the modification time given', async () => {
    const mtime = new Date('2026-03-01T12:34:56.789Z');
    const path = await writeArchive([
      { name: 'a.txt', data: Buffer.from('hello\n'), mtime },
      { name: 'b.bin', data: Buffer.alloc(513), mtime },
    ]);
    const lines = tar(['--full-time', '-tvzf', path]).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^-rw-r--r-- \S+\s+6 2026-03-01 12:34:56 a\.txt$/);
    expect(lines[1]).toMatch(/^-rw-r--r-- \S+\s+513 2026-03-01 12:34:56 b\.bin$/);
  });

  it('pads every file to 512-byte blocks and ends with two zero blocks', () => {
    const raw = tarArchive([
      { name: 'a', data: Buffer.alloc(0) },
      { name: 'b', data: Buffer.alloc(512, 1) },
      { name: 'c', data: Buffer.alloc(513, 1) },
    ]);
    // headers 3×512 + data 0 + 512 + 1024 + end 1024
    expect(raw.length).toBe(3 * 512 + 512 + 1024 + 1024);
    expect(raw.subarray(raw.length - 1024).every((b) => b === 0)).toBe(true);
    expect(raw.subarray(512 * 5 + 1, 512 * 6).every((b) => b === 0)).toBe(true); // c's padding
    expect(raw.subarray(257, 263).toString('latin1')).toBe('ustar\0');
    expect(tarArchive([]).equals(Buffer.alloc(1024))).toBe(true);
  });

  it('has a header checksum tar accepts (and that matches the POSIX sum)', () => {
    const raw = tarArchive([{ name: 'x.txt', data: Buffer.from('x'), mtime: new Date(0) }]);
    const h = Buffer.from(raw.subarray(0, 512));
    const stored = Number.parseInt(h.subarray(148, 154).toString('latin1'), 8);
    h.fill(0x20, 148, 156);
    expect(stored).toBe(h.reduce((a, b) => a + b, 0));
  });

  it('refuses names over 100 bytes (UTF-8 bytes, not characters) and empty names', () => {
    expect(() => tarArchive([{ name: `${NAME_100}x`, data: Buffer.alloc(0) }])).toThrow(/1–100 bytes/);
    expect(() => tarArchive([{ name: 'é'.repeat(51), data: Buffer.alloc(0) }])).toThrow(/1–100 bytes/); // 51 characters, 102 bytes
    expect(() => tarArchive([{ name: '', data: Buffer.alloc(0) }])).toThrow(/1–100 bytes/);
  });
});
