/**
 * The message bus of a single server. It behaves like Redis pub/sub so code written against
 * the embedded state also works with many servers: `publish` resolves before any handler
 * runs, each handler gets its own JSON copy of the message (so only JSON values survive),
 * and handlers run later, one per `setImmediate`, in publish order.
 */
import type { MessageBus } from './control-plane-state.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';

/** In-process `MessageBus`. */
export class MemoryBus implements MessageBus {
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();
  private closed = false;

  constructor(private readonly onError: BackgroundErrorHandler) {}

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<void> {
    if (this.closed) throw new Error('control-plane state is closed');
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    if (this.closed) throw new Error('control-plane state is closed');
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError(`bus message on ${channel} is not a JSON value`);
    for (const handler of this.handlers.get(channel) ?? []) {
      setImmediate(() => {
        if (this.closed) return;
        try {
          handler(JSON.parse(text));
        } catch (err) {
          this.onError(err, `bus handler on ${channel}`);
        }
      });
    }
  }

  /** Drops all handlers; messages already queued are not delivered. */
  close(): void {
    this.closed = true;
    this.handlers.clear();
  }
}
