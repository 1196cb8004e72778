/**
 * Activation keys as people type them: 12 characters of Crockford base32 shown as
 * `XXXX-XXXX-XXXX` (docs/control-plane.md § Activation). Typing is forgiving: any case,
 * dashes and spaces anywhere, `O` reads as `0`, `I` and `L` as `1`. `U` is not in the
 * alphabet and never matches. Stores hold the normalised form (12 upper-case characters).
 */
import { randomInt } from 'node:crypto';

/** The Crockford base32 alphabet (no I, L, O, U). */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Characters in a normalised activation key. */
export const ACTIVATION_KEY_LENGTH = 12;

const LOOKALIKES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };

/** The normalised key (12 upper-case Crockford base32 characters), or null if `text` is not one. */
export function normaliseActivationKey(text: string): string | null {
  let out = '';
  for (const raw of text.toUpperCase()) {
    if (raw === '-' || raw === ' ') continue;
    const ch = LOOKALIKES[raw] ?? raw;
    if (!CROCKFORD_ALPHABET.includes(ch)) return null;
    out += ch;
    if (out.length > ACTIVATION_KEY_LENGTH) return null;
  }
  return out.length === ACTIVATION_KEY_LENGTH ? out : null;
}

/** A normalised key shown in groups of four: `K7QF-M2XD-9TRC`. */
export function formatActivationKey(normalised: string): string {
  if (normaliseActivationKey(normalised) !== normalised) throw new TypeError('not a normalised activation key');
  return `${normalised.slice(0, 4)}-${normalised.slice(4, 8)}-${normalised.slice(8, 12)}`;
}

/** A fresh random key in normalised form (60 bits from the CSPRNG). */
export function newActivationKey(): string {
  let out = '';
  for (let i = 0; i < ACTIVATION_KEY_LENGTH; i++) out += CROCKFORD_ALPHABET[randomInt(CROCKFORD_ALPHABET.length)];
  return out;
}
