/**
 * Driving the demo page (demo/) from a spec: open it, change settings through its form, drop files
 * on the drop zone with a synthetic `drop` event, and find queue rows and panel items by key.
 */
import { expect, type Locator, type Page } from '@playwright/test';

/** A file to drop: bytes from Node, made into a `File` inside the page. */
export type DroppedFile = {
  readonly name: string;
  readonly bytes: Buffer;
  /** @default '' */
  readonly type?: string;
  /** `File.lastModified`, epoch ms. @default now */
  readonly lastModified?: number;
};

/** Opens the demo and waits until it has its configuration and uploader. */
export async function openDemo(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
}

/** Sets part size and parallel parts in the settings form (as a user would: select, type, Tab). */
export async function chooseSettings(page: Page, settings: { partSize: number; concurrency: number }): Promise<void> {
  await page.getByLabel('Part size').selectOption(String(settings.partSize));
  await page.getByLabel('Parallel parts').fill(String(settings.concurrency));
  await page.getByLabel('Parallel parts').press('Tab');
  await expect(page.locator('#settings-status')).toContainText('Saved');
}

/**
 * Dispatches dragenter, dragover and drop on the drop zone, carrying a DataTransfer built in the
 * page from `files` (no file system handle: `getAsFileSystemHandle` has nothing to give).
 */
export async function dropFiles(page: Page, files: readonly DroppedFile[]): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64'), type: f.type ?? '', lastModified: f.lastModified ?? Date.now() }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) {
      const binary = atob(f.base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      transfer.items.add(new File([bytes], f.name, { type: f.type, lastModified: f.lastModified }));
    }
    const zone = document.querySelector('#drop-zone');
    if (!zone) throw new Error('The demo has no drop zone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    }
  }, payload);
}

/** The queue row of the upload to `key`. */
export const queueRow = (page: Page, key: string): Locator => page.locator(`#queue > li[data-key="${key}"]`);
/** The "Resumable uploads" item of `key`. */
export const pendingItem = (page: Page, key: string): Locator => page.locator(`#pending > li[data-key="${key}"]`);
/** The "On the server" item(s) of `key`. */
export const serverItem = (page: Page, key: string): Locator => page.locator(`#server > li[data-key="${key}"]`);
/** The "Completed" item of `key`. */
export const completedItem = (page: Page, key: string): Locator => page.locator(`#completed > li[data-key="${key}"]`);

/** The percentage a queue row's `<progress>` shows. */
export function rowPercent(row: Locator): Promise<number> {
  return row.locator('progress').evaluate((bar) => (bar as HTMLProgressElement).value);
}

/**
 * Presses the "On the server" panel's Refresh button until it lists `count` uploads of `key`
 * (the panel also refreshes by itself after each change; pressing makes the check independent of that).
 */
export async function expectOnServer(page: Page, key: string, count: number): Promise<void> {
  await expect(async () => {
    await page.locator('#server-refresh').click();
    await expect(serverItem(page, key)).toHaveCount(count, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
}
