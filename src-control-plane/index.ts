/**
 * The control plane's public surface, for main (`tidegate serve` embeds one; the
 * `tidegate control-plane` command runs one or many) — the only module src-main may import.
 */
export { startControlPlane, openControlPlaneState, type RunningControlPlane, type StartControlPlaneOptions } from './control-plane-server.js';
export {
  validateControlPlaneConfig,
  newServerId,
  embeddedControlPlaneDir,
  ControlPlaneConfigError,
  CONTROL_PLANE_DEFAULTS,
  type ControlPlaneConfig,
  type ControlPlaneConfigInput,
  type TlsConfig,
} from './config/control-plane-config.js';
export { parseListenAddress, formatListenAddress, type ListenAddress } from './config/listen-address.js';
export { createAccount, type AccountStateLocation } from './accounts/create-account.js';
export { LOCAL_ACCOUNT_NAME } from './accounts/local-account.js';
export { listGateways, adminRequest, AdminApiError, type AdminClientOptions } from './admin-client/admin-client.js';
export type { GatewayView } from './admin/gateway-view.js';
export { createControlPlaneLogger, silentControlPlaneLogger, CONTROL_PLANE_LOG_LEVELS, type ControlPlaneLogger, type ControlPlaneLogLevel } from './log/control-plane-logger.js';
export { ControlError, CONTROL_ERROR_STATUS } from './errors/control-error.js';
export { DEFAULT_ALERT_THRESHOLDS, type AlertThresholds } from './monitoring/index.js';
export { buildControlPlaneApp, type ControlPlaneAppOptions } from './http/app.js';
export type { ControlPlaneAppDeps, CommandSender, CommandRequest } from './http/app-context.js';
export { ensureTlsMaterial, loadTlsMaterial, type TlsMaterial } from './tls/tls-material.js';
export { nginxConfig, type NginxConfigOptions } from './deploy/nginx-config.js';
