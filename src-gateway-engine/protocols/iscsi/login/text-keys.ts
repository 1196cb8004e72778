/**
 * The iSCSI text format (RFC 7143 §6.1): a data segment of `key=value` pairs, each one
 * followed by a NUL; the segment may end in padding NULs. Keys are case-sensitive, at most
 * 63 bytes of letters, digits and `.-+@_`; values are UTF-8.
 *
 * Value types used by login: decimal / `0x` hex numbers, `0x` hex or `0b` base64 binary
 * strings (CHAP), `Yes`/`No` booleans and comma-separated lists.
 */

/** Why a text segment or a value was refused. */
export type TextKeyErrorReason =
  | 'missing-equals'
  | 'empty-key'
  | 'invalid-key'
  | 'key-too-long'
  | 'value-too-long'
  | 'duplicate-key'
  | 'invalid-utf8'
  | 'too-many-keys'
  | 'unterminated'
  | 'empty-pair'
  | 'bad-number'
  | 'bad-binary'
  | 'bad-boolean'
  | 'bad-list';

/** A malformed text segment or value; the login/text layer answers it with an initiator error. */
export class TextKeyError extends Error {
  override name = 'TextKeyError';
  constructor(
    readonly reason: TextKeyErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** Bounds applied while parsing. */
export interface TextKeyLimits {
  /** Most pairs in one (reassembled) segment. */
  maxKeys: number;
  /** RFC 7143 §6.1: key names MUST NOT exceed 63 bytes. */
  maxKeyBytes: number;
  /** Bound for ordinary values (bytes of UTF-8). */
  maxValueBytes: number;
  /** Bound for the keys in `longValueKeys` (encoded large-binary values). */
  maxLongValueBytes: number;
  /** Keys whose values are large-binary authentication items. */
  longValueKeys: ReadonlySet<string>;
}

/** Defaults: 8 KiB per value; CHAP_C/CHAP_R may use up to 64 KiB (RFC 7143 §6.1, long authentication items). */
export const DEFAULT_TEXT_KEY_LIMITS: Readonly<TextKeyLimits> = Object.freeze({
  maxKeys: 256,
  maxKeyBytes: 63,
  maxValueBytes: 8192,
  maxLongValueBytes: 65536,
  longValueKeys: new Set(['CHAP_C', 'CHAP_R']),
});

// RFC 7143 §6.1 key-name characters.
const KEY_NAME = /^[A-Za-z0-9.\-+@_]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a complete text segment into an ordered map; throws {@link TextKeyError}. */
export function parseTextKeys(data: Buffer, limits?: Partial<TextKeyLimits>): Map<string, string> {
  const lim = { ...DEFAULT_TEXT_KEY_LIMITS, ...limits };
  // Trailing NULs are padding; whatever precedes them must be NUL-terminated pairs.
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  const out = new Map<string, string>();
  if (end === 0) return out;
  if (end === data.length) throw new TextKeyError('unterminated', 'last key=value pair is not NUL-terminated');

  let pos = 0;
  while (pos < end) {
    const nul = data.indexOf(0, pos);
    if (nul === pos) throw new TextKeyError('empty-pair', `empty key=value pair at offset ${pos}`);
    const pair = data.subarray(pos, nul);
    pos = nul + 1;

    const eq = pair.indexOf(0x3d); // '='
    if (eq < 0) throw new TextKeyError('missing-equals', `pair without "=" at offset ${nul - pair.length}`);
    if (eq === 0) throw new TextKeyError('empty-key', 'pair with an empty key');
    if (eq > lim.maxKeyBytes) throw new TextKeyError('key-too-long', `key longer than ${lim.maxKeyBytes} bytes`);
    const key = decode(pair.subarray(0, eq));
    if (!KEY_NAME.test(key)) throw new TextKeyError('invalid-key', `key "${key}" has characters outside [A-Za-z0-9.-+@_]`);
    const valueBytes = pair.length - eq - 1;
    const maxValue = lim.longValueKeys.has(key) ? lim.maxLongValueBytes : lim.maxValueBytes;
    if (valueBytes > maxValue) throw new TextKeyError('value-too-long', `value of ${key} is ${valueBytes} bytes (max ${maxValue})`);
    if (out.has(key)) throw new TextKeyError('duplicate-key', `key ${key} appears twice`);
    if (out.size >= lim.maxKeys) throw new TextKeyError('too-many-keys', `more than ${lim.maxKeys} keys`);
    out.set(key, decode(pair.subarray(eq + 1)));
  }
  return out;
}

function decode(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TextKeyError('invalid-utf8', 'text is not valid UTF-8');
  }
}

/** Encodes pairs as `key=value\0…` (no padding). Repeated keys are kept (SendTargets needs them). */
export function encodeTextKeys(pairs: Iterable<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of pairs) {
    if (!KEY_NAME.test(key) || Buffer.byteLength(key) > DEFAULT_TEXT_KEY_LIMITS.maxKeyBytes) {
      throw new TextKeyError('invalid-key', `cannot encode key "${key}"`);
    }
    if (value.includes('\0')) throw new TextKeyError('empty-pair', `value of ${key} contains NUL`);
    parts.push(Buffer.from(`${key}=${value}\0`, 'utf8'));
  }
  return Buffer.concat(parts);
}

/**
 * Parses a numerical value: decimal, or `0x`/`0X` hex (RFC 7143 §6.1). Leading zeros are
 * accepted (initiators differ). Throws unless `min ≤ n ≤ max` and n is a safe integer.
 */
export function parseNumber(value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  let n: number;
  if (/^0[xX][0-9a-fA-F]{1,13}$/.test(value)) n = parseInt(value.slice(2), 16);
  else if (/^[0-9]{1,16}$/.test(value)) n = Number(value);
  else throw new TextKeyError('bad-number', `"${value}" is not a number`);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new TextKeyError('bad-number', `${value} is outside ${min}..${max}`);
  }
  return n;
}

/**
 * Decodes a binary string: `0x` hex (odd digit counts get an implicit leading 0) or `0b`
 * base64, either prefix case (RFC 7143 §6.1). Hex digits may be upper or lower case
 * (libiscsi sends upper, open-iscsi lower).
 */
export function parseBinary(value: string): Buffer {
  const prefix = value.slice(0, 2);
  const body = value.slice(2);
  if (prefix === '0x' || prefix === '0X') {
    if (!/^[0-9a-fA-F]+$/.test(body)) throw new TextKeyError('bad-binary', 'malformed hex constant');
    return Buffer.from(body.length % 2 === 1 ? `0${body}` : body, 'hex');
  }
  if (prefix === '0b' || prefix === '0B') {
    // Strict base64: Buffer.from would silently skip junk characters.
    if (body.length === 0 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
      throw new TextKeyError('bad-binary', 'malformed base64 constant');
    }
    return Buffer.from(body, 'base64');
  }
  throw new TextKeyError('bad-binary', 'binary value must start with 0x or 0b');
}

/** Encodes bytes as a lower-case `0x` hex constant. */
export function formatHex(bytes: Buffer): string {
  return `0x${bytes.toString('hex')}`;
}

/** Parses `Yes` / `No` (case-sensitive, as the RFC spells them). */
export function parseBoolean(value: string): boolean {
  if (value === 'Yes') return true;
  if (value === 'No') return false;
  throw new TextKeyError('bad-boolean', `"${value}" is not Yes or No`);
}

/** Formats a boolean as `Yes` / `No`. */
export function formatBoolean(value: boolean): 'Yes' | 'No' {
  return value ? 'Yes' : 'No';
}

/** Splits a comma-separated list; empty items are malformed. */
export function parseList(value: string): string[] {
  const items = value.split(',');
  if (items.some((i) => i.length === 0)) throw new TextKeyError('bad-list', `"${value}" has an empty list item`);
  return items;
}
