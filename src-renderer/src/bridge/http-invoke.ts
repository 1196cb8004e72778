import type { ConsoleErrorBody } from '../../../src-main/ipc/ipc-contract.js';
import type { InvokeTransport } from './build-api.js';
import { ConsoleError, ConsoleErrorCode } from './console-error.js';

/** What the headless server answers on `POST /api/invoke/<channel>`. */
type InvokeResponseBody = { ok: true; result: unknown } | { ok: false; error: ConsoleErrorBody };

/** The message shown when the headless server refuses the session (no token, or an old one). */
export const UNAUTHORIZED_MESSAGE =
  'This browser has no valid access token for the gateway console. Open the URL printed by `tidegate serve --console` (it carries the token), then reload.';

/**
 * The headless console's invoke: one JSON POST per call, same origin, cookie credentials
 * (the server set the cookie when the tokened URL was opened).
 */
export function createHttpInvoke(fetchFn: typeof fetch): InvokeTransport {
  return async (channel, req) => {
    let res: Response;
    try {
      res = await fetchFn(`/api/invoke/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(req ?? null),
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new ConsoleError(ConsoleErrorCode.Unreachable, `Cannot reach the gateway console server (${(err as Error).message}). Is \`tidegate serve\` still running?`);
    }
    if (res.status === 401) throw new ConsoleError(ConsoleErrorCode.Unauthorized, UNAUTHORIZED_MESSAGE);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ConsoleError(ConsoleErrorCode.BadResponse, `The console server answered ${res.status} ${res.statusText} to ${channel} without a JSON body.`);
    }
    if (isInvokeResponse(body)) {
      if (body.ok) return body.result;
      throw new ConsoleError(body.error.code, body.error.message);
    }
    throw new ConsoleError(ConsoleErrorCode.BadResponse, `The console server answered ${res.status} to ${channel} with an unexpected body.`);
  };
}

function isInvokeResponse(body: unknown): body is InvokeResponseBody {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as { ok?: unknown; error?: unknown };
  if (b.ok === true) return 'result' in b;
  if (b.ok !== false || typeof b.error !== 'object' || b.error === null) return false;
  const e = b.error as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' && typeof e.message === 'string';
}
