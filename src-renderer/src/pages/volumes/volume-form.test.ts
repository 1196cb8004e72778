import { describe, expect, it } from 'vitest';
import { checkVolumeForm, INITIAL_VOLUME_FORM, type VolumeFormDraft } from './volume-form.js';

const form = (patch: Partial<VolumeFormDraft>): VolumeFormDraft => ({ ...INITIAL_VOLUME_FORM, name: 'vol1', ...patch });

describe('checkVolumeForm', () => {
  it('builds the request for a plain cached volume', () => {
    expect(checkVolumeForm(form({}), [])).toEqual({ errors: {}, request: { name: 'vol1', sizeBytes: 100 * 1024 ** 3, mode: 'cached', nbdExport: true } });
  });

  it('checks names like the engine does', () => {
    expect(checkVolumeForm(form({ name: '' }), []).errors.name).toBe('Enter a volume name.');
    expect(checkVolumeForm(form({ name: 'Vol1' }), []).errors.name).toMatch(/lowercase/);
    expect(checkVolumeForm(form({ name: '-vol' }), []).errors.name).toMatch(/not starting or ending/);
    expect(checkVolumeForm(form({ name: 'a_b' }), []).errors.name).toMatch(/lowercase letters, digits/);
    expect(checkVolumeForm(form({ name: 'x'.repeat(64) }), []).errors.name).toMatch(/63/);
    expect(checkVolumeForm(form({ name: 'vol1' }), ['vol1']).errors.name).toMatch(/already exists/);
  });

  it('checks size: positive, whole 4 KiB blocks, per-mode maximum', () => {
    expect(checkVolumeForm(form({ size: { amount: '0', unit: 'GiB' } }), []).errors.size).toMatch(/greater than 0/);
    expect(checkVolumeForm(form({ size: { amount: '0.001', unit: 'MiB' } }), []).errors.size).toMatch(/4 KiB/);
    expect(checkVolumeForm(form({ size: { amount: '33', unit: 'TiB' } }), []).errors.size).toMatch(/cached volume can be at most 32 TiB/);
    expect(checkVolumeForm(form({ mode: 'stored', diskPath: '/dev/sdb', size: { amount: '17', unit: 'TiB' } }), []).errors.size).toMatch(/16 TiB/);
  });

  it('needs a disk path for stored volumes and sends it only for them', () => {
    expect(checkVolumeForm(form({ mode: 'stored' }), []).errors.diskPath).toMatch(/local file or block device/);
    expect(checkVolumeForm(form({ mode: 'stored', diskPath: ' /dev/sdb ' }), []).request).toMatchObject({ mode: 'stored', diskPath: '/dev/sdb' });
    expect(checkVolumeForm(form({ diskPath: '/dev/sdb' }), []).request).not.toHaveProperty('diskPath');
  });

  it('checks an optional iSCSI target name', () => {
    expect(checkVolumeForm(form({ iscsiTargetName: 'not-an-iqn' }), []).errors.iscsiTargetName).toMatch(/Not an iSCSI name/);
    expect(checkVolumeForm(form({ iscsiTargetName: 'iqn.2026-11.com.example:vol1' }), []).request?.iscsiTargetName).toBe('iqn.2026-11.com.example:vol1');
  });

  it('checks CHAP secrets are 12 to 16 characters and the mutual one differs', () => {
    const chap = { chapEnabled: true, chapUser: 'alice', chapSecret: 'short' };
    expect(checkVolumeForm(form(chap), []).errors.chapSecret).toMatch(/12 to 16 characters long \(it is 5\)/);
    expect(checkVolumeForm(form({ ...chap, chapSecret: 'x'.repeat(17) }), []).errors.chapSecret).toMatch(/it is 17/);
    expect(checkVolumeForm(form({ ...chap, chapUser: '' }), []).errors.chapUser).toMatch(/Enter the CHAP user name/);
    const ok = { ...chap, chapSecret: 'abcdefghijkl' };
    expect(checkVolumeForm(form(ok), []).request?.chap).toEqual({ user: 'alice', secret: 'abcdefghijkl' });
    const mutual = { ...ok, mutualChapEnabled: true, mutualChapUser: 'target', mutualChapSecret: 'abcdefghijkl' };
    expect(checkVolumeForm(form(mutual), []).errors.mutualChapSecret).toMatch(/must differ/);
    expect(checkVolumeForm(form({ ...mutual, mutualChapSecret: 'mnopqrstuvwx' }), []).request?.chap).toEqual({ user: 'alice', secret: 'abcdefghijkl', mutualUser: 'target', mutualSecret: 'mnopqrstuvwx' });
  });

  it('ignores CHAP fields while CHAP is off, and sends nbdExport as chosen', () => {
    const r = checkVolumeForm(form({ chapEnabled: false, chapSecret: 'x', nbdExport: false }), []).request;
    expect(r).not.toHaveProperty('chap');
    expect(r?.nbdExport).toBe(false);
  });
});
