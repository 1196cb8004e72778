/** What an administrator may call a gateway and which time zones it may be in (spec: name 1–64 printable characters, a valid IANA zone). */
import { ControlError } from '../errors/control-error.js';

const MAX_NAME_CHARS = 64;
/** Control, format, surrogate, unassigned and private-use characters, and line/paragraph separators, are not printable. */
const UNPRINTABLE_RE = /[\p{C}\p{Zl}\p{Zp}]/u;

/** The name, unchanged, if it is 1–64 printable characters not starting or ending with a space; else INVALID_ARGUMENT. */
export function checkGatewayName(name: string): string {
  const chars = [...name].length;
  if (chars < 1 || chars > MAX_NAME_CHARS) throw new ControlError('INVALID_ARGUMENT', `name must be 1-${MAX_NAME_CHARS} characters (got ${chars})`);
  if (UNPRINTABLE_RE.test(name)) throw new ControlError('INVALID_ARGUMENT', 'name must contain printable characters only');
  if (name.trim() !== name) throw new ControlError('INVALID_ARGUMENT', 'name must not start or end with white space');
  return name;
}

/** The IANA zone name as given (spelled as the zone database spells it when only its case differs); INVALID_ARGUMENT for anything else. */
export function checkTimeZone(timezone: string): string {
  const bad = new ControlError('INVALID_ARGUMENT', `timezone must be an IANA time zone such as "Europe/Paris" (got ${JSON.stringify(timezone)})`);
  // Only zone names: Intl would also take offsets such as "+01:00" on newer engines.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(timezone) || timezone.length > 64) throw bad;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw bad;
  }
  // Keep the given name: ICU's "canonical" form can be an old alias (Asia/Kolkata → Asia/Calcutta).
  return knownZones().get(timezone.toLowerCase()) ?? timezone;
}

let zonesByLowerCase: Map<string, string> | null = null;

function knownZones(): Map<string, string> {
  zonesByLowerCase ??= new Map([...Intl.supportedValuesOf('timeZone'), 'UTC'].map((z) => [z.toLowerCase(), z]));
  return zonesByLowerCase;
}
