/**
 * Who may call the console's IPC channels and receive its events: a webContents of a window we
 * created (by id), whose top frame shows our own renderer file. Nothing else qualifies: not a
 * subframe, not a page the window was somehow navigated to, not a window a page opened. Pure
 * (no Electron import), so the decisions are unit-tested.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The part of a WebFrameMain the check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
}

/** The part of a WebContents the check reads. */
export interface ContentsLike {
  readonly id: number;
  getURL(): string;
}

/** The part of an IpcMainInvokeEvent the check reads. */
export interface InvokeEventLike {
  readonly sender: ContentsLike;
  readonly senderFrame: FrameLike | null;
}

/** True when `url` is the renderer's index.html itself (query and fragment ignored: the console routes with them). */
export function isRendererDocument(url: string, rendererIndexPath: string, platform: NodeJS.Platform = process.platform): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false;
  let path: string;
  try {
    path = fileURLToPath(new URL(u.pathname, 'file://'), { windows: platform === 'win32' });
  } catch {
    return false;
  }
  const want = fileURLToPath(pathToFileURL(rendererIndexPath, { windows: platform === 'win32' }), { windows: platform === 'win32' });
  // Windows paths are case-insensitive and Chromium may change the drive letter's case.
  return platform === 'win32' || platform === 'darwin' ? path.toLowerCase() === want.toLowerCase() : path === want;
}

/** The set of console webContents and the checks built on it. */
export class SenderTrust {
  readonly #ids = new Set<number>();

  constructor(
    readonly rendererIndexPath: string,
    readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /** Trust this webContents (a window we just created); call forget() when it is destroyed. */
  add(contents: ContentsLike): void {
    this.#ids.add(contents.id);
  }

  forget(contents: ContentsLike): void {
    this.#ids.delete(contents.id);
  }

  /** A webContents we created that shows our renderer now: may receive events. */
  isTrustedContents = (contents: ContentsLike): boolean => this.#ids.has(contents.id) && isRendererDocument(contents.getURL(), this.rendererIndexPath, this.platform);

  /** An invoke from the top frame of a trusted webContents, showing our renderer. */
  isTrustedSender = (event: InvokeEventLike): boolean => {
    const frame = event.senderFrame;
    if (frame === null || frame === undefined) return false; // the frame navigated away or was destroyed
    if (frame.parent !== null) return false; // subframes never get the console API
    if (!this.#ids.has(event.sender.id)) return false;
    return isRendererDocument(frame.url, this.rendererIndexPath, this.platform);
  };
}
