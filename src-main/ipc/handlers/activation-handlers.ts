/**
 * The activation wizard's calls. `activation.begin` has the gateway register with the chosen
 * control plane and returns the key to show; `activation.complete` submits that key as the
 * administrator — with the embedded control plane's own admin token, or the API token the
 * administrator typed — and waits until the gateway is activated and connected.
 */
import { controlPlaneOrigin } from '../../../src-gateway-engine/index.js';
import { completeActivation, CONNECT_TIMEOUT_MS, isTimeZone, readEmbeddedAdminToken } from '../../activation/complete-activation.js';
import { ConsoleError } from '../console-error.js';
import type { ConsoleDeps, RegisterHandler } from './console-deps.js';
import { invalid, optionalString, requestObject, requiredString } from './request-checks.js';

const MAX_PEM = 64 * 1024;

export function registerActivationHandlers(register: RegisterHandler, deps: ConsoleDeps): void {
  /** CA the administrator pasted at `begin`, per control-plane origin, for the submit call of `complete`. */
  const pastedCa = new Map<string, string>();

  register('activation.status', () => deps.engine('control.status', {}));

  register('activation.begin', async (req) => {
    const o = requestObject(req, 'activation.begin');
    const url = optionalString(o, 'controlPlaneUrl', 2048);
    const caCertPem = optionalString(o, 'caCertPem', MAX_PEM);
    if (caCertPem !== undefined && !caCertPem.includes('-----BEGIN CERTIFICATE-----')) throw invalid('the CA certificate must be PEM text (-----BEGIN CERTIFICATE-----)');
    let target: string;
    if (url === undefined) {
      if (deps.appInfo.embeddedControlPlaneUrl === null) throw new ConsoleError('NO_EMBEDDED_CONTROL_PLANE', 'this gateway runs no embedded control plane: enter the URL of your control plane');
      target = deps.appInfo.embeddedControlPlaneUrl;
    } else {
      try {
        target = controlPlaneOrigin(url);
      } catch (err) {
        throw invalid(`control plane URL: ${(err as Error).message}`);
      }
    }
    const started = await deps.engine('control.activate', { controlPlaneUrl: target, ...(caCertPem !== undefined ? { caCertPem } : {}) }, CONNECT_TIMEOUT_MS);
    if (caCertPem !== undefined) pastedCa.set(started.controlPlaneUrl, caCertPem);
    return started;
  });

  register('activation.complete', async (req) => {
    const o = requestObject(req, 'activation.complete');
    const name = requiredString(o, 'name', 128).trim();
    const timezone = requiredString(o, 'timezone', 64);
    if (!isTimeZone(timezone)) throw invalid(`${JSON.stringify(timezone)} is not a time zone (use a name such as Europe/Paris)`);
    const apiToken = optionalString(o, 'apiToken', 512);
    const status = await deps.engine('control.status', {});
    const pending = status.activation;
    if (pending === null) throw new ConsoleError('ACTIVATION_NOT_STARTED', 'no activation key is pending: start again from the first step');
    const embedded = deps.appInfo.embeddedControlPlaneUrl;
    const isEmbedded = embedded !== null && controlPlaneOrigin(embedded) === pending.controlPlaneUrl;
    const token = apiToken ?? (isEmbedded ? await readEmbeddedAdminToken(deps.appInfo.dataDir) : undefined);
    if (token === undefined) throw new ConsoleError('API_TOKEN_REQUIRED', `an API token of your account on ${pending.controlPlaneUrl} is needed to activate the gateway`);
    const ca = pastedCa.get(pending.controlPlaneUrl);
    return completeActivation({ dataDir: deps.appInfo.dataDir, pending, name, timezone, token, ...(ca !== undefined ? { caCertPem: ca } : {}) });
  });
}
