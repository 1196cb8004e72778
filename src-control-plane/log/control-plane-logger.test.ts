import { describe, expect, it } from 'vitest';
import { createControlPlaneLogger } from './control-plane-logger.js';

describe('control-plane logger', () => {
  it('writes one JSON object per line: ts, level, msg first, then bindings and fields; filters by level', () => {
    const lines: string[] = [];
    const log = createControlPlaneLogger({ level: 'info', sink: { write: (l) => lines.push(l) }, now: () => Date.parse('2030-01-01T00:00:00.000Z') });
    const child = log.child({ serverId: 'cp-1' });
    child.debug('hidden');
    child.info('hello', { gatewayId: 'gw-1', msg: 'shadow', err: Object.assign(new Error('boom'), { code: 'E1' }), big: 10n });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(0, 3)).toEqual(['ts', 'level', 'msg']);
    expect(parsed).toEqual({ ts: '2030-01-01T00:00:00.000Z', level: 'info', msg: 'hello', serverId: 'cp-1', gatewayId: 'gw-1', 'field.msg': 'shadow', err: { name: 'Error', message: 'boom', code: 'E1' }, big: '10' });
  });

  it('never throws, even for a cyclic field or a failing sink', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => createControlPlaneLogger({ sink: { write: () => undefined } }).error('x', { cyclic })).not.toThrow();
    expect(() => createControlPlaneLogger({ sink: { write: () => { throw new Error('closed'); } } }).error('x')).not.toThrow();
  });
});
