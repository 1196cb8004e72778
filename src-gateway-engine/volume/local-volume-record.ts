/**
 * The gateway's catalog entry for one volume: DATA_DIR/volumes/<name>/local.json (0600, as it
 * holds CHAP secrets), written atomically by the engine. Records written by older versions
 * lack the newer fields; readers treat a missing field as its default:
 *
 *   iscsiTargetName   absent → the default target name, iqn.2026-11.dev.tidegate:<name>
 *   nbdExport         absent → true (the volume is offered over NBD as <name>)
 *   iscsi             absent → no CHAP, any initiator
 */
import type { IscsiAccessParams } from '../runtime/engine-commands.js';

/** CHAP settings as stored (secrets included). */
export type ChapSettings = NonNullable<IscsiAccessParams['chap']>;

/** One volume as this gateway knows it. */
export interface LocalVolumeRecord {
  name: string;
  volumeId: string;
  mode: 'cached' | 'stored';
  diskPath: string | null;
  /** iSCSI access settings (secrets stay in this 0600 file only). */
  iscsi?: { chap?: ChapSettings; allowedInitiators?: string[] };
  /** The volume's iSCSI target name (lower case); absent = the default for its name. */
  iscsiTargetName?: string;
  /** Offered over NBD; absent = true. */
  nbdExport?: boolean;
}

/** The record in `text`, or undefined when it is not a usable record (a half-written or foreign file). */
export function parseLocalVolumeRecord(text: string): LocalVolumeRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.name !== 'string' || typeof r.volumeId !== 'string' || (r.mode !== 'cached' && r.mode !== 'stored')) return undefined;
  if (r.diskPath !== null && typeof r.diskPath !== 'string') return undefined;
  const out = { ...r } as unknown as LocalVolumeRecord;
  // A field of the wrong type is treated as absent (its default), never as a reason to lose the volume.
  if (typeof r.iscsiTargetName !== 'string' || r.iscsiTargetName === '') delete out.iscsiTargetName;
  if (typeof r.nbdExport !== 'boolean') delete out.nbdExport;
  return out;
}

/** True when the volume is offered over NBD. */
export function isNbdExported(record: LocalVolumeRecord): boolean {
  return record.nbdExport !== false;
}
