import type { Socket } from 'node:net';

/** A socket's peer as "address:port" ("[v6]:port" for IPv6), or "unknown" once it is gone. */
export function remoteAddressOf(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  const address = socket.remoteAddress;
  if (address === undefined) return 'unknown';
  return address.includes(':') ? `[${address}]:${socket.remotePort}` : `${address}:${socket.remotePort}`;
}
