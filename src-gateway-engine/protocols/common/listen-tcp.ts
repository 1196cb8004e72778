import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../nbd/logger.js';

/**
 * Start a protocol's TCP listener: resolves with the server and its bound address once
 * listening (port 0 picks a free port), rejects if the bind fails; later listener errors
 * are logged, never thrown. `label` prefixes the log lines ("nbd", "iscsi").
 */
export function listenTcp(label: string, host: string, port: number, logger: Logger, accept: (socket: Socket) => void): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer({ noDelay: true, allowHalfOpen: true }, accept);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => logger.error(`${label}: listener error`, { error: err.message }));
      const address = server.address() as AddressInfo;
      logger.info(`${label}: listening`, { host: address.address, port: address.port });
      resolve({ server, address });
    });
  });
}
