/** Stops the gateway cleanly (SIGTERM: the engine flushes), killing it only if it hangs. */
import { rmSync } from 'node:fs';
import { gatewayUnderTest } from './gateway-under-test.js';

export default async function globalTeardown(): Promise<void> {
  const g = gatewayUnderTest();
  const alive = (): boolean => {
    try {
      process.kill(g.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(g.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(g.pid, 'SIGKILL');
  rmSync(g.dataDir, { recursive: true, force: true });
}
