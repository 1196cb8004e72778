/**
 * The control-plane state of a single server (`tidegate serve`, the Electron app): plain
 * files in one folder plus memory, no native modules, so it loads inside Electron without a
 * rebuild. Accounts, tokens, gateways, activation keys and alerts are JSON snapshots written
 * atomically; status samples are JSON-lines day files; the registry, nonces, rate limits and
 * the bus live in memory (they are meaningless after a restart: gateways reconnect, nonce
 * windows are 5 minutes). Layout in embedded-format.ts.
 */
import { chmod, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { removeTempFiles } from './atomic-file-write.js';
import type { ControlPlaneState } from './control-plane-state.js';
import { takeDirLock } from './dir-lock.js';
import { EmbeddedAccounts } from './embedded-accounts.js';
import { EmbeddedActivationKeys } from './embedded-activation-keys.js';
import { EmbeddedAlerts } from './embedded-alerts.js';
import { LOCK_FILE } from './embedded-format.js';
import { EmbeddedGateways, TOUCH_SAVE_DELAY_MS } from './embedded-gateways.js';
import { EmbeddedSamples } from './embedded-samples.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { MemoryBus } from './memory-bus.js';
import { MemoryNonces } from './memory-nonces.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { MemoryRegistry } from './memory-registry.js';

/** Options of `openEmbeddedState`. */
export interface EmbeddedStateOptions {
  /** Errors no caller awaits: a bus handler that threw, a deferred save that failed. Default: stderr. */
  onError?: BackgroundErrorHandler;
  /** How long `gateways.touch` may wait before it is written (default 5 s). */
  touchSaveDelayMs?: number;
}

/** Opens (creating if needed) the embedded state in `dir`; one process at a time per folder. */
export async function openEmbeddedState(dir: string, opts: EmbeddedStateOptions = {}): Promise<ControlPlaneState> {
  const onError = opts.onError ?? reportToStderr;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const lock = await takeDirLock(path.join(dir, LOCK_FILE));
  try {
    await removeTempFiles(dir);
    const [accounts, activationKeys, gateways, alerts] = await Promise.all([
      EmbeddedAccounts.load(dir, onError),
      EmbeddedActivationKeys.load(dir, onError),
      EmbeddedGateways.load(dir, onError, opts.touchSaveDelayMs ?? TOUCH_SAVE_DELAY_MS),
      EmbeddedAlerts.load(dir, onError),
    ]);
    const samples = new EmbeddedSamples(dir);
    const bus = new MemoryBus(onError);
    let closing: Promise<void> | null = null;
    return {
      kind: 'embedded',
      accounts,
      activationKeys,
      gateways,
      registry: new MemoryRegistry(),
      nonces: new MemoryNonces(),
      rateLimiter: new MemoryRateLimiter(),
      samples,
      alerts,
      bus,
      close() {
        closing ??= (async () => {
          bus.close();
          const results = await Promise.allSettled([accounts.shutdown(), activationKeys.shutdown(), gateways.shutdown(), alerts.shutdown(), samples.shutdown()]);
          await lock.release();
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        })();
        return closing;
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

function reportToStderr(error: unknown, context: string): void {
  console.error(`control-plane state: ${context}:`, error);
}
