/**
 * `tidegate activate`: activates a running gateway headless, all four steps of
 * docs/control-plane.md § Activation: the gateway registers and gets an activation key
 * (`control.activate`), this command submits the key as the administrator
 * (`POST /v1/gateways`, Bearer token), the gateway claims its credentials, and the command
 * waits until the gateway's management connection is up (../activation/complete-activation.ts).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { callEngine, controlPlaneOrigin } from '../../src-gateway-engine/index.js';
import { completeActivation, CONNECT_TIMEOUT_MS, isTimeZone, readEmbeddedAdminToken } from '../activation/complete-activation.js';
import { defaultDataDir } from './data-dirs.js';
import { flagValue, parseArgs, UsageError } from './parse-args.js';

/** Usage line of the command. */
export const ACTIVATE_USAGE =
  'activate --name NAME [--timezone TZ] [--token T] [--control-plane URL] [--ca-file PEM] [--data-dir DIR] [--json]';

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
  const token = str('token') ?? nonEmpty(process.env.TIDEGATE_TOKEN) ?? (embedded ? await readEmbeddedAdminToken(dataDir) : undefined);
  if (token === undefined) throw new UsageError('activate needs --token T (or $TIDEGATE_TOKEN): an API token of the account the gateway joins');

  const started = await callEngine(dataDir, 'control.activate', { controlPlaneUrl: target, ...(caCertPem !== undefined ? { caCertPem } : {}) }, CONNECT_TIMEOUT_MS);
  const s = await completeActivation({ dataDir, pending: started, name, timezone, token, ...(caCertPem !== undefined ? { caCertPem } : {}) });
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

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
