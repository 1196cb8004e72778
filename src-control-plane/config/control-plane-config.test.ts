import { describe, expect, it } from 'vitest';
import { ControlPlaneConfigError, validateControlPlaneConfig, type ControlPlaneConfigInput } from './control-plane-config.js';
import { formatListenAddress, parseListenAddress } from './listen-address.js';

describe('validateControlPlaneConfig', () => {
  it('fills the spec defaults and freezes the result', () => {
    const c = validateControlPlaneConfig({ dataDir: '/var/lib/cp' });
    expect(c).toMatchObject({
      listen: { host: '127.0.0.1', port: 9443 },
      dataDir: '/var/lib/cp',
      redis: null,
      tls: { names: [], certFile: null, keyFile: null, caFile: null },
      activationTtlMs: 1_800_000,
      heartbeatMs: 10_000,
      statusIntervalMs: 10_000,
      requestTimeout: { defaultMs: 10_000, maxMs: 60_000 },
      rateLimits: { registerPerMinute: 20, failedSubmissionsPerMinute: 10 },
      alertThresholds: { uploadBufferPercent: 80, retentionDays: 14 },
      publicUrl: null,
      trustProxy: false,
      logLevel: 'info',
    });
    expect(c.serverId).toMatch(/^cp-[0-9a-f]{8}$/);
    expect(Object.isFrozen(c) && Object.isFrozen(c.listen) && Object.isFrozen(c.tls.names) && Object.isFrozen(c.alertThresholds)).toBe(true);
    expect(validateControlPlaneConfig({ dataDir: '/d' }).serverId).not.toBe(c.serverId);
  });

  it('takes listen strings, Redis, TLS names, thresholds and a public URL', () => {
    const c = validateControlPlaneConfig({
      dataDir: '/d',
      listen: '[::1]:0',
      redisUrl: 'redis://10.0.0.5:6379/2',
      redisKeyPrefix: 'tg1:',
      serverId: 'cp-east.1',
      tls: { names: ['cp.example.com', '10.1.1.1', 'cp.example.com'] },
      alertThresholds: { ioWaitPercent: 30 },
      publicUrl: 'https://cp.example.com/',
    });
    expect(c.listen).toEqual({ host: '::1', port: 0 });
    expect(c.redis).toEqual({ url: 'redis://10.0.0.5:6379/2', keyPrefix: 'tg1:' });
    expect(c.tls.names).toEqual(['cp.example.com', '10.1.1.1']);
    expect(c.alertThresholds.ioWaitPercent).toBe(30);
    expect(c.publicUrl).toBe('https://cp.example.com');
  });

  it('lists every problem at once, each by its path', () => {
    const input = {
      dataDir: 'relative',
      listen: 'nowhere',
      serverId: 'has space',
      redisUrl: 'http://x',
      tls: { certFile: '/c.pem', names: ['bad name!'] },
      heartbeatMs: 0,
      requestTimeout: { defaultMs: 70_000, maxMs: 60_000 },
      alertThresholds: { uploadBufferPercent: 150 },
      publicUrl: 'http://plain',
      typo: 1,
    } as unknown as ControlPlaneConfigInput;
    let err: unknown;
    try {
      validateControlPlaneConfig(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ControlPlaneConfigError);
    const problems = (err as ControlPlaneConfigError).problems.join('\n');
    for (const path of ['unknown option "typo"', 'listen:', 'serverId', 'dataDir', 'redisUrl', 'tls.names', 'tls.certFile and tls.keyFile', 'heartbeatMs', 'requestTimeout.defaultMs', 'alertThresholds', 'publicUrl']) {
      expect(problems).toContain(path);
    }
  });
});

describe('listen addresses', () => {
  it('parses and formats host:port forms', () => {
    expect(parseListenAddress('0.0.0.0:9443', '127.0.0.1')).toEqual({ host: '0.0.0.0', port: 9443 });
    expect(parseListenAddress(':8443', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseListenAddress('8443', '::1')).toEqual({ host: '::1', port: 8443 });
    expect(parseListenAddress('cp.local:1', 'x')).toEqual({ host: 'cp.local', port: 1 });
    expect(formatListenAddress({ host: '::1', port: 9 })).toBe('[::1]:9');
    for (const bad of ['::1:80', '[::1]', 'host', 'host:99999', 'host:x', '[nope]:1']) expect(() => parseListenAddress(bad, 'h'), bad).toThrow(RangeError);
  });
});
