import { MemoryDevice } from '../../../../device/memory-device.js';
import { createBlockLogicalUnit } from '../block-logical-unit.js';
import { makeLuProfile, type LuProfile } from '../lu-profile.js';
import type { ItNexus, LogicalUnit, ScsiResponse } from '../scsi-contract.js';
import { decodeSense, type Sense } from '../sense.js';

/** Test harness: a block LU over a MemoryDevice, and CDB builders. */

export const BS = 512;

export function nexus(name = 'iqn.2024-01.test:a', isid = '400001370000'): ItNexus {
  return { id: `${name},i,0x${isid},1`, initiatorName: name, isid, relativeTargetPortId: 1, targetPortalGroupTag: 1 };
}

export interface Harness {
  lu: LogicalUnit;
  device: MemoryDevice;
  profile: LuProfile;
  a: ItNexus;
  run(cdb: Buffer | number[], dataOut?: Buffer, from?: ItNexus): Promise<ScsiResponse>;
}

export function harness(options: { blocks?: number; readOnly?: boolean; maxRequestBytes?: number } = {}): Harness {
  const blocks = options.blocks ?? 4096;
  const device = new MemoryDevice({ size: blocks * BS, chunkSize: 4096 });
  const profile = makeLuProfile({
    volumeId: '7b0c6f3e-0000-4000-8000-000000000001',
    targetName: 'iqn.2024-01.dev.tidegate:vol1',
    sizeBytes: blocks * BS,
    maxRequestBytes: options.maxRequestBytes ?? 1024 * 1024,
    productRevision: '0001',
    readOnly: options.readOnly ?? false,
  });
  const lu = createBlockLogicalUnit({ device, profile });
  const a = nexus();
  lu.nexusAdded(a);
  const h: Harness = {
    lu,
    device,
    profile,
    a,
    run: (cdb, dataOut = Buffer.alloc(0), from = a) => {
      const c = Buffer.alloc(16);
      Buffer.from(cdb).copy(c);
      return lu.execute({ cdb: c, lun: 0, nexus: from, dataOut, expectedDataInLength: 0, taskAttribute: 1 });
    },
  };
  return h;
}

/** Clear the POWER ON unit attention a fresh nexus gets. */
export async function clearUa(h: Harness, from?: ItNexus): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const r = await h.run([0x00, 0, 0, 0, 0, 0], undefined, from);
    if (r.status === 0) return;
  }
  throw new Error('unit attentions never cleared');
}

export function senseOf(r: ScsiResponse): Sense {
  const s = r.sense === undefined ? undefined : decodeSense(r.sense);
  if (s === undefined) throw new Error(`no sense in response with status ${r.status}`);
  return s;
}

export function cdb10(op: number, lba: number, blocks: number, byte1 = 0): number[] {
  return [op, byte1, (lba >>> 24) & 0xff, (lba >>> 16) & 0xff, (lba >>> 8) & 0xff, lba & 0xff, 0, (blocks >> 8) & 0xff, blocks & 0xff, 0];
}

export function cdb16(op: number, lba: bigint | number, blocks: number, byte1 = 0): number[] {
  const c = Buffer.alloc(16);
  c[0] = op;
  c[1] = byte1;
  c.writeBigUInt64BE(BigInt.asUintN(64, BigInt(lba)), 2);
  c.writeUInt32BE(blocks >>> 0, 10);
  return [...c];
}

export function pattern(blocks: number, seed: number): Buffer {
  const b = Buffer.alloc(blocks * BS);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}
