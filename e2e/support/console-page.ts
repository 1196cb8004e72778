/**
 * The `test` every spec uses: a page that fails the test on any console error or uncaught
 * exception in the console, and a helper that saves a screenshot of a page under
 * reports/screenshots/ (CI keeps them as artifacts).
 */
import { test as base, expect, type Page } from '@playwright/test';
import { resolve } from 'node:path';

const SCREENSHOTS = resolve(import.meta.dirname, '..', '..', 'reports', 'screenshots');

export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      await use(errors);
      expect(errors, 'the console logged errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Save a full-page screenshot as reports/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true });
}
