/**
 * The create-volume form: its draft, and the checks the engine will make, made early so the
 * administrator sees them next to the field (name rules, 4 KiB-multiple size, per-mode size
 * limits, CHAP secret lengths). Mirrors src-gateway-engine's rules; the engine stays the judge.
 */
import type { VolumeCreateRequest } from '../../../../src-main/ipc/ipc-contract.js';
import { sizeToBytes, type SizeDraft } from '../../components/format/size-units.js';

export interface VolumeFormDraft {
  name: string;
  size: SizeDraft;
  mode: 'cached' | 'stored';
  diskPath: string;
  iscsiTargetName: string;
  chapEnabled: boolean;
  chapUser: string;
  chapSecret: string;
  mutualChapEnabled: boolean;
  mutualChapUser: string;
  mutualChapSecret: string;
  nbdExport: boolean;
}

export type VolumeFormField = keyof VolumeFormDraft;

export const INITIAL_VOLUME_FORM: VolumeFormDraft = {
  name: '',
  size: { amount: '100', unit: 'GiB' },
  mode: 'cached',
  diskPath: '',
  iscsiTargetName: '',
  chapEnabled: false,
  chapUser: '',
  chapSecret: '',
  mutualChapEnabled: false,
  mutualChapUser: '',
  mutualChapSecret: '',
  nbdExport: true,
};

const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const BLOCK_SIZE = 4096;
/** Largest volumes (engine's MAX_CACHED_VOLUME_BYTES / MAX_STORED_VOLUME_BYTES). */
export const MAX_VOLUME_BYTES = { cached: 32 * 1024 ** 4, stored: 16 * 1024 ** 4 } as const;
const CHAP_SECRET_MIN = 12;
const CHAP_SECRET_MAX = 16;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const ISCSI_NAME = /^(iqn\.\d{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[\x21-\x7e]+)?|eui\.[0-9a-f]{16}|naa\.([0-9a-f]{16}|[0-9a-f]{32}))$/i;

/** The default iSCSI target name the engine gives a volume. */
export function defaultTargetName(name: string): string {
  return `iqn.2026-11.dev.tidegate:${name || '<name>'}`;
}

function nameProblem(name: string, existing: readonly string[]): string | null {
  if (name === '') return 'Enter a volume name.';
  if (name.length > 63) return `At most 63 characters (this is ${name.length}).`;
  if (/[A-Z]/.test(name)) return 'Use lowercase letters: the name is also the NBD export and part of the iSCSI target name.';
  if (!NAME_RE.test(name)) return 'Use lowercase letters, digits and "-", not starting or ending with "-".';
  if (existing.includes(name)) return `A volume named ${name} already exists.`;
  return null;
}

function secretProblem(label: string, secret: string): string | null {
  if (secret.length < CHAP_SECRET_MIN || secret.length > CHAP_SECRET_MAX) return `The ${label} must be ${CHAP_SECRET_MIN} to ${CHAP_SECRET_MAX} characters long (it is ${secret.length}).`;
  if (!PRINTABLE_ASCII.test(secret)) return `The ${label} may only contain printable ASCII characters without spaces.`;
  return null;
}

function userProblem(label: string, user: string): string | null {
  if (user === '') return `Enter the ${label}.`;
  if (!PRINTABLE_ASCII.test(user)) return `The ${label} may only contain printable ASCII characters without spaces.`;
  if (user.length > 255) return `The ${label} must be at most 255 characters.`;
  return null;
}

export interface VolumeFormCheck {
  errors: Partial<Record<VolumeFormField, string>>;
  /** The request to send, when there is no error. */
  request: VolumeCreateRequest | null;
}

export function checkVolumeForm(d: VolumeFormDraft, existingNames: readonly string[]): VolumeFormCheck {
  const errors: Partial<Record<VolumeFormField, string>> = {};
  const set = (field: VolumeFormField, problem: string | null) => {
    if (problem) errors[field] = problem;
  };
  set('name', nameProblem(d.name, existingNames));

  const sizeBytes = sizeToBytes(d.size);
  if (sizeBytes === null) set('size', 'Enter a size greater than 0.');
  else if (sizeBytes % BLOCK_SIZE !== 0) set('size', 'The size must be a whole number of 4 KiB blocks.');
  else if (sizeBytes > MAX_VOLUME_BYTES[d.mode]) set('size', `A ${d.mode} volume can be at most ${MAX_VOLUME_BYTES[d.mode] / 1024 ** 4} TiB.`);

  if (d.mode === 'stored' && d.diskPath.trim() === '') set('diskPath', 'A stored volume needs the local file or block device that holds its data.');
  if (d.iscsiTargetName.trim() !== '' && !ISCSI_NAME.test(d.iscsiTargetName.trim())) set('iscsiTargetName', 'Not an iSCSI name: use iqn.YYYY-MM.reversed.domain[:id], eui.<16 hex> or naa.<hex>.');

  if (d.chapEnabled) {
    set('chapUser', userProblem('CHAP user name', d.chapUser));
    set('chapSecret', secretProblem('CHAP secret', d.chapSecret));
    if (d.mutualChapEnabled) {
      set('mutualChapUser', userProblem('target user name', d.mutualChapUser));
      set('mutualChapSecret', secretProblem('target secret', d.mutualChapSecret) ?? (d.mutualChapSecret === d.chapSecret ? 'The target secret must differ from the CHAP secret.' : null));
    }
  }

  if (Object.keys(errors).length > 0 || sizeBytes === null) return { errors, request: null };
  const request: VolumeCreateRequest = { name: d.name, sizeBytes, mode: d.mode, nbdExport: d.nbdExport };
  if (d.mode === 'stored') request.diskPath = d.diskPath.trim();
  if (d.iscsiTargetName.trim() !== '') request.iscsiTargetName = d.iscsiTargetName.trim();
  if (d.chapEnabled) {
    request.chap = { user: d.chapUser, secret: d.chapSecret, ...(d.mutualChapEnabled ? { mutualUser: d.mutualChapUser, mutualSecret: d.mutualChapSecret } : {}) };
  }
  return { errors, request };
}

/** Field order, for "the first problem" shown next to a disabled submit button. */
export const VOLUME_FORM_FIELD_ORDER: VolumeFormField[] = ['name', 'size', 'mode', 'diskPath', 'iscsiTargetName', 'chapUser', 'chapSecret', 'mutualChapUser', 'mutualChapSecret'];
