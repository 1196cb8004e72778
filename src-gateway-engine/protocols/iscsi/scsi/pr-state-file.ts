import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, TidegateError } from '../../../errors/index.js';
import { isPrType, type PrTypeCode } from './reservation-types.js';

/**
 * Persistent reservation state and its file, for APTPL (activate persist through power loss).
 *
 * The file is JSON: `{"format":"tidegate-pr","version":1,"registrations":[...],"reservation":...}`
 * with keys as 16 hex digits. It is replaced atomically: write a temp file, fsync it, rename
 * it over the old one, fsync the directory. After a crash at any point the file holds either
 * the previous state or the new one, never a mix. When APTPL is turned off the file is
 * removed (and the directory fsync'ed), so a restart starts with no reservations.
 * A file we cannot read is an error, not an empty state: silently dropping a cluster's
 * reservations could let two nodes write the same disk.
 */

/** One registered I_T nexus (or, with ALL_TG_PT / a name-only TransportID, a set of them). */
export interface PrRegistration {
  readonly initiatorName: string;
  /** 12 lower-case hex digits; null = every ISID of the initiator (SPEC_I_PT with a format 00b TransportID). */
  readonly isid: string | null;
  readonly relativeTargetPortId: number;
  readonly targetPortalGroupTag: number;
  /** Registered through every target port (ALL_TG_PT=1). */
  readonly allTgPt: boolean;
  key: bigint;
}

/** The persistent reservation. `holder` is null for the all-registrants types (every registrant holds it). */
export interface PrReservation {
  readonly holder: PrRegistration | null;
  readonly type: PrTypeCode;
  readonly scope: number;
}

/** Everything APTPL preserves. */
export interface PrState {
  registrations: PrRegistration[];
  reservation: PrReservation | null;
}

const FORMAT = 'tidegate-pr';
const VERSION = 1;

interface FileRegistration {
  initiatorName: string;
  isid: string | null;
  relativeTargetPortId: number;
  targetPortalGroupTag: number;
  allTgPt: boolean;
  key: string;
}

interface FileState {
  format: string;
  version: number;
  registrations: FileRegistration[];
  reservation: { holder: number | null; type: number; scope: number } | null;
}

/** Serialise a state (holder as an index into the registrations). */
export function encodePrState(state: PrState): string {
  const file: FileState = {
    format: FORMAT,
    version: VERSION,
    registrations: state.registrations.map((r) => ({
      initiatorName: r.initiatorName,
      isid: r.isid,
      relativeTargetPortId: r.relativeTargetPortId,
      targetPortalGroupTag: r.targetPortalGroupTag,
      allTgPt: r.allTgPt,
      key: r.key.toString(16).padStart(16, '0'),
    })),
    reservation:
      state.reservation === null
        ? null
        : {
            holder: state.reservation.holder === null ? null : state.registrations.indexOf(state.reservation.holder),
            type: state.reservation.type,
            scope: state.reservation.scope,
          },
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

function corrupt(path: string, why: string): TidegateError {
  return new TidegateError(ErrorCode.Corrupt, `persistent reservation state ${path}: ${why}`);
}

/** Parse a state file's text; throws TidegateError(Corrupt) with one line saying why. */
export function decodePrState(text: string, path = 'state'): PrState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt(path, 'not JSON');
  }
  const f = raw as Partial<FileState>;
  if (f === null || typeof f !== 'object' || f.format !== FORMAT) throw corrupt(path, 'not a persistent reservation file');
  if (f.version !== VERSION) throw corrupt(path, `unsupported version ${String(f.version)}`);
  if (!Array.isArray(f.registrations)) throw corrupt(path, 'no registration list');
  const registrations: PrRegistration[] = f.registrations.map((r, i) => {
    const ok =
      typeof r.initiatorName === 'string' &&
      r.initiatorName.length > 0 &&
      (r.isid === null || (typeof r.isid === 'string' && /^[0-9a-f]{12}$/.test(r.isid))) &&
      Number.isInteger(r.relativeTargetPortId) &&
      Number.isInteger(r.targetPortalGroupTag) &&
      typeof r.allTgPt === 'boolean' &&
      typeof r.key === 'string' &&
      /^[0-9a-f]{16}$/.test(r.key);
    if (!ok) throw corrupt(path, `registration ${i} is malformed`);
    return {
      initiatorName: r.initiatorName,
      isid: r.isid,
      relativeTargetPortId: r.relativeTargetPortId,
      targetPortalGroupTag: r.targetPortalGroupTag,
      allTgPt: r.allTgPt,
      key: BigInt(`0x${r.key}`),
    };
  });
  let reservation: PrReservation | null = null;
  if (f.reservation !== null && f.reservation !== undefined) {
    const { holder, type, scope } = f.reservation;
    if (!isPrType(type) || scope !== 0) throw corrupt(path, 'reservation type or scope is malformed');
    if (holder === null) {
      reservation = { holder: null, type, scope };
    } else {
      const reg = Number.isInteger(holder) ? registrations[holder] : undefined;
      if (reg === undefined) throw corrupt(path, 'reservation holder is not a registration');
      reservation = { holder: reg, type, scope };
    }
  }
  return { registrations, reservation };
}

/** Read the state at `path`; null when there is no file (APTPL was never on, or was turned off). */
export function loadPrState(path: string): PrState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TidegateError(ErrorCode.IoError, `cannot read persistent reservation state ${path}`, { cause: err });
  }
  return decodePrState(text, path);
}

function fsyncDirectory(dir: string): void {
  // Directories cannot be fsync'ed through fs/promises on every platform; a sync fd works everywhere we run.
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replace the file with `state` atomically (temp file, fsync, rename, directory fsync). */
export async function savePrState(path: string, state: PrState): Promise<void> {
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(encodePrState(state), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  fsyncDirectory(dirname(path));
}

/** Remove the file (APTPL turned off): a restart then begins with no registrations. */
export async function removePrState(path: string): Promise<void> {
  await rm(path, { force: true });
  fsyncDirectory(dirname(path));
}
