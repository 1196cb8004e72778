/**
 * Activation, the gateway's half (docs/control-plane.md § Activation): register the public
 * key to get an activation key, show it, then claim every `pollIntervalMs` until the
 * administrator has submitted it; the claim's answer is the gateway's credentials.
 *
 * States:
 *
 *   idle ──start()──▶ registering ──201──▶ pending ──claim 200──▶ activated: activation.json
 *                         │                  │                    written, onActivated(), idle
 *                         │ error: start()   │ claim 410/404 (key expired or unknown), or the
 *                         │ rejects, idle    │ key's expiry long past ──▶ expired: idle, lastError
 *                         ▼                  │ claim 403 / other 4xx ──▶ refused: idle, lastError
 *                       idle                 │ network error, 5xx, 429 ──▶ stays pending, polls again
 *
 *   start() in any state abandons the attempt before it (re-activation replaces a pending
 *   one): each attempt has a generation number, and a stale one stops at its next step and
 *   has its in-flight call aborted. stop() does the same without starting anew.
 */
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import {
  clearPendingActivation,
  saveActivation,
  savePendingActivation,
  type ActivationRecord,
  type PendingActivationRecord,
} from './activation-store.js';
import { ControlHttpClient } from './control-http-client.js';
import { ControlPlaneError } from './control-plane-error.js';
import type { ActivationClaimRequest, ActivationCredentials, ActivationPending, ActivationRegisterRequest, ActivationRegisterResponse, GatewayMetadata } from './control-wire.js';
import type { GatewayKey } from './gateway-key.js';
import { checkCaPem } from './tls-trust.js';

/** How often the gateway claims by default (the spec's 2 s). */
export const DEFAULT_CLAIM_POLL_MS = 2_000;

/** Past the key's expiry by this much with no answer saying otherwise, the gateway stops polling (clocks may differ). */
const EXPIRY_GRACE_MS = 5 * 60_000;

/** An activation key waiting for the administrator. */
export interface PendingActivation {
  activationKey: string;
  expiresAt: string;
  controlPlaneUrl: string;
}

/** What an Activation needs from its owner. */
export interface ActivationOptions {
  dataDir: string;
  /** The gateway's key (made on first use). */
  key: () => Promise<GatewayKey>;
  metadata: () => GatewayMetadata;
  logger: Logger;
  /** Time between claims (default 2 s). */
  pollIntervalMs?: number;
  /** Per HTTP call. */
  httpTimeoutMs?: number;
  /** Called once the credentials are stored. */
  onActivated: (record: ActivationRecord) => Promise<void>;
  /** Called whenever `pending` or `lastError` changes. */
  onChange?: () => void;
}

/** Runs activation attempts, one at a time. */
export class Activation {
  private generation = 0;
  private current: PendingActivation | null = null;
  private error: string | null = null;
  /** Aborts the current attempt's sleep and in-flight call. */
  private abort: AbortController | undefined;
  private readonly pollIntervalMs: number;

  constructor(private readonly options: ActivationOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_CLAIM_POLL_MS;
  }

  /** The activation key being waited for, if any. */
  get pending(): PendingActivation | null {
    return this.current;
  }

  /** Why the last attempt failed (or why the last claim did not get through). */
  get lastError(): string | null {
    return this.error;
  }

  /**
   * Registers with the control plane at `origin` (trusting `caPem`) and starts claiming in
   * the background. Resolves with the activation key; rejects when registering fails.
   */
  async start(origin: string, caPem: string): Promise<PendingActivation> {
    const { gen, signal } = this.begin();
    const client = new ControlHttpClient({ url: origin, caPem, ...(this.options.httpTimeoutMs !== undefined ? { timeoutMs: this.options.httpTimeoutMs } : {}) });
    let registered: ActivationRegisterResponse;
    let key: GatewayKey;
    try {
      key = await this.options.key();
      const body: ActivationRegisterRequest = { publicKey: key.publicKeyRaw, metadata: this.options.metadata() };
      const res = await client.request<ActivationRegisterResponse>({
        method: 'POST',
        path: '/v1/activation/register',
        body,
        sign: { key, identity: { publicKey: key.publicKeyRaw } },
        signal,
      });
      registered = checkRegisterResponse(res.body, origin);
      if (gen === this.generation) {
        await savePendingActivation(this.options.dataDir, { controlPlaneUrl: client.origin, caCertPem: caPem, ...registered });
      }
    } catch (err) {
      if (gen === this.generation) this.setError(`activation at ${origin} failed: ${(err as Error).message}`);
      throw err;
    }
    const pending: PendingActivation = { activationKey: registered.activationKey, expiresAt: registered.expiresAt, controlPlaneUrl: client.origin };
    if (gen !== this.generation) return pending; // replaced while registering: nobody will poll this one
    this.current = pending;
    this.error = null;
    this.options.logger.info('activation key issued; waiting for an administrator to submit it', { controlPlane: client.origin, activationKey: pending.activationKey, expiresAt: pending.expiresAt });
    this.options.onChange?.();
    void this.poll(gen, signal, client, key, pending);
    return pending;
  }

  /** Goes on claiming a pending activation found on disk at start; a long-expired one is forgotten. */
  async resume(record: PendingActivationRecord): Promise<void> {
    if (Date.now() > Date.parse(record.expiresAt) + EXPIRY_GRACE_MS) {
      await clearPendingActivation(this.options.dataDir);
      return;
    }
    const { gen, signal } = this.begin();
    const key = await this.options.key();
    const client = new ControlHttpClient({ url: record.controlPlaneUrl, caPem: record.caCertPem, ...(this.options.httpTimeoutMs !== undefined ? { timeoutMs: this.options.httpTimeoutMs } : {}) });
    this.current = { activationKey: record.activationKey, expiresAt: record.expiresAt, controlPlaneUrl: client.origin };
    this.options.onChange?.();
    void this.poll(gen, signal, client, key, this.current);
  }

  /** Abandons the current attempt (its pending key stays valid at the control plane until it expires). */
  stop(): void {
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
  }

  private begin(): { gen: number; signal: AbortSignal } {
    this.stop();
    this.current = null;
    this.abort = new AbortController();
    return { gen: this.generation, signal: this.abort.signal };
  }

  private async poll(gen: number, signal: AbortSignal, client: ControlHttpClient, key: GatewayKey, pending: PendingActivation): Promise<void> {
    const { logger } = this.options;
    let wait = this.pollIntervalMs;
    while (gen === this.generation) {
      await sleep(wait, signal);
      wait = this.pollIntervalMs;
      if (gen !== this.generation) return;
      if (Date.now() > Date.parse(pending.expiresAt) + EXPIRY_GRACE_MS) {
        await this.end(gen, pending, `activation key ${pending.activationKey} expired at ${pending.expiresAt} before an administrator submitted it; activate again`);
        return;
      }
      try {
        const body: ActivationClaimRequest = { activationKey: pending.activationKey };
        const res = await client.request<ActivationPending | ActivationCredentials>({
          method: 'POST',
          path: '/v1/activation/claim',
          body,
          sign: { key, identity: { publicKey: key.publicKeyRaw } },
          signal,
        });
        if (gen !== this.generation) return;
        if (res.status === 202 || (res.body as { state?: unknown } | undefined)?.state === 'pending') {
          if (this.error !== null) {
            this.error = null;
            this.options.onChange?.();
          }
          continue;
        }
        const record = checkCredentials(res.body, client.origin);
        await saveActivation(this.options.dataDir, record);
        await clearPendingActivation(this.options.dataDir, pending.activationKey);
        if (gen !== this.generation) return;
        this.current = null;
        this.error = null;
        this.abort = undefined;
        logger.info('gateway activated', { controlPlane: record.controlPlaneUrl, gatewayId: record.gatewayId, name: record.name });
        this.options.onChange?.();
        await this.options.onActivated(record);
        return;
      } catch (err) {
        if (gen !== this.generation) return;
        if (err instanceof ControlPlaneError && !err.transient) {
          const expired = err.controlCode === 'ACTIVATION_KEY_EXPIRED' || err.controlCode === 'ACTIVATION_KEY_UNKNOWN';
          await this.end(gen, pending, expired ? `activation key ${pending.activationKey} is no longer valid (${err.controlCode}); activate again` : `activation refused: ${err.message}`);
          return;
        }
        if (err instanceof TidegateError && err.code === ErrorCode.Corrupt) {
          await this.end(gen, pending, err.message);
          return;
        }
        const message = (err as Error).message;
        if (this.error !== message) logger.warn('activation claim failed; retrying', { controlPlane: client.origin, error: message });
        this.setError(message);
        if (err instanceof ControlPlaneError && err.retryAfterMs !== null) wait = Math.max(wait, err.retryAfterMs);
      }
    }
  }

  /** Ends the attempt `gen` without credentials. */
  private async end(gen: number, pending: PendingActivation, message: string): Promise<void> {
    if (gen !== this.generation) return;
    const ended = ++this.generation;
    this.abort = undefined;
    // The file goes first, so nothing shows the attempt as over while a restart would still resume it.
    await clearPendingActivation(this.options.dataDir, pending.activationKey).catch(() => undefined);
    if (ended !== this.generation) return; // a new attempt started meanwhile; it owns the state now
    this.options.logger.warn('activation ended without credentials', { error: message });
    this.current = null;
    this.setError(message);
  }

  private setError(message: string): void {
    this.error = message;
    this.options.onChange?.();
  }
}

function checkRegisterResponse(body: unknown, origin: string): ActivationRegisterResponse {
  const b = body as Partial<ActivationRegisterResponse> | undefined;
  if (typeof b?.activationKey !== 'string' || b.activationKey === '' || typeof b.expiresAt !== 'string' || Number.isNaN(Date.parse(b.expiresAt))) {
    throw new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, `the control plane at ${origin} answered register without an activation key and expiry`, { transient: true });
  }
  return { activationKey: b.activationKey, expiresAt: b.expiresAt };
}

/** The credentials of a 200 claim, checked field by field. */
function checkCredentials(body: unknown, origin: string): ActivationRecord {
  const b = (body ?? {}) as Partial<Record<keyof ActivationCredentials, unknown>>;
  for (const k of ['gatewayId', 'accountId', 'name', 'timezone', 'caCertPem'] as const) {
    if (typeof b[k] !== 'string' || b[k] === '') {
      throw new TidegateError(ErrorCode.Corrupt, `the control plane at ${origin} answered the claim without a valid "${k}"`);
    }
  }
  let caCertPem: string;
  try {
    caCertPem = checkCaPem(b.caCertPem as string, "the control plane's CA certificate");
  } catch (err) {
    throw new TidegateError(ErrorCode.Corrupt, `the control plane at ${origin} answered the claim with a bad CA: ${(err as Error).message}`);
  }
  return {
    controlPlaneUrl: origin,
    gatewayId: b.gatewayId as string,
    accountId: b.accountId as string,
    name: b.name as string,
    timezone: b.timezone as string,
    caCertPem,
    activatedAt: new Date().toISOString(),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
