import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneError, type ControlStatus } from '../../../src-gateway-engine/index.js';
// eslint-disable-next-line no-restricted-imports -- a test fixture: the small control plane the engine's own tests use
import { startTestControlPlane, type FakeControlPlane } from '../../../src-gateway-engine/control/test/fake-control-plane.js';
// eslint-disable-next-line no-restricted-imports -- a test fixture, as above
import type { TestCa } from '../../../src-gateway-engine/control/test/test-tls.js';
import { CONNECT_TIMEOUT_MS } from '../../activation/complete-activation.js';
import { APP_INFO, consoleHarness } from './test/console-harness.js';

const KEY = { activationKey: 'ABCD-EFGH-JKMN', expiresAt: '2026-01-01T01:00:00.000Z' };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function controlStatus(pending: { controlPlaneUrl: string } | null): ControlStatus {
  return {
    activated: false,
    connected: false,
    controlPlaneUrl: pending?.controlPlaneUrl ?? null,
    embeddedControlPlaneUrl: APP_INFO.embeddedControlPlaneUrl,
    gatewayId: null,
    name: null,
    timezone: null,
    serverId: null,
    activation: pending === null ? null : { ...KEY, controlPlaneUrl: pending.controlPlaneUrl },
    lastError: null,
    alerts: [],
  };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as { code: string; message: string },
  );
}

describe('activation.begin', () => {
  const activate = (p: { controlPlaneUrl?: string }) => ({ ...KEY, controlPlaneUrl: p.controlPlaneUrl ?? 'unset' });

  it('with a null URL activates with the embedded control plane', async () => {
    const h = consoleHarness({ engine: { 'control.activate': activate } });
    expect(await h.call('activation.begin', { controlPlaneUrl: null })).toEqual({ ...KEY, controlPlaneUrl: APP_INFO.embeddedControlPlaneUrl });
    expect(h.calls).toEqual([{ method: 'control.activate', params: { controlPlaneUrl: APP_INFO.embeddedControlPlaneUrl }, timeoutMs: CONNECT_TIMEOUT_MS }]);
    await h.call('activation.begin', {});
    expect(h.calls[1]!.params).toEqual({ controlPlaneUrl: APP_INFO.embeddedControlPlaneUrl });
  });

  it('with a null URL and no embedded control plane refuses with NO_EMBEDDED_CONTROL_PLANE', async () => {
    const h = consoleHarness({ engine: { 'control.activate': activate }, appInfo: { embeddedControlPlaneUrl: null } });
    expect(await refusal(h.call('activation.begin', { controlPlaneUrl: null }))).toMatchObject({ code: 'NO_EMBEDDED_CONTROL_PLANE' });
    expect(h.calls).toEqual([]);
  });

  it('normalises a control-plane URL to its origin and passes a pasted CA', async () => {
    const h = consoleHarness({ engine: { 'control.activate': activate } });
    await h.call('activation.begin', { controlPlaneUrl: 'https://CP.Example.com:9443/', caCertPem: PEM, extra: 1 });
    expect(h.calls[0]!.params).toEqual({ controlPlaneUrl: 'https://cp.example.com:9443', caCertPem: PEM });
  });

  it('refuses a bad URL or a CA that is not PEM with INVALID_ARGUMENT, before calling the engine', async () => {
    const h = consoleHarness({ engine: { 'control.activate': activate } });
    for (const req of [
      { controlPlaneUrl: 'http://cp.example.com' },
      { controlPlaneUrl: 'not a url' },
      { controlPlaneUrl: 'https://cp.example.com/v1/gateways' },
      { controlPlaneUrl: 'https://user:pw@cp.example.com' },
      { controlPlaneUrl: 42 },
      { controlPlaneUrl: null, caCertPem: 'just text' },
      null,
    ]) {
      expect((await refusal(h.call('activation.begin', req))).code, JSON.stringify(req)).toBe('INVALID_ARGUMENT');
    }
    expect((await refusal(h.call('activation.begin', { controlPlaneUrl: 'http://cp.example.com' }))).message).toMatch(/^control plane URL: .*https/);
    expect(h.calls).toEqual([]);
  });
});

describe('activation.complete: checks', () => {
  it('refuses a missing name or a bad time zone with INVALID_ARGUMENT, before calling the engine', async () => {
    const h = consoleHarness({ engine: { 'control.status': () => controlStatus({ controlPlaneUrl: 'https://cp.example.com' }) } });
    expect(await refusal(h.call('activation.complete', { timezone: 'Europe/Paris' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'name is required' });
    expect(await refusal(h.call('activation.complete', { name: '   ', timezone: 'Europe/Paris' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'name is required' });
    for (const timezone of ['Mars/Olympus_Mons', 'Europe/Pariss', 'GMT+25']) {
      const e = await refusal(h.call('activation.complete', { name: 'front', timezone }));
      expect(e.code, timezone).toBe('INVALID_ARGUMENT');
      expect(e.message, timezone).toContain('time zone');
    }
    expect(await refusal(h.call('activation.complete', { name: 'front' }))).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'timezone is required' });
    expect(h.calls).toEqual([]);
  });

  it('refuses with ACTIVATION_NOT_STARTED when no key is pending', async () => {
    const h = consoleHarness({ engine: { 'control.status': () => controlStatus(null) } });
    expect(await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris', apiToken: 't' }))).toMatchObject({ code: 'ACTIVATION_NOT_STARTED' });
  });

  it('refuses with TOKEN_REQUIRED for a remote control plane without an API token', async () => {
    const h = consoleHarness({ engine: { 'control.status': () => controlStatus({ controlPlaneUrl: 'https://cp.example.com' }) } });
    const e = await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris' }));
    expect(e.code).toBe('API_TOKEN_REQUIRED');
    expect(e.message).toContain('https://cp.example.com');
    expect(await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris', apiToken: '' }))).toMatchObject({ code: 'API_TOKEN_REQUIRED' });
  });

  it('refuses with TOKEN_REQUIRED for the embedded control plane when its admin token is missing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tg-act-h-'));
    try {
      const h = consoleHarness({ engine: { 'control.status': () => controlStatus({ controlPlaneUrl: APP_INFO.embeddedControlPlaneUrl! }) }, appInfo: { dataDir } });
      expect(await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris' }))).toMatchObject({ code: 'API_TOKEN_REQUIRED' });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('activation.complete against a control plane', () => {
  let cp: FakeControlPlane;
  let ca: TestCa;
  let dataDir: string;

  beforeAll(async () => {
    ({ cp, ca } = await startTestControlPlane());
    dataDir = await mkdtemp(join(tmpdir(), 'tg-act-h-'));
  });
  afterAll(async () => {
    await cp?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A gateway whose engine says a key is pending with `cp` (a key the control plane never issued). */
  function gateway(embedded: boolean) {
    return consoleHarness({
      engine: {
        'control.activate': (p) => ({ ...KEY, controlPlaneUrl: p.controlPlaneUrl! }),
        'control.status': () => controlStatus({ controlPlaneUrl: cp.url }),
      },
      appInfo: { dataDir, embeddedControlPlaneUrl: embedded ? cp.url : null },
    });
  }

  it('submits with the CA pasted at begin and the API token given (the control plane answers)', async () => {
    const h = gateway(false);
    await h.call('activation.begin', { controlPlaneUrl: cp.url, caCertPem: ca.caPem });
    const e = await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris', apiToken: cp.token }));
    // TLS was trusted and the token accepted: the control plane itself refused the unknown key.
    expect(e).toBeInstanceOf(ControlPlaneError);
    expect((e as unknown as ControlPlaneError).controlCode).toBe('ACTIVATION_KEY_UNKNOWN');
    const wrongToken = await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris', apiToken: 'tg_wrong' }));
    expect((wrongToken as unknown as ControlPlaneError).controlCode).toBe('TOKEN_INVALID');
  });

  it('without a pasted or pinned CA, refuses to submit', async () => {
    const h = gateway(false);
    const before = cp.seen.length;
    const e = await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris', apiToken: cp.token }));
    expect(e).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('pinned no CA') });
    expect(cp.seen).toHaveLength(before);
  });

  it("for the embedded control plane, submits with its admin token read from the data dir", async () => {
    await mkdir(join(dataDir, 'control-plane'), { recursive: true });
    await writeFile(join(dataDir, 'control-plane', 'admin-token'), `${cp.token}\n`, { mode: 0o600 });
    const h = gateway(true);
    await h.call('activation.begin', { controlPlaneUrl: null, caCertPem: ca.caPem });
    expect(h.calls[0]!.params).toEqual({ controlPlaneUrl: cp.url, caCertPem: ca.caPem });
    const e = await refusal(h.call('activation.complete', { name: 'front', timezone: 'Europe/Paris' }));
    expect((e as unknown as ControlPlaneError).controlCode).toBe('ACTIVATION_KEY_UNKNOWN');
  });
});
