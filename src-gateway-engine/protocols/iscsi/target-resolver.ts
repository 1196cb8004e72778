import type { TargetAccessPolicy } from './login/index.js';
import type { LogicalUnit } from './scsi/scsi-contract.js';

/** One iSCSI target: a volume exported as LUN 0. */
export interface IscsiTarget {
  /** The target's iSCSI name (IQN). */
  readonly name: string;
  readonly alias?: string;
  /** CHAP and initiator access control for logins to this target. */
  readonly access: TargetAccessPolicy;
  /** Logical block length of LUN 0 in bytes (a write's EDTL is reconciled in whole blocks). */
  readonly blockLength: number;
  /** The logical unit behind LUN 0, shared by every session to this target. */
  readonly lun0: LogicalUnit;
}

/** How the iSCSI server finds targets; asked at every login, so volumes may come and go. */
export interface TargetResolver {
  lookup(name: string): IscsiTarget | undefined;
  list(): IscsiTarget[];
}
