import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import { alertKey, type AlertDecision, type GatewayRef } from '../alert-decision.js';
import { formatPercent } from '../alert-format.js';
import { AlertRule } from '../alert-rule.js';
import { CLEAR_MARGIN_POINTS, clearLevel, type AlertThresholds } from '../alert-thresholds.js';
import { percentHighDecisions } from './hysteresis.js';

/** `upload-buffer-high` (warning): the gateway's upload buffer is above the threshold; clears 10 points below it. */
export function uploadBufferHigh(gateway: GatewayRef, sample: StatusSample, t: AlertThresholds): AlertDecision[] {
  const value = sample.uploadBuffer.UploadBufferPercentUsed;
  const threshold = t.uploadBufferPercent;
  const clearAt = clearLevel(threshold, CLEAR_MARGIN_POINTS.uploadBufferPercent);
  const key = alertKey(AlertRule.UploadBufferHigh, gateway.id);
  return percentHighDecisions(
    key,
    value,
    threshold,
    clearAt,
    `Upload buffer ${formatPercent(value)} full on gateway ${gateway.name} (threshold ${formatPercent(threshold)}): uploads to the object store are not keeping up with writes, and writers are slowed when it fills`,
    `upload buffer down to ${formatPercent(value)} (clears at ${formatPercent(clearAt)})`,
  );
}
