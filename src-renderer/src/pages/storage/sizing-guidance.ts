/**
 * Upload-buffer and cache sizing, by AWS Storage Gateway's rule of thumb:
 *   upload buffer = (incoming write rate − outgoing link rate × compression factor) × seconds of writing per day
 *   cache ≥ 1.1 × upload buffer
 * Rates are in MB/s (10^6 bytes). When the link keeps up (the difference is ≤ 0) the buffer
 * only has to absorb bursts, so the guidance is 0 and the caller says so.
 */
import type { SizingDraft } from '../../state/wizard-store.js';

export interface SizingInputs {
  /** Rate applications write to the gateway, MB/s. */
  incomingMBps: number;
  /** Rate the gateway can upload to the object store, MB/s. */
  outgoingMBps: number;
  /** How much the data shrinks on the way (≥ 1; 1 = no compression). */
  compressionFactor: number;
  /** Hours a day the applications write at that rate (0–24). */
  writeHoursPerDay: number;
}

export interface SizingGuidance {
  uploadBufferBytes: number;
  minCacheBytes: number;
  /** MB/s the buffer fills at while applications write (0 when the link keeps up). */
  fillRateMBps: number;
}

const MB = 1_000_000;
/** Cache at least this multiple of the upload buffer. */
export const CACHE_TO_BUFFER_RATIO = 1.1;

export function computeSizingGuidance(i: SizingInputs): SizingGuidance {
  const fillRateMBps = Math.max(0, i.incomingMBps - i.outgoingMBps * i.compressionFactor);
  const uploadBufferBytes = Math.ceil(fillRateMBps * i.writeHoursPerDay * 3600 * MB);
  return { uploadBufferBytes, minCacheBytes: Math.ceil(uploadBufferBytes * CACHE_TO_BUFFER_RATIO), fillRateMBps };
}

/** Parses the typed inputs; returns the first problem as a sentence when they are not usable. */
export function parseSizingDraft(draft: SizingDraft): { inputs: SizingInputs; error: null } | { inputs: null; error: string } {
  const num = (text: string) => (/^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : null);
  const incoming = num(draft.incomingMBps);
  const outgoing = num(draft.outgoingMBps);
  const compression = num(draft.compressionFactor);
  const hours = num(draft.writeHoursPerDay);
  if (incoming === null) return { inputs: null, error: 'Enter the incoming write rate in MB/s.' };
  if (outgoing === null) return { inputs: null, error: 'Enter the outgoing (upload) rate in MB/s.' };
  if (compression === null || compression < 1) return { inputs: null, error: 'The compression factor is a number of at least 1 (1 = no compression).' };
  if (hours === null || hours > 24) return { inputs: null, error: 'Write hours per day is a number from 0 to 24.' };
  return { inputs: { incomingMBps: incoming, outgoingMBps: outgoing, compressionFactor: compression, writeHoursPerDay: hours }, error: null };
}

/** Guidance rounded up to whole GiB (at least 1), so capacity fields show tidy numbers. */
export function roundUpGiB(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024 ** 3)) * 1024 ** 3;
}
