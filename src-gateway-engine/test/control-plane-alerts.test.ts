/**
 * Monitoring end to end with real processes (docs/control-plane.md § Monitoring and alerts):
 * a gateway with the smallest upload buffer (8 MiB) and uploads held back, activated on its
 * embedded control plane, is filled past 80 % by a real NBD client (qemu-io). Its next status
 * sample opens `upload-buffer-high` in the control plane (`GET /v1/alerts`), and the control
 * plane pushes it back to the gateway, whose `status` shows it (what the console shows).
 * Lifting the limit and `volume sync` empty the buffer; the next sample closes the alert,
 * and it leaves the gateway's status.
 *
 * The writes stay below the buffer's capacity: a full buffer slows writers by design, and
 * this test is about the alert, not about back-pressure. The bandwidth limiter lets one
 * object through per second of allowance (its debt is paid afterwards), so a 1 MiB primer is
 * uploaded first; after it nothing more leaves for about 17 minutes at 1 KiB/s.
 *
 * A missing qemu-io fails the test in CI (CI installs it) and skips it elsewhere, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../control/control-wire.js';
import type { EngineStatus } from '../runtime/engine-commands.js';
import { cpRequest, embeddedControlPlaneSecrets, shown, type CpResponse } from './support/control-plane-http.js';
import type { GatewayProcess } from './support/gateway-process.js';
import { cliOk, GwScope, MiB, pollFor, runTool, toolSkipReason } from './support/gw-harness.js';

const scope = new GwScope('cp-alerts');
afterAll(() => scope.cleanup());

const toolsSkip = await toolSkipReason([['qemu-io', ['--version']]]);

/** The default status interval is 10 s; a sample, the rules and the push back take well under 15 s more. */
const SAMPLE_WAIT_MS = 25_000;
const RULE = 'upload-buffer-high';

async function engineStatus(dataDir: string): Promise<EngineStatus> {
  return JSON.parse(await cliOk(['status', '--json', '--data-dir', dataDir])) as EngineStatus;
}

async function qemuWrite(uri: string, pattern: number, offset: number, length: number): Promise<void> {
  const r = await runTool('qemu-io', ['-f', 'raw', '-c', `write -P ${pattern} ${offset} ${length}`, uri], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`qemu-io write ${offset} ${length} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
}

describe.skipIf(toolsSkip !== undefined)(`upload-buffer-high from a real gateway${toolsSkip ? ` (skipped: ${toolsSkip})` : ''}`, () => {
  let gw: GatewayProcess;
  let dataDir: string;
  let cp: string;
  let caPem: string;
  let adminToken: string;
  let gatewayId: string;
  let alertId: string;

  const alerts = async (state: 'open' | 'closed'): Promise<AlertRecord[]> => {
    const r: CpResponse = await cpRequest(cp, caPem, { method: 'GET', path: `/v1/alerts?state=${state}&gatewayId=${gatewayId}`, bearer: adminToken });
    if (r.status !== 200) throw new Error(`GET /v1/alerts: ${shown(r)}`);
    return (r.json as { alerts: AlertRecord[] }).alerts;
  };

  beforeAll(async () => {
    dataDir = await scope.dir('gw');
    gw = await scope.start(dataDir, ['--iscsi', 'off', '--control-plane', '127.0.0.1:0', '--upload-buffer-size', '8MiB', '--upload-bandwidth', '1KiB']);
    cp = gw.controlPlaneUrl!;
    ({ caPem, adminToken } = await embeddedControlPlaneSecrets(dataDir));
    const out = JSON.parse(await cliOk(['activate', '--name', 'alerting', '--timezone', 'UTC', '--data-dir', dataDir, '--json'])) as { gatewayId: string };
    gatewayId = out.gatewayId;
    await cliOk(['volume', 'create', 'buf', '--size', '64MiB', '--data-dir', dataDir]);
  });

  it('opens when the buffer passes 80 %, in the API and in the gateway’s status', { timeout: 90_000 }, async () => {
    await qemuWrite(gw.nbdUri('buf'), 0x11, 0, 1 * MiB);
    const primed = await pollFor(
      'the primer to be uploaded',
      async () => {
        const s = await engineStatus(dataDir);
        return Number(s.volumes[0]!.metrics.CloudBytesUploaded) >= 1 * MiB ? s : undefined;
      },
      15_000,
    );
    expect(primed.uploadBuffer.UploadBufferPercentUsed).toBeLessThan(70);
    expect(await alerts('open')).toEqual([]);

    const started = Date.now();
    await qemuWrite(gw.nbdUri('buf'), 0x22, 1 * MiB, 7 * MiB);
    expect(Date.now() - started, 'the writer was not held up').toBeLessThan(10_000);
    const full = await engineStatus(dataDir);
    expect(full.uploadBuffer.capacityBytes).toBe(8 * MiB);
    expect(full.uploadBuffer.UploadBufferPercentUsed).toBeGreaterThan(80);
    expect(full.uploadBuffer.UploadBufferPercentUsed).toBeLessThan(100);
    expect(full.uploadBuffer.WritesWaitingForBuffer).toBe(0);

    const [open] = await pollFor('upload-buffer-high to open', async () => {
      const list = (await alerts('open')).filter((a) => a.rule === RULE);
      return list.length > 0 ? list : undefined;
    }, SAMPLE_WAIT_MS);
    expect(open).toMatchObject({ rule: RULE, severity: 'warning', gatewayId, volume: null, state: 'open', closedAt: null });
    expect(open!.value).toBeGreaterThan(80);
    expect(open!.message).toMatch(/upload buffer/i);
    alertId = open!.id;

    const seen = await pollFor('the gateway to show the open alert', async () => {
      const s = await engineStatus(dataDir);
      return s.controlPlane.alerts.some((a) => a.id === alertId) ? s : undefined;
    }, 10_000);
    expect(seen.controlPlane.alerts.find((a) => a.id === alertId)).toMatchObject({ rule: RULE, state: 'open', gatewayId });
    expect(await cliOk(['status', '--data-dir', dataDir])).toMatch(/; \d+ open alerts?\n/);
    // Still held back: the alert describes a real backlog, not a passing spike.
    expect(Number(seen.volumes[0]!.metrics.CloudBytesUploaded)).toBe(Number(primed.volumes[0]!.metrics.CloudBytesUploaded));
    // One open alert per rule and gateway, however many samples say so.
    expect((await alerts('open')).filter((a) => a.rule === RULE)).toHaveLength(1);
  });

  it('closes once the limit is lifted and the volume synced, and leaves the gateway’s status', { timeout: 60_000 }, async () => {
    expect(alertId, 'the alert opened').toBeDefined();
    await cliOk(['bandwidth', 'set', '0', '--data-dir', dataDir]);
    await cliOk(['volume', 'sync', 'buf', '--data-dir', dataDir]);
    const drained = await engineStatus(dataDir);
    expect(drained.uploadBuffer.UploadBufferPercentUsed).toBeLessThanOrEqual(70);

    const closed = await pollFor('upload-buffer-high to close', async () => (await alerts('closed')).find((a) => a.id === alertId), SAMPLE_WAIT_MS);
    expect(closed).toMatchObject({ rule: RULE, state: 'closed', gatewayId });
    expect(Date.parse(closed.closedAt!)).toBeGreaterThanOrEqual(Date.parse(closed.openedAt));
    expect((await alerts('open')).filter((a) => a.rule === RULE)).toEqual([]);

    await pollFor('the alert to leave the gateway’s status', async () => ((await engineStatus(dataDir)).controlPlane.alerts.some((a) => a.id === alertId) ? undefined : true), 10_000);
  });
});
