// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BandwidthSettings } from '../../../../src-main/ipc/ipc-contract.js';
import { createFakeApi } from '../../test-support/fake-tidegate-api.js';
import { snapshotFixture } from '../../test-support/fixtures.js';
import { renderWithBridge } from '../../test-support/render-with-bridge.js';
import { BandwidthPage } from './bandwidth-page.js';

afterEach(cleanup);

const settings: BandwidthSettings = {
  bytesPerSec: 0,
  schedule: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 2_500_000 }],
  timezone: 'Europe/Paris',
  effectiveBytesPerSec: 2_500_000,
};
const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });

describe('BandwidthPage', () => {
  it('shows the limit in force now and the saved schedule', async () => {
    renderWithBridge(<BandwidthPage />, createFakeApi({ 'bandwidth.get': () => settings }).api);
    const now = await screen.findByTestId('effective-limit');
    expect(now.textContent).toBe('2.5 MB/s');
    expect(screen.getByLabelText('Window 1 start')).toHaveProperty('value', '08:00');
    expect(screen.getByLabelText('Window 1 limit')).toHaveProperty('value', '20');
    expect(screen.getByLabelText('Window 1 Monday')).toHaveProperty('checked', true);
    expect(screen.getByLabelText('Window 1 Sunday')).toHaveProperty('checked', false);
  });

  it('refuses overlapping windows, then saves a valid schedule', async () => {
    const configure = vi.fn((req: { bytesPerSec?: number; schedule?: BandwidthSettings['schedule'] }) => ({ ...settings, ...req }));
    const fake = createFakeApi({ 'bandwidth.get': () => settings, 'bandwidth.configure': configure, 'gateway.snapshot': () => snapshotFixture() });
    renderWithBridge(<BandwidthPage />, fake.api);
    fireEvent.click(await screen.findByRole('button', { name: 'Add window' }));
    const save = screen.getByRole('button', { name: 'Save limits' });
    expect(save).toHaveProperty('disabled', true);
    expect(screen.getByTestId('schedule-overlaps').textContent).toContain('Windows 1 and 2 overlap on Monday, Tuesday, Wednesday, Thursday, Friday from 08:00 to 18:00.');
    change(screen.getByLabelText('Window 2 start'), '18:00');
    change(screen.getByLabelText('Window 2 end'), '24:00');
    change(screen.getByLabelText('Window 2 limit'), '0');
    expect(screen.queryByTestId('schedule-overlaps')).toBeNull();
    change(screen.getByLabelText('Default limit'), '100');
    expect(save).toHaveProperty('disabled', false);
    fireEvent.click(save);
    await waitFor(() => expect(configure).toHaveBeenCalled());
    expect(configure).toHaveBeenCalledWith({
      bytesPerSec: 12_500_000,
      schedule: [
        { days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 2_500_000 },
        { days: [1, 2, 3, 4, 5], start: '18:00', end: '24:00', bytesPerSec: 0 },
      ],
    });
    expect(await screen.findByText('Saved.')).toBeTruthy();
  });
});
