/**
 * The activation page of the metrics listener (`/activation`, `/activation.json`) for
 * headless installs (docs/control-plane.md § Activation, step 2): the pending activation key,
 * its expiry and the control plane, or the name the gateway was activated as. Nothing
 * secret is on it: no token, no key material, no CA.
 */
import type { ControlStatus } from '../runtime/engine-commands.js';

/** What `/activation.json` answers. */
export interface ActivationSummary {
  /** 'pending' while a key waits for the administrator (even when already activated: re-activation). */
  state: 'not-activated' | 'pending' | 'activated';
  activated: boolean;
  connected: boolean;
  name: string | null;
  gatewayId: string | null;
  controlPlaneUrl: string | null;
  activationKey: string | null;
  expiresAt: string | null;
  lastError: string | null;
}

/** The public summary of a control status. */
export function activationSummary(s: ControlStatus): ActivationSummary {
  return {
    state: s.activation !== null ? 'pending' : s.activated ? 'activated' : 'not-activated',
    activated: s.activated,
    connected: s.connected,
    name: s.name,
    gatewayId: s.gatewayId,
    controlPlaneUrl: s.activation?.controlPlaneUrl ?? s.controlPlaneUrl,
    activationKey: s.activation?.activationKey ?? null,
    expiresAt: s.activation?.expiresAt ?? null,
    lastError: s.lastError,
  };
}

/** The HTML page; refreshes itself every 5 s so a waiting administrator sees activation happen. */
export function renderActivationPage(s: ControlStatus): string {
  const a = activationSummary(s);
  const rows: string[] = [];
  if (a.state === 'pending') {
    rows.push(`<p>Activation key</p><p class="key">${esc(a.activationKey!)}</p>`);
    rows.push(`<p>Submit it with a gateway name in your control plane's console, or run<br><code>tidegate activate --name NAME</code></p>`);
    rows.push(`<dl><dt>Expires</dt><dd>${esc(a.expiresAt!)}</dd><dt>Control plane</dt><dd>${esc(a.controlPlaneUrl ?? '')}</dd></dl>`);
    if (a.activated) rows.push(`<p>Currently activated as <b>${esc(a.name ?? '')}</b>; this key re-activates the gateway.</p>`);
  } else if (a.state === 'activated') {
    rows.push(`<p class="ok">Activated as <b>${esc(a.name ?? '')}</b></p>`);
    rows.push(
      `<dl><dt>Gateway id</dt><dd>${esc(a.gatewayId ?? '')}</dd><dt>Control plane</dt><dd>${esc(a.controlPlaneUrl ?? '')}</dd><dt>Management connection</dt><dd>${a.connected ? 'connected' : 'not connected'}</dd></dl>`,
    );
  } else {
    rows.push('<p>This gateway is not activated.</p><p>Run <code>tidegate activate --name NAME</code> on this machine, or start activation from the console.</p>');
  }
  if (a.lastError !== null) rows.push(`<p class="err">${esc(a.lastError)}</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Tidegate gateway activation</title>
<style>body{font-family:system-ui,sans-serif;margin:3em;max-width:40em}.key{font:bold 2.2em ui-monospace,monospace;letter-spacing:.08em}dt{font-weight:bold}dd{margin:0 0 .6em 0}.ok{color:#176b2c}.err{color:#a11}</style>
</head><body><h1>Tidegate gateway activation</h1>
${rows.join('\n')}
</body></html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
