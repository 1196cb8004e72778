import type { ConsoleErrorBody } from '../../../src-main/ipc/ipc-contract.js';

/** Error codes the console raises itself (the gateway's own codes arrive unchanged). */
export const ConsoleErrorCode = {
  /** The headless server refused the request: no (valid) access token or cookie. */
  Unauthorized: 'CONSOLE_UNAUTHORIZED',
  /** The console server could not be reached at all. */
  Unreachable: 'CONSOLE_UNREACHABLE',
  /** The server answered something that is not the contract's `{ ok, result | error }`. */
  BadResponse: 'CONSOLE_BAD_RESPONSE',
} as const;

/** A rejected bridge call: a stable `code` and a sentence to show the administrator. */
export class ConsoleError extends Error implements ConsoleErrorBody {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
  }
}

/**
 * Normalises anything a call rejected with into a ConsoleErrorBody. Electron's IPC turns a
 * rejected handler into an Error whose message may carry the body; the headless transport
 * already throws ConsoleError.
 */
export function toConsoleErrorBody(err: unknown): ConsoleErrorBody {
  if (err instanceof ConsoleError) return { code: err.code, message: err.message };
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return { code, message: stripIpcPrefix(message) };
    if (typeof message === 'string') return { code: 'ERROR', message: stripIpcPrefix(message) };
  }
  return { code: 'ERROR', message: String(err) };
}

// Electron prefixes rejected invoke errors with "Error invoking remote method '<channel>': ".
function stripIpcPrefix(message: string): string {
  return message.replace(/^Error invoking remote method '[^']*': (?:\w*Error: )?/, '');
}
