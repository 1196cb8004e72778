import type { BlockDevice } from '../../../device/block-device.js';
import type { Logger } from '../logger.js';
import { NbdServer, type NbdServerOptions } from '../nbd-server.js';

/** A logger that remembers warnings and errors, for assertions. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const log = (level: string) => (msg: string) => void lines.push({ level, msg });
  return { lines, debug: () => {}, info: log('info'), warn: log('warn'), error: log('error') };
}

/** Start an NbdServer on 127.0.0.1 and an ephemeral port serving the given devices. */
export async function startServer(
  devices: Record<string, BlockDevice>,
  options: NbdServerOptions = {},
): Promise<{ server: NbdServer; port: number }> {
  const server = new NbdServer(
    {
      lookup: (name) => devices[name],
      list: () => Object.keys(devices).map((name) => ({ name, description: `volume ${name}` })),
    },
    options,
  );
  const address = await server.listen('127.0.0.1', 0);
  return { server, port: address.port };
}
