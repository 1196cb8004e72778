import { describe, expect, it } from 'vitest';
import { Op } from './opcodes.js';
import { Ascs } from './sense.js';
import { UnitAttentions } from './unit-attention.js';

describe('unit attentions', () => {
  it('queues per nexus, in order, without duplicates, and a reset replaces the rest', () => {
    const ua = new UnitAttentions();
    ua.added('a');
    expect(ua.take('a')).toBeUndefined(); // a login raises nothing
    ua.establish('a', Ascs.ModeParametersChanged);
    ua.establish('a', Ascs.ReservationsReleased);
    ua.establish('a', Ascs.ModeParametersChanged);
    expect(ua.take('a')).toEqual(Ascs.ModeParametersChanged);
    ua.establish('a', Ascs.BusDeviceResetFunctionOccurred);
    expect(ua.take('a')).toEqual(Ascs.BusDeviceResetFunctionOccurred);
    expect(ua.take('a')).toBeUndefined();
  });

  it('lets INQUIRY and REQUEST SENSE through, and REPORT LUNS clears only its own UA', () => {
    const ua = new UnitAttentions();
    ua.added('a');
    expect(ua.takeFor('a', Op.Inquiry)).toBeUndefined();
    ua.establish('a', Ascs.PowerOnOccurred);
    ua.establish('a', Ascs.ReportedLunsDataChanged);
    expect(ua.takeFor('a', Op.Inquiry)).toBeUndefined();
    expect(ua.takeFor('a', Op.ReportLuns)).toBeUndefined();
    expect(ua.takeFor('a', Op.Read10)).toMatchObject({ key: 6, asc: 0x29, ascq: 0x01 });
    expect(ua.takeFor('a', Op.Read10)).toBeUndefined();
  });

  it('keeps the UAs of an absent nexus until it returns, and reaches only connected ones with establishAll', () => {
    const ua = new UnitAttentions();
    ua.added('a');
    ua.added('b');
    ua.take('a');
    ua.take('b');
    ua.lost('b');
    ua.establish('b', Ascs.RegistrationsPreempted);
    ua.establishAll(Ascs.ModeParametersChanged, 'a');
    expect(ua.pending('a')).toBe(false);
    ua.added('b');
    expect(ua.take('b')).toEqual(Ascs.RegistrationsPreempted);
    expect(ua.take('b')).toBeUndefined();
  });
});
