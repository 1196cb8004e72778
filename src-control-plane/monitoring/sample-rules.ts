/**
 * The per-gateway rules run on every sample, together: the rules of the spec's table that
 * look at one sample, plus the bookkeeping a sample implies (the gateway is online; a
 * volume that is gone has no alerts).
 */
import type { AlertRecord, StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import { alertKey, type AlertDecision, type GatewayRef } from './alert-decision.js';
import { PER_VOLUME_RULES, type AlertRuleName } from './alert-rule.js';
import type { AlertThresholds } from './alert-thresholds.js';
import { cacheDirtyHigh } from './rules/cache-dirty-high.js';
import { gatewayOnline } from './rules/gateway-offline.js';
import { ioWaitHigh } from './rules/io-wait-high.js';
import { recoveryPointOld } from './rules/recovery-point-old.js';
import { uploadBufferHigh } from './rules/upload-buffer-high.js';
import { writeLogError } from './rules/write-log-error.js';

/** What one sample asks for, and the io-wait streak to keep for the gateway's next sample. */
export interface SampleEvaluation {
  decisions: AlertDecision[];
  ioWaitStreak: number;
}

/**
 * Every per-gateway rule on one sample. `openAlerts` (the gateway's open alerts) is used only to
 * close per-volume alerts of volumes the sample no longer lists (deleted, or moved to another
 * gateway), which no rule would otherwise ever close.
 */
export function evaluateSample(gateway: GatewayRef, sample: StatusSample, t: AlertThresholds, previousIoWaitStreak: number, openAlerts: readonly AlertRecord[]): SampleEvaluation {
  const ioWait = ioWaitHigh(gateway, sample, t, previousIoWaitStreak);
  const decisions: AlertDecision[] = [
    gatewayOnline(gateway.id, 'a status sample arrived'),
    ...uploadBufferHigh(gateway, sample, t),
    ...cacheDirtyHigh(gateway, sample, t),
    ...ioWait.decisions,
    ...recoveryPointOld(gateway, sample, t),
    ...writeLogError(gateway, sample),
  ];
  const present = new Set(sample.volumes.map((v) => v.name));
  for (const a of openAlerts) {
    if (a.gatewayId === gateway.id && a.volume !== null && PER_VOLUME_RULES.has(a.rule) && !present.has(a.volume)) {
      decisions.push({ action: 'close', key: alertKey(a.rule as AlertRuleName, gateway.id, a.volume), reason: `volume ${a.volume} is no longer on the gateway` });
    }
  }
  return { decisions, ioWaitStreak: ioWait.streak };
}
