import type { LuProfile } from './lu-profile.js';
import { Op, ReceiveCopyResults } from './opcodes.js';
import { ScsiStatus, type ItNexus, type ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * INQUIRY (SPC-4 6.6): the standard data and the vital product data pages. Every value is
 * derived from the LuProfile, so INQUIRY, the VPD pages and READ CAPACITY always agree.
 * CHECK CONDITIONs are thrown as ScsiCheckCondition; the dispatcher encodes them.
 */

/** What the device server can do beyond the basics; INQUIRY only advertises what exists. */
export interface InquiryCaps {
  /** EXTENDED COPY / RECEIVE COPY RESULTS are implemented: set 3PC and list VPD page 0x8F. */
  readonly thirdPartyCopy: boolean;
  /**
   * REPORT TARGET PORT GROUPS is implemented: TPGS = 01b (implicit ALUA). Off by default,
   * because an initiator that sees TPGS set insists on RTPG.
   */
  readonly implicitAlua?: boolean;
  /** Limits reported in the 0x8F page (defaults: one segment, two CSCDs, no inline data). */
  readonly copyLimits?: ThirdPartyCopyLimits;
}

/** EXTENDED COPY limits for the Third-party Copy VPD page (SPC-4 7.8.17). */
export interface ThirdPartyCopyLimits {
  readonly maxCscdDescriptors: number;
  readonly maxSegmentDescriptors: number;
  readonly maxDescriptorListLength: number;
  /** Largest segment, in bytes. */
  readonly maxSegmentBytes: number;
}

/** The target port a command arrived on (an ItNexus will do). */
export type TargetPort = Pick<ItNexus, 'relativeTargetPortId' | 'targetPortalGroupTag'>;

/**
 * Target port group of a target port: one group per iSCSI target portal group. REPORT TARGET
 * PORT GROUPS must use this same mapping.
 */
export function targetPortGroupOf(port: TargetPort): number {
  return port.targetPortalGroupTag & 0xffff;
}

const DEFAULT_PORT: TargetPort = { relativeTargetPortId: 1, targetPortalGroupTag: 1 };

const DEFAULT_COPY_LIMITS: ThirdPartyCopyLimits = {
  maxCscdDescriptors: 2,
  maxSegmentDescriptors: 1,
  maxDescriptorListLength: 1024,
  maxSegmentBytes: 8 * 1024 * 1024,
};

/** Version descriptors (SPC-4 table 30): SAM-5, iSCSI, SPC-4, SBC-3, no particular revision. */
const VERSION_DESCRIPTORS = [0x00a0, 0x0960, 0x0460, 0x04c0];

const STANDARD_LENGTH = 96;

/** VPD page codes. */
export const VpdPage = {
  Supported: 0x00,
  UnitSerialNumber: 0x80,
  DeviceIdentification: 0x83,
  ExtendedInquiry: 0x86,
  ThirdPartyCopy: 0x8f,
  BlockLimits: 0xb0,
  BlockDeviceCharacteristics: 0xb1,
  LogicalBlockProvisioning: 0xb2,
} as const;

/** Run an INQUIRY CDB. */
export function inquiry(cdb: Buffer, profile: LuProfile, caps: InquiryCaps, port: TargetPort = DEFAULT_PORT): ScsiResponse {
  if (cdb.length < 6) throw invalidFieldInCdb(0);
  const evpd = (cdb[1]! & 0x01) !== 0;
  // CmdDt was made obsolete by SPC-3; a device claiming SPC-4 rejects it.
  if ((cdb[1]! & 0x02) !== 0) throw invalidFieldInCdb(1, 1);
  const pageCode = cdb[2]!;
  const allocationLength = cdb.readUInt16BE(3);
  let data: Buffer;
  if (!evpd) {
    // With EVPD=0 the PAGE CODE field must be zero (SPC-4 6.6.1).
    if (pageCode !== 0) throw invalidFieldInCdb(2);
    data = standardInquiry(profile, caps);
  } else {
    const page = vpdPage(pageCode, profile, caps, port);
    if (page === undefined) throw invalidFieldInCdb(2);
    data = page;
  }
  return { status: ScsiStatus.Good, dataIn: data.length > allocationLength ? data.subarray(0, allocationLength) : data };
}

/** The VPD pages this LU reports, in ascending order (SPC-4 requires it). */
export function supportedVpdPages(caps: InquiryCaps): number[] {
  const pages: number[] = [
    VpdPage.Supported,
    VpdPage.UnitSerialNumber,
    VpdPage.DeviceIdentification,
    VpdPage.ExtendedInquiry,
  ];
  if (caps.thirdPartyCopy) pages.push(VpdPage.ThirdPartyCopy);
  pages.push(VpdPage.BlockLimits, VpdPage.BlockDeviceCharacteristics, VpdPage.LogicalBlockProvisioning);
  return pages;
}

/** Printable ASCII, space padded to `width` (SPC-4 4.4.1 allows only 0x20-0x7E). */
function ascii(text: string, width: number): Buffer {
  const out = Buffer.alloc(width, 0x20);
  for (let i = 0; i < Math.min(text.length, width); i++) {
    const c = text.charCodeAt(i);
    out[i] = c >= 0x20 && c <= 0x7e ? c : 0x3f;
  }
  return out;
}

function standardInquiry(profile: LuProfile, caps: InquiryCaps): Buffer {
  const b = Buffer.alloc(STANDARD_LENGTH);
  b[0] = 0x00; // peripheral qualifier 0 (connected), direct-access block device
  b[1] = 0x00; // not removable
  b[2] = 0x06; // SPC-4
  b[3] = 0x10 | 0x02; // HISUP, response data format 2
  b[4] = STANDARD_LENGTH - 5;
  b[5] = (caps.implicitAlua === true ? 0x10 : 0x00) | (caps.thirdPartyCopy ? 0x08 : 0x00);
  b[6] = 0x00;
  b[7] = 0x02; // CMDQUE: the transport queues commands (SIMPLE task attribute)
  ascii(profile.vendor, 8).copy(b, 8);
  ascii(profile.product, 16).copy(b, 16);
  ascii(profile.revision, 4).copy(b, 32);
  VERSION_DESCRIPTORS.forEach((v, i) => b.writeUInt16BE(v, 58 + i * 2));
  return b;
}

function vpdPage(code: number, profile: LuProfile, caps: InquiryCaps, port: TargetPort): Buffer | undefined {
  if (!supportedVpdPages(caps).includes(code)) return undefined;
  switch (code) {
    case VpdPage.Supported:
      return page(code, Buffer.from(supportedVpdPages(caps)));
    case VpdPage.UnitSerialNumber:
      return page(code, ascii(profile.serial, profile.serial.length));
    case VpdPage.DeviceIdentification:
      return page(code, deviceIdentification(profile, port));
    case VpdPage.ExtendedInquiry:
      return page(code, extendedInquiry());
    case VpdPage.ThirdPartyCopy:
      return page(code, thirdPartyCopy(caps.copyLimits ?? DEFAULT_COPY_LIMITS));
    case VpdPage.BlockLimits:
      return page(code, blockLimits(profile));
    case VpdPage.BlockDeviceCharacteristics:
      return page(code, blockDeviceCharacteristics());
    case VpdPage.LogicalBlockProvisioning:
      return page(code, logicalBlockProvisioning());
    default:
      return undefined;
  }
}

/** A VPD page: device type, page code, 16-bit PAGE LENGTH, body. */
function page(code: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[1] = code;
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

const CodeSet = { Binary: 1, Ascii: 2, Utf8: 3 } as const;
const Association = { LogicalUnit: 0, TargetPort: 1, TargetDevice: 2 } as const;
const DesignatorType = { T10Vendor: 1, Naa: 3, RelativeTargetPort: 4, TargetPortGroup: 5, ScsiName: 8 } as const;
const PROTOCOL_ISCSI = 5;

function designator(codeSet: number, association: number, type: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  // PIV=1 with the iSCSI protocol identifier for port and device designators; LU ones are protocol-neutral.
  const piv = association === Association.LogicalUnit ? 0 : 0x80;
  h[0] = (piv !== 0 ? PROTOCOL_ISCSI << 4 : 0) | codeSet;
  h[1] = piv | (association << 4) | type;
  h[3] = value.length;
  return Buffer.concat([h, value]);
}

/** A SCSI name string: UTF-8, NUL terminated, padded to a multiple of 4 (SPC-4 7.8.6.11). */
function scsiName(name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  const length = Math.min(252, (utf8.length + 1 + 3) & ~3);
  const out = Buffer.alloc(length);
  utf8.copy(out, 0, 0, Math.min(utf8.length, length - 1));
  return out;
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(value & 0xffff, 2);
  return b;
}

/**
 * Device Identification (0x83): the LU's NAA id (what multipath software keys on; identical
 * on every path), a T10 vendor id, then the port the command came in on (its iSCSI name with
 * TPGT, relative port and port group, as Windows MPIO and Linux ALUA read them), then the
 * target device's iSCSI name.
 */
function deviceIdentification(profile: LuProfile, port: TargetPort): Buffer {
  const tpgt = (port.targetPortalGroupTag & 0xffff).toString(16).padStart(4, '0');
  return Buffer.concat([
    designator(CodeSet.Binary, Association.LogicalUnit, DesignatorType.Naa, profile.naa),
    designator(
      CodeSet.Ascii,
      Association.LogicalUnit,
      DesignatorType.T10Vendor,
      Buffer.concat([ascii(profile.vendor, 8), ascii(profile.serial, Math.min(profile.serial.length, 64))]),
    ),
    designator(CodeSet.Utf8, Association.TargetPort, DesignatorType.ScsiName, scsiName(`${profile.targetName},t,0x${tpgt}`)),
    designator(CodeSet.Binary, Association.TargetPort, DesignatorType.RelativeTargetPort, u16(port.relativeTargetPortId)),
    designator(CodeSet.Binary, Association.TargetPort, DesignatorType.TargetPortGroup, u16(targetPortGroupOf(port))),
    designator(CodeSet.Utf8, Association.TargetDevice, DesignatorType.ScsiName, scsiName(profile.targetName)),
  ]);
}

/**
 * Extended INQUIRY Data (0x86): SIMPLE task attribute, a volatile write cache (SYNCHRONIZE
 * CACHE matters), and unit attentions cleared per I_T nexus (LUICLR).
 */
function extendedInquiry(): Buffer {
  const b = Buffer.alloc(0x3c);
  b[1] = 0x01; // SIMPSUP
  b[2] = 0x01; // V_SUP
  b[3] = 0x01; // LUICLR
  return b;
}

/** Block Limits (0xB0, SBC-3 6.5.3): page length 0x3C as SBC-3 requires. */
function blockLimits(p: LuProfile): Buffer {
  const b = Buffer.alloc(0x3c);
  const at = (offset: number): number => offset - 4;
  b[at(4)] = 0x00; // WSNZ=0: WRITE SAME with zero blocks means "to the end"
  b[at(5)] = Math.min(255, p.maxCompareAndWriteBlocks);
  b.writeUInt16BE(Math.min(0xffff, p.optimalGranularityBlocks), at(6));
  b.writeUInt32BE(p.maxTransferBlocks >>> 0, at(8));
  b.writeUInt32BE(p.maxTransferBlocks >>> 0, at(12)); // optimal transfer length
  b.writeUInt32BE(0, at(16)); // maximum prefetch length: not reported
  b.writeUInt32BE(p.maxUnmapBlocks >>> 0, at(20));
  b.writeUInt32BE(p.maxUnmapDescriptors >>> 0, at(24));
  b.writeUInt32BE(p.optimalGranularityBlocks >>> 0, at(28));
  b.writeUInt32BE(0x80000000, at(32)); // UGAVALID, alignment 0
  b.writeBigUInt64BE(BigInt(p.maxWriteSameBlocks), at(36));
  b.writeUInt32BE(p.maxAtomicTransferBlocks >>> 0, at(44));
  b.writeUInt32BE(0, at(48)); // atomic alignment: none
  b.writeUInt32BE(0, at(52)); // atomic transfer length granularity: none
  return b;
}

/** Block Device Characteristics (0xB1): non-rotating medium. */
function blockDeviceCharacteristics(): Buffer {
  const b = Buffer.alloc(0x3c);
  b.writeUInt16BE(0x0001, 0);
  return b;
}

/**
 * Logical Block Provisioning (0xB2): thin provisioned; UNMAP, WRITE SAME(16) and WRITE
 * SAME(10) with UNMAP deallocate, and deallocated blocks read back as zeros (LBPRZ=1).
 */
function logicalBlockProvisioning(): Buffer {
  const b = Buffer.alloc(4);
  b[0] = 0; // threshold exponent: no thresholds
  b[1] = 0x80 | 0x40 | 0x20 | 0x04; // LBPU, LBPWS, LBPWS10, LBPRZ=001b
  b[2] = 0x02; // provisioning type: thin
  return b;
}

function descriptor(type: number, body: Buffer): Buffer {
  const padded = Buffer.alloc((body.length + 3) & ~3);
  body.copy(padded);
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(padded.length, 2);
  return Buffer.concat([h, padded]);
}

/** Third-party Copy (0x8F): what EXTENDED COPY (LID1) supports. */
function thirdPartyCopy(limits: ThirdPartyCopyLimits): Buffer {
  const commands = Buffer.from([
    Op.ExtendedCopy, 1, 0x00,
    Op.ReceiveCopyResults, 2, ReceiveCopyResults.CopyStatus, ReceiveCopyResults.OperatingParameters,
  ]);
  const supportedCommands = descriptor(0x0001, Buffer.concat([Buffer.from([commands.length]), commands]));
  const parameters = Buffer.alloc(0x1c);
  parameters.writeUInt16BE(limits.maxCscdDescriptors, 4);
  parameters.writeUInt16BE(limits.maxSegmentDescriptors, 6);
  parameters.writeUInt32BE(limits.maxDescriptorListLength, 8);
  parameters.writeUInt32BE(0, 12); // no inline data
  const parameterData = descriptor(0x0004, parameters);
  // Block-to-block segments (0x02) between identification-descriptor CSCDs (0xE4).
  const supportedDescriptors = descriptor(0x0008, Buffer.from([2, 0x02, 0xe4]));
  const general = Buffer.alloc(0x20);
  general.writeUInt32BE(1, 0); // total concurrent copies
  general.writeUInt32BE(1, 4); // maximum identified concurrent copies
  general.writeUInt32BE(limits.maxSegmentBytes, 8);
  const generalCopy = descriptor(0x8001, general);
  return Buffer.concat([supportedCommands, parameterData, supportedDescriptors, generalCopy]);
}
