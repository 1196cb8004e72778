import type { LogsRecentRequest } from '../../../src-main/ipc/ipc-contract.js';

/** React-query keys of the gateway's data, one place so invalidation and the events bridge agree. */
export const queryKeys = {
  appInfo: ['app', 'info'] as const,
  snapshot: ['gateway', 'snapshot'] as const,
  activationStatus: ['activation', 'status'] as const,
  /** The key `activation.begin` returned last (the status carries it too once main reports it). */
  activationKey: ['activation', 'key'] as const,
  volumes: ['volumes', 'list'] as const,
  /** Fed only by `volumes.syncProgress` events. */
  syncProgress: (name: string) => ['syncProgress', name] as const,
  storage: ['storage', 'describe'] as const,
  bandwidth: ['bandwidth', 'get'] as const,
  /** The hour of 1 s samples that seeds the live series (fetched once a session). */
  liveSeed: ['metrics', 'liveSeed'] as const,
  metricsHistory: (rangeSeconds: number) => ['metrics', 'history', rangeSeconds] as const,
  logs: (req: LogsRecentRequest) => ['logs', req] as const,
};
