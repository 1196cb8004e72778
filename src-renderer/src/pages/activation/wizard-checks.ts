/**
 * What each activation step needs before Next is enabled; each returns the reason it is not
 * ready yet (shown beside the disabled button), or null.
 */
import type { ActivationBeginRequest, ActivationKeyInfo, AppInfo } from '../../../../src-main/ipc/ipc-contract.js';
import type { WizardDraft } from '../../state/wizard-store.js';

/** True when `tz` is an IANA time zone this browser knows (Intl throws RangeError otherwise). */
export function isValidTimeZone(tz: string): boolean {
  if (tz.trim() === '' || tz !== tz.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Step 1: which control plane, and for a remote one its https URL, an API token and an optional CA. */
export function controlPlaneStepProblem(draft: WizardDraft, info: AppInfo | undefined): string | null {
  if (draft.controlPlane === 'embedded') {
    if (!info) return 'Loading the gateway’s settings…';
    return info.embeddedControlPlaneUrl ? null : 'This gateway runs no embedded control plane; choose a remote one.';
  }
  let url: URL;
  try {
    url = new URL(draft.controlPlaneUrl.trim());
  } catch {
    return 'Enter the control plane’s URL, e.g. https://control.example.com:9443.';
  }
  if (url.protocol !== 'https:') return 'The control plane URL must start with https://.';
  if (draft.caCertPem.trim() !== '' && !PEM_CERT.test(draft.caCertPem)) return 'The CA certificate must be PEM text (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).';
  if (draft.apiToken.trim() === '') return 'Enter an API token of the account the gateway joins.';
  return null;
}

/** The `activation.begin` request of step 1. */
export function beginRequest(draft: WizardDraft): ActivationBeginRequest {
  if (draft.controlPlane === 'embedded') return { controlPlaneUrl: null };
  const pem = draft.caCertPem.trim();
  return { controlPlaneUrl: draft.controlPlaneUrl.trim(), ...(pem ? { caCertPem: pem } : {}) };
}

/** Step 2: a key that has not expired. */
export function keyStepProblem(key: ActivationKeyInfo | null, nowMs: number): string | null {
  if (!key) return 'Request an activation key first.';
  if (Date.parse(key.expiresAt) <= nowMs) return 'The activation key has expired; request a new one.';
  return null;
}

/** Step 3: a gateway name and a valid time zone. */
export function gatewayDetailsProblem(name: string, timezone: string): string | null {
  const n = name.trim();
  if (n === '') return 'Enter a name for the gateway.';
  if (n.length > 100) return 'The gateway name is at most 100 characters.';
  if (!isValidTimeZone(timezone)) return `“${timezone}” is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC).`;
  return null;
}
