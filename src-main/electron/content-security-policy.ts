/**
 * The console's Content-Security-Policy, the same for the Electron window (set on every
 * response by secure-window.ts) and the headless console server (sent as a header).
 * Scripts only from the app itself; no eval, no inline script, no plugins, no frames, no
 * foreign connections. Inline styles are allowed because recharts sets style attributes.
 */

/** The console's CSP, as a header value. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Response headers with our CSP in place of any the response had (header names are case-insensitive). */
export function withContentSecurityPolicy(headers: Record<string, string | string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'content-security-policy' || lower === 'content-security-policy-report-only') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}
