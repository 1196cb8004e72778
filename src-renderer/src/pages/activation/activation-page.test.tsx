// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ControlStatus } from '../../../../src-main/ipc/ipc-contract.js';
import { ConsoleError } from '../../bridge/console-error.js';
import { useWizardStore } from '../../state/wizard-store.js';
import { createFakeApi, type FakeHandlers } from '../../test-support/fake-tidegate-api.js';
import { appInfoFixture, engineStatusFixture, snapshotFixture, storageFixture } from '../../test-support/fixtures.js';
import { renderWithBridge } from '../../test-support/render-with-bridge.js';
import { ActivationPage } from './activation-page.js';

const notActivated: ControlStatus = { ...engineStatusFixture().controlPlane, activated: false, connected: false, gatewayId: null, name: null, timezone: null, serverId: null };

function handlers(patch: FakeHandlers = {}): FakeHandlers {
  return {
    'app.info': () => appInfoFixture,
    'activation.status': () => notActivated,
    'activation.begin': (req) => ({ activationKey: 'K7QF-M2XD-9TRC', expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(), controlPlaneUrl: req.controlPlaneUrl ?? 'https://127.0.0.1:9443' }),
    'gateway.snapshot': () => snapshotFixture(),
    'storage.describe': () => storageFixture(),
    'volumes.list': () => [],
    ...patch,
  };
}

const change = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
const unitOf = (label: string) => within(screen.getByLabelText(label).parentElement!).getByRole('combobox', { name: 'Unit' });
const blocker = () => screen.queryByTestId('wizard-blocker')?.textContent ?? null;

afterEach(cleanup);
beforeEach(() => useWizardStore.getState().reset());

describe('ActivationPage', () => {
  it('gates step 1 on a complete remote control plane', async () => {
    const { api } = createFakeApi(handlers());
    renderWithBridge(<ActivationPage />, api);
    expect(screen.getByRole('heading', { level: 1, name: 'Activate gateway' })).toBeTruthy();
    const next = screen.getByRole('button', { name: 'Get activation key' });
    await waitFor(() => expect(next).toHaveProperty('disabled', false)); // embedded, once app.info is in
    fireEvent.click(screen.getByLabelText(/Remote/));
    expect(next).toHaveProperty('disabled', true);
    expect(blocker()).toMatch(/Enter the control plane’s URL/);
    change(screen.getByLabelText('Control plane URL'), 'http://cp.example.com');
    expect(blocker()).toMatch(/https/);
    change(screen.getByLabelText('Control plane URL'), 'https://cp.example.com:9443');
    expect(blocker()).toMatch(/API token/);
    change(screen.getByLabelText('API token'), 'secret-token');
    expect(blocker()).toBeNull();
    expect(next).toHaveProperty('disabled', false);
  });

  it('walks the embedded path: key with countdown, then name and zone, and says exactly why activation failed', async () => {
    const complete = vi.fn(() => {
      throw new ConsoleError('ACTIVATION_KEY_EXPIRED', 'activation key K7QF-M2XD-9TRC expired');
    });
    const fake = createFakeApi(handlers({ 'activation.complete': complete }));
    renderWithBridge(<ActivationPage />, fake.api);
    const getKey = screen.getByRole('button', { name: 'Get activation key' });
    await waitFor(() => expect(getKey).toHaveProperty('disabled', false));
    fireEvent.click(getKey);

    expect((await screen.findByTestId('activation-key')).textContent).toBe('K7QF-M2XD-9TRC');
    expect(fake.calls).toHaveBeenCalledWith('activation.begin', { controlPlaneUrl: null });
    expect(screen.getByTestId('activation-key-expiry').textContent).toMatch(/^(10:00|9:5\d)$/);
    expect(screen.getByRole('listitem', { current: 'step' }).textContent).toContain('Activation key');
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));

    const activate = await screen.findByRole('button', { name: 'Activate' });
    expect(screen.getByLabelText('Time zone')).toHaveProperty('value', 'Europe/Paris'); // the host's
    expect(blocker()).toMatch(/Enter a name/);
    change(screen.getByLabelText('Gateway name'), 'paris-office');
    change(screen.getByLabelText('Time zone'), 'Europe/Pariss');
    expect(activate).toHaveProperty('disabled', true);
    expect(blocker()).toMatch(/not an IANA time zone/);
    change(screen.getByLabelText('Time zone'), 'America/New_York');
    expect(activate).toHaveProperty('disabled', false);
    fireEvent.click(activate);

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Activation failed');
    expect(alert.textContent).toContain('ACTIVATION_KEY_EXPIRED');
    expect(alert.textContent).toContain('activation key K7QF-M2XD-9TRC expired');
    expect(complete).toHaveBeenCalledWith({ name: 'paris-office', timezone: 'America/New_York' });
    expect(useWizardStore.getState().step).toBe(3);
  });

  it('sends the API token for a remote control plane and moves to storage on success', async () => {
    const activatedStatus: ControlStatus = { ...notActivated, activated: true, connected: true, name: 'hq' };
    const complete = vi.fn(() => activatedStatus);
    const fake = createFakeApi(handlers({ 'activation.complete': complete }));
    useWizardStore.getState().updateDraft({ controlPlane: 'remote', controlPlaneUrl: 'https://cp:9443', apiToken: ' tok ' });
    renderWithBridge(<ActivationPage />, fake.api);
    fireEvent.click(await screen.findByRole('button', { name: 'Get activation key' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Continue' }));
    change(await screen.findByLabelText('Gateway name'), 'hq');
    fireEvent.click(screen.getByRole('button', { name: 'Activate' }));
    expect(await screen.findByRole('heading', { name: 'Allocate storage' })).toBeTruthy();
    expect(fake.calls).toHaveBeenCalledWith('activation.begin', { controlPlaneUrl: 'https://cp:9443' });
    expect(complete).toHaveBeenCalledWith({ name: 'hq', timezone: 'Europe/Paris', apiToken: 'tok' });
  });

  it('will not continue with an expired key', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const fake = createFakeApi(handlers({ 'activation.begin': () => ({ activationKey: 'AAAA-BBBB-CCCC', expiresAt: new Date(Date.now() + 2_000).toISOString(), controlPlaneUrl: 'https://x' }) }));
      renderWithBridge(<ActivationPage />, fake.api);
      const getKey = await screen.findByRole('button', { name: 'Get activation key' });
      await waitFor(() => expect(getKey).toHaveProperty('disabled', false));
      fireEvent.click(getKey);
      const cont = await screen.findByRole('button', { name: 'Continue' });
      expect(cont).toHaveProperty('disabled', false);
      act(() => void vi.advanceTimersByTime(3_000));
      await waitFor(() => expect(cont).toHaveProperty('disabled', true));
      expect(blocker()).toMatch(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('step 4 applies capacities from the sizing guidance', async () => {
    const configure = vi.fn(() => storageFixture());
    const fake = createFakeApi(handlers({ 'storage.configure': configure }));
    useWizardStore.getState().goTo(4);
    renderWithBridge(<ActivationPage />, fake.api);
    change(await screen.findByLabelText('Incoming writes (MB/s)'), '40');
    change(screen.getByLabelText('Outgoing upload (MB/s)'), '12');
    change(screen.getByLabelText('Compression factor'), '2');
    change(screen.getByLabelText('Write hours per day'), '0.01');
    // (40 − 12 × 2) MB/s × 36 s = 576 MB
    expect(screen.getByTestId('guidance-upload-buffer').getAttribute('data-bytes')).toBe(String(576_000_000));
    fireEvent.click(screen.getByRole('button', { name: 'Use these sizes' }));
    expect(screen.getByLabelText('Upload buffer capacity')).toHaveProperty('value', '1');
    change(screen.getByLabelText('Cache capacity'), '700');
    change(unitOf('Cache capacity'), 'TiB');
    const apply = screen.getByRole('button', { name: 'Apply and continue' });
    expect(apply).toHaveProperty('disabled', true);
    expect(blocker()).toMatch(/larger than the whole filesystem/);
    change(unitOf('Cache capacity'), 'GiB');
    change(screen.getByLabelText('Cache capacity'), '20');
    fireEvent.click(apply);
    expect(await screen.findByRole('heading', { name: 'Create the first volume' })).toBeTruthy();
    expect(configure).toHaveBeenCalledWith({ cacheBytes: 20 * 1024 ** 3, uploadBufferBytes: 1024 ** 3 });
  });

  it('offers to skip to storage when the gateway is already activated', async () => {
    const fake = createFakeApi(handlers({ 'activation.status': () => ({ ...notActivated, activated: true, name: 'hq' }) }));
    renderWithBridge(<ActivationPage />, fake.api);
    fireEvent.click(await screen.findByRole('button', { name: 'Skip to storage setup' }));
    expect(await screen.findByRole('heading', { name: 'Allocate storage' })).toBeTruthy();
  });
});
