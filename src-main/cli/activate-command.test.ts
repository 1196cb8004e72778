import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, runEngine, validateEngineConfig, type RunningEngine } from '../../src-gateway-engine/index.js';
// eslint-disable-next-line no-restricted-imports -- a test fixture: the small control plane the engine's own tests use
import { startTestControlPlane, type FakeControlPlane } from '../../src-gateway-engine/control/test/fake-control-plane.js';
// eslint-disable-next-line no-restricted-imports -- a test fixture, as above
import type { TestCa } from '../../src-gateway-engine/control/test/test-tls.js';
import { activate } from './activate-command.js';
import { UsageError } from './parse-args.js';

let cp: FakeControlPlane;
let ca: TestCa;
let dir: string;
let running: RunningEngine | undefined;
let out: string[];

beforeEach(async () => {
  ({ cp, ca } = await startTestControlPlane({ heartbeatMs: 200, statusIntervalMs: 200 }));
  dir = await mkdtemp(join(tmpdir(), 'tg-act-'));
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.stop();
  running = undefined;
  await cp.close();
  await rm(dir, { recursive: true, force: true });
  delete process.env.TIDEGATE_TOKEN;
});

/** A gateway running in this process; `embedded` makes the fake its embedded control plane. */
async function startGateway(embedded: boolean): Promise<string> {
  const dataDir = join(dir, 'gw');
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, ca.caPem);
  const config = validateEngineConfig({
    gatewayId: 'gw-local-cli',
    dataDir,
    nbd: null,
    iscsi: null,
    metrics: null,
    cache: { capacityBytes: '16MiB' },
    writeLog: { capacityBytes: '16MiB', segmentBytes: '4MiB' },
    control: { ...(embedded ? { embeddedUrl: cp.url, embeddedCaFile: caFile } : {}), claimPollMs: 50, heartbeatMs: 200, reconnectBaseMs: 20 },
  });
  running = await runEngine({ config, logger: createLogger({ sink: { write: () => undefined } }) });
  return dataDir;
}

describe('tidegate activate', () => {
  it('activates with the embedded control plane and its admin token, and waits until connected', async () => {
    const dataDir = await startGateway(true);
    await mkdir(join(dataDir, 'control-plane'), { recursive: true });
    await writeFile(join(dataDir, 'control-plane', 'admin-token'), `${cp.token}\n`, { mode: 0o600 });
    await activate(['--name', 'front-office', '--timezone', 'Europe/Paris', '--data-dir', dataDir]);
    const [gw] = [...cp.gateways.values()];
    expect(gw).toMatchObject({ name: 'front-office', timezone: 'Europe/Paris' });
    const text = out.join('');
    expect(text).toContain('gateway front-office activated and connected');
    expect(text).toContain(`gateway id:     ${gw!.id}`);
    expect(text).toContain(`control plane:  ${cp.url} (server ${cp.serverId})`);
    const s = await running!.engine.commands['control.status']({});
    expect(s).toMatchObject({ activated: true, connected: true, gatewayId: gw!.id });
  });

  it('activates with another control plane given by URL, CA file and $TIDEGATE_TOKEN; --json', async () => {
    const dataDir = await startGateway(false);
    process.env.TIDEGATE_TOKEN = cp.token;
    await activate(['--name', 'branch', '--control-plane', cp.url, '--ca-file', join(dir, 'ca.crt'), '--data-dir', dataDir, '--json']);
    const printed = JSON.parse(out.join('')) as Record<string, unknown>;
    expect(printed).toMatchObject({ name: 'branch', controlPlaneUrl: cp.url, serverId: cp.serverId, gatewayId: expect.stringMatching(/^gw_/) });
    // The default time zone is this machine's.
    expect(printed.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('trusts on first use when no CA is given, using the CA the gateway pinned', async () => {
    const dataDir = await startGateway(false);
    await activate(['--name', 'tofu', '--control-plane', cp.url, '--token', cp.token, '--data-dir', dataDir]);
    expect(out.join('')).toContain('gateway tofu activated');
  });

  it('reports command-line mistakes as usage errors, before the gateway registers', async () => {
    const dataDir = await startGateway(false);
    await expect(activate(['--data-dir', dataDir])).rejects.toThrow(UsageError);
    await expect(activate(['--name', 'x', '--timezone', 'Mars/Olympus', '--data-dir', dataDir])).rejects.toThrow(/IANA time zone/);
    await expect(activate(['--name', 'x', '--data-dir', dataDir])).rejects.toThrow(/--control-plane URL/);
    await expect(activate(['--name', 'x', '--control-plane', cp.url, '--data-dir', dataDir])).rejects.toThrow(/--token/);
    await expect(activate(['--name', 'x', '--control-plane', 'http://x', '--token', 't', '--data-dir', dataDir])).rejects.toThrow(UsageError);
    await expect(activate(['--name', 'x', '--ca-file', join(dir, 'missing.pem'), '--data-dir', dataDir])).rejects.toThrow(/cannot read --ca-file/);
    expect(cp.keys.size).toBe(0);
  });

  it("passes on the control plane's refusal with its code", async () => {
    const dataDir = await startGateway(false);
    await expect(activate(['--name', 'x', '--control-plane', cp.url, '--token', 'tg_wrong', '--data-dir', dataDir])).rejects.toMatchObject({
      code: 'CONTROL_PLANE_REFUSED',
      message: expect.stringContaining('TOKEN_INVALID'),
    });
  });

  it('says when no gateway is running', async () => {
    await expect(activate(['--name', 'x', '--data-dir', join(dir, 'none')])).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no gateway is running') });
  });
});
