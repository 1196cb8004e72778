/**
 * The tray icon: the engine's state in the tooltip, the icon colour and a menu line, and the
 * app's two lasting actions, Open console and Quit. The gateway keeps running with no window
 * open, so the tray is where the app lives.
 */
import { Menu, nativeImage, Tray, type NativeImage } from 'electron';
import { join } from 'node:path';
import type { EngineProcessState } from '../ipc/ipc-contract.js';
import { trayStatus, type TrayIconKind } from './tray-status.js';

/** What the tray needs from the app. */
export interface GatewayTrayOptions {
  /** Folder holding tray-<kind>.png (and @2x). */
  iconDir: string;
  openConsole(): void;
  quit(): void;
}

/** The running tray icon. */
export interface GatewayTray {
  /** Show this engine state. */
  update(state: EngineProcessState): void;
  /** Show a one-off balloon where the platform has them (Windows); false where it does not. */
  balloon(title: string, content: string): boolean;
  destroy(): void;
}

/** Create the tray icon, showing `initial`. */
export function createGatewayTray(initial: EngineProcessState, o: GatewayTrayOptions): GatewayTray {
  const icons = new Map<TrayIconKind, NativeImage>();
  const icon = (kind: TrayIconKind): NativeImage => {
    let img = icons.get(kind);
    if (img === undefined) {
      img = nativeImage.createFromPath(join(o.iconDir, `tray-${kind}.png`)); // picks tray-<kind>@2x.png on HiDPI
      icons.set(kind, img);
    }
    return img;
  };
  const s0 = trayStatus(initial);
  const tray = new Tray(icon(s0.icon));
  tray.on('click', () => o.openConsole()); // Windows and most Linux trays: a click opens the console
  const update = (state: EngineProcessState): void => {
    const s = trayStatus(state);
    tray.setImage(icon(s.icon));
    tray.setToolTip(s.tooltip);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Open console', click: () => o.openConsole() },
        { type: 'separator' },
        { label: s.stateLine, enabled: false },
        { type: 'separator' },
        { label: 'Quit Tidegate', click: () => o.quit() },
      ]),
    );
  };
  update(initial);
  return {
    update,
    balloon: (title, content) => {
      if (process.platform !== 'win32') return false;
      tray.displayBalloon({ title, content, iconType: 'info' });
      return true;
    },
    destroy: () => tray.destroy(),
  };
}
