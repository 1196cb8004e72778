/** Backoff settings shared by the RetryingStore and the uploader. */
export interface BackoffOptions {
  /** Delay scale of the first retry, in ms. Default 100. */
  baseDelayMs?: number;
  /** No single delay exceeds this, in ms. Default 10 000. */
  maxDelayMs?: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): exponential backoff with
 * full jitter, `random() * min(maxDelayMs, baseDelayMs * 2^attempt)`. Full jitter spreads
 * many clients retrying after the same outage instead of having them return in lockstep.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseDelayMs ?? 100;
  const cap = opts.maxDelayMs ?? 10_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(Math.max(0, attempt), 52));
  return Math.floor(random() * ceiling);
}
