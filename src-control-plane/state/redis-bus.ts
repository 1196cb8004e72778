/**
 * The message bus between servers over Redis pub/sub. Subscriptions need a connection of
 * their own (a subscribed connection can run no other command), so publishing goes over the
 * command link and delivery arrives on the `subscriber` link. Messages are JSON text; channels are
 * used exactly as callers name them. ioredis resubscribes after a reconnect; messages
 * published while a server was cut off are lost, as with any pub/sub, and the forwarding
 * protocol retries.
 */
import type { MessageBus } from './control-plane-state.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import type { RedisLink } from './redis-link.js';

/** Redis `MessageBus`. */
export class RedisBus implements MessageBus {
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    private readonly subscriber: RedisLink,
    private readonly onError: BackgroundErrorHandler,
  ) {
    subscriber.client.on('message', (channel: string, text: string) => this.deliver(channel, text));
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<void> {
    if (this.closed) throw new Error('control-plane state is closed');
    let set = this.handlers.get(channel);
    if (!set) {
      await this.subscriber.run(`bus.subscribe ${channel}`, (c) => c.subscribe(channel));
      set = this.handlers.get(channel);
      if (!set) this.handlers.set(channel, (set = new Set()));
    }
    set.add(handler);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError(`bus message on ${channel} is not a JSON value`);
    await this.link.run('bus.publish', (c) => c.publish(channel, text));
  }

  /** Drops the handlers and closes the subscriber connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await this.subscriber.close();
  }

  private deliver(channel: string, text: string): void {
    const handlers = this.handlers.get(channel);
    if (!handlers || this.closed) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      this.onError(err, `bus message on ${channel} is not JSON`);
      return;
    }
    for (const handler of [...handlers]) {
      try {
        // Each handler gets its own copy, as with the embedded bus.
        handler(handlers.size > 1 ? structuredClone(message) : message);
      } catch (err) {
        this.onError(err, `bus handler on ${channel}`);
      }
    }
  }
}
