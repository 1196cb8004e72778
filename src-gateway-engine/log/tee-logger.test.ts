import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { LogRing } from './log-ring.js';
import { teeLogger } from './tee-logger.js';

describe('teeLogger', () => {
  it('keeps entries at or above its level in the ring and still writes through the inner logger', () => {
    const lines: string[] = [];
    const ring = new LogRing(10);
    const log = teeLogger(createLogger({ level: 'warn', sink: { write: (l: string) => lines.push(l) } }), ring, 'info', () => 42);
    log.debug('d');
    log.info('i', { a: 1 });
    log.error('e', { err: new Error('boom') });
    expect(ring.query().map((e) => [e.level, e.msg])).toEqual([
      ['info', 'i'],
      ['error', 'e'],
    ]);
    expect(ring.query()[0]).toMatchObject({ ts: 42, fields: { a: 1 } });
    expect((ring.query()[1]!.fields.err as { message: string }).message).toBe('boom');
    expect(lines).toHaveLength(1); // the inner logger filters by its own level
  });

  it('children carry their bindings into the ring', () => {
    const ring = new LogRing(10);
    const log = teeLogger(createLogger({ sink: { write: () => undefined } }), ring, 'info').child({ volume: 'v1' });
    log.child({ component: 'upload' }).warn('slow', { ms: 5 });
    expect(ring.query()[0]!.fields).toEqual({ volume: 'v1', component: 'upload', ms: 5 });
  });
});
