/**
 * The demo page (issue 5) in Chromium, served by vite with the repo's vite.config.ts — the page gets
 * its credentials from the real STS backend route — against a local OSS server with fault injection.
 *
 * - Two files dropped on the drop zone (a synthetic `drop` carrying a DataTransfer) both upload and
 *   both get the check mark that says the downloaded bytes have the local file's MD5; Node agrees.
 * - Pause and resume one upload, cancel and later discard another; the "On the server" panel lists
 *   each paused or cancelled upload and forgets the discarded one; a screenshot is taken mid-upload.
 * - A reload mid-upload: the "Resumable uploads" panel lists it, the same file is selected again,
 *   the upload resumes with the parts already on the server, completes and is verified.
 * - A refused part is shown in words with its OSS code and request id; aborting the upload from the
 *   server panel and resuming starts it afresh (the page says why), and it completes.
 */
import { utimes } from 'node:fs/promises';
import { expect, test as base } from '@playwright/test';
import type { Page, TestInfo } from '@playwright/test';
import {
  chooseSettings, completedItem, dropFiles, expectOnServer, openDemo, pendingItem, queueRow, rowPercent,
} from './support/demo-page.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import { createTestFile, type TestFile } from './support/test-file.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const partSize = 256 * KiB;
const prefix = 'uploads/';

const test = base.extend<Record<never, never>, { demo: DemoServer }>({
  demo: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring pattern
    async ({}, use) => {
      const demo = await startDemoServer();
      try {
        await use(demo);
      } finally {
        await demo.close();
      }
    },
    { scope: 'worker' },
  ],
});

const files: TestFile[] = [];
async function testFile(size: number, name: string): Promise<TestFile> {
  const file = await createTestFile(size, name);
  files.push(file);
  return file;
}

test.afterAll(async () => {
  await Promise.all(files.splice(0).map((f) => f.dispose()));
});

test.afterEach(async ({ demo }) => {
  await demo.clearFaults();
});

/** The object in the bucket is byte for byte the local file (read back in Node through ali-oss). */
async function expectStored(demo: DemoServer, file: TestFile): Promise<void> {
  const stored = await demo.oss.objectMd5(`${prefix}${file.name}`);
  expect(stored).toMatchObject({ size: file.size, md5: file.md5Hex() });
}

/** The row reached "done" and the Completed list shows the check mark for it. */
async function expectCompletedAndVerified(page: Page, file: TestFile): Promise<void> {
  const key = `${prefix}${file.name}`;
  await expect(queueRow(page, key).locator('.phase')).toHaveText('done', { timeout: 30_000 });
  const item = completedItem(page, key);
  await expect(item.locator('.check')).toHaveText('✓ MD5 verified', { timeout: 30_000 });
  await expect(item.locator('.check')).toHaveAttribute('title', new RegExp(file.md5Hex()));
  await expect(item.getByRole('link', { name: `Download ${file.name}` })).toHaveAttribute('href', /[?&](x-oss-signature|Signature)=/);
}

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

test('two files dropped on the drop zone upload, and both downloads are verified by MD5', async ({ page, demo }, testInfo) => {
  const report = await testFile(1 * MiB + 12_345, 'report 2024.bin');
  const clip = await testFile(700 * KiB, 'clip.bin');
  await openDemo(page, demo.url);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: /Drop files here/ })).toBeFocused(); // the drop zone is a keyboard-reachable button
  await chooseSettings(page, { partSize, concurrency: 2 });

  await dropFiles(page, [report, clip].map((f) => ({ name: f.name, bytes: f.bytes, type: 'application/octet-stream' })));
  for (const file of [report, clip]) {
    await expect(queueRow(page, `${prefix}${file.name}`).getByRole('progressbar', { name: `Upload progress of ${file.name}` })).toBeVisible();
  }
  for (const file of [report, clip]) await expectCompletedAndVerified(page, file);
  await expect(page.locator('#live')).toContainText(/uploaded|matches the local file/);
  for (const file of [report, clip]) await expectStored(demo, file);
  await expectOnServer(page, `${prefix}${report.name}`, 0);

  // Readable on a narrow screen: one column, nothing wider than the viewport.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await screenshot(page, testInfo, 'demo-narrow');
});

test('pause and resume one upload, cancel and later discard another; the server panel follows', async ({ page, demo }, testInfo) => {
  const paused = await testFile(2 * MiB, 'paused.bin');
  const cancelled = await testFile(2 * MiB + 777, 'cancelled.bin');
  const [pausedKey, cancelledKey] = [paused, cancelled].map((f) => `${prefix}${f.name}`) as [string, string];
  await openDemo(page, demo.url);
  await chooseSettings(page, { partSize, concurrency: 1 });
  await demo.addFaults([pausedKey, cancelledKey].map((key) => ({ op: 'UploadPart', key, action: 'delay', delayMs: 700, times: 0 })));
  await dropFiles(page, [paused, cancelled].map((f) => ({ name: f.name, bytes: f.bytes })));

  // Pause the first once a part is on the server.
  const pausedRow = queueRow(page, pausedKey);
  await expect.poll(() => rowPercent(pausedRow), { timeout: 15_000 }).toBeGreaterThan(0);
  await pausedRow.getByRole('button', { name: `Pause ${paused.name}` }).click();
  await expect(pausedRow.locator('.phase')).toHaveText('paused');
  await expect(pausedRow.getByRole('button', { name: `Resume ${paused.name}` })).toBeEnabled();
  await expectOnServer(page, pausedKey, 1);

  // Mid-upload: one row paused, one uploading, both listed on the server.
  const cancelledRow = queueRow(page, cancelledKey);
  await expect.poll(() => rowPercent(cancelledRow), { timeout: 15_000 }).toBeGreaterThan(20);
  await expectOnServer(page, cancelledKey, 1);
  await expect(cancelledRow.locator('.phase')).toHaveText('uploading');
  await screenshot(page, testInfo, 'demo-mid-upload');

  // Cancel (pause + keep) the second: it leaves the queue for the resumable panel and stays on the server.
  await cancelledRow.getByRole('button', { name: `Cancel ${cancelled.name}` }).click();
  await expect(cancelledRow).toHaveCount(0);
  await expect(pendingItem(page, cancelledKey).getByRole('button', { name: `Select ${cancelled.name} again to resume it` })).toBeVisible();
  await expect(pendingItem(page, pausedKey)).toHaveCount(0); // still in the queue, paused
  await expectOnServer(page, cancelledKey, 1);

  // Resume the first at full speed: it continues with the parts the server has, completes, verifies.
  await demo.clearFaults();
  await pausedRow.getByRole('button', { name: `Resume ${paused.name}` }).click();
  await expect(pausedRow.locator('.notice')).toContainText(/Resumed: \d+ parts? \(.+\) already on the server/);
  await expectCompletedAndVerified(page, paused);
  await expectStored(demo, paused);
  await expectOnServer(page, pausedKey, 0);
  await expectOnServer(page, cancelledKey, 1);

  // Discard the second from the resumable panel: aborted on the server, gone from both panels.
  await pendingItem(page, cancelledKey).getByRole('button', { name: `Discard ${cancelled.name}` }).click();
  await expect(pendingItem(page, cancelledKey)).toHaveCount(0);
  await expectOnServer(page, cancelledKey, 0);
  await expect(demo.oss.client().head(cancelledKey)).rejects.toMatchObject({ status: 404 });
});

test('reload mid-upload, then resume from the resumable panel by selecting the same file', async ({ page, demo }, testInfo) => {
  const movie = await testFile(3 * MiB, 'holiday movie.mp4');
  const key = `${prefix}${movie.name}`;
  // The page's File must look exactly like the one picked from disk later (name, size, type, date).
  const lastModified = Date.UTC(2024, 0, 2, 3, 4, 5);
  await utimes(movie.path, lastModified / 1000, lastModified / 1000);
  await openDemo(page, demo.url);
  await chooseSettings(page, { partSize, concurrency: 2 });
  await demo.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 600, times: 0 }]);
  await dropFiles(page, [{ name: movie.name, bytes: movie.bytes, type: 'video/mp4', lastModified }]);
  // The part map: a cell per part; reload once three are on the server (the bar also counts parts in flight).
  const cells = queueRow(page, key).locator('.part-grid .part-cell');
  await expect(cells).toHaveCount(12);
  await expect.poll(() => cells.and(page.locator('[data-state="done"]')).count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
  await expect(cells.and(page.locator('[data-state="sending"]')).first()).toBeVisible();
  await screenshot(page, testInfo, 'demo-part-map');

  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  await expect(queueRow(page, key)).toHaveCount(0);
  const item = pendingItem(page, key);
  await expect(item.locator('.meta')).toContainText(/on the server \(\d+ parts\)/);
  await expectOnServer(page, key, 1);
  await screenshot(page, testInfo, 'demo-after-reload');

  // No file handle for a dropped synthetic file: the panel asks for the file again.
  await demo.clearFaults();
  await item.locator('input[type=file]').setInputFiles(movie.path);
  const row = queueRow(page, key);
  await expect(row.locator('.notice')).toContainText(/Resumed: ([3-9]|1\d) parts/);
  // After the reload the part map shows what the server already had, apart from what this session sends.
  const resumed = Number(/Resumed: (\d+) parts/.exec(await row.locator('.notice').innerText())![1]);
  const rowCells = row.locator('.part-grid .part-cell');
  await expect(rowCells.and(page.locator('[data-resumed="true"]'))).toHaveCount(resumed);
  await expectCompletedAndVerified(page, movie);
  await expect(rowCells.and(page.locator('[data-state="done"]'))).toHaveCount(12);
  await expect(row.locator('.part-summary')).toContainText(`12 parts · 12 on the server (${resumed} already there)`);
  await expectStored(demo, movie);
  await expect(pendingItem(page, key)).toHaveCount(0);
  await expectOnServer(page, key, 0);
});

test('a refused part shows its OSS code and request id; abort on the server, then resume starts afresh', async ({ page, demo }, testInfo) => {
  const doc = await testFile(1 * MiB, 'contract.pdf');
  const key = `${prefix}${doc.name}`;
  await openDemo(page, demo.url);
  await chooseSettings(page, { partSize, concurrency: 1 });
  await demo.addFaults([{ op: 'UploadPart', key, nth: 2, times: 0, action: 'error', status: 403, code: 'AccessDenied', message: 'Denied by the test' }]);
  await dropFiles(page, [{ name: doc.name, bytes: doc.bytes, type: 'application/pdf' }]);

  const row = queueRow(page, key);
  await expect(row.locator('.phase')).toHaveText('failed', { timeout: 15_000 });
  const error = row.getByRole('alert');
  await expect(error).toContainText('UploadPart (part 2) was refused with HTTP 403: the temporary credentials do not allow this');
  await expect(error.locator('.tag', { hasText: 'Code' })).toHaveText('Code AccessDenied');
  await expect(error.locator('.tag', { hasText: 'Request ID' })).toHaveText(/^Request ID \S{8,}$/);
  await screenshot(page, testInfo, 'demo-error');

  // Abort it from the server panel; Resume then finds the upload gone and starts from the beginning.
  await expectOnServer(page, key, 1);
  await page.locator(`#server > li[data-key="${key}"]`).getByRole('button', { name: `Abort the upload of ${doc.name} on the server` }).click();
  await expectOnServer(page, key, 0);
  await demo.clearFaults();
  await row.getByRole('button', { name: `Resume ${doc.name}` }).click();
  await expect(row.locator('.notice')).toContainText('The server no longer had the earlier upload');
  await expect(row.getByRole('alert')).toBeHidden();
  await expectCompletedAndVerified(page, doc);
  await expectStored(demo, doc);
});
