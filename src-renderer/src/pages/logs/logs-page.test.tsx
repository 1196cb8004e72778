// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConsoleError } from '../../bridge/console-error.js';
import { useLogFilterStore } from '../../state/log-filter-store.js';
import { createFakeApi } from '../../test-support/fake-tidegate-api.js';
import { renderWithBridge } from '../../test-support/render-with-bridge.js';
import { LogsPage } from './logs-page.js';

afterEach(cleanup);
beforeEach(() => useLogFilterStore.setState({ level: 'all', search: '', autoRefresh: false }));

const lines = [
  { seq: 1, ts: Date.parse('2026-11-03T10:00:00Z'), level: 'info' as const, msg: 'volume created', fields: { volume: 'vol1' } },
  { seq: 2, ts: Date.parse('2026-11-03T10:00:01Z'), level: 'error' as const, msg: 'upload failed', fields: { code: 'IO_ERROR' } },
];

describe('LogsPage', () => {
  it('lists lines newest first and filters by minimum level', async () => {
    const recent = vi.fn(() => lines);
    renderWithBridge(<LogsPage />, createFakeApi({ 'logs.recent': recent }).api);
    expect(screen.getByRole('heading', { level: 1, name: 'Logs & diagnostics' })).toBeTruthy();
    const rows = (await screen.findByTestId('log-lines')).querySelectorAll('tbody tr');
    expect([...rows].map((r) => r.textContent)).toEqual([expect.stringContaining('upload failed'), expect.stringContaining('volume created')]);
    expect(rows[0]!.textContent).toContain('code=IO_ERROR');
    expect(recent).toHaveBeenLastCalledWith({ limit: 500 });
    fireEvent.change(screen.getByLabelText('Minimum level'), { target: { value: 'warn' } });
    await waitFor(() => expect(recent).toHaveBeenLastCalledWith({ limit: 500, level: 'warn' }));
  });

  it('downloads the support bundle, or says why not', async () => {
    const bundle = vi.fn()
      .mockImplementationOnce(() => {
        throw new ConsoleError('ENGINE_UNAVAILABLE', 'the engine is not running');
      })
      .mockImplementationOnce(() => ({ fileName: 'tidegate-support.tar.gz', bytes: 3, dataBase64: 'H4sI' }));
    const create = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:x');
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    renderWithBridge(<LogsPage />, createFakeApi({ 'logs.recent': () => [], 'diagnostics.supportBundle': bundle }).api);
    fireEvent.click(screen.getByRole('button', { name: 'Download support bundle' }));
    expect((await screen.findByRole('alert')).textContent).toContain('ENGINE_UNAVAILABLE');
    fireEvent.click(screen.getByRole('button', { name: 'Download support bundle' }));
    expect(await screen.findByText(/Saved tidegate-support.tar.gz/)).toBeTruthy();
    expect(click).toHaveBeenCalledTimes(1);
    create.mockRestore();
    click.mockRestore();
  });
});
