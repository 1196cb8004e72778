import type { Socket } from 'node:net';
import { CheckedDevice } from '../../device/checked-device.js';
import { HandshakeError, negotiate, type HandshakeConfig } from './handshake.js';
import type { Logger } from './logger.js';
import { ReceiveBuffer } from '../common/receive-buffer.js';
import { remoteAddressOf } from '../common/remote-address.js';
import { Transmission, type TransmissionConfig } from './transmission.js';

/**
 * One client connection: handshake, then transmission, then cleanup. Every failure —
 * protocol violation, socket error, client vanishing mid-request — ends this connection
 * only; nothing here throws into the server.
 */

/** Everything a connection needs from the server. */
export interface ConnectionConfig extends HandshakeConfig, TransmissionConfig {
  /** Idle time allowed during the handshake before the connection is dropped. */
  handshakeTimeoutMs: number;
}

/** A client connection and its lifecycle. */
export class NbdConnection {
  private readonly reader = new ReceiveBuffer();
  private transmission: Transmission | undefined;
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private readonly fields: Record<string, unknown>;
  /** The client, as "address:port". */
  readonly remoteAddress: string;
  /** When the client connected (ms since the epoch). */
  readonly connectedAt = Date.now();
  private attachedExport: string | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly config: ConnectionConfig,
    private readonly logger: Logger,
  ) {
    this.remoteAddress = remoteAddressOf(socket);
    this.fields = { remote: this.remoteAddress };
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => {
      this.config.poll.received();
      this.reader.push(chunk);
      this.transmission?.process();
    });
    socket.on('error', (err) => this.logger.debug('nbd: socket error', { ...this.fields, error: err.message }));
    socket.on('end', () => {
      // The client half-closed: nothing more will arrive; answer what is in flight, then close.
      if (this.transmission !== undefined) void this.transmission.stop().then(() => socket.end());
      else socket.end();
    });
    socket.on('close', () => {
      this.closed = true;
      this.reader.fail(new Error('connection closed'));
      this.transmission?.onClose();
      this.logger.debug('nbd: connection closed', this.fields);
    });
    socket.setTimeout(config.handshakeTimeoutMs, () => {
      if (this.transmission === undefined) {
        this.logger.info('nbd: handshake timed out', this.fields);
        socket.destroy();
      }
    });
  }

  /** Run the connection until it closes. */
  async run(): Promise<void> {
    try {
      const session = await negotiate(
        { reader: this.reader, write: (data) => void this.socket.write(data) },
        this.config,
        this.logger,
      );
      if (session === undefined || this.closed) {
        this.socket.end();
        return;
      }
      this.socket.setTimeout(0);
      const device =
        session.device instanceof CheckedDevice
          ? session.device
          : new CheckedDevice(session.device, { maxRequestBytes: this.config.maxBlockSize });
      this.logger.info('nbd: client attached', {
        ...this.fields,
        export: session.exportName,
        structuredReplies: session.structuredReplies,
        baseAllocation: session.baseAllocation,
      });
      this.attachedExport = session.exportName;
      this.transmission = new Transmission(this.socket, this.reader, { ...session, device }, this.config, this.logger);
      this.transmission.process();
    } catch (err) {
      if (!this.closed) {
        const level = err instanceof HandshakeError ? 'warn' : 'error';
        this.logger[level]('nbd: handshake failed; closing the connection', {
          ...this.fields,
          error: err instanceof Error ? err.message : String(err),
        });
        this.socket.destroy();
      }
    }
  }

  /** Stop taking requests, answer those in flight (up to `graceMs`), then close. */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    if (this.transmission !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.transmission.stop(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      this.socket.end();
      timer = setTimeout(() => this.socket.destroy(), graceMs);
      await this.closedPromise;
      clearTimeout(timer);
    } else {
      this.socket.destroy();
      await this.closedPromise;
    }
  }

  /** The export this client is attached to (past the handshake, still connected), else undefined. */
  get exportName(): string | undefined {
    return this.closed ? undefined : this.attachedExport;
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }
}
