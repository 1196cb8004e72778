import { createServer } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import type { ControlStatus } from '../runtime/engine-commands.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';
import { MetricsRegistry } from './registry.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpRequest(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics over real HTTP on 127.0.0.1', async () => {
    const registry = new MetricsRegistry();
    const c = registry.counter({ name: 'tidegate_read_bytes_total', help: 'Bytes read.', labelNames: ['volume'] });
    c.labels({ volume: 'vol1' }).inc(512);
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry });
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);

    const res = await httpRequest(server.address.port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toBe(
      '# HELP tidegate_read_bytes_total Bytes read.\n# TYPE tidegate_read_bytes_total counter\ntidegate_read_bytes_total{volume="vol1"} 512\n',
    );

    c.labels({ volume: 'vol1' }).inc(512);
    const again = await httpRequest(server.address.port, '/metrics?x=1');
    expect(again.body).toContain('tidegate_read_bytes_total{volume="vol1"} 1024\n');
  });

  it('answers 404 elsewhere, 405 for other methods, and HEAD without a body', async () => {
    server = await startMetricsServer({ port: 0, registry: new MetricsRegistry() });
    expect(server.address.host).toBe('127.0.0.1'); // loopback by default
    expect((await httpRequest(server.address.port, '/')).status).toBe(404);
    expect((await httpRequest(server.address.port, '/metrics/x')).status).toBe(404);
    const post = await httpRequest(server.address.port, '/metrics', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await httpRequest(server.address.port, '/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 500 when rendering fails', async () => {
    const registry = new MetricsRegistry();
    registry.render = () => {
      throw new Error('broken');
    };
    server = await startMetricsServer({ port: 0, registry });
    const res = await httpRequest(server.address.port, '/metrics');
    expect(res.status).toBe(500);
    expect(res.body).toContain('broken');
  });

  it('rejects with IO_ERROR when the port is taken, and close() is idempotent', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startMetricsServer({ port, registry: new MetricsRegistry() })).rejects.toMatchObject({
        code: ErrorCode.IoError,
        message: expect.stringContaining(`127.0.0.1:${port}`),
      });
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    const s = await startMetricsServer({ port: 0, registry: new MetricsRegistry() });
    await s.close();
    await s.close();
  });

  it('rejects a bad port', async () => {
    await expect(startMetricsServer({ port: 70000, registry: new MetricsRegistry() })).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
  });

  it('serves the activation page and its JSON when given a control status, with nothing secret and text escaped', async () => {
    let status: ControlStatus = {
      activated: false,
      connected: false,
      controlPlaneUrl: 'https://127.0.0.1:9443',
      embeddedControlPlaneUrl: 'https://127.0.0.1:9443',
      gatewayId: null,
      name: null,
      timezone: null,
      serverId: null,
      activation: { activationKey: 'K7QF-M2XD-9TRC', expiresAt: '2026-01-01T00:30:00.000Z', controlPlaneUrl: 'https://127.0.0.1:9443' },
      lastError: null,
      alerts: [],
    };
    server = await startMetricsServer({ port: 0, registry: new MetricsRegistry(), activation: () => status });
    const page = await httpRequest(server.address.port, '/activation');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('K7QF-M2XD-9TRC');
    expect(page.body).toContain('2026-01-01T00:30:00.000Z');
    expect(page.body).toContain('https://127.0.0.1:9443');
    const json = await httpRequest(server.address.port, '/activation.json');
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(json.body)).toEqual({
      state: 'pending',
      activated: false,
      connected: false,
      name: null,
      gatewayId: null,
      controlPlaneUrl: 'https://127.0.0.1:9443',
      activationKey: 'K7QF-M2XD-9TRC',
      expiresAt: '2026-01-01T00:30:00.000Z',
      lastError: null,
    });
    status = { ...status, activated: true, connected: true, activation: null, name: '<b>office</b> & co', gatewayId: 'gw_1' };
    const done = await httpRequest(server.address.port, '/activation');
    expect(done.body).toContain('Activated as <b>&#60;b&#62;office&#60;/b&#62; &#38; co</b>');
    expect(JSON.parse((await httpRequest(server.address.port, '/activation.json')).body)).toMatchObject({ state: 'activated', connected: true });
    expect((await httpRequest(server.address.port, '/activation', 'POST')).status).toBe(405);
  });

  it('has no activation page without a control status', async () => {
    server = await startMetricsServer({ port: 0, registry: new MetricsRegistry() });
    expect((await httpRequest(server.address.port, '/activation')).status).toBe(404);
  });
});
