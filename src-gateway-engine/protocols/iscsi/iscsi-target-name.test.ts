import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../errors/index.js';
import { iscsiTargetNameProblem, validateIscsiTargetName } from './iscsi-target-name.js';

describe('iSCSI target names', () => {
  it('accepts the three RFC 3720 formats in lower case', () => {
    for (const ok of [
      'iqn.2001-04.com.example',
      'iqn.2001-04.com.example:storage.disk2',
      'iqn.2001-04.com.example:storage:diskarrays-sn-a8675309',
      'iqn.2026-11.dev.tidegate:db-1',
      'iqn.1999-12.x',
      'eui.02004567a425678d',
      'naa.52004567ba64678d',
      'naa.52004567ba64678d52004567ba64678d',
      `iqn.2001-04.com.example:${'a'.repeat(223 - 'iqn.2001-04.com.example:'.length)}`,
    ]) {
      expect(iscsiTargetNameProblem(ok), ok).toBeUndefined();
    }
  });

  it('refuses everything else with a reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['', /non-empty/],
      [42, /non-empty string/],
      ['IQN.2001-04.com.example', /lower case \(use "iqn.2001-04.com.example"\)/],
      ['eui.02004567A425678D', /lower case/],
      ['iqn.2001-04.com.example:disk 2', /character " " is not allowed/],
      ['iqn.2001-04.com.example:disk_2', /character "_"/],
      ['iqn.2001-13.com.example', /2001-13 is not a year and month/],
      ['iqn.2001-00.com.example', /not a year and month/],
      ['iqn.01-04.com.example', /iqn.YYYY-MM.reversed.domain/],
      ['iqn.2001-04', /iqn.YYYY-MM/],
      ['iqn.2001-04.-com.example', /iqn.YYYY-MM/],
      ['iqn.2001-04.com..example', /iqn.YYYY-MM/],
      ['iqn.2001-04.com.example:', /iqn.YYYY-MM/],
      ['eui.02004567a425678', /16 hex digits/],
      ['naa.52004567ba64678d5', /16 or 32 hex digits/],
      ['tidegate:db', /starts with iqn., eui. or naa./],
      [`iqn.2001-04.com.example:${'a'.repeat(200)}`, /at most 223/],
    ];
    for (const [name, why] of cases) expect(iscsiTargetNameProblem(name), String(name)).toMatch(why);
  });

  it('validate throws INVALID_ARGUMENT naming the name and the reason', () => {
    expect(() => validateIscsiTargetName('Iqn.x')).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument, message: 'invalid iSCSI target name "Iqn.x": iSCSI names are written in lower case (use "iqn.x")' }));
    expect(validateIscsiTargetName('eui.02004567a425678d')).toBe('eui.02004567a425678d');
  });
});
