import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChapAuthenticator, ChapChallengeRegistry, chapMd5Response, validateChapCredentials, type ChapCredentials, type ChapStep } from './chap.js';

const creds: ChapCredentials = { user: 'alice', secret: 'initiator-pw1', mutualUser: 'iqn.2026-01.io.tidegate:t1', mutualSecret: 'target-secret1' };

/** What an initiator computes, written independently of chap.ts (libiscsi sends upper-case hex). */
function initiatorResponse(id: number, secret: string, challengeHex: string, upper = true): string {
  const digest = createHash('md5').update(Buffer.from([id])).update(secret).update(Buffer.from(challengeHex.slice(2), 'hex')).digest('hex');
  return `0x${upper ? digest.toUpperCase() : digest}`;
}

function keysOf(step: ChapStep): Record<string, string> {
  if (!step.ok) throw new Error(`step failed: ${step.reason}`);
  return Object.fromEntries(step.keys);
}

function begin(c: ChapCredentials = creds, registry = new ChapChallengeRegistry()) {
  const auth = new ChapAuthenticator(c, { registry });
  const sent = keysOf(auth.selectAlgorithm('5'));
  return { auth, sent, id: Number(sent.CHAP_I), registry };
}

const randomChallenge = (n = 16) => `0x${Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff)).toString('hex')}`;

describe('ChapAuthenticator', () => {
  it('offers MD5 with an id byte and a fresh 16-byte hex challenge', () => {
    const { sent } = begin();
    expect(sent.CHAP_A).toBe('5');
    expect(Number(sent.CHAP_I)).toBeGreaterThanOrEqual(0);
    expect(Number(sent.CHAP_I)).toBeLessThanOrEqual(255);
    expect(sent.CHAP_C).toMatch(/^0x[0-9a-f]{32}$/);
    expect(begin().sent.CHAP_C).not.toBe(sent.CHAP_C);
  });

  it('accepts MD5 anywhere in the offered list (open-iscsi offers several)', () => {
    const auth = new ChapAuthenticator(creds, { registry: new ChapChallengeRegistry() });
    expect(keysOf(auth.selectAlgorithm('7,6,5')).CHAP_A).toBe('5');
  });

  it.each(['7', '6,7', '', 'MD5', '5,,7'])('fails CHAP_A=%s', (offer) => {
    const auth = new ChapAuthenticator(creds, { registry: new ChapChallengeRegistry() });
    expect(auth.selectAlgorithm(offer).ok).toBe(false);
  });

  it('verifies a correct one-way response (upper or lower hex, or base64)', () => {
    for (const form of ['upper', 'lower', 'base64'] as const) {
      const { auth, sent, id } = begin();
      const hex = initiatorResponse(id, creds.secret, sent.CHAP_C, form === 'upper');
      const r = form === 'base64' ? `0b${Buffer.from(hex.slice(2), 'hex').toString('base64')}` : hex;
      const step = auth.verifyResponse(new Map([['CHAP_N', 'alice'], ['CHAP_R', r]]));
      expect(step).toEqual({ ok: true, keys: [] });
      expect(auth.passed).toBe(true);
    }
  });

  it('fails a wrong user, a wrong secret, a truncated or malformed response', () => {
    const cases: [string, (sent: Record<string, string>, id: number) => Map<string, string>][] = [
      ['wrong user', (s, id) => new Map([['CHAP_N', 'mallory'], ['CHAP_R', initiatorResponse(id, creds.secret, s.CHAP_C)]])],
      ['wrong secret', (s, id) => new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(id, 'not-the-secret', s.CHAP_C)]])],
      ['wrong id', (s, id) => new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse((id + 1) & 0xff, creds.secret, s.CHAP_C)]])],
      ['truncated', (s, id) => new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(id, creds.secret, s.CHAP_C).slice(0, 20)]])],
      ['malformed', () => new Map([['CHAP_N', 'alice'], ['CHAP_R', 'zzzz']])],
      ['missing CHAP_R', () => new Map([['CHAP_N', 'alice']])],
      ['missing CHAP_N', (s, id) => new Map([['CHAP_R', initiatorResponse(id, creds.secret, s.CHAP_C)]])],
    ];
    for (const [name, build] of cases) {
      const { auth, sent, id } = begin();
      const step = auth.verifyResponse(build(sent, id));
      expect(step.ok, name).toBe(false);
      expect(auth.passed, name).toBe(false);
    }
  });

  it('refuses a response replayed from an earlier login', () => {
    const first = begin();
    const captured = new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(first.id, creds.secret, first.sent.CHAP_C)]]);
    expect(first.auth.verifyResponse(captured).ok).toBe(true);
    // Same registry, new login: new challenge, so the captured response no longer fits.
    const second = begin(creds, first.registry);
    expect(second.sent.CHAP_C).not.toBe(first.sent.CHAP_C);
    expect(second.auth.verifyResponse(captured).ok).toBe(false);
  });

  it('is one-shot: no second verification, no steps out of order', () => {
    const { auth, sent, id } = begin();
    const good = new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(id, creds.secret, sent.CHAP_C)]]);
    expect(auth.verifyResponse(good).ok).toBe(true);
    expect(auth.verifyResponse(good).ok).toBe(false);
    const fresh = new ChapAuthenticator(creds, { registry: new ChapChallengeRegistry() });
    expect(fresh.verifyResponse(good).ok).toBe(false);
    const failed = begin();
    expect(failed.auth.verifyResponse(new Map([['CHAP_N', 'alice'], ['CHAP_R', '0x00']])).ok).toBe(false);
    expect(failed.auth.verifyResponse(new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(failed.id, creds.secret, failed.sent.CHAP_C)]])).ok).toBe(false);
  });

  it('answers mutual CHAP with the target user and MD5(I ‖ target secret ‖ C)', () => {
    const { auth, sent, id } = begin();
    const mutualC = randomChallenge(32); // libiscsi sends 32 bytes for MD5
    const step = keysOf(
      auth.verifyResponse(
        new Map([
          ['CHAP_N', 'alice'],
          ['CHAP_R', initiatorResponse(id, creds.secret, sent.CHAP_C)],
          ['CHAP_I', '1'],
          ['CHAP_C', mutualC.toUpperCase().replace('0X', '0x')],
        ]),
      ),
    );
    expect(step.CHAP_N).toBe(creds.mutualUser);
    expect(step.CHAP_R).toBe(initiatorResponse(1, creds.mutualSecret!, mutualC, false));
    expect(auth.passed).toBe(true);
  });

  function mutualStep(mutual: Record<string, string>, c: ChapCredentials = creds, registry = new ChapChallengeRegistry()) {
    const { auth, sent, id } = begin(c, registry);
    return { step: auth.verifyResponse(new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(id, c.secret, sent.CHAP_C)], ...Object.entries(mutual)])), sent, auth };
  }

  it('never answers a mutual challenge before the initiator proved itself', () => {
    const { auth } = begin();
    const step = auth.verifyResponse(new Map([['CHAP_N', 'alice'], ['CHAP_R', '0x' + '00'.repeat(16)], ['CHAP_I', '1'], ['CHAP_C', randomChallenge()]]));
    expect(step.ok).toBe(false);
  });

  it('refuses a reflected mutual challenge', () => {
    const registry = new ChapChallengeRegistry();
    const { auth, sent, id } = begin(creds, registry);
    const step = auth.verifyResponse(new Map([['CHAP_N', 'alice'], ['CHAP_R', initiatorResponse(id, creds.secret, sent.CHAP_C)], ['CHAP_I', String(id)], ['CHAP_C', sent.CHAP_C]]));
    expect(step).toMatchObject({ ok: false, reason: expect.stringMatching(/reflect/) });
  });

  it('refuses our challenge from another connection and a recently used initiator challenge', () => {
    const registry = new ChapChallengeRegistry();
    const other = begin(creds, registry); // a challenge we issued on another connection
    expect(mutualStep({ CHAP_I: '1', CHAP_C: other.sent.CHAP_C }, creds, registry).step.ok).toBe(false);
    const c = randomChallenge();
    expect(mutualStep({ CHAP_I: '1', CHAP_C: c }, creds, registry).step.ok).toBe(true);
    expect(mutualStep({ CHAP_I: '1', CHAP_C: c }, creds, registry).step).toMatchObject({ ok: false, reason: expect.stringMatching(/recently/) });
  });

  it('forgets the oldest challenges beyond its capacity', () => {
    const registry = new ChapChallengeRegistry(2);
    const a = Buffer.from('aa', 'hex');
    expect(registry.remember(a)).toBe(true);
    expect(registry.remember(a)).toBe(false);
    registry.remember(Buffer.from('bb', 'hex'));
    registry.remember(Buffer.from('cc', 'hex'));
    expect(registry.has(a)).toBe(false);
    expect(registry.has(Buffer.from('cc', 'hex'))).toBe(true);
  });

  it('enforces mutual challenge length 16..1024 bytes and well-formed CHAP_I/CHAP_C', () => {
    expect(mutualStep({ CHAP_I: '7', CHAP_C: randomChallenge(15) }).step.ok).toBe(false);
    expect(mutualStep({ CHAP_I: '7', CHAP_C: randomChallenge(16) }).step.ok).toBe(true);
    expect(mutualStep({ CHAP_I: '7', CHAP_C: randomChallenge(1024) }).step.ok).toBe(true);
    expect(mutualStep({ CHAP_I: '7', CHAP_C: randomChallenge(1025) }).step.ok).toBe(false);
    expect(mutualStep({ CHAP_I: '256', CHAP_C: randomChallenge() }).step.ok).toBe(false);
    expect(mutualStep({ CHAP_I: '7' }).step.ok).toBe(false);
    expect(mutualStep({ CHAP_C: randomChallenge() }).step.ok).toBe(false);
    expect(mutualStep({ CHAP_I: '7', CHAP_C: 'abcdef' }).step.ok).toBe(false);
  });

  it('fails mutual CHAP when no target secret is configured', () => {
    const oneWay: ChapCredentials = { user: 'alice', secret: 'initiator-pw1' };
    expect(mutualStep({ CHAP_I: '7', CHAP_C: randomChallenge() }, oneWay).step).toMatchObject({ ok: false, reason: expect.stringMatching(/no target secret/) });
  });

  it('refuses to reuse a challenge when the random source repeats itself', () => {
    const registry = new ChapChallengeRegistry();
    const stuck = (n: number) => Buffer.alloc(n, 7);
    expect(new ChapAuthenticator(creds, { registry, randomBytes: stuck }).selectAlgorithm('5').ok).toBe(true);
    expect(new ChapAuthenticator(creds, { registry, randomBytes: stuck }).selectAlgorithm('5').ok).toBe(false);
  });
});

describe('chapMd5Response', () => {
  it('matches the RFC 1994 construction', () => {
    const c = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const expected = createHash('md5').update(Buffer.concat([Buffer.of(0x2a), Buffer.from('secret'), c])).digest();
    expect(chapMd5Response(42, 'secret', c)).toEqual(expected);
  });
});

describe('validateChapCredentials', () => {
  it('accepts 12..16 character secrets that differ', () => {
    expect(validateChapCredentials({ user: 'u', secret: 'a'.repeat(12) })).toEqual([]);
    expect(validateChapCredentials(creds)).toEqual([]);
  });

  it('explains each problem', () => {
    const msgs = (c: ChapCredentials) => validateChapCredentials(c).map((p) => `${p.field}: ${p.message}`);
    expect(msgs({ user: 'u', secret: 'short' })).toEqual(['secret: CHAP secret must be 12 to 16 characters long (it is 5)']);
    expect(msgs({ user: 'u', secret: 'x'.repeat(17) })).toEqual(['secret: CHAP secret must be 12 to 16 characters long (it is 17)']);
    expect(msgs({ user: '', secret: 'x'.repeat(12) })).toEqual(['user: CHAP user name must not be empty']);
    expect(msgs({ user: 'u', secret: 'pässwörd-pässw' })).toEqual(['secret: CHAP secret may only contain printable ASCII characters']);
    expect(msgs({ user: 'u', secret: 'x'.repeat(12), mutualUser: 't' })).toEqual(['mutualSecret: mutual CHAP needs a target secret as well as a target user name']);
    expect(msgs({ user: 'u', secret: 'x'.repeat(12), mutualSecret: 'y'.repeat(12) })).toEqual(['mutualUser: mutual CHAP needs a target user name as well as a target secret']);
    expect(msgs({ user: 'u', secret: 'x'.repeat(12), mutualUser: 't', mutualSecret: 'x'.repeat(12) })).toEqual(['mutualSecret: the target (mutual) secret must differ from the initiator secret']);
  });

  it('takes other length rules', () => {
    expect(validateChapCredentials({ user: 'u', secret: 'x'.repeat(20) }, { minSecret: 12, maxSecret: 32 })).toEqual([]);
  });
});
