/**
 * Volume names become NBD export names, iSCSI IQN suffixes
 * (iqn.2025-01.io.tidegate:<gateway>:<volume>) and object-store key segments, so they are
 * restricted to what is safe in all three: 1–63 characters of lowercase letters, digits
 * and '-', neither starting nor ending with '-' (a DNS label).
 */
import { ErrorCode, TidegateError } from '../errors/index.js';

/** Longest allowed volume name. */
export const VOLUME_NAME_MAX_LENGTH = 63;

const VOLUME_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** True when `name` is a valid volume name. */
export function isValidVolumeName(name: unknown): name is string {
  return typeof name === 'string' && VOLUME_NAME_RE.test(name);
}

/** Returns `name` if valid; otherwise throws INVALID_ARGUMENT saying what is wrong. */
export function validateVolumeName(name: unknown): string {
  if (isValidVolumeName(name)) return name;
  throw new TidegateError(ErrorCode.InvalidArgument, `invalid volume name ${describe(name)}: ${explain(name)}`);
}

function describe(name: unknown): string {
  return typeof name === 'string' ? JSON.stringify(name) : `(${name === null ? 'null' : typeof name})`;
}

function explain(name: unknown): string {
  const rule = 'use 1-63 lowercase letters, digits and "-", not starting or ending with "-"';
  if (typeof name !== 'string') return `expected a string; ${rule}`;
  if (name.length === 0) return `empty; ${rule}`;
  if (name.length > VOLUME_NAME_MAX_LENGTH) return `${name.length} characters is too long (at most ${VOLUME_NAME_MAX_LENGTH})`;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c >= 'A' && c <= 'Z') {
      // Suggest only a name that is itself valid ("Bad_Name" → "bad-name", never "bad_name").
      const fixed = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
      return `uppercase letters are not allowed${isValidVolumeName(fixed) ? ` (try ${JSON.stringify(fixed)})` : `; ${rule}`}`;
    }
    if (!/[a-z0-9-]/.test(c)) return `character ${JSON.stringify(c)} at position ${i + 1} is not allowed; ${rule}`;
  }
  return 'must not start or end with "-"';
}
