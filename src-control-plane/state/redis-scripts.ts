/**
 * Lua scripts of the Redis state. Redis runs a script alone, so each one is the atomic
 * decision between racing servers that the state interface promises (docs/control-plane.md
 * § State). Each is also safe to run twice with the same arguments: ioredis resends a command
 * whose reply was lost in a reconnect, and a resent `use`, `remember` or `open` must answer
 * as the first run did, not as a loser of the race against itself.
 *
 * Stored JSON is never re-encoded in Lua (cjson would round numbers to 14 digits); fields a
 * script changes live beside the JSON in the same hash. The alert scripts build an alert's
 * key from a prefix argument, which one Redis allows (Redis Cluster would not).
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for EVALSHA. */
export interface LuaScript {
  name: string;
  source: string;
  sha1: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS[1] activation-key hash. ARGV gatewayId, nowMs.
 * → {'unknown'} | {'already-used'} | {'expired'} | {'used', recordJson}
 */
export const USE_ACTIVATION_KEY = script('use-activation-key', `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end
local bound = redis.call('HGET', KEYS[1], 'gatewayId')
if bound and bound ~= '' then
  if bound == ARGV[1] then return {'used', redis.call('HGET', KEYS[1], 'record')} end
  return {'already-used'}
end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAtMs')) <= tonumber(ARGV[2]) then return {'expired'} end
redis.call('HSET', KEYS[1], 'gatewayId', ARGV[1])
return {'used', redis.call('HGET', KEYS[1], 'record')}
`);

/** KEYS[1] gateways, KEYS[2] gateways:seen. ARGV gatewayId, atMs. Moves lastSeenAt forward only. */
export const TOUCH_GATEWAY = script('touch-gateway', `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen and tonumber(seen) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`);

/** KEYS[1] holder key. ARGV connectionId, ttlMs. 1 if the entry still names the connection and was extended. */
export const REFRESH_HOLDER = script('refresh-holder', `
local value = redis.call('GET', KEYS[1])
if not value or cjson.decode(value).connectionId ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS[1] holder key. ARGV connectionId. Deletes the entry only if it still names the connection. */
export const REMOVE_HOLDER_IF = script('remove-holder-if', `
local value = redis.call('GET', KEYS[1])
if not value or cjson.decode(value).connectionId ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/** KEYS[1] nonce key. ARGV callToken, ttlMs. 1 the first time (or on a resend of that same call), else 0. */
export const REMEMBER_NONCE = script('remember-nonce', `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
`);

/** KEYS[1] rate key. ARGV windowMs. → {hits in this window, ms until it ends}. The window starts at its first hit. */
export const RATE_HIT = script('rate-hit', `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`);

/**
 * KEYS[1] samples zset. ARGV atMs, minuteStartMs, minuteEndMs (inclusive), sampleJson.
 * Keeps the sample unless its minute already holds a newer one; equal times: the later call wins.
 */
export const APPEND_SAMPLE = script('append-sample', `
local held = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3], 'WITHSCORES')
for i = 2, #held, 2 do
  if tonumber(held[i]) > tonumber(ARGV[1]) then return 0 end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
return 1
`);

/**
 * KEYS[1] alerts:open, KEYS[2] alerts zset. ARGV alertKeyString, newId, recordJson, openedAtMs, alertKeyPrefix.
 * → {created (1|0), recordJson, state, closedAt}: the alert already open for the key, or the new one.
 */
export const OPEN_ALERT = script('open-alert', `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then
  id = ARGV[2]
  redis.call('HSET', KEYS[1], ARGV[1], id)
  redis.call('HSET', ARGV[5] .. id, 'record', ARGV[3], 'state', 'open', 'closedAt', '')
  redis.call('ZADD', KEYS[2], ARGV[4], id)
end
local fields = redis.call('HMGET', ARGV[5] .. id, 'record', 'state', 'closedAt')
local created = 0
if id == ARGV[2] then created = 1 end
return {created, fields[1], fields[2], fields[3]}
`);

/** KEYS[1] alerts:open. ARGV alertKeyString, closedAtIso, alertKeyPrefix. → {recordJson, state, closedAt} or nil. */
export const CLOSE_ALERT = script('close-alert', `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', ARGV[3] .. id, 'state', 'closed', 'closedAt', ARGV[2])
return redis.call('HMGET', ARGV[3] .. id, 'record', 'state', 'closedAt')
`);
