// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useChartRangeStore } from './chart-range-store.js';
import { useDialogStore } from './dialog-store.js';
import { useLogFilterStore } from './log-filter-store.js';
import { navigate, startHashSync, useNavigationStore } from './navigation-store.js';
import { hashFor, parseHashRoute } from './routes.js';
import { INITIAL_WIZARD_DRAFT, useWizardStore } from './wizard-store.js';

describe('routes', () => {
  it('parses #/<page> and nothing else', () => {
    expect(parseHashRoute('#/volumes')).toBe('volumes');
    expect(parseHashRoute('#/logs/')).toBe('logs');
    expect(parseHashRoute('#/activation')).toBe('activation');
    for (const h of ['', '#', '#/', '#/nope', '#volumes', '#/volumes/x', '#/constructor']) expect(parseHashRoute(h)).toBeNull();
    expect(hashFor('bandwidth')).toBe('#/bandwidth');
  });
});

describe('navigation store', () => {
  let stop: () => void = () => {};
  beforeEach(() => {
    window.history.replaceState(null, '', '/');
    useNavigationStore.setState({ page: null });
  });
  afterEach(() => stop());

  it('mirrors the hash now and on hashchange', async () => {
    window.location.hash = '#/storage';
    stop = startHashSync(window);
    expect(useNavigationStore.getState().page).toBe('storage');
    window.location.hash = '#/logs';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(useNavigationStore.getState().page).toBe('logs');
  });

  it('navigate sets the hash (or replaces the entry) and the page', () => {
    navigate('volumes', {}, window);
    expect(window.location.hash).toBe('#/volumes');
    expect(useNavigationStore.getState().page).toBe('volumes');
    const length = window.history.length;
    navigate('dashboard', { replace: true }, window);
    expect(window.location.hash).toBe('#/dashboard');
    expect(window.history.length).toBe(length);
    expect(useNavigationStore.getState().page).toBe('dashboard');
  });
});

describe('wizard store', () => {
  beforeEach(() => useWizardStore.getState().reset());

  it('moves between steps 1 and 5 and no further', () => {
    const s = useWizardStore.getState;
    s().back();
    expect(s().step).toBe(1);
    for (let i = 0; i < 10; i++) s().next();
    expect(s().step).toBe(5);
    s().back();
    expect(s().step).toBe(4);
    s().goTo(2);
    expect(s().step).toBe(2);
  });

  it('keeps draft values, merges sizing patches, and resets', () => {
    const s = useWizardStore.getState;
    s().updateDraft({ controlPlane: 'remote', controlPlaneUrl: 'https://cp:9443' });
    s().updateSizing({ incomingMBps: '40' });
    s().updateSizing({ outgoingMBps: '12' });
    expect(s().draft).toMatchObject({ controlPlane: 'remote', controlPlaneUrl: 'https://cp:9443', sizing: { incomingMBps: '40', outgoingMBps: '12', compressionFactor: '1' } });
    s().next();
    s().reset();
    expect(s().step).toBe(1);
    expect(s().draft).toEqual(INITIAL_WIZARD_DRAFT);
  });
});

describe('small UI stores', () => {
  it('dialog: one open at a time', () => {
    const s = useDialogStore.getState;
    s().open({ kind: 'createVolume' });
    s().open({ kind: 'deleteVolume', name: 'vol1' });
    expect(s().dialog).toEqual({ kind: 'deleteVolume', name: 'vol1' });
    s().close();
    expect(s().dialog).toBeNull();
  });

  it('chart range and log filters', () => {
    expect(useChartRangeStore.getState().range).toBe('1h');
    useChartRangeStore.getState().setRange('7d');
    expect(useChartRangeStore.getState().range).toBe('7d');
    const l = useLogFilterStore.getState;
    l().setLevel('warn');
    l().setSearch('upload');
    l().setAutoRefresh(false);
    expect(l()).toMatchObject({ level: 'warn', search: 'upload', autoRefresh: false });
  });
});
