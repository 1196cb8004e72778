/** The error every state call rejects with when its backing store cannot be reached. */

/** Redis is down or unreachable (or did not answer in time): the call may or may not have taken effect. */
export class StateUnavailableError extends Error {
  /** Stable code, for mapping to a 503 answer. */
  readonly code = 'STATE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateUnavailableError';
  }
}
