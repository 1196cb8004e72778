/**
 * Runs the real `tidegate` command as separate processes for interop and crash tests:
 * `serve` in the background (killable with SIGKILL), and one-shot CLI commands.
 * Needs `npm run build` first (the test command does it).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const TIDEGATE_BIN = join(REPO_ROOT, 'bin', 'tidegate.js');

/** Fail clearly when the CLI is not built. */
export function requireBuiltCli(): void {
  if (!existsSync(join(REPO_ROOT, 'out', 'node', 'src-main', 'cli', 'entry.js'))) {
    throw new Error('the tidegate CLI is not built: run "npm run build" (npm test does it first)');
  }
}

export interface GatewayProcess {
  readonly pid: number;
  readonly dataDir: string;
  /** host:port of the NBD listener. */
  readonly nbd: string;
  nbdUri(volume: string): string;
  /** host:port of the iSCSI portal (null when started with --iscsi off). */
  readonly iscsi: string | null;
  /** libiscsi URL of a volume's LUN 0, optionally with CHAP `user%secret@`. */
  iscsiUri(volume: string, auth?: string): string;
  /** host:port of the metrics listener (null with the default --metrics off). */
  readonly metrics: string | null;
  /** https://host:port of the embedded control plane (null unless started with --control-plane HOST:PORT). */
  readonly controlPlaneUrl: string | null;
  /** SIGKILL, then wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (clean stop), then wait for the exit. */
  stop(): Promise<number | null>;
  /** Everything the process wrote to stderr so far (JSON logs). */
  stderr(): string;
}

/** Start `tidegate serve` on loopback with a free NBD port; resolves once it is serving. */
export async function startGateway(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<GatewayProcess> {
  requireBuiltCli();
  const defaultArgs = extraArgs.includes('--iscsi') ? [] : ['--iscsi', '127.0.0.1:0'];
  // The embedded control plane only where a test asks for it (it costs a CA and a listener per gateway).
  if (!extraArgs.includes('--control-plane')) defaultArgs.push('--control-plane', 'off');
  const child: ChildProcess = spawn(process.execPath, [TIDEGATE_BIN, 'serve', '--data-dir', dataDir, '--nbd', '127.0.0.1:0', ...defaultArgs, '--metrics', 'off', ...extraArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const nbd = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`gateway did not start within 30 s\n${err}`)), 30_000);
    const check = (): void => {
      const m = /NBD:\s+nbd:\/\/([0-9.:]+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`gateway exited (${code}) before serving:\n${err}`));
    });
  });
  const iscsi = /iSCSI:\s+iscsi:\/\/([0-9.:]+)\//.exec(out)?.[1] ?? null;
  const metrics = /metrics:\s+http:\/\/([0-9.:]+)\/metrics/.exec(out)?.[1] ?? null;
  const controlPlaneUrl = /control plane \(embedded\):\s+(https:\/\/\S+)/.exec(out)?.[1] ?? null;
  return {
    pid: child.pid!,
    dataDir,
    nbd,
    nbdUri: (volume) => `nbd://${nbd}/${volume}`,
    iscsi,
    iscsiUri: (volume, auth) => `iscsi://${auth !== undefined ? `${auth}@` : ''}${iscsi}/iqn.2026-11.dev.tidegate:${volume}/0`,
    metrics,
    controlPlaneUrl,
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    stderr: () => err,
  };
}

/** Run a one-shot CLI command against a data dir; resolves with stdout, rejects with stderr. */
export function tidegate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  requireBuiltCli();
  return new Promise((res, rej) => {
    execFile(process.execPath, [TIDEGATE_BIN, ...args], { env: { ...process.env, ...env }, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) rej(Object.assign(new Error(`tidegate ${args.join(' ')} failed (${error.code}): ${stderr.trim()}`), { stderr, exitCode: error.code }));
      else res(stdout);
    });
  });
}
