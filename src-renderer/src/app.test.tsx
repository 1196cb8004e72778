// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from './app.js';
import { useNavigationStore } from './state/navigation-store.js';
import { PAGE_TITLES, PAGES } from './state/routes.js';
import { createFakeApi, type FakeHandlers } from './test-support/fake-tidegate-api.js';
import { appInfoFixture, engineStatusFixture, snapshotFixture, storageFixture } from './test-support/fixtures.js';
import { renderWithBridge } from './test-support/render-with-bridge.js';

function handlers(activated: boolean): FakeHandlers {
  const status = engineStatusFixture({ activated });
  status.controlPlane.activated = activated;
  return {
    'app.info': () => appInfoFixture,
    'gateway.snapshot': () => snapshotFixture(status),
    'activation.status': () => status.controlPlane,
    'metrics.history': () => [],
    'volumes.list': () => [],
    'storage.describe': () => storageFixture(),
    'bandwidth.get': () => ({ bytesPerSec: 0, schedule: [], timezone: 'Europe/Paris', effectiveBytesPerSec: 0 }),
    'logs.recent': () => [],
  };
}

afterEach(cleanup);
beforeEach(() => {
  window.history.replaceState(null, '', '/');
  useNavigationStore.setState({ page: null });
});

describe('App routing', () => {
  it('opens the activation wizard for a gateway that is not activated', async () => {
    renderWithBridge(<App />, createFakeApi(handlers(false)).api);
    expect(await screen.findByRole('heading', { level: 1, name: 'Activate gateway' })).toBeTruthy();
    expect(window.location.hash).toBe('#/activation');
  });

  it('opens the dashboard for an activated gateway', async () => {
    renderWithBridge(<App />, createFakeApi(handlers(true)).api);
    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeTruthy();
    expect(window.location.hash).toBe('#/dashboard');
  });

  it('keeps a page the URL names before the first snapshot arrives, even if its hashchange is still on its way', async () => {
    let answer!: () => void;
    const snapshotAnswered = new Promise<void>((r) => (answer = r));
    const h = handlers(true);
    const snapshot = h['gateway.snapshot']!;
    h['gateway.snapshot'] = async (req) => {
      await snapshotAnswered;
      return snapshot(req);
    };
    renderWithBridge(<App />, createFakeApi(h).api);
    // The URL changes at once; the browser delivers its hashchange event later.
    window.history.replaceState(null, '', '#/storage');
    answer();
    expect(await screen.findByRole('heading', { level: 1, name: 'Storage' })).toBeTruthy();
    expect(window.location.hash).toBe('#/storage');
  });

  it('has a nav link per page, named like the page’s h1, and shows the page the hash names', async () => {
    renderWithBridge(<App />, createFakeApi(handlers(true)).api);
    const nav = screen.getByRole('navigation', { name: 'Main' });
    for (const p of PAGES) expect(nav.querySelector(`a[href="#/${p}"]`)?.textContent).toBe(PAGE_TITLES[p]);
    for (const p of PAGES) {
      useNavigationStore.setState({ page: p });
      expect(await screen.findByRole('heading', { level: 1, name: PAGE_TITLES[p] })).toBeTruthy();
      await waitFor(() => expect(nav.querySelector('a[aria-current="page"]')?.textContent).toBe(PAGE_TITLES[p]));
    }
  });
});
