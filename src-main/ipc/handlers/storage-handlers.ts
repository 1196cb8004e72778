/** Cache and upload-buffer space, and the upload bandwidth limit and its weekly schedule. */
import type { BandwidthScheduleEntry, StorageConfigureParams } from '../../../src-gateway-engine/index.js';
import type { ConsoleDeps, RegisterHandler } from './console-deps.js';
import { invalid, optionalNumber, requestObject } from './request-checks.js';

const MAX_BYTES = Number.MAX_SAFE_INTEGER;

export function registerStorageHandlers(register: RegisterHandler, deps: ConsoleDeps): void {
  register('storage.describe', () => deps.engine('storage.describe', {}));
  register('storage.configure', async (req) => {
    const o = requestObject(req, 'storage.configure');
    const cacheBytes = optionalNumber(o, 'cacheBytes', 1, MAX_BYTES);
    const uploadBufferBytes = optionalNumber(o, 'uploadBufferBytes', 1, MAX_BYTES);
    const params: StorageConfigureParams = { ...(cacheBytes !== undefined ? { cacheBytes } : {}), ...(uploadBufferBytes !== undefined ? { uploadBufferBytes } : {}) };
    return deps.engine('storage.configure', params);
  });

  register('bandwidth.get', () => deps.engine('bandwidth.get', {}));
  register('bandwidth.configure', async (req) => {
    const o = requestObject(req, 'bandwidth.configure');
    const bytesPerSec = optionalNumber(o, 'bytesPerSec', 0, MAX_BYTES);
    let schedule: BandwidthScheduleEntry[] | undefined;
    if (o.schedule !== undefined) {
      if (!Array.isArray(o.schedule) || o.schedule.length > 200) throw invalid('schedule must be a list of at most 200 windows');
      // The engine validates days, times and overlaps; here only the shape, so nothing unexpected reaches it.
      schedule = o.schedule.map((e, i) => {
        const w = requestObject(e, `schedule[${i}]`);
        return { days: w.days as number[], start: w.start as string, end: w.end as string, bytesPerSec: w.bytesPerSec as number };
      });
    }
    return deps.engine('bandwidth.configure', { ...(bytesPerSec !== undefined ? { bytesPerSec } : {}), ...(schedule !== undefined ? { schedule } : {}) });
  });
}
