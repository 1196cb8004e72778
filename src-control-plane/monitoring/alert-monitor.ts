/**
 * The alert monitor: stores status samples and opens and closes alerts
 * (docs/control-plane.md § Monitoring and alerts).
 *
 *   onSample    a gateway pushed a sample: store it, run the per-gateway rules (sample-rules.ts)
 *               and the fleet rule (rules/fleet-error.ts)
 *   onConnected the gateway's connection is up: close gateway-offline
 *   sweep       every 15 s: gateway-offline for every gateway, fleet-error closes, hourly pruning
 *
 * Rules are pure functions returning open/close decisions; this file compares them with the
 * open alerts and applies the difference through AlertStore.open/close, which are idempotent
 * and atomic, so servers racing over one gateway (a sweep on each, a gateway moving between
 * servers) never duplicate an alert and only the server that actually changed one logs it and
 * calls `onAlertsChanged`.
 *
 * Memory, not the state, holds two things. The io-wait streak of each gateway: a gateway's
 * samples all arrive on the server holding its connection, and a new connection restarts the
 * streak anyway. And recent fleet-error observations (fleet-error-log.ts), shared between
 * servers over the state's message bus while the monitor is started (fleet-error-share.ts).
 *
 * Work on one gateway runs one task at a time (keyed-queue.ts). No method rejects for a
 * failing store: failures are logged and the next sample or sweep tries again.
 */
import { randomUUID } from 'node:crypto';
import type { AlertRecord, StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import type { ControlPlaneState, GatewayRecord } from '../state/control-plane-state.js';
import { planAlertChanges, type AlertDecision, type GatewayRef } from './alert-decision.js';
import { resolveAlertThresholds, type AlertThresholds } from './alert-thresholds.js';
import { createFleetErrorLog } from './fleet-error-log.js';
import { FLEET_ERROR_CHANNEL, fleetErrorShareMessage, parseFleetErrorShare } from './fleet-error-share.js';
import { createKeyedQueue } from './keyed-queue.js';
import { fleetErrorClosings, fleetErrorOpenings, fleetErrorsFromSample, type FleetErrorObservation } from './rules/fleet-error.js';
import { gatewayOffline, gatewayOnline } from './rules/gateway-offline.js';
import { evaluateSample, type SampleEvaluation } from './sample-rules.js';

export { DEFAULT_ALERT_THRESHOLDS, type AlertThresholds } from './alert-thresholds.js';

/** The logging the monitor needs (the engine's Logger fits). */
export interface MonitorLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Stores samples and keeps the alerts of every gateway and of the fleet up to date. */
export interface AlertMonitor {
  /** A gateway pushed a sample: store it (state.samples.append) and run the per-gateway rules and the fleet rule. */
  onSample(gateway: GatewayRecord, sample: StatusSample): Promise<void>;
  /** A gateway's connection came up on this server: close its gateway-offline alert. */
  onConnected(gatewayId: string): Promise<void>;
  /** Time-based rules: gateway-offline for every gateway, closing fleet-error alerts that went quiet, and retention pruning (at most once an hour). */
  sweep(now?: Date): Promise<void>;
  /** Run sweep every `sweepIntervalMs` (default 15 s) on an unref'd timer, and share fleet-error observations with other servers. */
  start(): void;
  /** Stop the timer and the sharing; a sweep already running finishes on its own. */
  stop(): void;
}

/** Options of createAlertMonitor. */
export interface AlertMonitorOptions {
  state: ControlPlaneState;
  logger: MonitorLogger;
  /** Overrides of DEFAULT_ALERT_THRESHOLDS; validated once (RangeError on a bad value). */
  thresholds?: Partial<AlertThresholds>;
  /** Default 15 000 ms. */
  sweepIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /** An alert of this gateway (null: a fleet alert) opened or closed; the server pushes `{type:'alerts'}`. */
  onAlertsChanged?: (gatewayId: string | null) => void;
}

/** Default period of the time-based rules (the spec's "every 15 s"). */
export const DEFAULT_SWEEP_INTERVAL_MS = 15_000;
/** Retention pruning runs at most this often: it walks every stored sample. */
const PRUNE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Queue key of fleet-wide work; gateway ids never start with a NUL. */
const FLEET_QUEUE_KEY = '\u0000fleet';
/** Gateways checked at once by a sweep: enough to hide store latency, few enough not to flood it. */
const SWEEP_CONCURRENCY = 16;

/** A monitor over `opts.state`; call start() for the sweeps. */
export function createAlertMonitor(opts: AlertMonitorOptions): AlertMonitor {
  const { state, logger } = opts;
  const thresholds = resolveAlertThresholds(opts.thresholds);
  const sweepIntervalMs = opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isFinite(sweepIntervalMs) || sweepIntervalMs <= 0) throw new RangeError(`sweepIntervalMs must be a positive number, got ${String(sweepIntervalMs)}`);
  const now = opts.now ?? (() => new Date());
  const monitorId = randomUUID();
  const createdAtMs = now().getTime();
  const queue = createKeyedQueue();
  const ioWaitStreaks = new Map<string, number>();
  const fleetLog = createFleetErrorLog(thresholds.fleetErrorWindowMs);
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> | null = null;
  let subscribed = false;
  let stopped = false;
  let lastPruneAtMs: number | null = null;

  function failure(msg: string, err: unknown, fields: Record<string, unknown> = {}): void {
    // After stop() the state may be closing under a sweep still in flight; that is expected.
    (stopped ? logger.debug : logger.error).call(logger, msg, { ...fields, err });
  }

  function notify(gatewayId: string | null): void {
    if (!opts.onAlertsChanged) return;
    try {
      opts.onAlertsChanged(gatewayId);
    } catch (err) {
      failure('onAlertsChanged threw', err, { gatewayId });
    }
  }

  function alertFields(alert: AlertRecord): Record<string, unknown> {
    return { alertId: alert.id, rule: alert.rule, severity: alert.severity, gatewayId: alert.gatewayId, volume: alert.volume, value: alert.value, message: alert.message };
  }

  /** Apply decisions in order; true if any alert actually opened or closed here. */
  async function apply(decisions: readonly AlertDecision[], at: Date): Promise<boolean> {
    let changed = false;
    for (const d of decisions) {
      try {
        if (d.action === 'open') {
          const { alert, created } = await state.alerts.open(d.key, { severity: d.severity, message: d.message, value: d.value }, at);
          if (created) {
            changed = true;
            logger.warn('alert opened', alertFields(alert));
          }
        } else {
          const alert = await state.alerts.close(d.key, at);
          if (alert) {
            changed = true;
            logger.info('alert closed', { ...alertFields(alert), reason: d.reason });
          }
        }
      } catch (err) {
        failure(`could not ${d.action} an alert`, err, { rule: d.key.rule, gatewayId: d.key.gatewayId, volume: d.key.volume });
      }
    }
    return changed;
  }

  async function evaluateFleetOpenings(): Promise<void> {
    await queue.run(FLEET_QUEUE_KEY, async () => {
      const at = now();
      const decisions = fleetErrorOpenings(fleetLog.recent(at.getTime()), at.getTime(), thresholds);
      if (decisions.length > 0 && (await apply(decisions, at))) notify(null);
    });
  }

  function share(observations: FleetErrorObservation[]): void {
    if (timer === null) return;
    state.bus.publish(FLEET_ERROR_CHANNEL, fleetErrorShareMessage(monitorId, observations)).catch((err: unknown) => failure('could not share fleet-error observations', err));
  }

  function onShared(message: unknown): void {
    if (timer === null) return;
    const parsed = parseFleetErrorShare(message);
    if (!parsed) {
      logger.debug('ignored a malformed fleet-error message', { channel: FLEET_ERROR_CHANNEL });
      return;
    }
    if (parsed.origin === monitorId || parsed.observations.length === 0) return;
    fleetLog.record(parsed.observations);
    void evaluateFleetOpenings();
  }

  async function checkOffline(gateway: GatewayRecord, at: Date, openAlerts: readonly AlertRecord[] | null): Promise<void> {
    await queue.run(gateway.id, async () => {
      try {
        const holder = await state.registry.get(gateway.id);
        const decisions = gatewayOffline(gateway, holder, at, thresholds);
        // Without the list of open alerts, apply everything: idempotent, merely more calls.
        const changes = openAlerts ? planAlertChanges(decisions, openAlerts.filter((a) => a.gatewayId === gateway.id)) : decisions;
        if (await apply(changes, at)) notify(gateway.id);
      } catch (err) {
        failure('could not check whether a gateway is offline', err, { gatewayId: gateway.id });
      }
    });
  }

  async function sweepOffline(at: Date, openAlerts: readonly AlertRecord[] | null): Promise<void> {
    let gateways: GatewayRecord[];
    try {
      gateways = await state.gateways.listAll();
    } catch (err) {
      failure('sweep: could not list gateways', err);
      return;
    }
    for (let i = 0; i < gateways.length; i += SWEEP_CONCURRENCY) {
      await Promise.all(gateways.slice(i, i + SWEEP_CONCURRENCY).map((g) => checkOffline(g, at, openAlerts)));
    }
  }

  async function sweepFleet(at: Date, openAlerts: readonly AlertRecord[] | null): Promise<void> {
    // Only open alerts name the subjects to close; without the list there is nothing to judge.
    if (!openAlerts) return;
    await queue.run(FLEET_QUEUE_KEY, async () => {
      const decisions = fleetErrorClosings(openAlerts, fleetLog.recent(at.getTime()), at.getTime(), thresholds, createdAtMs);
      if (decisions.length > 0 && (await apply(decisions, at))) notify(null);
    });
  }

  async function pruneIfDue(at: Date): Promise<void> {
    const atMs = at.getTime();
    if (lastPruneAtMs !== null && atMs - lastPruneAtMs < PRUNE_INTERVAL_MS) return;
    // Counted as done even if it fails: retrying every sweep would only repeat the error.
    lastPruneAtMs = atMs;
    const beforeMs = atMs - thresholds.retentionDays * DAY_MS;
    try {
      const pruned = await state.samples.prune(beforeMs);
      (pruned > 0 ? logger.info : logger.debug).call(logger, 'pruned old status samples', { pruned, before: new Date(beforeMs).toISOString(), retentionDays: thresholds.retentionDays });
    } catch (err) {
      failure('could not prune old status samples', err);
    }
  }

  const monitor: AlertMonitor = {
    async onSample(gateway, sample) {
      const ref: GatewayRef = { id: gateway.id, name: gateway.name };
      await queue.run(gateway.id, async () => {
        const at = now();
        try {
          await state.samples.append(gateway.id, sample);
        } catch (err) {
          // Alerts matter more than history: evaluate the sample anyway.
          failure('could not store a status sample', err, { gatewayId: gateway.id });
        }
        let openAlerts: AlertRecord[] | null = null;
        try {
          openAlerts = (await state.alerts.list({ state: 'open', gatewayId: gateway.id })).filter((a) => a.gatewayId === gateway.id);
        } catch (err) {
          failure('could not list open alerts', err, { gatewayId: gateway.id });
        }
        let evaluation: SampleEvaluation;
        try {
          evaluation = evaluateSample(ref, sample, thresholds, ioWaitStreaks.get(gateway.id) ?? 0, openAlerts ?? []);
        } catch (err) {
          // Only a sample that does not match StatusSample gets here; the server should have refused it.
          failure('could not evaluate a status sample', err, { gatewayId: gateway.id });
          return;
        }
        ioWaitStreaks.set(gateway.id, evaluation.ioWaitStreak);
        const changes = openAlerts ? planAlertChanges(evaluation.decisions, openAlerts) : evaluation.decisions;
        if (await apply(changes, at)) notify(gateway.id);
      });
      const observations = Array.isArray(sample.errors) ? fleetErrorsFromSample(ref, sample, now().getTime()) : [];
      if (observations.length > 0) {
        fleetLog.record(observations);
        share(observations);
        await evaluateFleetOpenings();
      }
    },

    async onConnected(gatewayId) {
      await queue.run(gatewayId, async () => {
        // Samples either side of a reconnect are not "in a row".
        ioWaitStreaks.delete(gatewayId);
        if (await apply([gatewayOnline(gatewayId, 'connected again')], now())) notify(gatewayId);
      });
    },

    async sweep(nowArg) {
      const at = nowArg ?? now();
      let openAlerts: AlertRecord[] | null = null;
      try {
        openAlerts = await state.alerts.list({ state: 'open' });
      } catch (err) {
        failure('sweep: could not list open alerts', err);
      }
      await sweepOffline(at, openAlerts);
      await sweepFleet(at, openAlerts);
      await pruneIfDue(at);
    },

    start() {
      if (timer !== null) return;
      stopped = false;
      timer = setInterval(() => {
        // A sweep slower than the interval is not stacked on itself.
        if (sweeping) return;
        sweeping = monitor
          .sweep()
          .catch((err: unknown) => failure('sweep failed', err))
          .finally(() => {
            sweeping = null;
          });
      }, sweepIntervalMs);
      timer.unref();
      if (!subscribed) {
        // MessageBus has no unsubscribe: subscribe once, and onShared ignores messages while stopped.
        subscribed = true;
        state.bus.subscribe(FLEET_ERROR_CHANNEL, onShared).catch((err: unknown) => failure('could not subscribe to fleet-error observations', err));
      }
    },

    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      stopped = true;
    },
  };
  return monitor;
}
