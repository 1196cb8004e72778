import { createHash } from 'node:crypto';

/**
 * Everything a logical unit reports about itself (INQUIRY, VPD pages, READ CAPACITY, block
 * limits), computed once from the volume so that every page agrees with every other.
 */
export interface LuProfile {
  /** T10 vendor identification, 8 ASCII bytes. */
  readonly vendor: string;
  /** Product identification, 16 ASCII bytes. */
  readonly product: string;
  /** Product revision level, 4 ASCII bytes. */
  readonly revision: string;
  /** Unit serial number (VPD 0x80): stable per volume. */
  readonly serial: string;
  /** NAA IEEE Registered Extended (type 6) identifier, 16 bytes: stable and unique per volume (VPD 0x83). */
  readonly naa: Buffer;
  /** The target's iSCSI name, reported as a SCSI name string designator. */
  readonly targetName: string;
  /** Logical block length in bytes (512). */
  readonly blockLength: number;
  /**
   * Logical blocks per physical block exponent. 0: each 512-byte block is addressable on its
   * own as far as provisioning goes (GET LBA STATUS answers per logical block); the 4 KiB
   * preference is announced as the optimal transfer granularity instead.
   */
  readonly physicalBlockExponent: number;
  /** Number of logical blocks. */
  readonly blockCount: number;
  /** Largest READ/WRITE transfer, in logical blocks (VPD B0 MAXIMUM TRANSFER LENGTH). */
  readonly maxTransferBlocks: number;
  /** Optimal transfer granularity in logical blocks (one volume block). */
  readonly optimalGranularityBlocks: number;
  /** Largest UNMAP range count and block count per command. */
  readonly maxUnmapBlocks: number;
  readonly maxUnmapDescriptors: number;
  /** Largest WRITE SAME, in logical blocks. */
  readonly maxWriteSameBlocks: number;
  /** Largest COMPARE AND WRITE, in logical blocks. */
  readonly maxCompareAndWriteBlocks: number;
  /** Largest WRITE ATOMIC(16), in logical blocks (0 = not supported). */
  readonly maxAtomicTransferBlocks: number;
  readonly readOnly: boolean;
}

export interface LuProfileInput {
  /** The volume's permanent id (a UUID): the NAA id and serial derive from it, so they never change. */
  volumeId: string;
  targetName: string;
  sizeBytes: number;
  /** Largest request the device accepts in one call, in bytes. */
  maxRequestBytes: number;
  productRevision: string;
  readOnly?: boolean;
}

/**
 * IEEE company id in our NAA designators. 0xAC2DE5 is not an assigned OUI of ours; NAA 6
 * requires one, so identifiers are derived under a fixed value and documented in
 * docs/iscsi.md. The vendor-specific 100 bits are a hash of the volume id.
 */
const COMPANY_ID = 0xac2de5;

export function makeLuProfile(input: LuProfileInput): LuProfile {
  const blockLength = 512;
  const digest = createHash('sha256').update(`tidegate-volume:${input.volumeId}`).digest();
  const naa = Buffer.alloc(16);
  // NAA 6 (4 bits) | IEEE company id (24 bits) | vendor specific id (36 + 64 bits).
  naa[0] = 0x60 | ((COMPANY_ID >> 20) & 0x0f);
  naa[1] = (COMPANY_ID >> 12) & 0xff;
  naa[2] = (COMPANY_ID >> 4) & 0xff;
  naa[3] = ((COMPANY_ID & 0x0f) << 4) | (digest[0]! & 0x0f);
  digest.copy(naa, 4, 1, 13);
  const maxTransferBlocks = Math.floor(Math.min(input.maxRequestBytes, 8 * 1024 * 1024) / blockLength);
  return Object.freeze({
    vendor: 'TIDEGATE',
    product: 'VOLUME',
    revision: input.productRevision.slice(0, 4),
    serial: digest.subarray(13, 29).toString('hex'),
    naa,
    targetName: input.targetName,
    blockLength,
    physicalBlockExponent: 0,
    blockCount: Math.floor(input.sizeBytes / blockLength),
    maxTransferBlocks,
    optimalGranularityBlocks: 8,
    maxUnmapBlocks: 0xffffffff,
    maxUnmapDescriptors: 256,
    // At most 16 bits, WRITE SAME(10)'s own limit, so one value serves both CDB sizes.
    maxWriteSameBlocks: Math.min(0xffff, maxTransferBlocks * 16),
    maxCompareAndWriteBlocks: 255,
    maxAtomicTransferBlocks: Math.min(maxTransferBlocks, 2048),
    readOnly: input.readOnly ?? false,
  });
}
