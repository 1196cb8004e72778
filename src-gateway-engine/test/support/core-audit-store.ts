/**
 * An ObjectStore filter for storage-core tests that audits head commits: when a volume head is
 * put, every data object it names (1..lastObjectNo) must already be in the inner store, and
 * heads must arrive in order (headNo and lastSeq never go back). Violations are collected.
 */
import type { ByteRange, ObjectInfo, ObjectStore, PutOptions, PutResult } from '../../objectstore/index.js';
import { volumeKeys } from '../../remote/remote-format.js';
import { epochOfObject, parseVolumeHead, type VolumeHead } from '../../remote/volume-head.js';

export class CoreAuditStore implements ObjectStore {
  readonly description: string;
  readonly violations: string[] = [];
  readonly heads: VolumeHead[] = [];

  constructor(private readonly inner: ObjectStore) {
    this.description = inner.description;
  }

  ensureBucket(): Promise<void> {
    return this.inner.ensureBucket();
  }

  async put(key: string, body: Buffer, options?: PutOptions): Promise<PutResult> {
    const m = /^volumes\/([^/]+)\/heads\/[0-9a-f]{16}$/.exec(key);
    if (m) {
      const head = parseVolumeHead(body, key);
      const keys = volumeKeys(m[1]!);
      for (let n = 1; n <= head.lastObjectNo; n++) {
        const ok = await this.inner.head(keys.object(n, epochOfObject(head.epochStarts, n)));
        if (!ok) this.violations.push(`head ${head.headNo} names object ${n}, which is not in the store`);
      }
      const prev = this.heads[this.heads.length - 1];
      if (prev && (head.headNo <= prev.headNo || head.lastSeq < prev.lastSeq)) {
        // A retried put of the same head is fine; anything going back is not.
        if (!(head.headNo === prev.headNo && head.lastSeq === prev.lastSeq)) {
          this.violations.push(`head ${head.headNo} (lastSeq ${head.lastSeq}) after head ${prev.headNo} (lastSeq ${prev.lastSeq})`);
        }
      }
      const result = await this.inner.put(key, body, options);
      this.heads.push(head);
      return result;
    }
    return this.inner.put(key, body, options);
  }

  get(key: string, range?: ByteRange): Promise<Buffer> {
    return this.inner.get(key, range);
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }
}
