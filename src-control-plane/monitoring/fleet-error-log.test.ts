import { describe, expect, it } from 'vitest';
import { createFleetErrorLog } from './fleet-error-log.js';
import type { FleetErrorObservation } from './rules/fleet-error.js';

const o = (gatewayId: string, code: string, atMs: number, version = '1'): FleetErrorObservation => ({ gatewayId, gatewayName: gatewayId, version, code, message: 'm', atMs });

describe('createFleetErrorLog', () => {
  it('keeps the newest observation per gateway, version and code', () => {
    const log = createFleetErrorLog(1000);
    log.record([o('a', 'X', 100), o('a', 'X', 300), o('a', 'X', 200), o('a', 'Y', 100), o('a', 'X', 100, '2'), o('b', 'X', 100)]);
    expect(log.recent(500).map((x) => [x.gatewayId, x.code, x.version, x.atMs])).toEqual([
      ['a', 'X', '1', 300],
      ['a', 'Y', '1', 100],
      ['a', 'X', '2', 100],
      ['b', 'X', '1', 100],
    ]);
  });

  it('forgets observations older than the window', () => {
    const log = createFleetErrorLog(1000);
    log.record([o('a', 'X', 0), o('b', 'X', 600)]);
    expect(log.recent(1000).map((x) => x.gatewayId)).toEqual(['a', 'b']);
    expect(log.recent(1001).map((x) => x.gatewayId)).toEqual(['b']);
    expect(log.recent(5000)).toEqual([]);
  });
});
