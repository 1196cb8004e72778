/**
 * The composition root of one control-plane server: state (embedded in `<dataDir>` or Redis),
 * TLS material, the alert monitor, the connection hub, the request dispatcher, and one https
 * server carrying both the Fastify app and the management WebSocket upgrades.
 *
 * Start order: state → TLS → local account (embedded) → monitor, hub, dispatcher (subscribed)
 * → https listening → monitor sweeps. Close order: monitor → dispatcher (waiting commands fail
 * at once) → upgrades refused → connections closed and their registry entries removed →
 * https server closed → state closed.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ensureLocalAccount } from './accounts/local-account.js';
import type { ControlPlaneConfig } from './config/control-plane-config.js';
import { ConnectionHub } from './connections/connection-hub.js';
import { createUpgradeHandler, type UpgradeHandler } from './connections/upgrade-handler.js';
import { RequestDispatcher } from './forwarding/request-dispatcher.js';
import { buildControlPlaneApp } from './http/app.js';
import { createControlPlaneLogger, type ControlPlaneLogger } from './log/control-plane-logger.js';
import { createAlertMonitor, type AlertMonitor } from './monitoring/index.js';
import { openEmbeddedState, openRedisState, type ControlPlaneState } from './state/index.js';
import { loadTlsMaterial } from './tls/tls-material.js';

/** A running control-plane server. */
export interface RunningControlPlane {
  /** What gateways and administrators use: `publicUrl`, else `https://<listen host>:<bound port>`. */
  url: string;
  /** This server's own address, `https://host:port` (the bound port when 0 was asked for). */
  localUrl: string;
  port: number;
  serverId: string;
  /** The CA gateways pin. */
  caCertPem: string;
  /** A file holding the CA (for `--ca-file`). */
  caFile: string;
  /** Embedded state only: the file holding the `local` account's token (null when it could not be made). */
  adminTokenFile: string | null;
  state: ControlPlaneState;
  /** Close connections, stop listening, close the state. Idempotent. */
  close(): Promise<void>;
}

/** Knobs for embedding and tests. */
export interface StartControlPlaneOptions {
  /** Default: JSON lines on stderr at `config.logLevel`. */
  logger?: ControlPlaneLogger;
  /** Period of the monitor's time-based rules (default 15 s). */
  monitorSweepIntervalMs?: number;
}

/** Start one control-plane server with a validated config (`validateControlPlaneConfig`). */
export async function startControlPlane(config: ControlPlaneConfig, options: StartControlPlaneOptions = {}): Promise<RunningControlPlane> {
  const logger = (options.logger ?? createControlPlaneLogger({ level: config.logLevel })).child({ serverId: config.serverId });
  const state = await openControlPlaneState(config, logger);
  let monitor: AlertMonitor | null = null;
  let dispatcher: RequestDispatcher | null = null;
  let upgrades: UpgradeHandler | null = null;
  let hub: ConnectionHub | null = null;
  let app: FastifyInstance | null = null;
  let closing: Promise<void> | null = null;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      monitor?.stop();
      dispatcher?.stop();
      await upgrades?.close();
      await hub?.closeAll();
      await app?.close();
      await state.close();
      logger.info('control plane stopped');
    })();
    return closing;
  };

  try {
    const tls = await loadTlsMaterial(config.dataDir, config.tls);
    const adminTokenFile = state.kind === 'embedded' ? await ensureLocalAccount(state.accounts, join(config.dataDir, 'admin-token'), logger) : null;

    const liveMonitor = createAlertMonitor({
      state,
      logger: logger.child({ component: 'monitor' }),
      thresholds: config.alertThresholds,
      ...(options.monitorSweepIntervalMs === undefined ? {} : { sweepIntervalMs: options.monitorSweepIntervalMs }),
      onAlertsChanged: (gatewayId) => dispatcher?.notifyAlertsChanged(gatewayId),
    });
    monitor = liveMonitor;
    const liveHub = new ConnectionHub({ serverId: config.serverId, state, monitor: liveMonitor, logger: logger.child({ component: 'connections' }), heartbeatMs: config.heartbeatMs, statusIntervalMs: config.statusIntervalMs });
    hub = liveHub;
    const liveDispatcher = new RequestDispatcher({ serverId: config.serverId, state, connections: liveHub, logger });
    dispatcher = liveDispatcher;
    await liveDispatcher.start();
    const liveUpgrades = createUpgradeHandler({ state, hub: liveHub, logger: logger.child({ component: 'connections' }) });
    upgrades = liveUpgrades;

    app = await buildControlPlaneApp(
      { config, state, logger, caCertPem: tls.caCertPem, commands: liveDispatcher, connections: liveHub },
      {
        serverFactory: (handler) => {
          const server: HttpsServer = createHttpsServer({ key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' }, handler);
          server.on('upgrade', liveUpgrades.onUpgrade);
          // Fastify's types assume node:http; an https server has the same request/listen surface.
          return server as unknown as HttpServer;
        },
      },
    );
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const port = (app.server.address() as AddressInfo).port;
    const localUrl = `https://${urlHost(config.listen.host)}:${port}`;
    liveMonitor.start();
    const url = config.publicUrl ?? localUrl;
    logger.info('control plane listening', { url, localUrl, state: state.kind, caFile: tls.caFile });
    return { url, localUrl, port, serverId: config.serverId, caCertPem: tls.caCertPem, caFile: tls.caFile, adminTokenFile, state, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Open the state a config names: Redis when `redis` is set, else the embedded files in `dataDir`. */
export async function openControlPlaneState(config: Pick<ControlPlaneConfig, 'dataDir' | 'redis'>, logger: ControlPlaneLogger): Promise<ControlPlaneState> {
  const onError = (err: unknown, context: string): void => logger.warn('control-plane state', { context, err });
  return config.redis === null ? openEmbeddedState(config.dataDir, { onError }) : openRedisState(config.redis.url, { keyPrefix: config.redis.keyPrefix, onError });
}

/** A listen host as it goes into a URL: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
