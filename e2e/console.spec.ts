/**
 * An administrator's first day, in the real console served by `tidegate serve --console`:
 * activation on the embedded control plane, storage sizing, a first cached volume, 256 MiB
 * written to it through NBD by a real client (nbdcopy) while the dashboard's throughput chart,
 * upload backlog and the control plane's upload-buffer alert move, until the volume reports
 * "All data uploaded"; the other pages; then the volume deleted. Each page is saved as a
 * screenshot under reports/screenshots/. Any console error fails the test (console-page.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, screenshot, test } from './support/console-page.js';
import { gatewayUnderTest } from './support/gateway-under-test.js';

const MiB = 1024 * 1024;
const VOLUME = 'office';

test.describe.configure({ mode: 'serial' });

/** Open the console with its token (traded for a cookie), then go to a page. */
async function open(page: Page, route: string): Promise<void> {
  const g = gatewayUnderTest();
  await page.goto(g.consoleUrl);
  await page.goto(`${g.origin}/#/${route}`);
}

/** The upload backlog the dashboard shows, in bytes. */
async function backlog(page: Page): Promise<number> {
  return Number(await page.getByTestId('upload-backlog').getAttribute('data-bytes'));
}

/** The drawn path of the throughput chart's first series. */
async function throughputPath(page: Page): Promise<string> {
  const paths = page.getByTestId('chart-throughput').locator('path.recharts-curve');
  return (await paths.count()) === 0 ? '' : ((await paths.first().getAttribute('d')) ?? '');
}

async function setUploadLimit(page: Page, amount: string): Promise<void> {
  await page.goto(`${gatewayUnderTest().origin}/#/bandwidth`);
  await expect(page.getByRole('heading', { level: 1, name: 'Bandwidth' })).toBeVisible();
  await page.getByLabel('Default limit').fill(amount);
  await page.getByLabel('Default limit').locator('xpath=..').getByRole('combobox', { name: 'Unit' }).selectOption('MB/s');
  await page.getByRole('button', { name: 'Save limits' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
}

test('the console refuses requests without its token and from other origins', async ({ request }) => {
  const g = gatewayUnderTest();
  const token = new URL(g.consoleUrl).searchParams.get('token')!;
  const noToken = await request.get(`${g.origin}/`);
  expect(noToken.status()).toBe(401);
  const noTokenCall = await request.post(`${g.origin}/api/invoke/app.info`, { data: null });
  expect(noTokenCall.status()).toBe(401);
  expect((await noTokenCall.json()).error.code).toBe('TOKEN_REQUIRED');
  const wrongToken = await request.post(`${g.origin}/api/invoke/app.info`, { headers: { authorization: 'Bearer not-the-token-not-the-token-xxxxx' } });
  expect((await wrongToken.json()).error.code).toBe('TOKEN_INVALID');
  const otherOrigin = await request.post(`${g.origin}/api/invoke/app.info`, { headers: { authorization: `Bearer ${token}`, origin: 'https://evil.example' } });
  expect(otherOrigin.status()).toBe(403);
  expect((await otherOrigin.json()).error.code).toBe('ORIGIN_REFUSED');
  const withToken = await request.post(`${g.origin}/api/invoke/app.info`, { headers: { authorization: `Bearer ${token}` } });
  expect((await withToken.json()).result.shell).toBe('headless');
});

test('activation wizard end to end on the embedded control plane, then the first cached volume', async ({ page }) => {
  const g = gatewayUnderTest();
  await page.goto(g.consoleUrl);
  // Not activated yet: the console opens the wizard.
  await expect(page.getByRole('heading', { level: 1, name: 'Activate gateway' })).toBeVisible();
  await expect(page).not.toHaveURL(/token=/);
  await screenshot(page, '01-activation-control-plane');

  await page.getByRole('button', { name: 'Get activation key' }).click();
  const key = page.getByTestId('activation-key');
  await expect(key).toHaveText(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await screenshot(page, '02-activation-key');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.getByLabel('Gateway name').fill('office-gw');
  await page.getByLabel('Time zone').fill('Europe/Paris');
  await screenshot(page, '03-activation-details');
  await page.getByRole('button', { name: 'Activate', exact: true }).click();

  await expect(page.getByRole('heading', { name: 'Allocate storage' })).toBeVisible({ timeout: 90_000 });
  // AWS's rule: buffer = (incoming − outgoing × compression) × write time; cache ≥ 1.1 × buffer.
  await page.getByLabel('Incoming writes (MB/s)').fill('20');
  await page.getByLabel('Outgoing upload (MB/s)').fill('8');
  await page.getByLabel('Write hours per day').fill('0.01');
  await expect(page.getByTestId('sizing-guidance')).toBeVisible();
  await expect(page.getByLabel('Upload buffer capacity')).toHaveValue('64');
  await screenshot(page, '04-activation-storage');
  await page.getByRole('button', { name: 'Apply and continue' }).click();

  await expect(page.getByRole('heading', { name: 'Create the first volume' })).toBeVisible();
  await page.getByLabel('Volume name').fill(VOLUME);
  await page.getByLabel('Size', { exact: true }).fill('1');
  await page.getByLabel('Size', { exact: true }).locator('xpath=..').getByRole('combobox', { name: 'Unit' }).selectOption('GiB');
  await screenshot(page, '05-activation-first-volume');
  await page.getByRole('button', { name: 'Create volume' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Volume ${VOLUME} is ready` })).toBeVisible();
  await page.getByRole('button', { name: 'Go to the dashboard' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(page.getByText('office-gw')).toBeVisible();
  await open(page, 'volumes');
  await expect(page.getByTestId(`volume-row-${VOLUME}`)).toContainText('1 GiB');
  await screenshot(page, '06-volumes');
});

test('256 MiB written through NBD: the dashboard moves, the alert opens, then all data is uploaded', async ({ page }) => {
  test.setTimeout(300_000);
  const g = gatewayUnderTest();
  await open(page, 'dashboard');
  // A slow upload link, so the 64 MiB upload buffer fills and the backlog is visible.
  await setUploadLimit(page, '8');

  const dir = mkdtempSync(join(tmpdir(), 'tidegate-e2e-data-'));
  const source = join(dir, 'data.bin');
  writeFileSync(source, randomBytes(256 * MiB));
  let copier: ChildProcess | undefined;
  try {
    copier = spawn('nbdcopy', ['--flush', source, `nbd://${g.nbd}/${VOLUME}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let copierErr = '';
    copier.stderr!.setEncoding('utf8').on('data', (d: string) => (copierErr += d));
    const copied = new Promise<number>((resolve) => copier!.once('exit', (code) => resolve(code ?? -1)));

    await page.goto(`${g.origin}/#/dashboard`);
    await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
    // The upload backlog grows, and the throughput chart draws new samples.
    await expect.poll(() => backlog(page), { timeout: 60_000 }).toBeGreaterThan(8 * MiB);
    const firstPath = await throughputPath(page);
    await expect.poll(() => throughputPath(page), { timeout: 30_000 }).not.toBe(firstPath);
    // The control plane sees the full upload buffer in a status sample and raises its alert.
    await expect(page.getByTestId('alerts')).toContainText('upload-buffer-high', { timeout: 60_000 });
    await screenshot(page, '07-dashboard-uploading');

    // Lift the limit: the backlog drains and the volume becomes a recovery point.
    await setUploadLimit(page, '0');
    expect(await copied, `nbdcopy failed: ${copierErr}`).toBe(0);
    await page.goto(`${g.origin}/#/volumes`);
    await expect(page.getByTestId(`volume-upload-state-${VOLUME}`)).toHaveText('All data uploaded', { timeout: 120_000 });
    await screenshot(page, '08-volumes-all-uploaded');
    await page.goto(`${g.origin}/#/dashboard`);
    await expect.poll(() => backlog(page), { timeout: 30_000 }).toBe(0);
    await expect(page.getByTestId('alerts')).not.toContainText('upload-buffer-high', { timeout: 60_000 });
    await screenshot(page, '09-dashboard-all-uploaded');
  } finally {
    copier?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('storage, bandwidth, and logs & diagnostics with a support bundle', async ({ page }) => {
  await open(page, 'storage');
  await expect(page.getByRole('heading', { level: 1, name: 'Storage' })).toBeVisible();
  await expect(page.getByTestId('allocation-cache')).toBeVisible();
  // The 256 MiB written earlier passed through the 64 MiB upload buffer: uploaded segments' files stay for reuse.
  await expect(page.getByTestId('allocation-upload-buffer-kept')).toContainText(/Also holds \d+(\.\d+)? MiB of uploaded write-log files/);
  await screenshot(page, '10-storage');

  await page.goto(`${gatewayUnderTest().origin}/#/bandwidth`);
  await expect(page.getByRole('heading', { level: 1, name: 'Bandwidth' })).toBeVisible();
  await expect(page.getByTestId('effective-limit')).toBeVisible();
  await screenshot(page, '11-bandwidth');

  await page.goto(`${gatewayUnderTest().origin}/#/logs`);
  await expect(page.getByRole('heading', { level: 1, name: 'Logs & diagnostics' })).toBeVisible();
  await expect(page.getByTestId('log-lines')).toContainText('engine started');
  await screenshot(page, '12-logs');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: /support bundle/i }).click();
  expect((await download).suggestedFilename()).toMatch(/^tidegate-support-.*\.tar\.gz$/);
});

test('the volume is deleted after its name is typed again', async ({ page }) => {
  await open(page, 'volumes');
  await page.getByRole('button', { name: `Delete ${VOLUME}` }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: 'Delete volume' })).toBeDisabled();
  await dialog.getByRole('textbox').fill(VOLUME);
  await screenshot(page, '13-volume-delete');
  await dialog.getByRole('button', { name: 'Delete volume' }).click();
  await expect(page.getByTestId(`volume-row-${VOLUME}`)).toHaveCount(0);
  await screenshot(page, '14-volumes-empty');
});
