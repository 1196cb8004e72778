/** Status samples in Redis: a sorted set per gateway, scored by sample time, one member per minute. */
import type { StatusSample } from '../../src-gateway-engine/control/control-wire.js';
import type { SampleStore } from './control-plane-state.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';
import { APPEND_SAMPLE } from './redis-scripts.js';
import { SAMPLE_RESOLUTION_MS, sampleTimeMs } from './sample-time.js';

/** Redis `SampleStore`. */
export class RedisSamples implements SampleStore {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async append(gatewayId: string, sample: StatusSample): Promise<void> {
    const ms = sampleTimeMs(sample);
    const minuteStart = Math.floor(ms / SAMPLE_RESOLUTION_MS) * SAMPLE_RESOLUTION_MS;
    await this.link.script('samples.append', APPEND_SAMPLE, [this.keys.samples(gatewayId)], [ms, minuteStart, minuteStart + SAMPLE_RESOLUTION_MS - 1, JSON.stringify(sample)]);
  }

  async range(gatewayId: string, fromMs: number, toMs: number): Promise<StatusSample[]> {
    if (toMs < fromMs) return [];
    const members = await this.link.run('samples.range', (c) => c.zrangebyscore(this.keys.samples(gatewayId), fromMs, toMs));
    return members.map((json) => JSON.parse(json) as StatusSample);
  }

  async latest(gatewayId: string): Promise<StatusSample | null> {
    const [json] = await this.link.run('samples.latest', (c) => c.zrange(this.keys.samples(gatewayId), '-1', '-1'));
    return json === undefined ? null : (JSON.parse(json) as StatusSample);
  }

  async prune(beforeMs: number): Promise<number> {
    let removed = 0;
    for (const key of await this.link.scan('samples.prune', this.keys.samplesPattern())) {
      removed += await this.link.run('samples.prune', (c) => c.zremrangebyscore(key, '-inf', `(${beforeMs}`));
    }
    return removed;
  }
}
