/**
 * The object-store layout of a volume, mirrored from docs/formats/remote.md. Constants and
 * key names only. Everything of a volume lives under `volumes/<name>/`:
 *
 *   volume.json                      descriptor, written once (create-only)
 *   owner.json                       the owning gateway and its epoch (fencing)
 *   objects/<objNo:16x>-<epoch:8x>   immutable data objects (header + 4 KiB blocks)
 *   checkpoints/<objNo:16x>          block-map checkpoint covering objects 1..objNo
 *   heads/<headNo:16x>               volume heads, create-only; the newest valid one is
 *                                    the recovery point
 */

export const BLOCK_SIZE = 4096;

/** Data object: first 8 bytes. */
export const OBJECT_SIGNATURE = Buffer.from('TGOBJ\r\n\x1a', 'latin1');
export const OBJECT_FORMAT_VERSION = 1;
/** Fixed part of a data object header; extents follow, then padding to a 4 KiB boundary. */
export const OBJECT_FIXED_HEADER_BYTES = 64;
export const OBJECT_EXTENT_BYTES = 16;
// fixed header: signature(8) version u32 @8, headerBytes u32 @12, objNo u64 @16, firstSeq u64 @24,
// lastSeq u64 @32, extentCount u32 @40, dataCrc u32 @44, epoch u32 @48, reserved @52..55,
// extentsCrc u32 @56, fixedCrc u32 @60 (CRC-32 of bytes 0..59).
// extent: firstBlock u64 @0, blockCount u32 @8, kind u8 @12, reserved @13..15.

export const ExtentKind = {
  /** blockCount blocks of data, stored in order in the data region. */
  Data: 1,
  /** blockCount blocks that read as zeroes and hold no data (trim or write-zeroes). */
  Zero: 2,
} as const;
export type ExtentKind = (typeof ExtentKind)[keyof typeof ExtentKind];

/** Block-map checkpoint: first 8 bytes. */
export const CHECKPOINT_SIGNATURE = Buffer.from('TGMAP\r\n\x1a', 'latin1');
/** 2 added sparse pages (kind 2); version 1 checkpoints are still read. */
export const CHECKPOINT_FORMAT_VERSION = 2;

export const HEAD_FORMAT = 'tidegate-head';
export const HEAD_FORMAT_VERSION = 1;
export const VOLUME_FORMAT = 'tidegate-volume';
export const VOLUME_FORMAT_VERSION = 1;

export const VOLUMES_PREFIX = 'volumes/';

/** Keys of one volume. */
export function volumeKeys(name: string) {
  const base = `${VOLUMES_PREFIX}${name}/`;
  return {
    base,
    descriptor: `${base}volume.json`,
    owner: `${base}owner.json`,
    objectsPrefix: `${base}objects/`,
    object: (objNo: number, epoch: number) =>
      `${base}objects/${objNo.toString(16).padStart(16, '0')}-${epoch.toString(16).padStart(8, '0')}`,
    checkpoint: (objNo: number) => `${base}checkpoints/${objNo.toString(16).padStart(16, '0')}`,
    headsPrefix: `${base}heads/`,
    head: (headNo: number) => `${base}heads/${headNo.toString(16).padStart(16, '0')}`,
  } as const;
}

/** Head number from a head key, or undefined. */
export function parseHeadKey(key: string): number | undefined {
  const m = /\/heads\/([0-9a-f]{16})$/.exec(key);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}
