// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { base64ToBytes, saveBytes } from './download-file.js';

describe('support bundle download', () => {
  it('decodes base64 to the exact bytes', () => {
    expect([...base64ToBytes('H4sIAAAA')]).toEqual([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00]);
    expect(base64ToBytes('')).toHaveLength(0);
  });

  it('clicks a temporary download link with the file name and releases the URL', async () => {
    vi.useFakeTimers();
    const create = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:fake');
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const clicked: Array<{ href: string; download: string }> = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    saveBytes('tidegate-support.tar.gz', base64ToBytes('H4sI'), 'application/gzip');
    expect(clicked).toEqual([{ href: 'blob:fake', download: 'tidegate-support.tar.gz' }]);
    const blob = create.mock.calls[0]![0] as Blob;
    expect(blob.size).toBe(3);
    expect(blob.type).toBe('application/gzip');
    expect(document.querySelector('a[download]')).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(revoke).toHaveBeenCalledWith('blob:fake');
    click.mockRestore();
    create.mockRestore();
    revoke.mockRestore();
    vi.useRealTimers();
  });
});
