/** Where both states report errors that no caller awaits. */

/** Called with an error nobody awaits (a deferred save, a bus handler that threw, a lost connection) and what was going on. */
export type BackgroundErrorHandler = (error: unknown, context: string) => void;
