import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineProcessMessage } from '../../src-gateway-engine/index.js';
import { adaptUtilityProcess, utilityProcessLauncher, type UtilityProcessLike } from './utility-launcher.js';

// Loading the real 'electron' package outside Electron tries to download the binary.
const fork = vi.hoisted(() => vi.fn());
vi.mock('electron', () => ({ utilityProcess: { fork } }));

class FakeUtilityProcess extends EventEmitter {
  pid: number | undefined = undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly posted: unknown[] = [];
  kills = 0;
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  kill(): boolean {
    this.kills++;
    return true;
  }
  spawn(pid: number): void {
    this.pid = pid;
    this.emit('spawn');
  }
}

const quietOutput = { stdout: () => undefined, stderr: () => undefined };
const start = { type: 'start', config: { gatewayId: 'gw-1', dataDir: '/d' } } as const;

afterEach(() => vi.restoreAllMocks());

describe('adaptUtilityProcess', () => {
  it('holds messages until the process has spawned, then sends them in order', () => {
    const p = new FakeUtilityProcess();
    const child = adaptUtilityProcess(p as unknown as UtilityProcessLike, quietOutput);
    expect(child.pid).toBeNull();
    child.send(start);
    child.send({ type: 'stop' });
    expect(p.posted).toEqual([]);
    p.spawn(4242);
    expect(child.pid).toBe(4242);
    expect(p.posted).toEqual([start, { type: 'stop' }]);
    child.send({ type: 'stop' });
    expect(p.posted).toHaveLength(3);
  });

  it('passes engine messages on and drops what is not a message', () => {
    const p = new FakeUtilityProcess();
    const child = adaptUtilityProcess(p as unknown as UtilityProcessLike, quietOutput);
    const got: EngineProcessMessage[] = [];
    child.onMessage((m) => got.push(m));
    p.emit('message', { type: 'ready', pid: 7, addresses: { nbd: null, iscsi: null, metrics: null } });
    p.emit('message', 'hello');
    p.emit('message', null);
    expect(got).toEqual([{ type: 'ready', pid: 7, addresses: { nbd: null, iscsi: null, metrics: null } }]);
  });

  it('reports the exit once, as a code with no signal, also to a listener added afterwards', async () => {
    const p = new FakeUtilityProcess();
    const child = adaptUtilityProcess(p as unknown as UtilityProcessLike, quietOutput);
    const exits: Array<[number | null, string | null]> = [];
    child.onExit((code, signal) => exits.push([code, signal]));
    p.emit('exit', 3);
    p.emit('exit', 0);
    child.onExit((code, signal) => exits.push([code, signal]));
    await Promise.resolve();
    expect(exits).toEqual([
      [3, null],
      [3, null],
    ]);
    child.send({ type: 'stop' });
    child.kill('SIGTERM');
    expect(p.posted).toEqual([]);
    expect(p.kills).toBe(0);
  });

  it("kills with Electron's kill for SIGTERM and with the pid for SIGKILL", () => {
    const p = new FakeUtilityProcess();
    const child = adaptUtilityProcess(p as unknown as UtilityProcessLike, quietOutput);
    p.spawn(4243);
    const killSpy = vi.spyOn(process, 'kill').mockImplementation(() => true);
    child.kill('SIGTERM');
    expect(p.kills).toBe(1);
    expect(killSpy).not.toHaveBeenCalled();
    child.kill('SIGKILL');
    expect(killSpy).toHaveBeenCalledWith(4243, 'SIGKILL');
    expect(p.kills).toBe(1);
  });

  it("passes the engine's stdout and stderr on", () => {
    const p = new FakeUtilityProcess();
    const out: string[] = [];
    adaptUtilityProcess(p as unknown as UtilityProcessLike, { stdout: (c) => out.push(`out:${c}`), stderr: (c) => out.push(`err:${c}`) });
    p.stdout.write('a');
    p.stderr.write('b');
    expect(out).toEqual(['out:a', 'err:b']);
  });
});

describe('utilityProcessLauncher', () => {
  it('forks the entry as a utility process named Tidegate engine, with piped output', () => {
    const p = new FakeUtilityProcess();
    fork.mockReturnValue(p);
    const child = utilityProcessLauncher('/app/out/node/src-gateway-engine/runtime/engine-process.js');
    expect(fork).toHaveBeenCalledWith('/app/out/node/src-gateway-engine/runtime/engine-process.js', [], { serviceName: 'Tidegate engine', stdio: 'pipe' });
    p.spawn(99);
    expect(child.pid).toBe(99);
  });
});
