/**
 * The support bundle: one .tar.gz an administrator downloads from Logs & diagnostics and
 * sends to whoever helps them. It holds the gateway's status, volumes, storage and bandwidth
 * settings, the engine's recent log, the metric history, the engine process's state and the
 * host's facts. No secrets: CHAP secrets, tokens and keys are never in what the engine
 * reports, a pending activation key is removed, and nothing is read from the data dir directly.
 * A part that cannot be collected (engine down) is replaced by a file saying why.
 */
import { gzipSync } from 'node:zlib';
import type { EngineStatus } from '../../src-gateway-engine/index.js';
import type { ConsoleDeps } from '../ipc/handlers/console-deps.js';
import type { SupportBundle } from '../ipc/ipc-contract.js';
import { tarArchive, type TarEntry } from './tar-archive.js';

const LOG_LINES = 1_000; // all the engine keeps

/** Collect and pack the support bundle. */
export async function buildSupportBundle(deps: ConsoleDeps, now: Date = new Date()): Promise<SupportBundle> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const dir = `tidegate-support-${stamp}`;
  const parts: Array<[string, () => Promise<unknown> | unknown]> = [
    ['app-info.json', () => deps.appInfo],
    ['engine-process.json', () => deps.engineProcess.state],
    ['host.json', () => deps.hostInfo?.() ?? {}],
    ['status.json', async () => withoutActivationKey(await deps.engine('status', {}, 10_000))],
    ['storage.json', () => deps.engine('storage.describe', {}, 10_000)],
    ['bandwidth.json', () => deps.engine('bandwidth.get', {}, 10_000)],
    ['metrics-last-hour.json', () => deps.engine('metrics.history', { resolution: 'second' }, 10_000)],
    ['metrics-14-days.json', () => deps.engine('metrics.history', { resolution: 'minute' }, 30_000)],
  ];
  const entries: TarEntry[] = [];
  for (const [name, collect] of parts) {
    entries.push({ name: `${dir}/${name}`, data: await collected(collect), mtime: now });
  }
  let logs: Buffer;
  try {
    const lines = await deps.engine('logs.recent', { level: 'debug', limit: LOG_LINES }, 10_000);
    logs = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  } catch (err) {
    logs = Buffer.from(`could not collect the engine log: ${(err as Error).message}\n`);
  }
  entries.push({ name: `${dir}/engine-log.jsonl`, data: logs, mtime: now });
  const data = gzipSync(tarArchive(entries));
  return { fileName: `${dir}.tar.gz`, bytes: data.length, dataBase64: data.toString('base64') };
}

async function collected(collect: () => Promise<unknown> | unknown): Promise<Buffer> {
  try {
    return Buffer.from(`${JSON.stringify(await collect(), null, 2)}\n`);
  } catch (err) {
    return Buffer.from(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) }, null, 2)}\n`);
  }
}

/** A pending activation key lets whoever holds it activate the gateway into their account: not in a bundle sent around. */
function withoutActivationKey(status: EngineStatus): EngineStatus {
  const pending = status.controlPlane.activation;
  if (!pending) return status;
  return { ...status, controlPlane: { ...status.controlPlane, activation: { ...pending, activationKey: '(removed from the support bundle)' } } };
}
