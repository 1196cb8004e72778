import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateEngineConfig } from '../../src-gateway-engine/index.js';
import { desktopArgs, desktopEngineConfig, desktopListener } from './desktop-gateway-config.js';

describe('desktopArgs', () => {
  it("takes serve's flags in both spellings and ignores Chromium switches", () => {
    expect(desktopArgs(['/app', '--no-sandbox', '--data-dir', '/srv/tg', '--store=s3://b/p?endpoint=http://h:1', '--enable-logging', '--iscsi', 'off', '--control-plane=:9444'])).toEqual({
      dataDir: '/srv/tg',
      storeUrl: 's3://b/p?endpoint=http://h:1',
      listen: { iscsi: 'off', 'control-plane': ':9444' },
    });
    expect(desktopArgs(['--data-dir'])).toEqual({ dataDir: null, storeUrl: null, listen: {} });
  });
});

describe('desktopListener', () => {
  it('is loopback at the default port unless told, null for off, and refuses a malformed address', () => {
    expect(desktopListener(desktopArgs([]), 'control-plane')).toEqual({ host: '127.0.0.1', port: 9443 });
    expect(desktopListener(desktopArgs(['--nbd', 'off']), 'nbd')).toBeNull();
    expect(desktopListener(desktopArgs(['--nbd', '0.0.0.0:10900']), 'nbd')).toEqual({ host: '0.0.0.0', port: 10900 });
    expect(desktopListener(desktopArgs(['--metrics', ':9200']), 'metrics')).toEqual({ host: '127.0.0.1', port: 9200 });
    expect(() => desktopListener(desktopArgs(['--iscsi', 'nonsense:port']), 'iscsi')).toThrow();
  });
});

describe('desktopEngineConfig', () => {
  it('is a valid engine configuration with the serve defaults and a file store in the data dir', () => {
    const dir = '/tmp/tidegate-desktop-config';
    const input = desktopEngineConfig({ args: desktopArgs([]), dataDir: dir, gatewayId: 'gw-1', embedded: { url: 'https://127.0.0.1:9443', caFile: join(dir, 'ca.crt') } });
    const config = validateEngineConfig(input);
    expect(input.store).toBe(pathToFileURL(join(dir, 'store')).href);
    expect(config.nbd).toEqual({ host: '127.0.0.1', port: 10809 });
    expect(config.iscsi).toEqual({ host: '127.0.0.1', port: 3260 });
    expect(config.metrics).toEqual({ host: '127.0.0.1', port: 9109 });
    expect(input.control).toEqual({ embeddedUrl: 'https://127.0.0.1:9443', embeddedCaFile: join(dir, 'ca.crt') });
  });

  it('uses the given store and listeners, and no embedded control plane when there is none', () => {
    const input = desktopEngineConfig({ args: desktopArgs(['--store', 'file:///srv/store', '--iscsi', 'off', '--nbd', ':0']), dataDir: '/d', gatewayId: 'gw-1', embedded: null });
    const config = validateEngineConfig(input);
    expect(input.store).toBe('file:///srv/store');
    expect(config.iscsi).toBeNull();
    expect(config.nbd).toEqual({ host: '127.0.0.1', port: 0 });
    expect(input.control).toEqual({ embeddedUrl: null, embeddedCaFile: null });
  });
});
