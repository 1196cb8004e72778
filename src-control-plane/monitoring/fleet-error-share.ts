/**
 * Fleet-error observations shared between control-plane servers over the state's MessageBus.
 * A gateway's samples reach only the server holding its connection, so without this each
 * server would count only its own gateways and a fleet error spread over three servers would
 * never reach the threshold. Best effort: a lost message only delays an alert.
 */
import type { FleetErrorObservation } from './rules/fleet-error.js';

/** The bus channel (beside the server's `tidegate:server:<id>` and `tidegate:broadcast`). */
export const FLEET_ERROR_CHANNEL = 'tidegate:monitor:fleet-errors';

/** What a monitor publishes after a sample with coded errors. */
export interface FleetErrorShareMessage {
  kind: 'fleet-errors';
  /** The publishing monitor, so it can skip its own message (the bus delivers to every subscriber). */
  origin: string;
  observations: FleetErrorObservation[];
}

/** Most observations accepted from one message: a sample carries at most 20 errors. */
const MAX_OBSERVATIONS = 100;

/** The message to publish. */
export function fleetErrorShareMessage(origin: string, observations: FleetErrorObservation[]): FleetErrorShareMessage {
  return { kind: 'fleet-errors', origin, observations };
}

/** Checks a message from the bus; null if it is not a well-formed FleetErrorShareMessage. */
export function parseFleetErrorShare(message: unknown): FleetErrorShareMessage | null {
  if (typeof message !== 'object' || message === null) return null;
  const m = message as Partial<Record<keyof FleetErrorShareMessage, unknown>>;
  if (m.kind !== 'fleet-errors' || typeof m.origin !== 'string' || !Array.isArray(m.observations)) return null;
  if (m.observations.length > MAX_OBSERVATIONS) return null;
  const observations: FleetErrorObservation[] = [];
  for (const o of m.observations as unknown[]) {
    if (typeof o !== 'object' || o === null) return null;
    const f = o as Record<string, unknown>;
    const strings = ['gatewayId', 'gatewayName', 'version', 'code', 'message'] as const;
    if (!strings.every((k) => typeof f[k] === 'string') || typeof f.atMs !== 'number' || !Number.isFinite(f.atMs)) return null;
    observations.push({
      gatewayId: f.gatewayId as string,
      gatewayName: f.gatewayName as string,
      version: f.version as string,
      code: f.code as string,
      message: f.message as string,
      atMs: f.atMs,
    });
  }
  return { kind: 'fleet-errors', origin: m.origin, observations };
}
