/**
 * The console window's preload (sandboxed; bundled by electron-vite as CommonJS that requires
 * only 'electron'): exposes the console API as `window.tidegate` and nothing else.
 */
import { contextBridge } from 'electron';
import { buildTidegateApi } from './preload-bridge.js';

contextBridge.exposeInMainWorld('tidegate', buildTidegateApi());
