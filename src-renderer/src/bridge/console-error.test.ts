import { describe, expect, it } from 'vitest';
import { ConsoleError, toConsoleErrorBody } from './console-error.js';

describe('toConsoleErrorBody', () => {
  it('keeps a ConsoleError and plain {code, message} bodies', () => {
    expect(toConsoleErrorBody(new ConsoleError('NOT_FOUND', 'no volume x'))).toEqual({ code: 'NOT_FOUND', message: 'no volume x' });
    expect(toConsoleErrorBody({ code: 'TOKEN_INVALID', message: 'bad token' })).toEqual({ code: 'TOKEN_INVALID', message: 'bad token' });
  });

  it("strips Electron's invoke prefix from a rejected IPC call", () => {
    const err = new Error("Error invoking remote method 'volumes.create': Error: volume size must be a positive multiple of 4096 bytes");
    expect(toConsoleErrorBody(err)).toEqual({ code: 'ERROR', message: 'volume size must be a positive multiple of 4096 bytes' });
  });

  it('describes anything else', () => {
    expect(toConsoleErrorBody('boom')).toEqual({ code: 'ERROR', message: 'boom' });
  });
});
