import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { createLogger, type LogSink } from './logger.js';
import { LogRing } from './log-ring.js';
import { nullLogger } from './null-logger.js';

function capture(): LogSink & { lines: string[]; parsed(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    parsed() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

describe('createLogger', () => {
  it('writes one JSON object per line with ts, level, msg first', () => {
    const sink = capture();
    const log = createLogger({ level: 'debug', sink, now: () => T0 });
    log.info('volume opened', { volume: 'vol1', sizeBytes: 4096 });
    expect(sink.lines).toEqual([
      '{"ts":"2025-01-02T03:04:05.678Z","level":"info","msg":"volume opened","volume":"vol1","sizeBytes":4096}\n',
    ]);
  });

  it('filters below the level', () => {
    const sink = capture();
    const log = createLogger({ level: 'warn', sink });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(sink.parsed().map((e) => e.level)).toEqual(['warn', 'error']);
  });

  it('defaults to info', () => {
    const sink = capture();
    const log = createLogger({ sink });
    log.debug('d');
    log.info('i');
    expect(sink.lines).toHaveLength(1);
  });

  it('serializes Errors with code, message, stack and cause', () => {
    const sink = capture();
    const log = createLogger({ sink });
    const cause = Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5, syscall: 'fsync' });
    const err = new TidegateError(ErrorCode.VolumeFailed, 'fsync failed; volume stopped', { cause });
    log.error('write log failed', { err, volume: 'v' });
    const [entry] = sink.parsed();
    const e = entry!.err as Record<string, unknown>;
    expect(e.name).toBe('TidegateError');
    expect(e.code).toBe('VOLUME_FAILED');
    expect(e.message).toBe('fsync failed; volume stopped');
    expect(e.transient).toBe(false);
    expect(typeof e.stack).toBe('string');
    expect(e.stack).toContain('fsync failed');
    const c = e.cause as Record<string, unknown>;
    expect(c).toMatchObject({ name: 'Error', code: 'EIO', errno: -5, syscall: 'fsync', message: 'EIO: i/o error, fsync' });
  });

  it('survives cycles, bigints, buffers and non-finite numbers', () => {
    const sink = capture();
    const log = createLogger({ sink });
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    log.info('odd', { a, big: 2n ** 64n, buf: Buffer.alloc(4096), inf: Infinity, nan: NaN, undef: undefined, fn: function foo() {} });
    const [e] = sink.parsed();
    expect(e).toMatchObject({
      a: { name: 'a', self: '[Circular]' },
      big: '18446744073709551616',
      buf: '<Buffer 4096 bytes>',
      inf: 'Infinity',
      nan: 'NaN',
      fn: '[Function foo]',
    });
    expect('undef' in e!).toBe(false);
  });

  it('shows the same object twice when it is not a cycle', () => {
    const sink = capture();
    const shared = { x: 1 };
    createLogger({ sink }).info('m', { a: shared, b: shared });
    expect(sink.parsed()[0]).toMatchObject({ a: { x: 1 }, b: { x: 1 } });
  });

  it('child loggers add bindings; call fields win; reserved names cannot hide ts/level/msg', () => {
    const sink = capture();
    const log = createLogger({ sink, now: () => T0 });
    const vol = log.child({ component: 'volume', volume: 'vol1' });
    const up = vol.child({ component: 'upload' });
    up.info('segment sealed', { seq: 7, volume: 'override' });
    vol.warn('hi', { level: 'fake', msg: 'fake', ts: 1 });
    const [a, b] = sink.parsed();
    expect(a).toEqual({ ts: '2025-01-02T03:04:05.678Z', level: 'info', msg: 'segment sealed', component: 'upload', volume: 'override', seq: 7 });
    expect(b).toMatchObject({ level: 'warn', msg: 'hi', 'field.level': 'fake', 'field.msg': 'fake', 'field.ts': 1 });
  });

  it('never throws when the sink fails', () => {
    const log = createLogger({
      sink: {
        write() {
          throw new Error('EPIPE');
        },
      },
    });
    expect(() => log.error('x')).not.toThrow();
  });

  it('rejects an unknown level', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
  });

  it('tees into a ring, with its own level', () => {
    const sink = capture();
    const ring = new LogRing(10);
    let t = 1000;
    const log = createLogger({ level: 'info', sink, ring, ringLevel: 'debug', now: () => t++ });
    log.debug('only in ring', { n: 1 });
    log.info('both', { err: new Error('x') });
    expect(sink.lines).toHaveLength(1);
    const entries = ring.query();
    expect(entries.map((e) => e.msg)).toEqual(['only in ring', 'both']);
    expect(entries[0]).toMatchObject({ ts: 1000, level: 'debug', seq: 1, fields: { n: 1 } });
    // Ring fields are JSON-safe already.
    expect((entries[1]!.fields.err as { message: string }).message).toBe('x');
  });

  it('ring level defaults to the logger level', () => {
    const ring = new LogRing(10);
    const log = createLogger({ level: 'warn', sink: capture(), ring });
    log.info('no');
    log.error('yes');
    expect(ring.query().map((e) => e.msg)).toEqual(['yes']);
  });
});

describe('nullLogger', () => {
  it('discards everything and its child is itself', () => {
    expect(() => nullLogger.error('x', { a: 1 })).not.toThrow();
    expect(nullLogger.child({ a: 1 })).toBe(nullLogger);
  });
});
