/**
 * Playwright drives the real console — the headless one `tidegate serve --console` serves — in
 * Debian's Chromium (/usr/bin/chromium; no browser is downloaded). One gateway for the whole
 * run (global-setup.ts), one worker, specs in file order: they walk an administrator's day.
 * Screenshots and the JSON report go to reports/ (CI keeps them as artifacts).
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  globalSetup: './support/global-setup.ts',
  globalTeardown: './support/global-teardown.ts',
  outputDir: '../reports/playwright-output',
  reporter: [['list'], ['json', { outputFile: '../reports/playwright.json' }]],
  use: {
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    },
  },
});
