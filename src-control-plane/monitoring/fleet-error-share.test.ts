import { describe, expect, it } from 'vitest';
import { fleetErrorShareMessage, parseFleetErrorShare } from './fleet-error-share.js';

const observation = { gatewayId: 'g1', gatewayName: 'office-1', version: '1.0.0', code: 'CORRUPT', message: 'bad', atMs: 1 };

describe('fleet-error share messages', () => {
  it('round-trips through JSON', () => {
    const message = fleetErrorShareMessage('m1', [observation]);
    expect(parseFleetErrorShare(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it.each([
    ['not an object', 'x'],
    ['null', null],
    ['another kind', { kind: 'forward', origin: 'm1', observations: [] }],
    ['no origin', { kind: 'fleet-errors', observations: [] }],
    ['a bad observation', { kind: 'fleet-errors', origin: 'm1', observations: [{ ...observation, atMs: 'soon' }] }],
    ['a missing field', { kind: 'fleet-errors', origin: 'm1', observations: [{ ...observation, code: undefined }] }],
    ['too many observations', { kind: 'fleet-errors', origin: 'm1', observations: Array(101).fill(observation) }],
  ])('rejects %s', (_why, message) => {
    expect(parseFleetErrorShare(message)).toBeNull();
  });

  it('drops fields it does not know', () => {
    const parsed = parseFleetErrorShare({ kind: 'fleet-errors', origin: 'm1', observations: [{ ...observation, extra: 1 }] });
    expect(parsed?.observations).toEqual([observation]);
  });
});
