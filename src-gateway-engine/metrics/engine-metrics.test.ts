import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { EngineStatus, VolumeInfo } from '../runtime/engine-commands.js';
import { buildEngineMetrics, registerEngineMetrics } from './engine-metrics.js';
import { MetricsRegistry } from './registry.js';

function volume(name: string, over: Partial<VolumeInfo['metrics']> = {}, state: VolumeInfo['state'] = 'available'): VolumeInfo {
  return {
    name,
    volumeId: `id-${name}`,
    mode: 'cached',
    sizeBytes: 1 << 30,
    diskPath: null,
    state,
    error: null,
    nbdExport: name,
    iscsi: { targetName: `iqn.2026-11.dev.tidegate:${name}`, chapUser: null, mutualChapUser: null, allowedInitiators: [], sessions: 0 },
    clients: [],
    recoveryPoint: { headNo: 1, lastSeq: 1, committedAt: '' },
    metrics: {
      ReadBytes: 0,
      WriteBytes: 0,
      ReadOps: 0,
      WriteOps: 0,
      CacheHitPercent: 100,
      CloudBytesUploaded: 0,
      CloudBytesDownloaded: 0,
      UploadBufferUsedBytes: 0,
      UploadBufferPercentUsed: 0,
      QueuedWrites: 0,
      WritesWaitingForBuffer: 0,
      DirtyBytes: 0,
      TimeSinceLastRecoveryPoint: 0,
      ReadTime: 0,
      WriteTime: 0,
      ReadLatencyP50Ms: 0,
      ReadLatencyP99Ms: 0,
      WriteLatencyP50Ms: 0,
      WriteLatencyP99Ms: 0,
      UploadRetries: 0,
      UploadDeferring: false,
      UploadDeferredSeconds: 0,
      LastUploadError: null,
      LastUploadErrorAt: null,
      ...over,
    },
  };
}

function status(volumes: VolumeInfo[]): EngineStatus {
  return {
    gatewayId: 'gw',
    activated: false,
    controlPlaneConnected: false,
    controlPlane: {
      activated: false,
      connected: false,
      controlPlaneUrl: null,
      embeddedControlPlaneUrl: null,
      gatewayId: null,
      name: null,
      timezone: null,
      serverId: null,
      activation: null,
      lastError: null,
      alerts: [],
    },
    IoWaitPercent: 0,
    version: '0.1.0',
    pid: 1,
    startedAt: '',
    memory: { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
    store: 'file:///x',
    nbd: null,
    iscsi: null,
    iscsiEvents: { loginFailures: 0, protocolErrors: 0 },
    busyPoll: { budgetMicros: 50, hits: 1200, misses: 7, pauses: 1, pollingSeconds: 0.25 },
    metrics: null,
    cache: { capacityBytes: 100, usedBytes: 25, CacheHitPercent: 90, CachePercentUsed: 25, CachePercentDirty: 5 },
    uploadBuffer: { capacityBytes: 1000, usedBytes: 100, UploadBufferPercentUsed: 10, QueuedWrites: 100, WritesWaitingForBuffer: 0, keptBytes: 640, bandwidthBytesPerSec: 0 },
    volumes,
  };
}

describe('engine metrics', () => {
  it('maps one status snapshot per scrape to the AWS-named metrics', () => {
    let vols = [volume('vol1', { WriteBytes: 8192, QueuedWrites: 4096, TimeSinceLastRecoveryPoint: 12, CacheHitPercent: 75, ReadTime: 2, WriteLatencyP99Ms: 40, UploadDeferring: true, UploadDeferredSeconds: 9 }), volume('vol2', {}, 'failed')];
    let calls = 0;
    const reg = new MetricsRegistry();
    registerEngineMetrics(reg, () => {
      calls++;
      return status(vols);
    });
    const text = reg.render();
    expect(calls).toBe(1);
    expect(text).toContain('tidegate_cache_used_percent 25\n');
    expect(text).toContain('tidegate_cache_dirty_percent 5\n');
    expect(text).toContain('tidegate_upload_buffer_used_percent 10\n');
    expect(text).toContain('tidegate_upload_buffer_used_bytes 100\n');
    expect(text).toContain('tidegate_upload_buffer_kept_bytes 640\n');
    expect(text).toContain('tidegate_cache_hit_percent{volume="vol1"} 75\n');
    expect(text).toContain('tidegate_write_bytes_total{volume="vol1"} 8192\n');
    expect(text).toContain('tidegate_queued_writes_bytes{volume="vol1"} 4096\n');
    expect(text).toContain('tidegate_time_since_last_recovery_point_seconds{volume="vol1"} 12\n');
    expect(text).toContain('tidegate_volume_failed{volume="vol2"} 1\n');
    expect(text).toContain('tidegate_upload_deferring{volume="vol1"} 1\n');
    expect(text).toContain('tidegate_upload_deferring{volume="vol2"} 0\n');
    expect(text).toContain('tidegate_upload_deferred_seconds_total{volume="vol1"} 9\n');
    expect(text).toContain('tidegate_read_time_seconds_average{volume="vol1"} 0.002\n');
    expect(text).toContain('tidegate_write_latency_p99_seconds{volume="vol1"} 0.04\n');
    expect(text).toContain('tidegate_busy_poll_hits_total 1200\n');
    expect(text).toContain('tidegate_busy_poll_misses_total 7\n');
    expect(text).toContain('tidegate_busy_poll_seconds_total 0.25\n');
    // A deleted volume's series disappear.
    vols = [vols[0]!];
    expect(reg.render()).not.toContain('vol2');
  });

  it('serves them over HTTP and reports status errors without failing the scrape', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const m = await buildEngineMetrics({ host: '127.0.0.1', port: 0 }, () => {
      if (fail) throw new Error('status broke');
      return status([volume('vol1', { ReadBytes: 512 })]);
    }, { onError: (e) => errors.push(e) });
    try {
      expect(m.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const port = Number(m.address.split(':')[1]);
      const get = (): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
            .on('error', reject)
            .end();
        });
      expect((await get()).body).toContain('tidegate_read_bytes_total{volume="vol1"} 512\n');
      fail = true;
      const r = await get();
      expect(r.status).toBe(200);
      expect(r.body).toContain('tidegate_read_bytes_total{volume="vol1"} 512\n');
      expect(errors).toHaveLength(1);
    } finally {
      await m.close();
    }
  });
});
