/**
 * Everything a control-plane server keeps, behind one interface with two implementations:
 * `openEmbeddedState` (files in a data dir plus memory: one server, no native modules) and
 * `openRedisState` (Redis: many servers, any of them killable). Servers hold no state of
 * their own beyond their open WebSockets. docs/control-plane.md § State.
 *
 * Every method that decides something between racing servers (using an activation key,
 * remembering a nonce, opening an alert, removing a registry entry) is atomic in both
 * implementations.
 */
import type { AlertRecord, GatewayMetadata, StatusSample } from '../../src-gateway-engine/control/control-wire.js';

export interface AccountRecord {
  id: string;
  name: string;
  createdAt: string;
}

export interface ActivationKeyRecord {
  /** Normalised key: 12 upper-case Crockford base32 characters, no dashes. */
  key: string;
  publicKey: string;
  metadata: GatewayMetadata;
  createdAt: string;
  expiresAt: string;
  /** Set once an administrator submitted the key (single use). */
  gatewayId: string | null;
}

export interface GatewayRecord {
  id: string;
  accountId: string;
  name: string;
  timezone: string;
  /** Raw Ed25519 public key, base64url. */
  publicKey: string;
  metadata: GatewayMetadata;
  activatedAt: string;
  /** Last time a connection of this gateway was seen alive (welcome, heartbeat, sample). */
  lastSeenAt: string | null;
}

/** Which server holds a gateway's management connection. */
export interface HolderEntry {
  serverId: string;
  /** Unique per WebSocket, so a stale server cannot remove a newer registration. */
  connectionId: string;
  since: string;
}

export type UseActivationKeyResult =
  | { outcome: 'used'; record: ActivationKeyRecord }
  | { outcome: 'unknown' | 'expired' | 'already-used' };

export interface AccountStore {
  /** Create an account and its first API token; the token is returned once and stored hashed. */
  create(name: string): Promise<{ account: AccountRecord; token: string }>;
  /** The account a token belongs to, or null (unknown token, or the account was deleted). */
  byToken(token: string): Promise<AccountRecord | null>;
  get(id: string): Promise<AccountRecord | null>;
  list(): Promise<AccountRecord[]>;
}

export interface ActivationKeyStore {
  put(record: ActivationKeyRecord): Promise<void>;
  get(key: string): Promise<ActivationKeyRecord | null>;
  /** Atomically bind a pending, unexpired key to a gateway id. */
  use(key: string, gatewayId: string, now: Date): Promise<UseActivationKeyResult>;
}

export interface GatewayStore {
  put(record: GatewayRecord): Promise<void>;
  get(id: string): Promise<GatewayRecord | null>;
  listByAccount(accountId: string): Promise<GatewayRecord[]>;
  listAll(): Promise<GatewayRecord[]>;
  touch(id: string, at: Date): Promise<void>;
}

export interface GatewayRegistry {
  /** Register (or take over) the holder of a gateway; the entry expires after `ttlMs` unless refreshed. */
  set(gatewayId: string, entry: HolderEntry, ttlMs: number): Promise<void>;
  /** Extend the entry if it still names `connectionId`; false if it no longer does. */
  refresh(gatewayId: string, connectionId: string, ttlMs: number): Promise<boolean>;
  /** Remove the entry only if it still names `connectionId`. */
  removeIf(gatewayId: string, connectionId: string): Promise<void>;
  get(gatewayId: string): Promise<HolderEntry | null>;
  /** Gateways held by a server (for the connections-per-server figure). */
  countByServer(): Promise<Map<string, number>>;
}

export interface NonceStore {
  /** True the first time a nonce is seen within `ttlMs`; false on replay. */
  remember(nonce: string, ttlMs: number): Promise<boolean>;
}

export interface RateLimiter {
  /** Count one hit against `key` in a fixed window; `allowed` is false past `limit`. */
  hit(key: string, limit: number, windowMs: number): Promise<{ allowed: boolean; retryAfterMs: number }>;
}

export interface SampleStore {
  /** Keep the sample as its minute's sample (the newest of a minute wins). */
  append(gatewayId: string, sample: StatusSample): Promise<void>;
  range(gatewayId: string, fromMs: number, toMs: number): Promise<StatusSample[]>;
  latest(gatewayId: string): Promise<StatusSample | null>;
  /** Drop samples older than `beforeMs`; returns how many went. */
  prune(beforeMs: number): Promise<number>;
}

/** Identity of an open alert: one per rule, gateway and volume. */
export interface AlertKey {
  rule: string;
  gatewayId: string | null;
  volume: string | null;
}

export interface AlertStore {
  /** Open the alert for `key` unless one is open already; returns the open alert either way and whether it is new. */
  open(key: AlertKey, fields: Pick<AlertRecord, 'severity' | 'message' | 'value'>, at: Date): Promise<{ alert: AlertRecord; created: boolean }>;
  /** Close the open alert for `key`, if any; returns it. */
  close(key: AlertKey, at: Date): Promise<AlertRecord | null>;
  list(filter: { state?: 'open' | 'closed' | 'all'; gatewayId?: string }): Promise<AlertRecord[]>;
}

/** Pub/sub between servers (in-process for the embedded state). Messages are JSON values. */
export interface MessageBus {
  subscribe(channel: string, handler: (message: unknown) => void): Promise<void>;
  publish(channel: string, message: unknown): Promise<void>;
}

export interface ControlPlaneState {
  /** 'embedded' or 'redis', for logs and status. */
  readonly kind: 'embedded' | 'redis';
  readonly accounts: AccountStore;
  readonly activationKeys: ActivationKeyStore;
  readonly gateways: GatewayStore;
  readonly registry: GatewayRegistry;
  readonly nonces: NonceStore;
  readonly rateLimiter: RateLimiter;
  readonly samples: SampleStore;
  readonly alerts: AlertStore;
  readonly bus: MessageBus;
  close(): Promise<void>;
}
