import { describe, expect, it } from 'vitest';
import { externalUrlToOpen, isAllowedNavigation, windowWebPreferences } from './window-policy.js';

describe('windowWebPreferences', () => {
  it('sandboxes and isolates the renderer, with no Node, no webviews and our preload', () => {
    expect(windowWebPreferences('/app/out/preload/index.cjs')).toEqual({
      preload: '/app/out/preload/index.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    });
  });
});

describe('isAllowedNavigation', () => {
  const page = 'file:///app/out/renderer/index.html';

  it('allows moves within the same document', () => {
    expect(isAllowedNavigation(page, `${page}#/volumes`)).toBe(true);
    expect(isAllowedNavigation(`${page}#/volumes`, `${page}#/logs`)).toBe(true);
  });

  it('refuses every other navigation', () => {
    expect(isAllowedNavigation(page, 'https://evil.example/')).toBe(false);
    expect(isAllowedNavigation(page, 'file:///etc/passwd')).toBe(false);
    expect(isAllowedNavigation(page, `${page}?x=1`)).toBe(false);
    expect(isAllowedNavigation(page, 'javascript:alert(1)')).toBe(false);
    expect(isAllowedNavigation('', page)).toBe(false); // the initial load is programmatic, never a will-navigate
    expect(isAllowedNavigation(page, 'nonsense')).toBe(false);
  });
});

describe('externalUrlToOpen', () => {
  it('passes http(s) links to the system browser', () => {
    expect(externalUrlToOpen('https://docs.tidegate.dev/volumes')).toBe('https://docs.tidegate.dev/volumes');
    expect(externalUrlToOpen('http://192.168.1.10:9109/metrics')).toBe('http://192.168.1.10:9109/metrics');
  });

  it('refuses everything else, and links that carry credentials', () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-settings:', 'vbscript:x', 'https://user:pass@evil.example/', 'not a url']) {
      expect(externalUrlToOpen(url), url).toBeNull();
    }
  });
});
