import { describe, expect, it } from 'vitest';
import { ControlPlaneError, ErrorCode, TidegateError } from '../../src-gateway-engine/index.js';
import { ConsoleError, toConsoleErrorBody } from './console-error.js';

describe('toConsoleErrorBody', () => {
  it("keeps a ConsoleError's code and message", () => {
    const e = new ConsoleError('CONFIRMATION_MISMATCH', 'type the name again');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ConsoleError');
    expect(toConsoleErrorBody(e)).toEqual({ code: 'CONFIRMATION_MISMATCH', message: 'type the name again' });
  });

  it("keeps an engine error's catalogue code", () => {
    expect(toConsoleErrorBody(new TidegateError(ErrorCode.NoSpace, 'the write log is full'))).toEqual({ code: 'NO_SPACE', message: 'the write log is full' });
  });

  it("answers the control plane's own code when it gave one", () => {
    const e = new ControlPlaneError(ErrorCode.ControlPlaneRefused, 'the control plane refused POST /v1/gateways: expired', { controlCode: 'ACTIVATION_KEY_EXPIRED', httpStatus: 410 });
    expect(toConsoleErrorBody(e)).toEqual({ code: 'ACTIVATION_KEY_EXPIRED', message: 'the control plane refused POST /v1/gateways: expired' });
  });

  it('answers the engine code for a control-plane error without its own code (unreachable, untrusted)', () => {
    const e = new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, 'connect ECONNREFUSED', { transient: true });
    expect(toConsoleErrorBody(e)).toEqual({ code: 'CONTROL_PLANE_UNAVAILABLE', message: 'connect ECONNREFUSED' });
  });

  it('answers INTERNAL with the message for any other error or thrown value', () => {
    expect(toConsoleErrorBody(new TypeError('x is undefined'))).toEqual({ code: 'INTERNAL', message: 'x is undefined' });
    expect(toConsoleErrorBody('a string')).toEqual({ code: 'INTERNAL', message: 'a string' });
    expect(toConsoleErrorBody(undefined)).toEqual({ code: 'INTERNAL', message: 'undefined' });
    // An error that merely carries a code property is not trusted to name one.
    expect(toConsoleErrorBody(Object.assign(new Error('enoent'), { code: 'ENOENT' }))).toEqual({ code: 'INTERNAL', message: 'enoent' });
  });
});
