/**
 * Target names an administrator may choose (RFC 3720 §3.2.6): written in the normalised form
 * initiators compare against — lower case, at most 223 bytes — and in one of the three formats:
 *
 *   iqn.YYYY-MM.reversed.domain[:anything]   e.g. iqn.2001-04.com.example:storage.disk2
 *   eui.<16 hex digits>                      e.g. eui.02004567a425678d
 *   naa.<16 or 32 hex digits>                e.g. naa.52004567ba64678d
 *
 * Characters are limited to ASCII letters, digits, '-', '.' and ':' (the RFC's punctuation;
 * its non-ASCII characters are left out so every initiator and shell can type the name).
 */
import { ErrorCode, TidegateError } from '../../errors/index.js';

/** Longest iSCSI name, in bytes (RFC 3720 §3.2.6.1). */
export const MAX_ISCSI_NAME_BYTES = 223;

const IQN = /^iqn\.(\d{4})-(\d{2})\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[a-z0-9.:-]+)?$/;
const EUI = /^eui\.[0-9a-f]{16}$/;
const NAA = /^naa\.([0-9a-f]{16}|[0-9a-f]{32})$/;

/** Why `name` cannot be a target name, or undefined when it can. */
export function iscsiTargetNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'it must be a non-empty string';
  if (Buffer.byteLength(name) > MAX_ISCSI_NAME_BYTES) return `it is ${Buffer.byteLength(name)} bytes long; iSCSI names are at most ${MAX_ISCSI_NAME_BYTES}`;
  if (name !== name.toLowerCase()) return `iSCSI names are written in lower case (use ${JSON.stringify(name.toLowerCase())})`;
  const bad = /[^a-z0-9.:-]/.exec(name);
  if (bad !== null) return `character ${JSON.stringify(bad[0])} is not allowed (use letters, digits, "-", "." and ":")`;
  if (name.startsWith('iqn.')) {
    const m = IQN.exec(name);
    if (m === null) return 'an iqn name is iqn.YYYY-MM.reversed.domain[:identifier], e.g. iqn.2001-04.com.example:storage.disk2';
    const month = Number(m[2]);
    if (month < 1 || month > 12) return `${m[1]}-${m[2]} is not a year and month`;
    return undefined;
  }
  if (name.startsWith('eui.')) return EUI.test(name) ? undefined : 'an eui name is eui. followed by 16 hex digits, e.g. eui.02004567a425678d';
  if (name.startsWith('naa.')) return NAA.test(name) ? undefined : 'a naa name is naa. followed by 16 or 32 hex digits, e.g. naa.52004567ba64678d';
  return 'an iSCSI name starts with iqn., eui. or naa.';
}

/** Returns `name` when it is a valid target name; otherwise throws INVALID_ARGUMENT saying why. */
export function validateIscsiTargetName(name: unknown): string {
  const problem = iscsiTargetNameProblem(name);
  if (problem === undefined) return name as string;
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}…` : name) : `(${name === null ? 'null' : typeof name})`;
  throw new TidegateError(ErrorCode.InvalidArgument, `invalid iSCSI target name ${shown}: ${problem}`);
}
