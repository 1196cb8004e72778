import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../log/index.js';
import { CoreTempDirs, waitUntil } from '../test/support/core-temp-dirs.js';
import { Activation } from './activation.js';
import { activationPath, loadActivation, loadPendingActivation, pendingActivationPath, type ActivationRecord } from './activation-store.js';
import { loadOrCreateGatewayKey } from './gateway-key.js';
import { startTestControlPlane, type FakeControlPlane } from './test/fake-control-plane.js';

const dirs = new CoreTempDirs('activation');
const planes: FakeControlPlane[] = [];
const flows: Activation[] = [];
afterEach(async () => {
  for (const f of flows.splice(0)) f.stop();
  for (const p of planes.splice(0)) await p.close();
  await dirs.cleanup();
});

const metadata = { version: '0.1.0', host: 'host1', platform: 'linux x64', capacityBytes: 123, localGatewayId: 'gw-local-1' };

async function setup(ttlMs?: number) {
  const { cp, ca } = await startTestControlPlane(ttlMs !== undefined ? { activationTtlMs: ttlMs } : {});
  planes.push(cp);
  const dataDir = await dirs.make();
  const activated: ActivationRecord[] = [];
  const flow = new Activation({
    dataDir,
    key: () => loadOrCreateGatewayKey(dataDir),
    metadata: () => metadata,
    logger: nullLogger,
    pollIntervalMs: 50,
    httpTimeoutMs: 2_000,
    onActivated: async (r) => {
      activated.push(r);
    },
  });
  flows.push(flow);
  return { cp, ca, dataDir, flow, activated };
}

const claimsOf = (cp: FakeControlPlane) => cp.seen.filter((s) => s.path === '/v1/activation/claim');

describe('activation', () => {
  it('registers, polls the claim until the key is submitted, then stores the credentials (0600)', async () => {
    const { cp, ca, dataDir, flow, activated } = await setup();
    const pending = await flow.start(cp.url, ca.caPem);
    expect(pending.controlPlaneUrl).toBe(cp.url);
    expect(flow.pending).toEqual(pending);
    const key = await loadOrCreateGatewayKey(dataDir);
    const rec = [...cp.keys.values()][0]!;
    expect(rec.publicKey).toBe(key.publicKeyRaw);
    expect(rec.metadata).toEqual(metadata);
    // The pending key is on disk with the CA pinned for it.
    expect(await loadPendingActivation(dataDir)).toMatchObject({ activationKey: pending.activationKey, caCertPem: ca.caPem, controlPlaneUrl: cp.url });
    expect((await stat(pendingActivationPath(dataDir))).mode & 0o777).toBe(0o600);

    await cp.waitFor(() => claimsOf(cp).filter((c) => c.status === 202).length >= 2, 5_000, 'pending claims');
    const gatewayId = cp.submit(pending.activationKey, 'office', 'Europe/Paris');
    await waitUntil(() => activated.length === 1, 5_000, 'activation');
    const stored = await loadActivation(dataDir);
    expect(stored).toEqual({ controlPlaneUrl: cp.url, gatewayId, accountId: 'acct_local', name: 'office', timezone: 'Europe/Paris', caCertPem: expect.stringContaining('BEGIN CERTIFICATE'), activatedAt: expect.any(String) });
    expect(activated[0]).toEqual(stored);
    expect((await stat(activationPath(dataDir))).mode & 0o777).toBe(0o600);
    expect(await loadPendingActivation(dataDir)).toBeNull();
    expect(flow.pending).toBeNull();
    expect(flow.lastError).toBeNull();
    // Polling stopped.
    const n = claimsOf(cp).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(claimsOf(cp).length).toBe(n);
  });

  it('stops when the key expires (410) and says so', async () => {
    const { cp, ca, dataDir, flow, activated } = await setup(150);
    await flow.start(cp.url, ca.caPem);
    await waitUntil(() => flow.pending === null, 5_000, 'expiry');
    expect(flow.lastError).toMatch(/no longer valid \(ACTIVATION_KEY_EXPIRED\); activate again/);
    expect(activated).toEqual([]);
    expect(await loadPendingActivation(dataDir)).toBeNull();
  });

  it('stops when the claim is refused (PUBLIC_KEY_MISMATCH)', async () => {
    const { cp, ca, flow } = await setup();
    cp.refuseClaim = { status: 403, code: 'PUBLIC_KEY_MISMATCH', message: 'another key' };
    await flow.start(cp.url, ca.caPem);
    await waitUntil(() => flow.pending === null, 5_000, 'refusal');
    expect(flow.lastError).toMatch(/activation refused: .*PUBLIC_KEY_MISMATCH/);
  });

  it('keeps polling through an unreachable control plane, then completes', async () => {
    const { cp, ca, flow, activated } = await setup();
    const pending = await flow.start(cp.url, ca.caPem);
    const port = Number(new URL(cp.url).port);
    await cp.stop();
    await waitUntil(() => flow.lastError !== null, 5_000, 'a failed claim');
    expect(flow.lastError).toMatch(/cannot reach the control plane/);
    expect(flow.pending).not.toBeNull();
    await cp.listen(port);
    cp.submit(pending.activationKey);
    await waitUntil(() => activated.length === 1, 5_000, 'activation');
    expect(flow.lastError).toBeNull();
  });

  it('a new start replaces the pending activation: the old key is no longer claimed', async () => {
    const { cp, ca, flow, activated } = await setup();
    const first = await flow.start(cp.url, ca.caPem);
    const second = await flow.start(cp.url, ca.caPem);
    expect(second.activationKey).not.toBe(first.activationKey);
    expect(flow.pending?.activationKey).toBe(second.activationKey);
    cp.submit(first.activationKey);
    await cp.waitFor(() => claimsOf(cp).length >= 4, 5_000, 'claims');
    expect(activated).toEqual([]);
    cp.submit(second.activationKey);
    await waitUntil(() => activated.length === 1, 5_000, 'activation');
  });

  it('a register failure rejects start() and is shown', async () => {
    const { cp, ca, dataDir } = await setup();
    const flow = new Activation({ dataDir, key: () => loadOrCreateGatewayKey(dataDir), metadata: () => metadata, logger: nullLogger, onActivated: async () => undefined });
    flows.push(flow);
    const other = await startTestControlPlane();
    planes.push(other.cp);
    // The right server, the wrong CA.
    await expect(flow.start(cp.url, other.ca.caPem)).rejects.toMatchObject({ code: 'CONTROL_PLANE_UNTRUSTED' });
    expect(flow.lastError).toMatch(/does not trust/);
    expect(flow.pending).toBeNull();
    void ca;
  });

  it('resumes a pending activation found on disk', async () => {
    const { cp, ca, dataDir, flow, activated } = await setup();
    const pending = await flow.start(cp.url, ca.caPem);
    flow.stop();
    const saved = await loadPendingActivation(dataDir);
    const again = new Activation({ dataDir, key: () => loadOrCreateGatewayKey(dataDir), metadata: () => metadata, logger: nullLogger, pollIntervalMs: 50, onActivated: async (r) => void activated.push(r) });
    flows.push(again);
    await again.resume(saved!);
    expect(again.pending?.activationKey).toBe(pending.activationKey);
    cp.submit(pending.activationKey);
    await waitUntil(() => activated.length === 1, 5_000, 'activation');
  });
});
