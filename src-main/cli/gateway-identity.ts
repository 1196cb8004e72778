/**
 * The gateway's identity, kept in `<dataDir>/gateway.json` and made on first start. It names
 * this gateway as a volume owner in the object store (fencing), so it must survive restarts.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Read or create the gateway id of a data dir. */
export async function loadGatewayId(dataDir: string): Promise<string> {
  const path = join(dataDir, 'gateway.json');
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { gatewayId?: unknown };
    if (typeof parsed.gatewayId === 'string') return parsed.gatewayId;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const gatewayId = `gw-${randomUUID()}`;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify({ gatewayId, createdAt: new Date().toISOString() }, null, 1), { mode: 0o600, flag: 'wx', flush: true });
  return gatewayId;
}
