import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedState } from './embedded-state.js';
import { describeStateContract, makeGateway, makeKeyRecord, makeSample } from './test/state-contract.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tidegate-cp-state-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const quiet = { onError: () => undefined };

describeStateContract('embedded', async () => openEmbeddedState(path.join(await tempDir(), 'control-plane'), quiet));

describe('embedded state on disk', () => {
  it('sees everything persisted after a reopen', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const first = await openEmbeddedState(dir, quiet);
    const { account, token } = await first.accounts.create('local');
    const key = makeKeyRecord();
    await first.activationKeys.put(key);
    await first.activationKeys.use(key.key, 'gw-1', new Date());
    const pending = makeKeyRecord();
    await first.activationKeys.put(pending);
    const gateway = makeGateway(account.id, 'gw-1');
    await first.gateways.put(gateway);
    await first.gateways.touch('gw-1', new Date('2030-01-01T00:00:00.000Z'));
    const alert = await first.alerts.open({ rule: 'cache-dirty-high', gatewayId: 'gw-1', volume: null }, { severity: 'warning', message: 'm', value: 90 }, new Date());
    await first.alerts.open({ rule: 'io-wait-high', gatewayId: 'gw-1', volume: null }, { severity: 'warning', message: 'm', value: 25 }, new Date());
    await first.alerts.close({ rule: 'io-wait-high', gatewayId: 'gw-1', volume: null }, new Date());
    await first.samples.append('gw-1', makeSample('2030-01-01T00:00:00.000Z', 'x'));
    await first.close();

    const second = await openEmbeddedState(dir, quiet);
    expect(await second.accounts.byToken(token)).toEqual(account);
    expect(await second.accounts.list()).toEqual([account]);
    expect(await second.activationKeys.use(key.key, 'gw-2', new Date())).toEqual({ outcome: 'already-used' });
    expect(await second.activationKeys.get(pending.key)).toEqual(pending);
    expect(await second.gateways.get('gw-1')).toEqual({ ...gateway, lastSeenAt: '2030-01-01T00:00:00.000Z' });
    expect(await second.alerts.open({ rule: 'cache-dirty-high', gatewayId: 'gw-1', volume: null }, { severity: 'warning', message: 'm', value: 1 }, new Date())).toEqual({ alert: alert.alert, created: false });
    expect((await second.alerts.list({ state: 'closed' })).map((a) => a.rule)).toEqual(['io-wait-high']);
    expect((await second.samples.latest('gw-1'))?.version).toBe('x');
    // Memory-only state starts empty.
    expect(await second.registry.get('gw-1')).toBeNull();
    await second.close();
  });

  it('keeps a change made without close (crash): snapshots are written before the call returns', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const state = await openEmbeddedState(dir, quiet);
    const { token } = await state.accounts.create('crashy');
    const key = makeKeyRecord();
    await state.activationKeys.put(key);
    await state.activationKeys.use(key.key, 'gw-9', new Date());
    await state.samples.append('gw-9', makeSample('2030-01-01T00:00:00.000Z'));
    // Copy the folder as a crash would leave it (lock of this live process excluded).
    const copy = path.join(await tempDir(), 'copy');
    await cp(dir, copy, { recursive: true, filter: (src) => path.basename(src) !== 'state.lock' });
    await state.close();
    const reopened = await openEmbeddedState(copy, quiet);
    expect((await reopened.accounts.byToken(token))?.name).toBe('crashy');
    expect((await reopened.activationKeys.get(key.key))?.gatewayId).toBe('gw-9');
    expect(await reopened.samples.latest('gw-9')).not.toBeNull();
    await reopened.close();
  });

  it('keeps files 0600 and the folder 0700, and never stores a token', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const state = await openEmbeddedState(dir, quiet);
    const { token } = await state.accounts.create('acme');
    await state.activationKeys.put(makeKeyRecord());
    await state.gateways.put(makeGateway('acct-x', 'gw-1'));
    await state.alerts.open({ rule: 'r', gatewayId: 'gw-1', volume: null }, { severity: 'info', message: 'm', value: null }, new Date());
    await state.samples.append('gw-1', makeSample('2030-01-01T00:00:00.000Z'));
    await state.close();
    if (process.platform !== 'win32') {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      for (const name of ['accounts.json', 'activation-keys.json', 'gateways.json', 'alerts.json', 'samples/gw-1/2030-01-01.jsonl']) {
        expect((await stat(path.join(dir, name))).mode & 0o777, name).toBe(0o600);
      }
    }
    const accounts = await readFile(path.join(dir, 'accounts.json'), 'utf8');
    expect(accounts).not.toContain(token);
    expect(accounts).not.toContain(token.slice(3));
    expect(JSON.parse(accounts)).toMatchObject({ format: 'tidegate-control-plane-accounts', version: 1 });
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder that is already open, and opens it again after close', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const state = await openEmbeddedState(dir, quiet);
    await expect(openEmbeddedState(dir, quiet)).rejects.toThrow(/in use by this process/);
    await state.close();
    await (await openEmbeddedState(dir, quiet)).close();
  });

  it('takes over the lock of a dead process and clears leftover temp files', async () => {
    const dir = path.join(await tempDir(), 'cp');
    await (await openEmbeddedState(dir, quiet)).close();
    await writeFile(path.join(dir, 'state.lock'), '999999999\n');
    await writeFile(path.join(dir, 'accounts.json.123-abcd.tmp'), '{"half');
    const state = await openEmbeddedState(dir, quiet);
    expect(await readdir(dir)).not.toContain('accounts.json.123-abcd.tmp');
    await state.close();
  });

  it('refuses a snapshot file of an unknown format instead of guessing', async () => {
    const dir = path.join(await tempDir(), 'cp');
    await (await openEmbeddedState(dir, quiet)).close();
    await writeFile(path.join(dir, 'gateways.json'), JSON.stringify({ format: 'tidegate-control-plane-gateways', version: 99, gateways: [] }));
    await expect(openEmbeddedState(dir, quiet)).rejects.toThrow(/unsupported version 99/);
    await writeFile(path.join(dir, 'gateways.json'), '{"format":');
    await expect(openEmbeddedState(dir, quiet)).rejects.toThrow(/not valid JSON/);
    // A failed open releases the lock.
    await writeFile(path.join(dir, 'gateways.json'), JSON.stringify({ format: 'tidegate-control-plane-gateways', version: 1, gateways: [] }));
    await (await openEmbeddedState(dir, quiet)).close();
  });

  it('writes samples as one JSON-lines file per gateway and UTC day; prune removes whole old days and filters the boundary day', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const state = await openEmbeddedState(dir, quiet);
    await state.samples.append('gw-1', makeSample('2030-01-01T23:59:59.000+00:00'));
    await state.samples.append('gw-1', makeSample('2030-01-02T01:00:00.000+02:00'));
    await state.samples.append('gw-1', makeSample('2030-01-02T12:00:00.000Z'));
    await state.samples.append('gw-1', makeSample('2030-01-03T12:00:00.000Z'));
    const samplesDir = path.join(dir, 'samples', 'gw-1');
    expect((await readdir(samplesDir)).sort()).toEqual(['2030-01-01.jsonl', '2030-01-02.jsonl', '2030-01-03.jsonl']);
    const day1 = await readFile(path.join(samplesDir, '2030-01-01.jsonl'), 'utf8');
    expect(day1.trim().split('\n')).toHaveLength(2); // 01:00+02:00 is 23:00Z the day before
    expect(await state.samples.prune(Date.parse('2030-01-02T06:00:00.000Z'))).toBe(2);
    expect((await readdir(samplesDir)).sort()).toEqual(['2030-01-02.jsonl', '2030-01-03.jsonl']);
    expect((await readFile(path.join(samplesDir, '2030-01-02.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
    await state.close();
  });

  it('skips a torn last line and starts the next append on a fresh line', async () => {
    const dir = path.join(await tempDir(), 'cp');
    let state = await openEmbeddedState(dir, quiet);
    await state.samples.append('gw-1', makeSample('2030-01-01T10:00:00.000Z', 'a'));
    await state.close();
    await appendFile(path.join(dir, 'samples', 'gw-1', '2030-01-01.jsonl'), '{"at":"2030-01-01T10:01:00.000Z","vers');
    state = await openEmbeddedState(dir, quiet);
    expect((await state.samples.latest('gw-1'))?.version).toBe('a');
    await state.samples.append('gw-1', makeSample('2030-01-01T10:02:00.000Z', 'b'));
    expect((await state.samples.range('gw-1', 0, Date.parse('2031-01-01'))).map((s) => s.version)).toEqual(['a', 'b']);
    await state.close();
  });

  it('refuses gateway ids that are not safe folder names', async () => {
    const state = await openEmbeddedState(path.join(await tempDir(), 'cp'), quiet);
    await expect(state.samples.append('../escape', makeSample('2030-01-01T00:00:00.000Z'))).rejects.toThrow(/folder name/);
    await expect(state.samples.range('a/b', 0, 1)).rejects.toThrow(/folder name/);
    await state.close();
  });

  it('coalesces concurrent writes and still stores every change', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const state = await openEmbeddedState(dir, quiet);
    await Promise.all(Array.from({ length: 50 }, (_, i) => state.gateways.put(makeGateway('acct-a', `gw-${i}`))));
    await state.close();
    const file = JSON.parse(await readFile(path.join(dir, 'gateways.json'), 'utf8')) as { gateways: unknown[] };
    expect(file.gateways).toHaveLength(50);
  });

  it('rejects a call whose write fails, leaves no temp file, and stores the change with the next write', async () => {
    const dir = path.join(await tempDir(), 'cp');
    const errors: unknown[] = [];
    const state = await openEmbeddedState(dir, { onError: (e) => errors.push(e) });
    // A folder where accounts.json should go makes the rename fail.
    await mkdir(path.join(dir, 'accounts.json', 'blocker'), { recursive: true });
    await expect(state.accounts.create('first')).rejects.toThrow();
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await rm(path.join(dir, 'accounts.json'), { recursive: true });
    await state.accounts.create('second');
    await state.close();
    const reopened = await openEmbeddedState(dir, quiet);
    expect((await reopened.accounts.list()).map((a) => a.name).sort()).toEqual(['first', 'second']);
    await reopened.close();
    expect(errors).toEqual([]);
  });

  it('rejects changes after close', async () => {
    const state = await openEmbeddedState(path.join(await tempDir(), 'cp'), quiet);
    await state.close();
    await expect(state.accounts.create('late')).rejects.toThrow(/closed/);
    await expect(state.samples.append('gw-1', makeSample('2030-01-01T00:00:00.000Z'))).rejects.toThrow(/closed/);
    await expect(state.bus.publish('c', 1)).rejects.toThrow(/closed/);
  });
});
