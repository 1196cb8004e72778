import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, withContentSecurityPolicy } from './content-security-policy.js';

describe('CONTENT_SECURITY_POLICY', () => {
  it('is the strict policy: scripts only from the app, nothing foreign, no frames, no forms, no base', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  });
});

describe('withContentSecurityPolicy', () => {
  it("replaces any policy the response had (in any letter case) with ours and keeps the other headers", () => {
    const out = withContentSecurityPolicy({
      'content-type': 'text/html',
      'content-security-policy': ["default-src *"],
      'CONTENT-SECURITY-POLICY-REPORT-ONLY': "script-src 'unsafe-eval'",
      'X-Other': ['a', 'b'],
    });
    expect(out).toEqual({ 'content-type': ['text/html'], 'X-Other': ['a', 'b'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it('adds the policy to a response without headers', () => {
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});
