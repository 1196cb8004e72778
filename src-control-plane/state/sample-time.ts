/**
 * Time rules shared by both sample stores: a sample's time is its `at` (the gateway's
 * clock); samples are kept at 1-minute resolution and the newest sample of a minute wins
 * (equal times: the one stored later wins).
 */
import type { StatusSample } from '../../src-gateway-engine/control/control-wire.js';

/** One minute in milliseconds: the resolution samples are kept at. */
export const SAMPLE_RESOLUTION_MS = 60_000;

/** A sample's time in ms since the epoch; throws on a sample without a valid `at`. */
export function sampleTimeMs(sample: StatusSample): number {
  const ms = typeof sample?.at === 'string' ? Date.parse(sample.at) : Number.NaN;
  if (!Number.isFinite(ms)) throw new TypeError(`status sample has no valid "at" time: ${String(sample?.at)}`);
  return ms;
}

/** Keeps the newest sample of each minute from `samples` (in storage order) and sorts them by time. */
export function newestPerMinute(samples: Iterable<StatusSample>): StatusSample[] {
  const byMinute = new Map<number, { ms: number; sample: StatusSample }>();
  for (const sample of samples) {
    const ms = sampleTimeMs(sample);
    const minute = Math.floor(ms / SAMPLE_RESOLUTION_MS);
    const held = byMinute.get(minute);
    if (!held || ms >= held.ms) byMinute.set(minute, { ms, sample });
  }
  return [...byMinute.values()].sort((a, b) => a.ms - b.ms).map((h) => h.sample);
}
