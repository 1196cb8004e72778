import { describe, expect, it, vi } from 'vitest';
import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { createFakeApi } from '../test-support/fake-tidegate-api.js';
import { appInfoFixture } from '../test-support/fixtures.js';
import { ConsoleError } from './console-error.js';
import { getTidegateApi } from './get-tidegate-api.js';

/** A preload-like api: plain functions, rejections as bare `{ code, message }` objects. */
function preloadLike(): TidegateApi {
  const fake = createFakeApi({ 'app.info': () => appInfoFixture });
  return {
    ...fake.api,
    volumes: {
      ...fake.api.volumes,
      delete: () => Promise.reject({ code: 'CONFIRMATION_MISMATCH', message: 'the typed name does not match' }),
    },
  };
}

describe('getTidegateApi', () => {
  it('uses the preload’s window.tidegate when Electron exposed it, without touching fetch', async () => {
    const fetchFn = vi.fn();
    const events = vi.fn(() => () => {});
    const exposed = preloadLike();
    exposed.events.on = events;
    const win = { tidegate: exposed, fetch: fetchFn } as unknown as Window & typeof globalThis;
    const api = getTidegateApi(win);
    await expect(api.app.info()).resolves.toEqual(appInfoFixture);
    const listener = () => {};
    api.events.on('metrics.sample', listener);
    expect(events).toHaveBeenCalledWith('metrics.sample', listener);
    expect(fetchFn).not.toHaveBeenCalled();
  });

  it('turns the preload’s bare error bodies into ConsoleError', async () => {
    const api = getTidegateApi({ tidegate: preloadLike() } as unknown as Window & typeof globalThis);
    const err = await api.volumes.delete({ name: 'a', confirmName: 'b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsoleError);
    expect(err).toMatchObject({ code: 'CONFIRMATION_MISMATCH', message: 'the typed name does not match' });
  });

  it('otherwise builds the headless transport once per window, over fetch', async () => {
    const fetchFn = vi.fn(async () => new Response(JSON.stringify({ ok: true, result: { version: '1' } })));
    const win = { fetch: fetchFn, WebSocket: class {}, location: { protocol: 'http:', host: 'h' } } as unknown as Window & typeof globalThis;
    const api = getTidegateApi(win);
    expect(getTidegateApi(win)).toBe(api);
    await expect(api.app.info()).resolves.toEqual({ version: '1' });
    expect(fetchFn).toHaveBeenCalledWith('/api/invoke/app.info', expect.objectContaining({ method: 'POST' }));
  });
});
