/**
 * One volume's state in the object store: its descriptor, its head chain and its data
 * objects. Opening rebuilds the block map from the newest valid head (checkpoint + the
 * headers of every object after it). Committing a head is the only way the recovery point
 * moves, and it is create-only, so a fenced-out owner cannot overwrite a newer head.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, TidegateError, hasCode } from '../errors/index.js';
import type { ObjectStore } from '../objectstore/index.js';
import { BlockMap } from './block-map.js';
import {
  OBJECT_HEADER_PROBE_BYTES,
  decodeDataObjectHeader,
  peekHeaderBytes,
  type DataObjectHeader,
} from './data-object.js';
import { acquireOwnership, readOwner, type OwnerRecord } from './ownership.js';
import { BLOCK_SIZE, ExtentKind, HEAD_FORMAT, HEAD_FORMAT_VERSION, VOLUMES_PREFIX, VOLUME_FORMAT, VOLUME_FORMAT_VERSION, parseHeadKey, volumeKeys } from './remote-format.js';
import { parseVolumeDescriptor, type VolumeDescriptor, type VolumeMode } from './volume-descriptor.js';
import { encodeVolumeHead, epochOfObject, parseVolumeHead, type VolumeHead } from './volume-head.js';

/** Heads kept behind the newest (older ones are deleted after each commit). */
const HEADS_KEPT = 3;

export class RemoteVolume {
  readonly store: ObjectStore;
  readonly descriptor: VolumeDescriptor;
  readonly keys: ReturnType<typeof volumeKeys>;
  readonly owner: OwnerRecord;
  /** The newest committed head: the recovery point. */
  head: VolumeHead;
  readonly map: BlockMap;
  /** Highest head number known to exist (valid or not): the next commit goes above it. */
  private highestHeadNo: number;

  private constructor(store: ObjectStore, descriptor: VolumeDescriptor, owner: OwnerRecord, head: VolumeHead, map: BlockMap) {
    this.store = store;
    this.descriptor = descriptor;
    this.keys = volumeKeys(descriptor.name);
    this.owner = owner;
    this.head = head;
    this.map = map;
    this.highestHeadNo = head.headNo;
  }

  /** Create a new, empty volume in the store (fails if the name is taken there). */
  static async create(store: ObjectStore, name: string, sizeBytes: number, mode: VolumeMode, gatewayId: string): Promise<VolumeDescriptor> {
    const keys = volumeKeys(name);
    const descriptor: VolumeDescriptor = {
      format: VOLUME_FORMAT,
      version: VOLUME_FORMAT_VERSION,
      name,
      volumeId: randomUUID(),
      sizeBytes,
      blockSize: BLOCK_SIZE,
      mode,
      createdAt: new Date().toISOString(),
    };
    try {
      await store.put(keys.descriptor, Buffer.from(JSON.stringify(descriptor, null, 1)), { ifNoneMatch: true });
    } catch (err) {
      if (hasCode(err, ErrorCode.PreconditionFailed)) {
        throw new TidegateError(ErrorCode.AlreadyExists, `volume ${name} already exists in ${store.description}`);
      }
      throw err;
    }
    const owner = await acquireOwnership(store, keys.owner, name, gatewayId, false);
    const head: VolumeHead = {
      format: HEAD_FORMAT,
      version: HEAD_FORMAT_VERSION,
      volumeId: descriptor.volumeId,
      headNo: 1,
      epoch: owner.epoch,
      epochHeadNo: 1,
      gatewayId,
      lastSeq: 0,
      lastObjectNo: 0,
      checkpointObjectNo: 0,
      epochStarts: [[1, owner.epoch]],
      sizeBytes,
      committedAt: new Date().toISOString(),
    };
    await store.put(keys.head(1), encodeVolumeHead(head), { ifNoneMatch: true });
    return descriptor;
  }

  /** Names of every volume in the store. */
  static async list(store: ObjectStore): Promise<VolumeDescriptor[]> {
    const infos = await store.list(VOLUMES_PREFIX);
    const out: VolumeDescriptor[] = [];
    for (const info of infos) {
      if (!/^volumes\/[^/]+\/volume\.json$/.test(info.key)) continue;
      out.push(parseVolumeDescriptor(await store.get(info.key), info.key));
    }
    return out;
  }

  /** Open a volume: take ownership, find the recovery point, rebuild the block map. */
  static async open(store: ObjectStore, name: string, gatewayId: string, options: { force?: boolean } = {}): Promise<RemoteVolume> {
    const keys = volumeKeys(name);
    let descriptor: VolumeDescriptor;
    try {
      descriptor = parseVolumeDescriptor(await store.get(keys.descriptor), keys.descriptor);
    } catch (err) {
      if (hasCode(err, ErrorCode.NotFound)) throw new TidegateError(ErrorCode.NotFound, `volume ${name} does not exist in ${store.description}`);
      throw err;
    }
    const owner = await acquireOwnership(store, keys.owner, name, gatewayId, options.force ?? false);
    const { head: newest, highestHeadNo } = await RemoteVolume.newestHead(store, keys, descriptor);
    let head = newest;
    if (head.epoch > owner.epoch) {
      throw new TidegateError(ErrorCode.VolumeOwned, `volume ${name}: a newer owner (epoch ${head.epoch}) has committed; this gateway was fenced out`);
    }
    const map = await RemoteVolume.loadMap(store, keys, head);
    const rv = new RemoteVolume(store, descriptor, owner, head, map);
    rv.highestHeadNo = highestHeadNo;
    if (head.epoch < owner.epoch) {
      // A takeover: commit a head with our epoch so the previous owner's next commit collides.
      head = await rv.commitHead({ lastSeq: head.lastSeq, lastObjectNo: head.lastObjectNo, checkpointObjectNo: head.checkpointObjectNo });
    }
    return rv;
  }

  /** Delete every object of a volume (descriptor last, so a half-deleted volume still lists). */
  static async destroy(store: ObjectStore, name: string): Promise<void> {
    const keys = volumeKeys(name);
    const all = await store.list(keys.base);
    for (const info of all) if (info.key !== keys.descriptor) await store.delete(info.key);
    await store.delete(keys.descriptor);
  }

  /** Key of a data object written by this or an earlier epoch. */
  objectKey(objNo: number, epoch = epochOfObject(this.head.epochStarts, objNo)): string {
    return this.keys.object(objNo, epoch);
  }

  /** Read `count` blocks at block offset `off` of object `objNo`. */
  async readObjectBlocks(objNo: number, off: number, count: number): Promise<Buffer> {
    const key = this.objectKey(objNo);
    const buf = await this.store.get(key, { offset: off * BLOCK_SIZE, length: count * BLOCK_SIZE });
    if (buf.length !== count * BLOCK_SIZE) throw new TidegateError(ErrorCode.Corrupt, `${key}: short read (${buf.length} of ${count * BLOCK_SIZE} bytes)`);
    return buf;
  }

  /**
   * Commit a new head naming objects 1..lastObjectNo and writes through lastSeq. Only call once
   * every one of those objects is durable in the store. Fail-stops (VOLUME_OWNED) if fenced.
   */
  async commitHead(next: { lastSeq: number; lastObjectNo: number; checkpointObjectNo: number }): Promise<VolumeHead> {
    for (;;) {
      const prev = this.head;
      const takeover = prev.epoch !== this.owner.epoch;
      const epochStarts = prev.epochStarts.slice();
      if (epochStarts[epochStarts.length - 1]![1] !== this.owner.epoch) epochStarts.push([prev.lastObjectNo + 1, this.owner.epoch]);
      const headNo = Math.max(prev.headNo, this.highestHeadNo) + 1;
      const head: VolumeHead = {
        ...prev,
        headNo,
        epoch: this.owner.epoch,
        epochHeadNo: takeover ? headNo : prev.epochHeadNo,
        gatewayId: this.owner.gatewayId,
        lastSeq: next.lastSeq,
        lastObjectNo: next.lastObjectNo,
        checkpointObjectNo: next.checkpointObjectNo,
        epochStarts,
        committedAt: new Date().toISOString(),
      };
      const key = this.keys.head(head.headNo);
      try {
        await this.store.put(key, encodeVolumeHead(head), { ifNoneMatch: true });
        this.head = head;
        this.highestHeadNo = head.headNo;
        void this.pruneHeads(head).catch(() => undefined);
        return head;
      } catch (err) {
        if (!hasCode(err, ErrorCode.PreconditionFailed)) throw err;
      }
      this.highestHeadNo = head.headNo;
      // The number is taken. By us (an earlier attempt landed though its answer was lost), or
      // by another owner (we are fenced). Our own commits are serialized, so a head at this
      // number with our epoch and gateway is ours: adopt it and commit again after it.
      let existing: VolumeHead;
      try {
        existing = parseVolumeHead(await this.store.get(key), key);
      } catch (err) {
        // A damaged head (recovery skipped it): its number is spent, take the next one.
        if (hasCode(err, ErrorCode.Corrupt)) continue;
        throw err;
      }
      if (existing.epoch !== head.epoch || existing.gatewayId !== head.gatewayId) {
        throw new TidegateError(ErrorCode.VolumeOwned, `volume ${this.descriptor.name}: head ${head.headNo} was committed by gateway ${existing.gatewayId} (epoch ${existing.epoch}); this gateway was fenced out`);
      }
      this.head = existing;
      if (existing.lastSeq === head.lastSeq && existing.lastObjectNo === head.lastObjectNo && existing.checkpointObjectNo === head.checkpointObjectNo) {
        return existing;
      }
    }
  }

  /**
   * Confirm this gateway still owns the volume; VOLUME_OWNED when `owner.json` names a newer
   * epoch or another gateway (a forced takeover happened). Store errors pass through.
   */
  async checkOwner(): Promise<void> {
    const current = await readOwner(this.store, this.keys.owner);
    if (!current || current.epoch !== this.owner.epoch || current.gatewayId !== this.owner.gatewayId) {
      throw new TidegateError(
        ErrorCode.VolumeOwned,
        `volume ${this.descriptor.name} was taken over by gateway ${current?.gatewayId ?? '(none)'} (epoch ${current?.epoch ?? '?'}); this gateway was fenced out`,
      );
    }
  }

  /** Write a checkpoint of the current map, covering objects 1..objNo. */
  async writeCheckpoint(objNo: number): Promise<void> {
    await this.store.put(this.keys.checkpoint(objNo), this.map.serialize());
  }

  /** Apply a data object's extents to the map, in order. */
  applyObject(header: DataObjectHeader): void {
    applyExtents(this.map, header);
  }

  /**
   * Delete old heads of the current epoch, keeping the newest few. Heads at or below the
   * epoch's first head are kept for good: they are what a fenced-out owner collides with.
   */
  private async pruneHeads(newest: VolumeHead): Promise<void> {
    const heads = await this.store.list(this.keys.headsPrefix);
    for (const info of heads) {
      const no = parseHeadKey(info.key);
      if (no !== undefined && no > newest.epochHeadNo && no <= newest.headNo - HEADS_KEPT) await this.store.delete(info.key);
    }
  }

  private static async newestHead(store: ObjectStore, keys: ReturnType<typeof volumeKeys>, d: VolumeDescriptor): Promise<{ head: VolumeHead; highestHeadNo: number }> {
    const heads = (await store.list(keys.headsPrefix))
      .map((i) => ({ key: i.key, no: parseHeadKey(i.key) }))
      .filter((h): h is { key: string; no: number } => h.no !== undefined)
      .sort((a, b) => b.no - a.no);
    const highestHeadNo = heads.length > 0 ? heads[0]!.no : 0;
    for (const h of heads) {
      try {
        const head = parseVolumeHead(await store.get(h.key), h.key);
        if (head.volumeId === d.volumeId && head.headNo === h.no) return { head, highestHeadNo };
      } catch (err) {
        if (!hasCode(err, ErrorCode.Corrupt) && !hasCode(err, ErrorCode.NotFound)) throw err;
      }
    }
    throw new TidegateError(ErrorCode.Corrupt, `volume ${d.name}: no valid head in ${store.description}`);
  }

  private static async loadMap(store: ObjectStore, keys: ReturnType<typeof volumeKeys>, head: VolumeHead): Promise<BlockMap> {
    const map = head.checkpointObjectNo > 0
      ? BlockMap.deserialize(await store.get(keys.checkpoint(head.checkpointObjectNo)), keys.checkpoint(head.checkpointObjectNo))
      : new BlockMap();
    const first = head.checkpointObjectNo + 1;
    const nos: number[] = [];
    for (let n = first; n <= head.lastObjectNo; n++) nos.push(n);
    // Fetch headers several at a time, apply strictly in object order.
    const headers = new Array<DataObjectHeader>(nos.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < nos.length) {
        const i = next++;
        const objNo = nos[i]!;
        const key = keys.object(objNo, epochOfObject(head.epochStarts, objNo));
        headers[i] = await readObjectHeader(store, key);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, nos.length) }, worker));
    for (const h of headers) applyExtents(map, h);
    return map;
  }
}

/** Fetch and decode a data object's header with one or two ranged GETs. */
export async function readObjectHeader(store: ObjectStore, key: string): Promise<DataObjectHeader> {
  let buf = await store.get(key, { offset: 0, length: OBJECT_HEADER_PROBE_BYTES });
  const headerBytes = peekHeaderBytes(buf, key);
  if (headerBytes > buf.length) buf = await store.get(key, { offset: 0, length: headerBytes });
  return decodeDataObjectHeader(buf, key);
}

function applyExtents(map: BlockMap, h: DataObjectHeader): void {
  for (const e of h.extents) {
    if (e.kind === ExtentKind.Zero) map.clearRange(e.firstBlock, e.blockCount);
    else map.setRun(e.firstBlock, e.blockCount, h.objNo, e.dataBlock);
  }
}
