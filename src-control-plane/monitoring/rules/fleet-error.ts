import type { AlertRecord, StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey, type CloseDecision, type GatewayRef, type OpenDecision } from '../alert-decision.js';
import { formatDuration } from '../alert-format.js';
import { AlertRule } from '../alert-rule.js';
import type { AlertThresholds } from '../alert-thresholds.js';

/** One gateway reporting one error code, as the control plane saw it. */
export interface FleetErrorObservation {
  gatewayId: string;
  gatewayName: string;
  /** The engine version the gateway ran (the sample's, not the one it was activated with). */
  version: string;
  code: string;
  /** The error's message, quoted in the alert. */
  message: string;
  /** When a control-plane server received it (ms); server clocks, not the gateways', so a gateway with a wrong clock cannot skew the window. */
  atMs: number;
}

/** Gateway names listed in a fleet alert's message before "and N more". */
const MAX_NAMES = 10;
const MAX_QUOTE = 200;

/**
 * The subject of a fleet-error alert, e.g. `STORE_UNAVAILABLE@0.4.1`. AlertKey has no field for
 * it, so it travels in `AlertKey.volume` (gatewayId is null): one open alert per code and version.
 */
export function fleetErrorSubject(version: string, code: string): string {
  return `${code}@${version}`;
}

/** The coded errors of a sample, one observation per code (errors without a code cannot be matched across gateways). */
export function fleetErrorsFromSample(gateway: GatewayRef, sample: StatusSample, atMs: number): FleetErrorObservation[] {
  const byCode = new Map<string, FleetErrorObservation>();
  for (const e of sample.errors) {
    if (typeof e?.code !== 'string' || e.code === '') continue;
    const message = typeof e.message === 'string' ? e.message : '';
    byCode.set(e.code, { gatewayId: gateway.id, gatewayName: gateway.name, version: String(sample.version), code: e.code, message, atMs });
  }
  return [...byCode.values()];
}

/**
 * `fleet-error` (critical, fleet-wide) openings: each code reported by at least
 * `fleetErrorGateways` distinct gateways of one version within the window ending at `nowMs`.
 * Gateways of different versions never add up: a bug of one release is what this looks for.
 */
export function fleetErrorOpenings(observations: readonly FleetErrorObservation[], nowMs: number, t: AlertThresholds): OpenDecision[] {
  const since = nowMs - t.fleetErrorWindowMs;
  const bySubject = new Map<string, Map<string, FleetErrorObservation>>();
  for (const o of observations) {
    if (o.atMs < since || o.atMs > nowMs) continue;
    const subject = fleetErrorSubject(o.version, o.code);
    let gateways = bySubject.get(subject);
    if (!gateways) bySubject.set(subject, (gateways = new Map()));
    const prev = gateways.get(o.gatewayId);
    if (!prev || prev.atMs <= o.atMs) gateways.set(o.gatewayId, o);
  }
  const decisions: OpenDecision[] = [];
  for (const [subject, gateways] of bySubject) {
    if (gateways.size < t.fleetErrorGateways) continue;
    const seen = [...gateways.values()];
    const latest = seen.reduce((a, b) => (b.atMs > a.atMs ? b : a));
    const names = seen.map((o) => o.gatewayName).sort();
    const listed = names.length > MAX_NAMES ? `${names.slice(0, MAX_NAMES).join(', ')} and ${names.length - MAX_NAMES} more` : names.join(', ');
    const quote = latest.message.length > MAX_QUOTE ? `${latest.message.slice(0, MAX_QUOTE)}…` : latest.message;
    decisions.push({
      action: 'open',
      key: alertKey(AlertRule.FleetError, null, subject),
      severity: 'critical',
      value: gateways.size,
      message: `Error ${latest.code} on ${gateways.size} gateways running version ${latest.version} within ${formatDuration(t.fleetErrorWindowMs / 1000)} (threshold ${t.fleetErrorGateways}): ${listed}. Latest: "${quote}"`,
    });
  }
  return decisions;
}

/**
 * `fleet-error` closings: an open fleet alert closes after a whole window without its code on
 * its version from any gateway. Observations live in memory, so a window must also have passed
 * since the alert opened and since this monitor started listening (`listeningSinceMs`): a server
 * that just started has not heard anything yet and must not close an alert for that.
 */
export function fleetErrorClosings(openAlerts: readonly AlertRecord[], observations: readonly FleetErrorObservation[], nowMs: number, t: AlertThresholds, listeningSinceMs: number): CloseDecision[] {
  const since = nowMs - t.fleetErrorWindowMs;
  const active = new Set(observations.filter((o) => o.atMs >= since).map((o) => fleetErrorSubject(o.version, o.code)));
  const decisions: CloseDecision[] = [];
  for (const alert of openAlerts) {
    if (alert.rule !== AlertRule.FleetError || alert.state !== 'open' || alert.gatewayId !== null || alert.volume === null) continue;
    if (active.has(alert.volume)) continue;
    const openedMs = Date.parse(alert.openedAt);
    const quietSinceMs = Math.max(Number.isFinite(openedMs) ? openedMs : 0, listeningSinceMs);
    if (nowMs - quietSinceMs < t.fleetErrorWindowMs) continue;
    decisions.push({
      action: 'close',
      key: alertKey(AlertRule.FleetError, null, alert.volume),
      reason: `no gateway reported ${alert.volume} for ${formatDuration(t.fleetErrorWindowMs / 1000)}`,
    });
  }
  return decisions;
}
