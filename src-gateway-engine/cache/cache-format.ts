/**
 * On-disk format of the local block cache, mirrored from docs/formats/cache.md. Constants only.
 *
 * A cache directory holds a data file `cache.data` (slot `s` is the `blockSize` bytes at
 * offset `s * blockSize`; sparse, no header) and, only between a clean close and the next
 * open, an index file `cache.index`: a 64-byte header, a volume-name table, then
 * `entryCount` 16-byte entries in LRU order (least recent first), then a CRC-32 trailer.
 * All integers little-endian; 64-bit values as lo/hi u32.
 */

/** The data file: slots only. */
export const DATA_FILE_NAME = 'cache.data';
/** The index file: present only after a clean close; deleted by open before serving. */
export const INDEX_FILE_NAME = 'cache.index';
/** Written first, then renamed over INDEX_FILE_NAME. */
export const INDEX_TEMP_FILE_NAME = 'cache.index.tmp';

/** First 8 bytes of the index file. */
export const INDEX_SIGNATURE = Buffer.from('TGCIX\r\n\x1a', 'latin1');
/** Bumped on any incompatible change; open ignores (and deletes) other versions. */
export const INDEX_FORMAT_VERSION = 1;
export const INDEX_HEADER_BYTES = 64;
// index header: signature(8) version u32 @8, blockSize u32 @12, slotCount u64 @16,
// dataFileSize u64 @24, dataFileIno u64 @32, dataFileMtimeNs u64 @40,
// volumeCount u32 @48, reserved u32 @52 (0), entryCount u64 @56.

// volume table (volumeCount times, right after the header): byteLength u16, UTF-8 name.
/** Longest volume id the index can record, in UTF-8 bytes. */
export const INDEX_MAX_VOLUME_ID_BYTES = 0xffff;

export const INDEX_ENTRY_BYTES = 16;
// entry: volumeIndex u32 @0, slot u32 @4, blockIndex u64 @8 (lo u32 @8, hi u32 @12).

export const INDEX_TRAILER_BYTES = 4;
// trailer: CRC-32 (IEEE, zlib.crc32) of every byte before it.

/** Default block (slot) size in bytes. */
export const DEFAULT_BLOCK_SIZE = 4096;
/** Smallest and largest accepted block sizes (both powers of two). */
export const MIN_BLOCK_SIZE = 512;
export const MAX_BLOCK_SIZE = 1024 * 1024;
/** Slots are addressed with signed 32-bit links in memory; the cache holds at most this many. */
export const MAX_SLOTS = 0x7fff_fffe;
