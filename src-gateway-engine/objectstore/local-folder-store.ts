/**
 * An object store in a local folder: key "a/b/c" is the file <root>/a/b/c.
 *
 * Crash semantics of put: the body goes to a temp file in the target's own folder, which
 * is fsynced, then renamed over the key (or hard-linked to it for ifNoneMatch), then the
 * folder is fsynced. After put resolves the object survives power loss; a crash before
 * that leaves either the old object or none, plus at worst a stray temp file that list()
 * never shows. Readers never see a partly written object.
 *
 * Differences from S3 a caller may notice: a key cannot be both an object and a "folder"
 * of other keys ("a" and "a/b"): the second put answers INVALID_ARGUMENT. delete() leaves
 * empty sub-folders behind (removing them would race with a concurrent put into them).
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats, type BigIntStats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ErrorCode, TidegateError, errnoCode } from '../errors/index.js';
import { throwIfAborted } from './abort-error.js';
import { checkObjectKey, checkRange, compareKeys } from './object-key.js';
import type { ByteRange, ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store.js';

/** Names starting with this are in-flight puts; list() skips them and keys may not use it. */
export const TEMP_FILE_PREFIX = '.tidegate-tmp-';

/** An ObjectStore over a local folder; durable, atomic puts (see file comment). */
export class LocalFolderStore implements ObjectStore {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    if (!path.isAbsolute(root)) {
      throw new TidegateError(ErrorCode.InvalidArgument, `local folder store: root ${JSON.stringify(root)} is not an absolute path`);
    }
    this.root = path.resolve(root);
    this.description = `file://${this.root}`;
  }

  async ensureBucket(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
    } catch (err) {
      throw this.mapError(err, 'create folder', '');
    }
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<PutResult> {
    this.checkKey(key);
    throwIfAborted(options.signal, `${this.description}: put ${key}`);
    const target = this.pathOf(key);
    const dir = path.dirname(target);
    // Never mkdir -p the root itself: a vanished root must answer BUCKET_MISSING, not
    // silently come back empty.
    await this.requireRoot();
    let createdDir: string | undefined;
    try {
      createdDir = await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      // EEXIST/ENOTDIR: a folder level of this key is already an object ("a" vs "a/b").
      const code = errnoCode(err);
      throw code === 'EEXIST' || code === 'ENOTDIR'
        ? new TidegateError(ErrorCode.InvalidArgument, `${this.description}: put ${key}: key clashes with the object ${path.relative(this.root, dir).split(path.sep).join('/')} or one of its parents`)
        : await this.mapErrorChecked(err, 'put', key);
    }
    const temp = path.join(dir, `${TEMP_FILE_PREFIX}${randomBytes(8).toString('hex')}`);
    let tempExists = false;
    try {
      const handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      tempExists = true;
      try {
        let written = 0;
        while (written < body.length) {
          const { bytesWritten } = await handle.write(body, written, body.length - written);
          written += bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      throwIfAborted(options.signal, `${this.description}: put ${key}`);
      if (options.ifNoneMatch) {
        // link() fails with EEXIST when the key exists: an atomic create-if-absent.
        try {
          await fs.link(temp, target);
        } catch (err) {
          if (errnoCode(err) === 'EEXIST') {
            throw new TidegateError(ErrorCode.PreconditionFailed, `${this.description}: ${key} already exists`);
          }
          throw err;
        }
        await fs.unlink(temp);
      } else {
        await fs.rename(temp, target);
      }
      tempExists = false;
      // The rename/link is only durable once the folder entry is on disk; new folders
      // need their own entries in their parents synced too.
      await syncDir(dir);
      if (createdDir !== undefined) {
        const topParent = path.dirname(createdDir);
        for (let d = path.dirname(dir); ; d = path.dirname(d)) {
          await syncDir(d);
          if (d === topParent || d === this.root || d.length < this.root.length) break;
        }
      }
      options.onProgress?.(body.length);
      const stats = await fs.stat(target, { bigint: true });
      return { etag: etagOf(stats) };
    } catch (err) {
      if (tempExists) await fs.unlink(temp).catch(() => undefined);
      throw err instanceof TidegateError ? err : await this.mapErrorChecked(err, 'put', key);
    }
  }

  /**
   * Reads a whole object or a range. A range reaching past the end is clamped to the end
   * and a range starting at or past the end returns an empty buffer — the same result an
   * S3 ranged GET gives for the bytes that exist. Fewer bytes than the file's size
   * promised (the file was truncated under us) is CORRUPT.
   */
  async get(key: string, range?: ByteRange): Promise<Buffer> {
    this.checkKey(key);
    if (range) checkRange(range, this.description, key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.pathOf(key), 'r');
    } catch (err) {
      throw await this.mapErrorChecked(err, 'get', key);
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw this.notFound(key);
      const start = range ? Math.min(range.offset, stats.size) : 0;
      const end = range ? Math.min(range.offset + range.length, stats.size) : stats.size;
      const out = Buffer.allocUnsafe(end - start);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) {
          throw new TidegateError(
            ErrorCode.Corrupt,
            `${this.description}: ${key} ended at byte ${start + done}, expected ${stats.size} bytes`,
          );
        }
        done += bytesRead;
      }
      return out;
    } catch (err) {
      throw err instanceof TidegateError ? err : await this.mapErrorChecked(err, 'get', key);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    this.checkKey(key);
    let stats: BigIntStats;
    try {
      stats = await fs.stat(this.pathOf(key), { bigint: true });
    } catch (err) {
      const mapped = await this.mapErrorChecked(err, 'head', key);
      if (mapped.code === ErrorCode.NotFound) return undefined;
      throw mapped;
    }
    if (!stats.isFile()) return undefined;
    return { key, size: Number(stats.size), etag: etagOf(stats) };
  }

  async delete(key: string): Promise<void> {
    this.checkKey(key);
    const target = this.pathOf(key);
    try {
      await fs.unlink(target);
    } catch (err) {
      const code = errnoCode(err);
      // EISDIR/EPERM: the key names a folder of other keys, so there is no such object.
      if (code === 'EISDIR' || code === 'EPERM') {
        const isDir = await fs.stat(target).then((s: Stats) => s.isDirectory(), () => false);
        if (isDir) return;
      }
      const mapped = await this.mapErrorChecked(err, 'delete', key);
      if (mapped.code === ErrorCode.NotFound) return;
      throw mapped;
    }
    await syncDir(path.dirname(target)).catch(() => undefined);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.requireRoot();
    const found: ObjectInfo[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        // A sub-folder removed while we walk simply has no keys any more.
        if (dir !== this.root && (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR')) return;
        throw await this.mapErrorChecked(err, 'list', prefix);
      }
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_FILE_PREFIX)) continue;
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) {
          const asFolder = `${key}/`;
          // Descend only where keys matching the prefix can live.
          if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) await walk(path.join(dir, entry.name), asFolder);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          try {
            const stats = await fs.stat(path.join(dir, entry.name), { bigint: true });
            found.push({ key, size: Number(stats.size), etag: etagOf(stats) });
          } catch (err) {
            if (errnoCode(err) !== 'ENOENT') throw await this.mapErrorChecked(err, 'list', prefix);
          }
        }
      }
    };
    await walk(this.root, '');
    return found.sort((a, b) => compareKeys(a.key, b.key));
  }

  private checkKey(key: string): void {
    checkObjectKey(key, this.description);
    if (key.split('/').some((segment) => segment.startsWith(TEMP_FILE_PREFIX))) {
      throw new TidegateError(ErrorCode.InvalidArgument, `${this.description}: key ${key} uses the reserved prefix ${TEMP_FILE_PREFIX}`);
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private async requireRoot(): Promise<void> {
    let stats: Stats;
    try {
      stats = await fs.stat(this.root);
    } catch (err) {
      throw this.mapError(err, 'open', '');
    }
    if (!stats.isDirectory()) throw this.bucketMissing();
  }

  private notFound(key: string): TidegateError {
    return new TidegateError(ErrorCode.NotFound, `${this.description}: no object ${key}`);
  }

  private bucketMissing(): TidegateError {
    return new TidegateError(ErrorCode.BucketMissing, `${this.description}: the store folder does not exist`);
  }

  /** Like mapError, but an ENOENT first checks whether the whole root has vanished. */
  private async mapErrorChecked(err: unknown, op: string, key: string): Promise<TidegateError> {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const rootIsDir = await fs.stat(this.root).then((s) => s.isDirectory(), () => false);
      if (!rootIsDir) return this.bucketMissing();
    }
    return this.mapError(err, op, key);
  }

  private mapError(err: unknown, op: string, key: string): TidegateError {
    if (err instanceof TidegateError) return err;
    const code = errnoCode(err);
    const what = key ? `${this.description}: ${op} ${key}` : `${this.description}: ${op}`;
    switch (code) {
      case 'ENOENT':
        return key ? this.notFound(key) : this.bucketMissing();
      case 'ENOTDIR':
      case 'EISDIR':
        // "a/b" when "a" is an object, or "a" when "a/…" keys exist.
        return op === 'put'
          ? new TidegateError(ErrorCode.InvalidArgument, `${what}: key clashes with a folder or file of another key`, { cause: err })
          : key ? this.notFound(key) : this.bucketMissing();
      case 'ENOSPC':
      case 'EDQUOT':
        return new TidegateError(ErrorCode.NoSpace, `${what}: disk full`, { cause: err });
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return new TidegateError(ErrorCode.AccessDenied, `${what}: permission denied (${code})`, { cause: err });
      default:
        return new TidegateError(ErrorCode.IoError, `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}

/** Inode, size and nanosecond mtime: changes whenever the object is replaced. */
function etagOf(stats: BigIntStats): string {
  return `${stats.ino.toString(16)}-${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}`;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

