import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey, type AlertDecision, type GatewayRef } from '../alert-decision.js';
import { formatPercent } from '../alert-format.js';
import { AlertRule } from '../alert-rule.js';
import { CLEAR_MARGIN_POINTS, clearLevel, type AlertThresholds } from '../alert-thresholds.js';
import { percentHighDecisions } from './hysteresis.js';

/** `cache-dirty-high` (warning): too much of the cache holds data not uploaded yet; clears 10 points below the threshold. */
export function cacheDirtyHigh(gateway: GatewayRef, sample: StatusSample, t: AlertThresholds): AlertDecision[] {
  const value = sample.cache.CachePercentDirty;
  const threshold = t.cacheDirtyPercent;
  const clearAt = clearLevel(threshold, CLEAR_MARGIN_POINTS.cacheDirtyPercent);
  const key = alertKey(AlertRule.CacheDirtyHigh, gateway.id);
  return percentHighDecisions(
    key,
    value,
    threshold,
    clearAt,
    `Cache ${formatPercent(value)} dirty on gateway ${gateway.name} (threshold ${formatPercent(threshold)}): data written locally is waiting to be uploaded, leaving little cache for reads`,
    `dirty cache down to ${formatPercent(value)} (clears at ${formatPercent(clearAt)})`,
  );
}
