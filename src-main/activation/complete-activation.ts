/**
 * Steps 3 and 4 of activation (docs/control-plane.md § Activation), shared by
 * `tidegate activate` and the console's wizard: submit the gateway's pending activation key as
 * the administrator (`POST /v1/gateways`, Bearer token), then wait until the gateway has
 * claimed its credentials and its management connection is up.
 *
 * The submit call trusts the CA the gateway pinned for that control plane (or the one given),
 * so the administrator's side and the gateway cannot end up trusting different servers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ControlHttpClient,
  ErrorCode,
  TidegateError,
  callEngine,
  readPinnedControlCa,
  type ActivateGatewayRequest,
  type ControlStatus,
} from '../../src-gateway-engine/index.js';
import { embeddedControlPlaneDir } from '../../src-control-plane/index.js';

/** How long to wait for the gateway to claim its credentials and connect. */
export const CONNECT_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

export interface CompleteActivationOptions {
  dataDir: string;
  /** What `control.activate` returned. */
  pending: { activationKey: string; controlPlaneUrl: string };
  name: string;
  timezone: string;
  /** API token of the account the gateway joins. */
  token: string;
  /** CA to trust for the submit call; default: the one the gateway pinned. */
  caCertPem?: string;
}

/** Submit the key, then wait until the gateway is activated and connected; returns its control status. */
export async function completeActivation(o: CompleteActivationOptions): Promise<ControlStatus> {
  const caPem = o.caCertPem ?? (await readPinnedControlCa(o.dataDir, o.pending.controlPlaneUrl));
  if (caPem === null) {
    throw new TidegateError(ErrorCode.NotFound, `the gateway pinned no CA for ${o.pending.controlPlaneUrl}; give the control plane's CA certificate`);
  }
  const client = new ControlHttpClient({ url: o.pending.controlPlaneUrl, caPem });
  const body: ActivateGatewayRequest = { activationKey: o.pending.activationKey, name: o.name, timezone: o.timezone };
  const submitted = await client.request<{ id?: unknown }>({ method: 'POST', path: '/v1/gateways', body, bearer: o.token });
  const recordId = typeof submitted.body?.id === 'string' ? submitted.body.id : null;
  return waitConnected(o.dataDir, o.pending.activationKey, recordId);
}

/** Polls the gateway until it holds the new credentials and its management connection is up. */
async function waitConnected(dataDir: string, activationKey: string, gatewayId: string | null): Promise<ControlStatus> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  let s: ControlStatus;
  for (;;) {
    s = await callEngine(dataDir, 'control.status', {}, CONNECT_TIMEOUT_MS);
    const stillPending = s.activation?.activationKey === activationKey;
    const ours = gatewayId === null ? !stillPending : s.gatewayId === gatewayId;
    if (s.activated && ours && s.connected) return s;
    if (!stillPending && !ours) {
      // The gateway stopped waiting for this key without taking its credentials: it expired, was refused, or was replaced.
      throw new TidegateError(ErrorCode.ControlPlaneRefused, `the gateway did not complete activation: ${s.lastError ?? 'its activation key is no longer pending'}`);
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const step = s.activated && s.gatewayId === gatewayId ? 'was activated but did not connect to the control plane' : 'did not receive its credentials';
  throw new TidegateError(ErrorCode.Timeout, `the gateway ${step} within ${CONNECT_TIMEOUT_MS / 1000} s${s.lastError ? `: ${s.lastError}` : ''}`);
}

/** The embedded control plane's administrator token, kept beside its state; undefined when there is none. */
export async function readEmbeddedAdminToken(dataDir: string): Promise<string | undefined> {
  try {
    const t = (await readFile(join(embeddedControlPlaneDir(dataDir), 'admin-token'), 'utf8')).trim();
    return t === '' ? undefined : t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TidegateError(ErrorCode.AccessDenied, `cannot read the embedded control plane's admin token: ${(err as Error).message}`);
  }
}

/** True for an IANA time zone name this runtime knows (e.g. Europe/Paris). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz !== '';
  } catch {
    return false;
  }
}
