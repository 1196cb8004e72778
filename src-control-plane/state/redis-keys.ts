/**
 * Key layout of the Redis state (P = key prefix, `tidegate:` by default). Bus channels are
 * not prefixed: callers name them (`tidegate:server:<id>`, `tidegate:broadcast`).
 *
 *   P accounts                   hash   accountId → AccountRecord JSON
 *   P tokens                     hash   sha256(token) hex → accountId
 *   P activation-key:<key>       hash   record (ActivationKeyRecord JSON, gatewayId null),
 *                                       expiresAtMs, gatewayId ('' while pending);
 *                                       expires ACTIVATION_KEY_RETENTION_MS after expiresAt
 *   P gateways                   hash   gatewayId → GatewayRecord JSON
 *   P gateways:seen              hash   gatewayId → lastSeenAt, ms (overrides the record's)
 *   P holder:<gatewayId>         string HolderEntry JSON, PX = registry TTL
 *   P nonce:<nonce>              string the remembering call's token, PX = nonce TTL
 *   P rate:<key>                 string hit count of the current window, PX = window
 *   P samples:<gatewayId>        zset   score = sample time (ms), member = StatusSample JSON
 *   P alerts                     zset   score = openedAt (ms), member = alert id
 *   P alert:<id>                 hash   record (AlertRecord JSON as opened), state, closedAt ('' while open)
 *   P alerts:open                hash   alertKeyString → id of the open alert
 */

/** Default key prefix. */
export const DEFAULT_KEY_PREFIX = 'tidegate:';

/** Key names under one prefix. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  accounts(): string {
    return `${this.prefix}accounts`;
  }
  tokens(): string {
    return `${this.prefix}tokens`;
  }
  activationKey(key: string): string {
    return `${this.prefix}activation-key:${key}`;
  }
  gateways(): string {
    return `${this.prefix}gateways`;
  }
  gatewaysSeen(): string {
    return `${this.prefix}gateways:seen`;
  }
  holder(gatewayId: string): string {
    return `${this.prefix}holder:${gatewayId}`;
  }
  /** SCAN pattern of all holder keys. */
  holderPattern(): string {
    return `${globEscape(this.prefix)}holder:*`;
  }
  nonce(nonce: string): string {
    return `${this.prefix}nonce:${nonce}`;
  }
  rate(key: string): string {
    return `${this.prefix}rate:${key}`;
  }
  samples(gatewayId: string): string {
    return `${this.prefix}samples:${gatewayId}`;
  }
  /** SCAN pattern of all sample sets. */
  samplesPattern(): string {
    return `${globEscape(this.prefix)}samples:*`;
  }
  alerts(): string {
    return `${this.prefix}alerts`;
  }
  /** Prefix of an alert's hash; the id follows (Lua scripts append it themselves). */
  alertPrefix(): string {
    return `${this.prefix}alert:`;
  }
  alert(id: string): string {
    return `${this.alertPrefix()}${id}`;
  }
  openAlerts(): string {
    return `${this.prefix}alerts:open`;
  }
}

/** Escapes Redis glob characters so a prefix matches only itself in SCAN MATCH. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
