/**
 * Volumes: list, create (with its iSCSI access in one step), delete (the name typed again),
 * iSCSI access, and a sync whose progress is pushed as `volumes.syncProgress` events.
 */
import type { CreateVolumeParams, IscsiAccessParams, RecoveryPoint } from '../../../src-gateway-engine/index.js';
import { ConsoleError } from '../console-error.js';
import type { SyncProgress, VolumeCreateRequest } from '../ipc-contract.js';
import type { ConsoleDeps, EmitEvent, RegisterHandler } from './console-deps.js';
import { invalid, optionalBoolean, optionalString, requestObject, requiredNumber, requiredString } from './request-checks.js';

/** How often a running sync reports progress. */
const SYNC_PROGRESS_MS = 1_000;

export function registerVolumeHandlers(register: RegisterHandler, emit: EmitEvent, deps: ConsoleDeps): void {
  register('volumes.list', () => deps.engine('volume.list', {}));

  register('volumes.create', async (req) => {
    const r = volumeCreateRequest(req);
    const params: CreateVolumeParams = {
      name: r.name,
      sizeBytes: r.sizeBytes,
      mode: r.mode,
      ...(r.diskPath !== undefined ? { diskPath: r.diskPath } : {}),
      ...(r.iscsiTargetName !== undefined ? { iscsiTargetName: r.iscsiTargetName } : {}),
      ...(r.nbdExport !== undefined ? { nbdExport: r.nbdExport } : {}),
    };
    const created = await deps.engine('volume.create', params);
    if (r.chap === undefined) return created;
    try {
      return await deps.engine('volume.iscsi', { name: created.name, chap: r.chap });
    } catch (err) {
      // One step for the administrator: a volume whose CHAP was refused is not left behind half-configured.
      await deps.engine('volume.delete', { name: created.name }).catch(() => undefined);
      throw err;
    }
  });

  register('volumes.delete', async (req) => {
    const o = requestObject(req, 'volumes.delete');
    const name = requiredString(o, 'name', 256);
    if (o.confirmName !== name) throw new ConsoleError('CONFIRMATION_MISMATCH', `type the volume's name (${name}) exactly to delete it`);
    return deps.engine('volume.delete', { name });
  });

  register('volumes.setIscsiAccess', async (req) => {
    const o = requestObject(req, 'volumes.setIscsiAccess');
    const params: IscsiAccessParams = { name: requiredString(o, 'name', 256) };
    if (o.chap !== undefined) params.chap = o.chap === null ? null : chapOf(o.chap);
    if (o.allowedInitiators !== undefined) {
      if (!Array.isArray(o.allowedInitiators) || !o.allowedInitiators.every((n) => typeof n === 'string')) throw invalid('allowedInitiators must be a list of initiator names');
      params.allowedInitiators = o.allowedInitiators as string[];
    }
    return deps.engine('volume.iscsi', params);
  });

  register('volumes.sync', async (req) => {
    const name = requiredString(requestObject(req, 'volumes.sync'), 'name', 256);
    return syncWithProgress(name, emit, deps);
  });
}

/** Run `volume.sync`, pushing progress from the volume's not-yet-uploaded bytes. */
async function syncWithProgress(name: string, emit: EmitEvent, deps: ConsoleDeps): Promise<RecoveryPoint> {
  const queued = async (): Promise<number> => {
    const v = (await deps.engine('volume.list', {})).find((x) => x.name === name);
    if (v === undefined) throw new ConsoleError('NOT_FOUND', `no volume named ${name}`);
    return v.metrics.QueuedWrites;
  };
  const totalBytes = await queued();
  const progress = (p: Partial<SyncProgress>): void =>
    emit('volumes.syncProgress', { name, phase: 'running', totalBytes, remainingBytes: totalBytes, recoveryPoint: null, error: null, ...p });
  progress({});
  let polling = false;
  let finished = false; // a poll still under way when the sync ends must not report `running` after `done`/`failed`
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    queued()
      .then((remaining) => {
        if (!finished) progress({ remainingBytes: Math.min(remaining, totalBytes) });
      })
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, SYNC_PROGRESS_MS);
  try {
    const recoveryPoint = await deps.engine('volume.sync', { name });
    finished = true;
    progress({ phase: 'done', remainingBytes: 0, recoveryPoint });
    return recoveryPoint;
  } catch (err) {
    finished = true;
    progress({ phase: 'failed', error: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    clearInterval(timer);
  }
}

function volumeCreateRequest(req: unknown): VolumeCreateRequest {
  const o = requestObject(req, 'volumes.create');
  const mode = o.mode ?? 'cached';
  if (mode !== 'cached' && mode !== 'stored') throw invalid('mode must be cached or stored');
  const diskPath = optionalString(o, 'diskPath', 4096);
  if (mode === 'stored' && diskPath === undefined) throw invalid('a stored volume needs the path of its local disk or file');
  const iscsiTargetName = optionalString(o, 'iscsiTargetName', 223);
  const nbdExport = optionalBoolean(o, 'nbdExport');
  return {
    name: requiredString(o, 'name', 256),
    sizeBytes: requiredNumber(o, 'sizeBytes', 1, Number.MAX_SAFE_INTEGER),
    mode,
    ...(diskPath !== undefined ? { diskPath } : {}),
    ...(iscsiTargetName !== undefined ? { iscsiTargetName } : {}),
    ...(o.chap !== undefined && o.chap !== null ? { chap: chapOf(o.chap) } : {}),
    ...(nbdExport !== undefined ? { nbdExport } : {}),
  };
}

function chapOf(v: unknown): NonNullable<VolumeCreateRequest['chap']> {
  const c = requestObject(v, 'chap');
  const mutualUser = optionalString(c, 'mutualUser', 256);
  const mutualSecret = optionalString(c, 'mutualSecret', 256);
  if ((mutualUser === undefined) !== (mutualSecret === undefined)) throw invalid('mutual CHAP needs both a user and a secret');
  return {
    user: requiredString(c, 'user', 256),
    secret: requiredString(c, 'secret', 256),
    ...(mutualUser !== undefined ? { mutualUser, mutualSecret: mutualSecret! } : {}),
  };
}
