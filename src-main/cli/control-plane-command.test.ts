/**
 * `tidegate control-plane …` in-process: account create, serve (stopped by a SIGTERM event),
 * gateways against the running server, and the usage errors.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { controlPlane, gatewayTable, parseDuration } from './control-plane-command.js';
import { UsageError } from './parse-args.js';

let dir: string;
let out: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cp-cli-'));
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out; output so far:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('tidegate control-plane', () => {
  it('account create prints the token once; serve runs until SIGTERM; gateways lists the account', { timeout: 30_000 }, async () => {
    const dataDir = join(dir, 'cp');
    await controlPlane(['account', 'create', 'provider', '--data-dir', dataDir]);
    const token = /\n {2}(tg_[A-Za-z0-9_-]{43})\n/.exec(out)?.[1];
    expect(token, out).toBeDefined();

    // serve keeps running until a signal; take the process's own SIGTERM listeners aside meanwhile.
    const saved = process.listeners('SIGTERM');
    process.removeAllListeners('SIGTERM');
    out = '';
    try {
      const serving = controlPlane(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--server-id', 'cp-cli', '--log-level', 'warn']);
      await until(() => out.includes('admin token:'));
      expect(out).toContain('Tidegate control plane cp-cli is running');
      const url = /URL: +(https:\/\/\S+)/.exec(out)![1]!;
      expect(out).toContain(`CA:          ${join(dataDir, 'tls', 'ca.crt')}`);
      expect(out).toContain(`admin token: ${join(dataDir, 'admin-token')}`);

      out = '';
      await controlPlane(['gateways', '--url', url, '--token', token!, '--data-dir', dataDir]);
      expect(out).toBe('no gateways\n');
      out = '';
      await controlPlane(['gateways', '--url', url, '--token', token!, '--ca-file', join(dataDir, 'tls', 'ca.crt'), '--json']);
      expect(JSON.parse(out)).toEqual([]);
      await expect(controlPlane(['gateways', '--url', url, '--token', 'tg_wrong', '--data-dir', dataDir])).rejects.toThrow(/\[TOKEN_INVALID\]/);
      // The embedded server made the `local` account too; its token works as well.
      const localToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
      out = '';
      await controlPlane(['gateways', '--url', url, '--token', localToken, '--data-dir', dataDir]);
      expect(out).toBe('no gateways\n');

      process.emit('SIGTERM');
      await serving;
    } finally {
      for (const l of saved) process.on('SIGTERM', l);
    }
  });

  it('account create --json', { timeout: 15_000 }, async () => {
    await controlPlane(['account', 'create', 'acme', '--data-dir', join(dir, 'cp'), '--json']);
    const body = JSON.parse(out) as { account: { name: string; id: string }; token: string };
    expect(body.account.name).toBe('acme');
    expect(body.token).toMatch(/^tg_/);
  });

  it('refuses usage mistakes with UsageError', async () => {
    await expect(controlPlane(['frobnicate'])).rejects.toBeInstanceOf(UsageError);
    await expect(controlPlane(['account', 'delete', 'x'])).rejects.toBeInstanceOf(UsageError);
    await expect(controlPlane(['account', 'create'])).rejects.toBeInstanceOf(UsageError);
    await expect(controlPlane(['account', 'create', ' padded', '--data-dir', dir])).rejects.toBeInstanceOf(UsageError);
    await expect(controlPlane(['serve', '--listen', 'nowhere', '--data-dir', dir])).rejects.toThrow(/listen/);
    await expect(controlPlane(['serve', '--activation-ttl', '30', '--data-dir', dir])).rejects.toThrow(/duration/);
    await expect(controlPlane(['serve', '--upload-buffer-alert', '120', '--data-dir', dir])).rejects.toBeInstanceOf(UsageError);
    await expect(controlPlane(['serve', '--redis', 'http://x', '--data-dir', dir])).rejects.toThrow(/redis/);
    await expect(controlPlane(['serve', '--bogus'])).rejects.toBeInstanceOf(UsageError);
    const saved = process.env.TIDEGATE_CONTROL_PLANE_TOKEN;
    delete process.env.TIDEGATE_CONTROL_PLANE_TOKEN;
    await expect(controlPlane(['gateways', '--url', 'https://127.0.0.1:1'])).rejects.toThrow(/--token/);
    if (saved !== undefined) process.env.TIDEGATE_CONTROL_PLANE_TOKEN = saved;
  });

  it('parses durations and prints the gateway table', () => {
    expect(parseDuration('x', '90s')).toBe(90_000);
    expect(parseDuration('x', '30m')).toBe(1_800_000);
    expect(parseDuration('x', '1.5h')).toBe(5_400_000);
    expect(() => parseDuration('x', '10')).toThrow(UsageError);
    const now = Date.parse('2030-01-01T12:00:00.000Z');
    const base = { accountId: 'a', timezone: 'UTC', host: 'h', platform: 'linux', capacityBytes: 1, localGatewayId: 'l', activatedAt: '2030-01-01T00:00:00.000Z' };
    expect(
      gatewayTable(
        [
          { ...base, id: 'gw-1', name: 'Büro', version: '0.1.0', online: true, serverId: 'cp-a', lastSeenAt: '2030-01-01T11:59:55.000Z' },
          { ...base, id: 'gw-22', name: 'lab', version: '0.2.0', online: false, serverId: null, lastSeenAt: null },
        ],
        now,
      ),
    ).toBe(['NAME  ID     ONLINE      VERSION  LAST SEEN', 'Büro  gw-1   yes (cp-a)  0.1.0    5s ago', 'lab   gw-22  no          0.2.0    never', ''].join('\n'));
  });
});
