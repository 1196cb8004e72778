import { describe, expect, it } from 'vitest';
import { isNbdExported, parseLocalVolumeRecord } from './local-volume-record.js';

const base = { name: 'db', volumeId: 'v-1', mode: 'cached', diskPath: null };

describe('parseLocalVolumeRecord', () => {
  it('reads an old record (no target name, no NBD flag): both take their defaults', () => {
    const r = parseLocalVolumeRecord(JSON.stringify({ ...base, iscsi: { allowedInitiators: ['iqn.2001-04.com.example:a'] } }))!;
    expect(r).toEqual({ ...base, iscsi: { allowedInitiators: ['iqn.2001-04.com.example:a'] } });
    expect(r.iscsiTargetName).toBeUndefined();
    expect(isNbdExported(r)).toBe(true);
  });

  it('reads the new fields', () => {
    const r = parseLocalVolumeRecord(JSON.stringify({ ...base, iscsiTargetName: 'iqn.2001-04.com.example:db', nbdExport: false }))!;
    expect(r.iscsiTargetName).toBe('iqn.2001-04.com.example:db');
    expect(isNbdExported(r)).toBe(false);
  });

  it('treats a new field of the wrong type as absent', () => {
    const r = parseLocalVolumeRecord(JSON.stringify({ ...base, iscsiTargetName: 7, nbdExport: 'no' }))!;
    expect(r).toEqual(base);
    expect(isNbdExported(r)).toBe(true);
  });

  it('refuses half-written or foreign files', () => {
    expect(parseLocalVolumeRecord('{"name":"db","volu')).toBeUndefined();
    expect(parseLocalVolumeRecord('[]')).toBeUndefined();
    expect(parseLocalVolumeRecord(JSON.stringify({ ...base, mode: 'weird' }))).toBeUndefined();
    expect(parseLocalVolumeRecord(JSON.stringify({ ...base, volumeId: undefined }))).toBeUndefined();
    expect(parseLocalVolumeRecord(JSON.stringify({ ...base, diskPath: 3 }))).toBeUndefined();
  });
});
