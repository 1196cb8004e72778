import type { AddressInfo, Server, Socket } from 'node:net';
import { NO_POLLING, type PollHooks } from '../common/busy-poll.js';
import { listenTcp } from '../common/listen-tcp.js';
import { WriteBufferPool } from '../common/write-buffer-pool.js';
import type { ExportResolver } from './export-resolver.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { NbdConnection, type ConnectionConfig } from './nbd-connection.js';

/**
 * The NBD server: fixed newstyle handshake only, then pipelined transmission. Each export
 * name is a volume name, looked up through the injected resolver on every handshake (so
 * volumes may come and go); the empty name selects `defaultExport` when one is set.
 *
 * Multi-connection safety: CAN_MULTI_CONN is advertised because BlockDevice.flush()
 * makes durable every write resolved before it was called, whichever connection issued
 * it, and all connections to one export share one device.
 */

/** Options for {@link NbdServer}. */
export interface NbdServerOptions {
  logger?: Logger;
  /** Export served to clients that ask for the empty name. */
  defaultExport?: string;
  /** Advertised minimum block size: 1 (default) or 512. */
  minBlockSize?: 1 | 512;
  /** Largest READ/WRITE payload, in bytes; default 32 MiB. */
  maxBlockSize?: number;
  /** Per-connection cap on bytes in flight before the socket is paused; default 64 MiB. */
  maxInFlightBytes?: number;
  /** Handshake idle timeout; default 30 s. */
  handshakeTimeoutMs?: number;
  /** Structured READs at least this long report zero extents as holes; default 64 KiB, 0 disables. */
  sparseReadMinBytes?: number;
  /** How long close() waits for requests in flight; default 10 s. */
  closeGraceMs?: number;
  /** The process's busy poller (protocols/common/busy-poll.ts); default none. */
  poll?: PollHooks;
}

/** One client attached to an export (read-only view for status). */
export interface NbdClientInfo {
  exportName: string;
  /** "address:port". */
  address: string;
  /** ms since the epoch. */
  connectedAt: number;
}

/** An NBD server over TCP. */
export class NbdServer {
  private readonly config: ConnectionConfig;
  private readonly logger: Logger;
  private readonly closeGraceMs: number;
  private readonly connections = new Set<NbdConnection>();
  private server: Server | undefined;
  private listening = false;

  constructor(exports: ExportResolver, options: NbdServerOptions = {}) {
    const maxBlockSize = options.maxBlockSize ?? 32 * 1024 * 1024;
    const minBlockSize = options.minBlockSize ?? 1;
    if (minBlockSize !== 1 && minBlockSize !== 512) throw new RangeError('minBlockSize must be 1 or 512');
    if (!Number.isSafeInteger(maxBlockSize) || maxBlockSize < 4096 || maxBlockSize > 0xffffffff) {
      throw new RangeError(`maxBlockSize must be an integer in [4096, 2^32), got ${maxBlockSize}`);
    }
    this.logger = options.logger ?? silentLogger;
    this.closeGraceMs = options.closeGraceMs ?? 10_000;
    this.config = Object.freeze({
      exports,
      ...(options.defaultExport !== undefined ? { defaultExport: options.defaultExport } : {}),
      minBlockSize,
      maxBlockSize,
      maxOptionBytes: 64 * 1024,
      maxDiscardBytes: 2 * maxBlockSize,
      maxInFlightBytes: options.maxInFlightBytes ?? 64 * 1024 * 1024,
      sparseReadMinBytes: options.sparseReadMinBytes ?? 64 * 1024,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 30_000,
      poll: options.poll ?? NO_POLLING,
      writeBuffers: new WriteBufferPool(),
    });
  }

  /** Start listening; resolves with the bound address (port 0 picks a free port). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    if (this.listening) throw new Error('NBD server is already listening');
    this.listening = true;
    try {
      const { server, address } = await listenTcp('nbd', host, port, this.logger, (socket) => this.accept(socket));
      this.server = server;
      return address;
    } catch (err) {
      this.listening = false;
      throw err;
    }
  }


  /** The bound address, once listening. */
  get address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Clients past the handshake, attached to an export now. */
  clients(): NbdClientInfo[] {
    const out: NbdClientInfo[] = [];
    for (const c of this.connections) {
      const exportName = c.exportName;
      if (exportName !== undefined) out.push({ exportName, address: c.remoteAddress, connectedAt: c.connectedAt });
    }
    return out;
  }

  /** Stop accepting, let requests in flight finish (up to the grace period), close every connection. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.close(this.closeGraceMs)));
    await closed;
    this.logger.info('nbd: stopped');
  }

  private accept(socket: Socket): void {
    const connection = new NbdConnection(socket, this.config, this.logger);
    this.connections.add(connection);
    void connection.whenClosed().then(() => this.connections.delete(connection));
    void connection.run();
  }
}
