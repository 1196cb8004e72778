/** The names of the monitor's rules, as they appear in `AlertRecord.rule` (docs/control-plane.md § Monitoring and alerts). */
export const AlertRule = {
  UploadBufferHigh: 'upload-buffer-high',
  CacheDirtyHigh: 'cache-dirty-high',
  IoWaitHigh: 'io-wait-high',
  RecoveryPointOld: 'recovery-point-old',
  WriteLogError: 'write-log-error',
  GatewayOffline: 'gateway-offline',
  FleetError: 'fleet-error',
} as const;

/** One of the rule names above. */
export type AlertRuleName = (typeof AlertRule)[keyof typeof AlertRule];

/** Rules whose alerts are per volume (`AlertKey.volume` is the volume name). */
export const PER_VOLUME_RULES: ReadonlySet<string> = new Set<string>([AlertRule.RecoveryPointOld, AlertRule.WriteLogError]);
