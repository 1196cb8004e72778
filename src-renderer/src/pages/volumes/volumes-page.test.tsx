// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecoveryPoint, VolumeCreateRequest } from '../../../../src-main/ipc/ipc-contract.js';
import { ConsoleError } from '../../bridge/console-error.js';
import { useDialogStore } from '../../state/dialog-store.js';
import { createFakeApi } from '../../test-support/fake-tidegate-api.js';
import { snapshotFixture, volumeFixture } from '../../test-support/fixtures.js';
import { renderWithBridge } from '../../test-support/render-with-bridge.js';
import { DeleteVolumeDialog } from './volume-dialogs.js';
import { VolumeCreateForm } from './volume-create-form.js';
import { VolumesPage } from './volumes-page.js';

afterEach(cleanup);
beforeEach(() => useDialogStore.setState({ dialog: null }));

const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
/** The unit select beside a size input (named just "Unit"). */
const unitOf = (label: string) => within(screen.getByLabelText(label).parentElement!).getByRole('combobox', { name: 'Unit' });

describe('VolumeCreateForm', () => {
  function renderForm(existing: string[] = []) {
    const onSubmit = vi.fn<(r: VolumeCreateRequest) => void>();
    const { api } = createFakeApi({});
    renderWithBridge(<VolumeCreateForm existingNames={existing} pending={false} error={null} submitLabel="Create volume" onSubmit={onSubmit} />, api);
    return { onSubmit, submit: screen.getByRole('button', { name: 'Create volume' }) };
  }

  it('keeps Create disabled, with the reason, until the form is valid', () => {
    const { submit, onSubmit } = renderForm(['taken']);
    expect(submit).toHaveProperty('disabled', true);
    expect(screen.getByRole('note').textContent).toBe('Enter a volume name.');
    const name = screen.getByLabelText('Volume name');
    change(name, 'taken');
    fireEvent.blur(name);
    expect(screen.getByRole('note').textContent).toBe('A volume named taken already exists.');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    change(name, 'vol1');
    expect(submit).toHaveProperty('disabled', false);
    expect(screen.queryByRole('note')).toBeNull();
    fireEvent.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ name: 'vol1', sizeBytes: 100 * 1024 ** 3, mode: 'cached', nbdExport: true });
  });

  it('validates size units, stored disk path and CHAP secrets', () => {
    const { submit, onSubmit } = renderForm();
    change(screen.getByLabelText('Volume name'), 'db');
    change(screen.getByLabelText('Size'), '2');
    change(unitOf('Size'), 'TiB');
    fireEvent.click(screen.getByLabelText(/Stored/));
    expect(screen.getByRole('note').textContent).toMatch(/stored volume needs the local file/);
    change(screen.getByLabelText('Disk path'), '/dev/sdb');
    fireEvent.click(screen.getByLabelText('Require CHAP'));
    change(screen.getByLabelText('CHAP user name'), 'alice');
    change(screen.getByLabelText('CHAP secret'), 'tooshort');
    expect(submit).toHaveProperty('disabled', true);
    expect(screen.getByRole('note').textContent).toMatch(/12 to 16 characters long \(it is 8\)/);
    change(screen.getByLabelText('CHAP secret'), 'twelve-chars');
    fireEvent.click(screen.getByLabelText(/Also export over NBD/));
    fireEvent.click(submit);
    expect(onSubmit).toHaveBeenCalledWith({ name: 'db', sizeBytes: 2 * 1024 ** 4, mode: 'stored', diskPath: '/dev/sdb', nbdExport: false, chap: { user: 'alice', secret: 'twelve-chars' } });
  });
});

describe('DeleteVolumeDialog', () => {
  it('enables Delete only when the exact name is typed, and sends it as confirmName', async () => {
    const del = vi.fn(() => ({ deleted: 'vol1' }));
    const onClose = vi.fn();
    const { api } = createFakeApi({ 'volumes.delete': del, 'volumes.list': () => [], 'gateway.snapshot': () => snapshotFixture() });
    renderWithBridge(<DeleteVolumeDialog name="vol1" onClose={onClose} />, api);
    const dialog = screen.getByRole('dialog', { name: 'Delete volume vol1' });
    const button = within(dialog).getByRole('button', { name: 'Delete volume' });
    const input = within(dialog).getByLabelText(/to confirm/);
    expect(document.activeElement).toBe(input);
    expect(button).toHaveProperty('disabled', true);
    for (const wrong of ['vol', 'VOL1', 'vol1 ', ' vol1']) {
      change(input, wrong);
      expect(button).toHaveProperty('disabled', true);
    }
    fireEvent.submit(input.closest('form')!);
    expect(del).not.toHaveBeenCalled();
    change(input, 'vol1');
    expect(button).toHaveProperty('disabled', false);
    fireEvent.click(button);
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(del).toHaveBeenCalledWith({ name: 'vol1', confirmName: 'vol1' });
  });

  it('shows why a delete failed and stays open', async () => {
    const onClose = vi.fn();
    const { api } = createFakeApi({
      'volumes.delete': () => {
        throw new ConsoleError('CONFIRMATION_MISMATCH', 'the typed name does not match');
      },
    });
    renderWithBridge(<DeleteVolumeDialog name="vol1" onClose={onClose} />, api);
    change(screen.getByLabelText(/to confirm/), 'vol1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete volume' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('CONFIRMATION_MISMATCH');
    expect(alert.textContent).toContain('the typed name does not match');
    expect(onClose).not.toHaveBeenCalled();
  });

  it('closes on Escape and keeps Tab inside', () => {
    const onClose = vi.fn();
    const { api } = createFakeApi({});
    renderWithBridge(<DeleteVolumeDialog name="vol1" onClose={onClose} />, api);
    const dialog = screen.getByRole('dialog');
    const close = within(dialog).getByRole('button', { name: 'Close' });
    const cancel = within(dialog).getByRole('button', { name: 'Cancel' });
    // Delete is disabled, so Cancel is the last focusable control: Tab wraps to the first (Close).
    cancel.focus();
    fireEvent.keyDown(cancel, { key: 'Tab' });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(close, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(cancel);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});

describe('VolumesPage', () => {
  it('shows each volume with its state and upload indicator', async () => {
    const uploaded = volumeFixture('vol1');
    const pending = volumeFixture('vol2', { state: 'throttled', QueuedWrites: 3 * 1024 ** 2, TimeSinceLastRecoveryPoint: 42 });
    const { api } = createFakeApi({ 'volumes.list': () => [uploaded, pending] });
    renderWithBridge(<VolumesPage />, api);
    expect(screen.getByRole('heading', { level: 1, name: 'Volumes' })).toBeTruthy();
    const done = await screen.findByTestId('volume-upload-state-vol1');
    expect(done.textContent).toBe('All data uploaded');
    const notDone = screen.getByTestId('volume-upload-state-vol2');
    expect(notDone.textContent).toBe('3 MiB to upload');
    expect(notDone.getAttribute('data-bytes')).toBe(String(3 * 1024 ** 2));
    expect(screen.getByTestId('volume-state-vol2').textContent).toBe('Throttled');
    expect(screen.getByTestId('volume-state-vol2').className).toContain('volume-state-throttled');
  });

  it('says "All data uploaded" only when nothing is queued and the recovery point is current', async () => {
    const { api } = createFakeApi({ 'volumes.list': () => [volumeFixture('vol3', { TimeSinceLastRecoveryPoint: 5 })] });
    renderWithBridge(<VolumesPage />, api);
    expect((await screen.findByTestId('volume-upload-state-vol3')).textContent).toBe('Recovery point pending');
  });

  it('says when uploads wait for busy clients', async () => {
    const { api } = createFakeApi({ 'volumes.list': () => [volumeFixture('vol4', { QueuedWrites: 64 * 1024 ** 2, TimeSinceLastRecoveryPoint: 7, UploadDeferring: true })] });
    renderWithBridge(<VolumesPage />, api);
    expect((await screen.findByTestId('volume-upload-state-vol4')).textContent).toBe('64 MiB to upload (waiting for clients to quiet down)');
  });

  it('shows an empty state and an error state', async () => {
    const empty = createFakeApi({ 'volumes.list': () => [] });
    renderWithBridge(<VolumesPage />, empty.api);
    expect(await screen.findByText('No volumes yet')).toBeTruthy();
    cleanup();
    const broken = createFakeApi({
      'volumes.list': () => {
        throw new ConsoleError('ENGINE_UNAVAILABLE', 'the engine is not running');
      },
    });
    renderWithBridge(<VolumesPage />, broken.api);
    expect((await screen.findByRole('alert')).textContent).toContain('ENGINE_UNAVAILABLE');
  });

  it('Sync now shows progress from syncProgress events, then the recovery point', async () => {
    let finish: (p: RecoveryPoint) => void = () => {};
    const fake = createFakeApi({ 'volumes.list': () => [volumeFixture('vol1', { QueuedWrites: 1000 })], 'volumes.sync': () => new Promise<RecoveryPoint>((r) => (finish = r)) });
    renderWithBridge(<VolumesPage />, fake.api);
    fireEvent.click(await screen.findByRole('button', { name: 'Sync vol1' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Sync vol1' })).toHaveProperty('disabled', true));
    act(() => fake.emit('volumes.syncProgress', { name: 'vol1', phase: 'running', totalBytes: 1000, remainingBytes: 250, recoveryPoint: null, error: null }));
    const bar = await screen.findByRole('progressbar', { name: 'Sync progress of vol1' });
    expect(bar.getAttribute('aria-valuenow')).toBe('75');
    act(() => fake.emit('volumes.syncProgress', { name: 'vol1', phase: 'done', totalBytes: 1000, remainingBytes: 0, recoveryPoint: { headNo: 12, lastSeq: 3, committedAt: '2026-11-03T10:00:00Z' }, error: null }));
    act(() => finish({ headNo: 12, lastSeq: 3, committedAt: '2026-11-03T10:00:00Z' }));
    expect(await screen.findByText(/Synced — recovery point 12/)).toBeTruthy();
    expect(fake.calls).toHaveBeenCalledWith('volumes.sync', { name: 'vol1' });
  });

  it('opens the create dialog from the header and creates through the api', async () => {
    const create = vi.fn((req: VolumeCreateRequest) => volumeFixture(req.name));
    const { api } = createFakeApi({ 'volumes.list': () => [], 'volumes.create': create, 'gateway.snapshot': () => snapshotFixture() });
    renderWithBridge(<VolumesPage />, api);
    await screen.findByText('No volumes yet');
    fireEvent.click(screen.getAllByRole('button', { name: 'Create volume' })[0]!);
    const dialog = screen.getByRole('dialog', { name: 'Create volume' });
    change(within(dialog).getByLabelText('Volume name'), 'vol9');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create volume' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(create).toHaveBeenCalledWith({ name: 'vol9', sizeBytes: 100 * 1024 ** 3, mode: 'cached', nbdExport: true });
  });
});
