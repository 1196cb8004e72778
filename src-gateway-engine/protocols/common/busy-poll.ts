/**
 * Busy polling after replies. A client that waits for each reply before sending its next
 * request (queue depth 1: databases' log writes, a VM's synchronous I/O) sends that request
 * within tens of microseconds on loopback or a fast network. If the event loop goes to
 * sleep in `epoll_wait` meanwhile, the request has to wake it: a context switch and a
 * cross-CPU wake-up, which cost more than the gap itself on a virtual machine (the 2026-11-24
 * profile at queue depth 1: 17 % of the engine's thread in finishing the switch back from
 * that sleep, p50 latency 81 µs against 47 µs when polling). So after each
 * reply is handed to the kernel the loop keeps polling its sockets without blocking (a
 * pending `setImmediate` holds libuv's poll timeout at 0) for up to `budgetMicros`, like
 * Linux's `SO_BUSY_POLL` (whose documentation recommends 50 µs) but in user space, where it
 * also works on loopback.
 *
 * A window opens only once every reply has left the socket's own buffer: while a large reply
 * is still queued the client is busy reading it, and a loop polling beside it would take the
 * CPU the client needs (measured: sequential 1 MiB reads 40 % slower). The loop does keep
 * polling while a request waits for the thread pool (a small read on a cold page cache): not
 * polling then was measured slower at both queue depth 1 and 32.
 *
 * Polling spends CPU to save latency, so it adapts: a window that ends without a request
 * since the last reply is a miss, and after `missesToPause` misses in a row polling pauses
 * (10 ms, doubling while the probe after each pause misses again, up to 1 s). An idle client
 * or one on a network slower than the budget therefore costs one short window per pause; a
 * client that keeps its next request inside the budget keeps the loop polling.
 *
 * One poller serves the whole process (every connection shares the one event loop), so a
 * request on any connection counts as a hit. Nothing here touches data or its ordering.
 */

/** Tuning of a {@link BusyPoll}. */
export interface BusyPollOptions {
  /** How long to keep polling after a reply, in µs; 0 = never poll. */
  budgetMicros: number;
  /** Fruitless windows in a row before polling pauses (default 4). */
  missesToPause?: number;
  /** First pause (default 10 ms); doubles while probes keep missing. */
  pauseMs?: number;
  /** Longest pause (default 1 s). */
  maxPauseMs?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
  /** Runs `fn` on the next turn of the event loop without blocking in poll (default `setImmediate`). */
  nextTurn?: (fn: () => void) => void;
}

/** Counters of a poller (status, metrics and tests). */
export interface BusyPollStats {
  /** Replies whose next request arrived while the loop was still polling (each saved a wake-up). */
  hits: number;
  /** Windows that ended with no request since the last reply. */
  misses: number;
  /** Times polling paused after misses in a row. */
  pauses: number;
  /** Wall time of the polling windows, requests served inside them included, in ms. */
  pollingMs: number;
}

/** What a protocol connection tells the poller. */
export interface PollHooks {
  /** Bytes arrived on a client socket. */
  received(): void;
  /**
   * Replies were released from a cork; `unsentBytes` of them still wait in the socket's own
   * buffer (`socket.writableLength`). Only when that is 0 does a window open: otherwise the
   * client is busy reading a large reply, and a loop polling beside it would take its CPU.
   */
  replied(unsentBytes: number): void;
}

/** Hooks that do nothing: polling off (tests, and servers built without a poller). */
export const NO_POLLING: PollHooks = Object.freeze({ received() {}, replied() {} });

/** The process's busy poller; see the file-top comment. */
export class BusyPoll implements PollHooks {
  private readonly budgetMs: number;
  private readonly missesToPause: number;
  private readonly firstPauseMs: number;
  private readonly maxPauseMs: number;
  private readonly now: () => number;
  private readonly nextTurn: (fn: () => void) => void;
  /** Polling until this time (ms of `now`); meaningful while `polling`. */
  private until = 0;
  private polling = false;
  private startedAt = 0;
  /** A request arrived since the last reply. */
  private heard = false;
  private missesInRow = 0;
  private pausedUntil = 0;
  private pauseMs: number;
  private stopped = false;
  readonly stats: BusyPollStats = { hits: 0, misses: 0, pauses: 0, pollingMs: 0 };
  private readonly poll = (): void => {
    const t = this.now();
    if (t < this.until && !this.stopped) {
      this.nextTurn(this.poll);
      return;
    }
    this.polling = false;
    this.stats.pollingMs += t - this.startedAt;
    if (this.heard) return; // a request is being served; its reply opens the next window
    this.stats.misses++;
    if (++this.missesInRow >= this.missesToPause) {
      this.stats.pauses++;
      this.pausedUntil = t + this.pauseMs;
      this.pauseMs = Math.min(this.maxPauseMs, this.pauseMs * 2);
    }
  };

  constructor(options: BusyPollOptions) {
    if (!Number.isFinite(options.budgetMicros) || options.budgetMicros < 0) throw new RangeError(`budgetMicros must be ≥ 0, got ${options.budgetMicros}`);
    this.budgetMs = options.budgetMicros / 1000;
    this.missesToPause = options.missesToPause ?? 4;
    this.firstPauseMs = options.pauseMs ?? 10;
    this.maxPauseMs = options.maxPauseMs ?? 1000;
    this.pauseMs = this.firstPauseMs;
    this.now = options.now ?? defaultNow;
    this.nextTurn = options.nextTurn ?? setImmediate;
  }

  /** The loop is polling now. */
  get active(): boolean {
    return this.polling;
  }

  received(): void {
    if (this.heard) return;
    this.heard = true;
    if (!this.polling) return;
    this.stats.hits++;
    this.missesInRow = 0;
    this.pauseMs = this.firstPauseMs;
  }

  replied(unsentBytes: number): void {
    if (unsentBytes > 0) return;
    this.heard = false;
    if (this.budgetMs === 0 || this.stopped) return;
    const t = this.now();
    if (t < this.pausedUntil) return;
    this.until = t + this.budgetMs;
    if (this.polling) return;
    this.polling = true;
    this.startedAt = t;
    this.nextTurn(this.poll);
  }

  /** Stop polling for good (the engine is shutting down); the current window ends at its next turn. */
  stop(): void {
    this.stopped = true;
  }
}

function defaultNow(): number {
  return performance.now();
}
