/**
 * CHAP for the target side (RFC 1994; RFC 7143 §12.1.3), one instance per login:
 *
 *   await-algorithm ──CHAP_A list containing 5──▶ (send CHAP_A=5, CHAP_I, CHAP_C) await-response
 *   await-response ──CHAP_N + CHAP_R correct──▶ passed (mutual: also send CHAP_N, CHAP_R)
 *   anything else ──▶ failed (one-shot: a failed or finished exchange never verifies again)
 *
 * Response = MD5(CHAP_I as one byte ‖ secret ‖ challenge bytes). Our challenge is fresh
 * random bytes per login, so a response captured from an earlier login never verifies.
 * For mutual CHAP the initiator's challenge must not be one we issued (reflection, RFC 7143
 * §12.1.3) nor one any initiator used recently ({@link ChapChallengeRegistry}, shared by all
 * connections), and it must be at least 16 bytes: open-iscsi sends 16 for MD5, libiscsi 32.
 */
import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { formatHex, parseBinary, parseList, parseNumber } from './text-keys.js';

/** CHAP algorithm number of MD5 (the only one Windows speaks). */
export const CHAP_MD5 = 5;
/** RFC 7143 §12.1.3: C and R binary length MUST NOT exceed 1024 bytes. */
const MAX_CHAP_BINARY = 1024;

/** Secrets for one direction (and optionally the other). */
export interface ChapCredentials {
  /** CHAP_N the initiator must send. */
  user: string;
  /** Secret the initiator proves it knows. */
  secret: string;
  /** CHAP_N we answer with when the initiator asks us to authenticate (mutual CHAP). */
  mutualUser?: string;
  /** Secret we prove we know (mutual CHAP). */
  mutualSecret?: string;
}

/** One problem with configured credentials. */
export interface ChapCredentialProblem {
  field: 'user' | 'secret' | 'mutualUser' | 'mutualSecret';
  message: string;
}

/** Secret length bounds; Windows refuses secrets outside 12..16 characters. */
export interface ChapSecretRules {
  minSecret: number;
  maxSecret: number;
}

/** Default secret rules (Windows' range). */
export const DEFAULT_CHAP_SECRET_RULES: Readonly<ChapSecretRules> = Object.freeze({ minSecret: 12, maxSecret: 16 });

// Printable ASCII only: initiators disagree on how they encode anything else.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Checks configured credentials; returns every problem found (empty = valid). */
export function validateChapCredentials(creds: ChapCredentials, rules: ChapSecretRules = DEFAULT_CHAP_SECRET_RULES): ChapCredentialProblem[] {
  const problems: ChapCredentialProblem[] = [];
  const checkUser = (field: 'user' | 'mutualUser', label: string, v: string) => {
    if (v.length === 0) problems.push({ field, message: `${label} must not be empty` });
    else if (!PRINTABLE_ASCII.test(v)) problems.push({ field, message: `${label} may only contain printable ASCII characters` });
    else if (v.length > 255) problems.push({ field, message: `${label} must be at most 255 characters` });
  };
  const checkSecret = (field: 'secret' | 'mutualSecret', label: string, v: string) => {
    if (!PRINTABLE_ASCII.test(v)) problems.push({ field, message: `${label} may only contain printable ASCII characters` });
    else if (v.length < rules.minSecret || v.length > rules.maxSecret) {
      problems.push({ field, message: `${label} must be ${rules.minSecret} to ${rules.maxSecret} characters long (it is ${v.length})` });
    }
  };
  checkUser('user', 'CHAP user name', creds.user);
  checkSecret('secret', 'CHAP secret', creds.secret);
  const hasMutualUser = creds.mutualUser !== undefined && creds.mutualUser !== '';
  const hasMutualSecret = creds.mutualSecret !== undefined && creds.mutualSecret !== '';
  if (hasMutualUser !== hasMutualSecret) {
    problems.push(
      hasMutualUser
        ? { field: 'mutualSecret', message: 'mutual CHAP needs a target secret as well as a target user name' }
        : { field: 'mutualUser', message: 'mutual CHAP needs a target user name as well as a target secret' },
    );
  }
  if (hasMutualUser) checkUser('mutualUser', 'mutual CHAP user name', creds.mutualUser!);
  if (hasMutualSecret) {
    checkSecret('mutualSecret', 'mutual CHAP secret', creds.mutualSecret!);
    // RFC 7143 §12.1.3: one secret must not serve both directions.
    if (creds.mutualSecret === creds.secret) problems.push({ field: 'mutualSecret', message: 'the target (mutual) secret must differ from the initiator secret' });
  }
  return problems;
}

/** True when credentials include the target's own (mutual) secret. */
export function hasMutualChap(creds: ChapCredentials): boolean {
  return !!creds.mutualUser && !!creds.mutualSecret;
}

/**
 * Challenges seen recently: ones we issued and ones initiators sent for mutual CHAP.
 * Bounded (oldest forgotten first); share one per process so a challenge is caught
 * across connections.
 */
export class ChapChallengeRegistry {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 4096) {}

  /** Records a challenge; returns false if it was already known. */
  remember(challenge: Buffer): boolean {
    const k = challenge.toString('hex');
    if (this.seen.has(k)) return false;
    this.seen.add(k);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value!);
    return true;
  }

  /** Whether a challenge is in the registry. */
  has(challenge: Buffer): boolean {
    return this.seen.has(challenge.toString('hex'));
  }
}

/** Computes an MD5 CHAP response. */
export function chapMd5Response(id: number, secret: string, challenge: Buffer): Buffer {
  return createHash('md5').update(Buffer.of(id & 0xff)).update(secret, 'utf8').update(challenge).digest();
}

/** Result of one CHAP step: keys to send, or why authentication failed. */
export type ChapStep = { ok: true; keys: [string, string][] } | { ok: false; reason: string };

/** Tuning and collaborators. */
export interface ChapOptions {
  registry: ChapChallengeRegistry;
  /** Length of our challenge (≥ 16). */
  challengeBytes?: number;
  /** Shortest mutual challenge accepted from an initiator. */
  minInitiatorChallengeBytes?: number;
  /** Randomness source (tests inject a fixed one). */
  randomBytes?: (n: number) => Buffer;
}

type ChapState = 'await-algorithm' | 'await-response' | 'passed' | 'failed';

/** One target-side CHAP exchange. */
export class ChapAuthenticator {
  private state: ChapState = 'await-algorithm';
  private id = 0;
  private challenge: Buffer = Buffer.alloc(0);
  private readonly registry: ChapChallengeRegistry;
  private readonly challengeBytes: number;
  private readonly minInitiatorChallenge: number;
  private readonly random: (n: number) => Buffer;

  constructor(
    private readonly creds: ChapCredentials,
    opts: ChapOptions,
  ) {
    this.registry = opts.registry;
    this.challengeBytes = Math.max(16, opts.challengeBytes ?? 16);
    this.minInitiatorChallenge = opts.minInitiatorChallengeBytes ?? 16;
    this.random = opts.randomBytes ?? nodeRandomBytes;
  }

  /** True once the initiator proved its secret (and we answered its challenge, if any). */
  get passed(): boolean {
    return this.state === 'passed';
  }

  /** Whether the exchange is waiting for CHAP_A (step 1) or CHAP_N/CHAP_R (step 2). */
  get expecting(): 'algorithm' | 'response' | 'nothing' {
    return this.state === 'await-algorithm' ? 'algorithm' : this.state === 'await-response' ? 'response' : 'nothing';
  }

  /** Step 1: the initiator's CHAP_A list. MD5 must be in it; we answer CHAP_A, CHAP_I, CHAP_C. */
  selectAlgorithm(chapA: string | undefined): ChapStep {
    if (this.state !== 'await-algorithm') return this.fail('CHAP_A sent out of sequence');
    if (chapA === undefined) return this.fail('CHAP_A missing');
    let algorithms: string[];
    try {
      algorithms = parseList(chapA);
    } catch {
      return this.fail(`malformed CHAP_A "${chapA}"`);
    }
    if (!algorithms.includes(String(CHAP_MD5))) return this.fail(`CHAP_A=${chapA} does not offer MD5 (5)`);
    this.id = this.random(1)[0]!;
    this.challenge = this.random(this.challengeBytes);
    // A repeat of any recent challenge means a broken random source: refuse rather than reuse.
    if (!this.registry.remember(this.challenge)) return this.fail('generated a CHAP challenge that was used before');
    this.state = 'await-response';
    return { ok: true, keys: [['CHAP_A', String(CHAP_MD5)], ['CHAP_I', String(this.id)], ['CHAP_C', formatHex(this.challenge)]] };
  }

  /** Step 2: CHAP_N, CHAP_R and, for mutual CHAP, CHAP_I and CHAP_C. */
  verifyResponse(keys: ReadonlyMap<string, string>): ChapStep {
    if (this.state !== 'await-response') return this.fail('CHAP response sent out of sequence');
    const name = keys.get('CHAP_N');
    const response = keys.get('CHAP_R');
    if (name === undefined) return this.fail('CHAP_N missing');
    if (response === undefined) return this.fail('CHAP_R missing');

    let got: Buffer;
    try {
      got = parseBinary(response);
    } catch {
      return this.fail('malformed CHAP_R');
    }
    const expected = chapMd5Response(this.id, this.creds.secret, this.challenge);
    // Constant time in the secret; the user check is folded in after the comparison.
    const responseOk = got.length === expected.length && timingSafeEqual(got, expected);
    const userOk = name === this.creds.user;
    if (!userOk || !responseOk) return this.fail(userOk ? 'wrong CHAP response' : `unknown CHAP user "${name}"`);

    const mutualId = keys.get('CHAP_I');
    const mutualChallenge = keys.get('CHAP_C');
    if (mutualId === undefined && mutualChallenge === undefined) {
      this.state = 'passed';
      return { ok: true, keys: [] };
    }
    return this.answerMutual(mutualId, mutualChallenge);
  }

  private answerMutual(idText: string | undefined, challengeText: string | undefined): ChapStep {
    if (idText === undefined || challengeText === undefined) return this.fail('mutual CHAP needs both CHAP_I and CHAP_C');
    if (!hasMutualChap(this.creds)) return this.fail('initiator requested mutual CHAP, but no target secret is configured');
    let id: number;
    let challenge: Buffer;
    try {
      id = parseNumber(idText, 0, 255);
      challenge = parseBinary(challengeText);
    } catch {
      return this.fail('malformed mutual CHAP_I or CHAP_C');
    }
    if (challenge.length < this.minInitiatorChallenge) return this.fail(`mutual CHAP_C is ${challenge.length} bytes (min ${this.minInitiatorChallenge})`);
    if (challenge.length > MAX_CHAP_BINARY) return this.fail(`mutual CHAP_C is ${challenge.length} bytes (max ${MAX_CHAP_BINARY})`);
    if (challenge.equals(this.challenge)) return this.fail('mutual CHAP_C reflects our challenge');
    if (!this.registry.remember(challenge)) return this.fail('mutual CHAP_C was used recently');
    this.state = 'passed';
    return {
      ok: true,
      keys: [
        ['CHAP_N', this.creds.mutualUser!],
        ['CHAP_R', formatHex(chapMd5Response(id, this.creds.mutualSecret!, challenge))],
      ],
    };
  }

  private fail(reason: string): ChapStep {
    this.state = 'failed';
    return { ok: false, reason };
  }
}
