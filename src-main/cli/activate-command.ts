/**
 * `tidegate activate`: activates a running gateway headless, all four steps of
 * docs/control-plane.md § Activation: the gateway registers and gets an activation key
 * (`control.activate`), this command submits the key as the administrator
 * (`POST /v1/gateways`, Bearer token), the gateway claims its credentials, and the command
 * waits until the gateway's management connection is up.
 *
 * The submit call trusts the same CA the gateway pinned for that control plane (or the one
 * given with --ca-file), so the CLI and the gateway cannot end up trusting different servers.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ControlHttpClient,
  ErrorCode,
  TidegateError,
  callEngine,
  controlPlaneOrigin,
  readPinnedControlCa,
  type ActivateGatewayRequest,
  type ControlStatus,
} from '../../src-gateway-engine/index.js';
import { embeddedControlPlaneDir } from '../../src-control-plane/index.js';
import { defaultDataDir } from './data-dirs.js';
import { flagValue, parseArgs, UsageError } from './parse-args.js';

/** Usage line of the command. */
export const ACTIVATE_USAGE =
  'activate --name NAME [--timezone TZ] [--token T] [--control-plane URL] [--ca-file PEM] [--data-dir DIR] [--json]';

/** How long the command waits for the gateway to claim its credentials and connect. */
const CONNECT_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

/** Runs `tidegate activate`; throws UsageError for command-line mistakes, TidegateError for the rest. */
export async function activate(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv, ['name', 'timezone', 'token', 'control-plane', 'ca-file', 'data-dir'], ['json']);
  if (positional.length > 0) throw new UsageError(`activate takes no arguments (got ${positional.join(' ')}); usage: ${ACTIVATE_USAGE}`);
  const str = (name: string): string | undefined => flagValue(flags, name);
  const name = str('name');
  if (name === undefined || name.trim() === '') throw new UsageError(`activate needs --name NAME (the gateway's name in the control plane); usage: ${ACTIVATE_USAGE}`);
  const timezone = str('timezone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!isTimeZone(timezone)) throw new UsageError(`--timezone must be an IANA time zone such as Europe/Paris (got ${JSON.stringify(timezone)})`);
  const dataDir = resolve(str('data-dir') ?? defaultDataDir());
  const caFile = str('ca-file');
  let caCertPem: string | undefined;
  if (caFile !== undefined) {
    try {
      caCertPem = await readFile(resolve(caFile), 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --ca-file ${caFile}: ${(err as Error).message}`);
    }
  }
  let url = str('control-plane');
  if (url !== undefined) {
    try {
      url = controlPlaneOrigin(url);
    } catch (err) {
      throw new UsageError(`--control-plane: ${(err as Error).message}`);
    }
  }

  // Everything that can be checked locally is checked before the gateway registers (registering is rate limited).
  const before = await callEngine(dataDir, 'control.status', {});
  const target = url ?? before.embeddedControlPlaneUrl;
  if (target === null) throw new UsageError('activate needs --control-plane URL: this gateway runs no embedded control plane');
  const embedded = before.embeddedControlPlaneUrl !== null && target === controlPlaneOrigin(before.embeddedControlPlaneUrl);
  const token = str('token') ?? nonEmpty(process.env.TIDEGATE_TOKEN) ?? (embedded ? await readEmbeddedToken(dataDir) : undefined);
  if (token === undefined) throw new UsageError('activate needs --token T (or $TIDEGATE_TOKEN): an API token of the account the gateway joins');

  const started = await callEngine(dataDir, 'control.activate', { controlPlaneUrl: target, ...(caCertPem !== undefined ? { caCertPem } : {}) }, CONNECT_TIMEOUT_MS);
  const caPem = caCertPem ?? (await readPinnedControlCa(dataDir, started.controlPlaneUrl));
  if (caPem === null) {
    throw new TidegateError(ErrorCode.NotFound, `the gateway pinned no CA for ${started.controlPlaneUrl}; give it with --ca-file`);
  }
  const client = new ControlHttpClient({ url: started.controlPlaneUrl, caPem });
  const body: ActivateGatewayRequest = { activationKey: started.activationKey, name, timezone };
  const submitted = await client.request<{ id?: unknown }>({ method: 'POST', path: '/v1/gateways', body, bearer: token });
  const recordId = typeof submitted.body?.id === 'string' ? submitted.body.id : null;

  const s = await waitConnected(dataDir, started.activationKey, recordId);
  if (flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ gatewayId: s.gatewayId, name: s.name, timezone: s.timezone, controlPlaneUrl: s.controlPlaneUrl, serverId: s.serverId }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `gateway ${s.name ?? name} activated and connected`,
      `  gateway id:     ${s.gatewayId ?? '?'}`,
      `  control plane:  ${s.controlPlaneUrl ?? started.controlPlaneUrl}${s.serverId !== null ? ` (server ${s.serverId})` : ''}`,
      `  time zone:      ${s.timezone ?? timezone}`,
      '',
    ].join('\n'),
  );
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

/** The embedded control plane's administrator token, kept beside its state. */
async function readEmbeddedToken(dataDir: string): Promise<string | undefined> {
  try {
    return nonEmpty((await readFile(join(embeddedControlPlaneDir(dataDir), 'admin-token'), 'utf8')).trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TidegateError(ErrorCode.AccessDenied, `cannot read the embedded control plane's admin token: ${(err as Error).message}`);
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz !== '';
  } catch {
    return false;
  }
}
