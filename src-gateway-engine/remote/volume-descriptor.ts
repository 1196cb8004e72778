import { ErrorCode, TidegateError } from '../errors/index.js';
import { VOLUME_FORMAT, VOLUME_FORMAT_VERSION } from './remote-format.js';

export type VolumeMode = 'cached' | 'stored';

/** What a volume is, as written once to `volume.json` in the store. */
export interface VolumeDescriptor {
  format: typeof VOLUME_FORMAT;
  version: number;
  name: string;
  volumeId: string;
  sizeBytes: number;
  blockSize: number;
  mode: VolumeMode;
  createdAt: string;
}

/** Parse and check a descriptor read from the store. */
export function parseVolumeDescriptor(raw: Buffer, key: string): VolumeDescriptor {
  let v: Partial<VolumeDescriptor>;
  try {
    v = JSON.parse(raw.toString('utf8')) as Partial<VolumeDescriptor>;
  } catch (err) {
    throw new TidegateError(ErrorCode.Corrupt, `${key} is not valid JSON`, { cause: err });
  }
  if (v.format !== VOLUME_FORMAT || v.version !== VOLUME_FORMAT_VERSION) {
    throw new TidegateError(ErrorCode.Corrupt, `${key} has format ${String(v.format)} v${String(v.version)}, expected ${VOLUME_FORMAT} v${VOLUME_FORMAT_VERSION}`);
  }
  if (typeof v.name !== 'string' || typeof v.volumeId !== 'string' || !Number.isSafeInteger(v.sizeBytes) || (v.mode !== 'cached' && v.mode !== 'stored')) {
    throw new TidegateError(ErrorCode.Corrupt, `${key} is missing required fields`);
  }
  return v as VolumeDescriptor;
}
