/** The monitoring part of the control plane: samples in, alerts out. */
export { createAlertMonitor, DEFAULT_ALERT_THRESHOLDS, DEFAULT_SWEEP_INTERVAL_MS } from './alert-monitor.js';
export type { AlertMonitor, AlertMonitorOptions, AlertThresholds, MonitorLogger } from './alert-monitor.js';
export { AlertRule, type AlertRuleName } from './alert-rule.js';
