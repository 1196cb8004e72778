import { describe, expect, it } from 'vitest';
import { isRendererDocument, SenderTrust } from './sender-trust.js';

const INDEX = '/opt/Tidegate/resources/app.asar/out/renderer/index.html';
const URL_OF_INDEX = 'file:///opt/Tidegate/resources/app.asar/out/renderer/index.html';

describe('isRendererDocument', () => {
  it('accepts the renderer file, with or without a route in the query or fragment', () => {
    expect(isRendererDocument(URL_OF_INDEX, INDEX, 'linux')).toBe(true);
    expect(isRendererDocument(`${URL_OF_INDEX}#/volumes/v1`, INDEX, 'linux')).toBe(true);
    expect(isRendererDocument(`${URL_OF_INDEX}?page=logs`, INDEX, 'linux')).toBe(true);
    expect(isRendererDocument('file:///opt/Tidegate/resources/app.asar/out/renderer/./../renderer/index.html', INDEX, 'linux')).toBe(true);
  });

  it('refuses other files, other schemes, remote file hosts and garbage', () => {
    for (const url of [
      'file:///opt/Tidegate/resources/app.asar/out/renderer/other.html',
      'file:///tmp/index.html',
      'file:///opt/Tidegate/resources/app.asar/out/renderer/index.html.evil',
      'file:///opt/tidegate/resources/app.asar/out/renderer/index.html', // Linux paths are case-sensitive
      'http://127.0.0.1:9180/index.html',
      'https://evil.example/opt/Tidegate/resources/app.asar/out/renderer/index.html',
      'file://evil-host/opt/Tidegate/resources/app.asar/out/renderer/index.html',
      'devtools://devtools/bundled/index.html',
      'about:blank',
      '',
      'not a url',
    ]) {
      expect(isRendererDocument(url, INDEX, 'linux'), url).toBe(false);
    }
  });

  it('compares Windows paths case-insensitively (Chromium may change the drive letter)', () => {
    const win = 'C:\\Program Files\\Tidegate\\resources\\app.asar\\out\\renderer\\index.html';
    expect(isRendererDocument('file:///c:/Program%20Files/Tidegate/resources/app.asar/out/renderer/index.html', win, 'win32')).toBe(true);
    expect(isRendererDocument('file:///C:/Program%20Files/Tidegate/resources/app.asar/out/renderer/other.html', win, 'win32')).toBe(false);
  });
});

describe('SenderTrust', () => {
  const ours = { id: 3, getURL: () => URL_OF_INDEX };
  const event = (o: { id?: number; url?: string; parent?: unknown; frame?: null }) => ({
    sender: { id: o.id ?? 3, getURL: () => o.url ?? URL_OF_INDEX },
    senderFrame: o.frame === null ? null : { url: o.url ?? URL_OF_INDEX, parent: o.parent ?? null },
  });

  it('trusts the top frame of a webContents it was given, showing the renderer', () => {
    const t = new SenderTrust(INDEX, 'linux');
    t.add(ours);
    expect(t.isTrustedSender(event({}))).toBe(true);
    expect(t.isTrustedContents(ours)).toBe(true);
  });

  it('refuses an unknown webContents, a subframe, a missing frame and a foreign page', () => {
    const t = new SenderTrust(INDEX, 'linux');
    t.add(ours);
    expect(t.isTrustedSender(event({ id: 4 }))).toBe(false);
    expect(t.isTrustedSender(event({ parent: { url: URL_OF_INDEX } }))).toBe(false);
    expect(t.isTrustedSender(event({ frame: null }))).toBe(false);
    expect(t.isTrustedSender(event({ url: 'https://evil.example/' }))).toBe(false);
    expect(t.isTrustedContents({ id: 3, getURL: () => 'https://evil.example/' })).toBe(false);
    expect(t.isTrustedContents({ id: 4, getURL: () => URL_OF_INDEX })).toBe(false);
  });

  it('stops trusting a webContents once forgotten (its window closed)', () => {
    const t = new SenderTrust(INDEX, 'linux');
    t.add(ours);
    t.forget(ours);
    expect(t.isTrustedSender(event({}))).toBe(false);
    expect(t.isTrustedContents(ours)).toBe(false);
  });
});
