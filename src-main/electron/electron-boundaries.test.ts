import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The project's own lint rules (eslint.config.js), applied to code that breaks them.
const eslint = new ESLint({ cwd: process.cwd() });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.line}:${m.ruleId}`);
}

describe('Electron boundaries (eslint.config.js)', () => {
  it("keeps 'electron' out of src-main outside src-main/electron/ (the CLI and the headless console run without it)", async () => {
    expect(await problems('src-main/headless/probe.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual(['1:no-restricted-imports']);
    expect(await problems('src-main/ipc/probe.ts', "import type { IpcMain } from 'electron';\nexport type A = IpcMain;\n")).toEqual(['1:no-restricted-imports']);
    expect(await problems('src-main/cli/probe.ts', "export const e: unknown = require('electron');\n")).toContain('1:no-restricted-syntax');
  });

  it('bans raw ipcMain and ipcRenderer in src-main/electron/, however they are reached', async () => {
    const code = [
      "import { ipcMain, ipcRenderer, app } from 'electron';",
      "import * as electron from 'electron';",
      'const { ipcMain: m } = electron;',
      'export const all = [ipcMain, ipcRenderer, app, electron.ipcRenderer, m];',
      '',
    ].join('\n');
    expect(await problems('src-main/electron/probe.ts', code)).toEqual(['1:no-restricted-imports', '1:no-restricted-imports', '2:no-restricted-imports', '3:no-restricted-syntax', '4:no-restricted-syntax']);
  });

  it('allows ipcMain only in the trusted wrapper and ipcRenderer only in the preload bridge', async () => {
    expect(await problems('src-main/ipc/electron-ipc.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).toEqual([]);
    expect(await problems('src-main/ipc/electron-ipc.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toEqual(['1:no-restricted-imports']);
    expect(await problems('src-main/electron/preload-bridge.ts', "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n")).toEqual([]);
    expect(await problems('src-main/electron/preload-bridge.ts', "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n")).toEqual(['1:no-restricted-imports']);
    expect(await problems('src-main/electron/main.ts', "import { app, BrowserWindow } from 'electron';\nexport const a = [app, BrowserWindow];\n")).toEqual([]);
  });
});
