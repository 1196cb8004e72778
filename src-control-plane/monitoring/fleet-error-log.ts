/**
 * Recent fleet-error observations, in memory: the newest per (version, code, gateway), dropped
 * once older than the window. Memory is enough for a rule that only looks one window back; a
 * restarted server starts empty and relearns within a status interval (and fleetErrorClosings
 * waits a window after start before closing anything). With several servers each one hears its
 * own gateways' samples directly and the others' through the state's message bus
 * (fleet-error-share.ts), so every server sees the whole fleet.
 */
import { fleetErrorSubject, type FleetErrorObservation } from './rules/fleet-error.js';

/** The observation memory of one monitor. */
export interface FleetErrorLog {
  record(observations: readonly FleetErrorObservation[]): void;
  /** Observations within the window ending at `nowMs` (older ones are forgotten). */
  recent(nowMs: number): FleetErrorObservation[];
}

/** An empty log keeping `windowMs` of observations. */
export function createFleetErrorLog(windowMs: number): FleetErrorLog {
  const newest = new Map<string, FleetErrorObservation>();
  const forgetBefore = (sinceMs: number): void => {
    for (const [id, o] of newest) if (o.atMs < sinceMs) newest.delete(id);
  };
  return {
    record(observations) {
      for (const o of observations) {
        const id = JSON.stringify([fleetErrorSubject(o.version, o.code), o.gatewayId]);
        const prev = newest.get(id);
        if (!prev || prev.atMs <= o.atMs) newest.set(id, o);
      }
    },
    recent(nowMs) {
      forgetBefore(nowMs - windowMs);
      return [...newest.values()];
    },
  };
}
