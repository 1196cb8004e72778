// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertRecord } from '../../../../src-main/ipc/ipc-contract.js';
import { useChartRangeStore } from '../../state/chart-range-store.js';
import { createFakeApi } from '../../test-support/fake-tidegate-api.js';
import { engineStatusFixture, sampleFixture, snapshotFixture, volumeFixture } from '../../test-support/fixtures.js';
import { renderWithBridge } from '../../test-support/render-with-bridge.js';
import { DashboardPage } from './dashboard-page.js';

afterEach(cleanup);
beforeEach(() => useChartRangeStore.setState({ range: '1h' }));

const alert = (id: string, severity: AlertRecord['severity'], message: string): AlertRecord => ({
  id,
  rule: 'upload-buffer-high',
  severity,
  gatewayId: 'gw-1',
  volume: 'vol1',
  message,
  state: 'open',
  openedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
  closedAt: null,
  value: 91,
});

describe('DashboardPage', () => {
  it('shows the upload backlog with its raw byte count, the recovery point age and alerts', async () => {
    const status = engineStatusFixture({ volumes: [volumeFixture('vol1', { QueuedWrites: 5 * 1024 ** 2, TimeSinceLastRecoveryPoint: 200 })] });
    status.uploadBuffer.QueuedWrites = 5 * 1024 ** 2;
    status.controlPlane.alerts = [alert('a1', 'warning', 'Upload buffer 91% full'), alert('a2', 'critical', 'Volume vol1 throttled')];
    const now = Date.now();
    const fake = createFakeApi({ 'gateway.snapshot': () => snapshotFixture(status), 'metrics.history': () => [sampleFixture(now - 1000), sampleFixture(now)] });
    renderWithBridge(<DashboardPage />, fake.api);
    expect(screen.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeTruthy();
    const backlog = await screen.findByTestId('upload-backlog');
    expect(backlog.textContent).toBe('5 MiB');
    expect(backlog.getAttribute('data-bytes')).toBe(String(5 * 1024 ** 2));
    expect(screen.getByTestId('recovery-point-age').textContent).toBe('3 min 20 s');
    const items = within(screen.getByTestId('alerts')).getAllByRole('listitem');
    expect(items.map((i) => i.getAttribute('data-severity'))).toEqual(['critical', 'warning']);
    expect(items[0]!.textContent).toContain('Volume vol1 throttled');
    expect(items[0]!.textContent).toContain('opened 5 min ago');
    expect(await screen.findByTestId('chart-throughput')).toBeTruthy();
    expect(fake.calls).toHaveBeenCalledWith('metrics.history', { rangeSeconds: 3600 });
  });

  it('updates live from pushed snapshots and samples without polling', async () => {
    const fake = createFakeApi({ 'gateway.snapshot': () => snapshotFixture(), 'metrics.history': () => [] });
    renderWithBridge(<DashboardPage />, fake.api);
    expect((await screen.findByTestId('upload-backlog')).getAttribute('data-bytes')).toBe('0');
    expect(screen.getByText('No open alerts')).toBeTruthy();
    const status = engineStatusFixture();
    status.uploadBuffer.QueuedWrites = 1234;
    act(() => fake.emit('gateway.snapshot', snapshotFixture(status)));
    await waitFor(() => expect(screen.getByTestId('upload-backlog').getAttribute('data-bytes')).toBe('1234'));
    expect(screen.getByTestId('upload-rate').textContent).toBe('—');
    act(() => fake.emit('metrics.sample', sampleFixture(Date.now(), { uploadBytesPerSec: 2_500_000 })));
    await waitFor(() => expect(screen.getByTestId('upload-rate').textContent).toBe('2.5 MB/s'));
    expect(fake.calls.mock.calls.filter(([c]) => c === 'gateway.snapshot')).toHaveLength(1);
  });

  it('loads minute history for longer ranges', async () => {
    const history = vi.fn(() => [sampleFixture(Date.now(), { intervalMs: 60_000 })]);
    const fake = createFakeApi({ 'gateway.snapshot': () => snapshotFixture(), 'metrics.history': history });
    renderWithBridge(<DashboardPage />, fake.api);
    fireEvent.click(await screen.findByRole('button', { name: '7d' }));
    expect(screen.getByRole('button', { name: '7d' }).getAttribute('aria-pressed')).toBe('true');
    await waitFor(() => expect(history).toHaveBeenCalledWith({ rangeSeconds: 604_800 }));
    expect(await screen.findByText('History, 1 min samples')).toBeTruthy();
  });

  it('says when the engine is down and why', async () => {
    const fake = createFakeApi({ 'gateway.snapshot': () => snapshotFixture(null), 'metrics.history': () => [] });
    renderWithBridge(<DashboardPage />, fake.api);
    expect(await screen.findByText('The engine is restarting.')).toBeTruthy();
    expect(screen.getAllByText('engine exited with code 1').length).toBeGreaterThan(0);
    expect(screen.queryByTestId('upload-backlog')).toBeNull();
  });
});
