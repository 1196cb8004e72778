import type { BlockDevice } from '../../device/block-device.js';
import type { Logger } from '../nbd/logger.js';
import type { TargetAccessPolicy } from './login/index.js';
import { createBlockLogicalUnit } from './scsi/block-logical-unit.js';
import { makeLuProfile } from './scsi/lu-profile.js';
import type { LogicalUnit } from './scsi/scsi-contract.js';
import type { IscsiTarget, TargetResolver } from './target-resolver.js';

/** The IQN prefix of every Tidegate target: the volume name follows the colon. */
export const TARGET_IQN_PREFIX = 'iqn.2026-11.dev.tidegate:';

/** The target name of a volume. */
export function targetNameOf(volume: string): string {
  return `${TARGET_IQN_PREFIX}${volume}`;
}

/** What the table needs to know of one exported volume. */
export interface ExportedVolume {
  name: string;
  /** The target's iSCSI name, lower-case; default `targetNameOf(name)`. */
  targetName?: string;
  /** Permanent id: the LU's NAA identifier and serial derive from it. */
  volumeId: string;
  device: BlockDevice;
  access: Omit<TargetAccessPolicy, 'name'>;
  /** Where persistent reservations with APTPL are kept. */
  reservationStatePath: string;
}

/**
 * Volumes as iSCSI targets: one target per volume, LUN 0, named by the volume's target name
 * (iSCSI names compare case-insensitively: lookups are lower-cased). The logical unit of a
 * volume is made once and kept while the volume stays the same, so reservations and unit
 * attentions are shared by every session and survive reconnects.
 */
export class TargetTable implements TargetResolver {
  private readonly units = new Map<string, { volumeId: string; targetName: string; device: BlockDevice; lu: LogicalUnit; blockLength: number }>();

  constructor(
    /** `byTargetName` gets the lower-cased target name a login asks for. */
    private readonly volumes: { byTargetName(targetName: string): ExportedVolume | undefined; list(): ExportedVolume[] },
    private readonly options: { maxRequestBytes: number; productRevision: string; logger?: Logger },
  ) {}

  lookup(name: string): IscsiTarget | undefined {
    const volume = this.volumes.byTargetName(name.toLowerCase());
    return volume === undefined ? undefined : this.targetOf(volume);
  }

  list(): IscsiTarget[] {
    return this.volumes.list().map((v) => this.targetOf(v));
  }

  /** Forget a volume's logical unit (the volume was deleted or reopened). */
  forget(volume: string): void {
    this.units.delete(volume);
  }

  private targetOf(volume: ExportedVolume): IscsiTarget {
    const name = volume.targetName ?? targetNameOf(volume.name);
    let unit = this.units.get(volume.name);
    if (unit === undefined || unit.volumeId !== volume.volumeId || unit.device !== volume.device || unit.targetName !== name) {
      const profile = makeLuProfile({
        volumeId: volume.volumeId,
        targetName: name,
        sizeBytes: volume.device.size,
        maxRequestBytes: this.options.maxRequestBytes,
        productRevision: this.options.productRevision,
      });
      const lu = createBlockLogicalUnit({
        device: volume.device,
        profile,
        reportLuns: () => [0],
        reservationStatePath: volume.reservationStatePath,
        ...(this.options.logger !== undefined ? { logger: this.options.logger } : {}),
      });
      unit = { volumeId: volume.volumeId, targetName: name, device: volume.device, lu, blockLength: profile.blockLength };
      this.units.set(volume.name, unit);
    }
    return { name, alias: volume.name, access: { name, ...volume.access }, blockLength: unit.blockLength, lun0: unit.lu };
  }
}
