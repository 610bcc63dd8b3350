/**
 * Driving `e2e/fixtures/resume-page` from a spec: open it, configure its uploader, pick a file (input)
 * or drop one (a real OS-style drag carrying a disk file, so the page gets a genuine
 * `FileSystemFileHandle`), start runs and wait on them.
 */
import { writeFile } from 'node:fs/promises';
import type { BrowserContext, Page, TestInfo } from '@playwright/test';
import type {
  PendingSummary, RecordSummary, ResumePageConfig, RunSnapshot, RunSource, SeedRecordOptions, StartOptions,
} from '../fixtures/resume-page/api.js';
import type { E2eOss } from './oss.js';
import type { PageServer } from './pages.js';

export type { PendingSummary, RecordSummary, ResumePageConfig, RunSnapshot, RunSource, StartOptions } from '../fixtures/resume-page/api.js';

export const bucket = 'demo';
export const region = 'cn-hangzhou';
export const MiB = 1024 * 1024;

/** Path-style V4 with the server's root keys: what every resume spec uses unless it says otherwise. */
export function baseConfig(oss: E2eOss, overrides: Partial<ResumePageConfig> = {}): ResumePageConfig {
  return {
    endpoint: oss.endpoint, bucket, region, pathStyle: true, signatureVersion: 'v4',
    credentials: { accessKeyId: oss.server.accessKeyId, accessKeySecret: oss.server.accessKeySecret },
    ...overrides,
  };
}

/** Opens (or re-opens, after a reload or a restart) the page and waits for its module graph. */
export async function openResumePage(page: Page, pages: PageServer): Promise<void> {
  await page.goto(pages.pageUrl('resume-page'));
  await waitForResumePage(page);
}

export async function waitForResumePage(page: Page): Promise<void> {
  await page.waitForFunction(() => window.resumePage !== undefined, undefined, { timeout: 30_000 });
}

export function resumePage(page: Page) {
  return {
    configure: (config: ResumePageConfig) => page.evaluate((c) => window.resumePage!.configure(c), config),
    /** Picks `path` in `#file`, as a user would (Chromium reads the bytes from disk; `lastModified` is the file's mtime). */
    pick: (path: string) => page.locator('#file').setInputFiles(path),
    start: (source: RunSource, options: StartOptions = {}) =>
      page.evaluate(([s, o]) => window.resumePage!.start(s, o), [source, options] as const),
    snapshot: (run: number) => page.evaluate((r) => window.resumePage!.snapshot(r), run),
    pause: (run: number) => page.evaluate((r) => window.resumePage!.pause(r), run),
    outcome: (run: number): Promise<RunSnapshot> => page.evaluate((r) => window.resumePage!.outcome(r), run),
    /** Waits until the run has seen `count` acknowledged parts (polled every animation frame). */
    async waitForParts(run: number, count: number, timeout = 60_000): Promise<void> {
      await page.waitForFunction(([r, n]) => {
        const s = window.resumePage!.snapshot(r);
        if (s.state === 'failed') throw new Error(`run ${r} failed: ${s.error?.name}: ${s.error?.message}`);
        return s.parts.length >= n;
      }, [run, count] as const, { timeout });
    },
    listPending: (): Promise<PendingSummary[]> => page.evaluate(() => window.resumePage!.listPending()),
    resumeAll: () => page.evaluate(() => window.resumePage!.resumeAll()),
    discard: (id: string) => page.evaluate((i) => window.resumePage!.discard(i), id),
    sweep: (options: { olderThan: number; prefix?: string }) => page.evaluate((o) => window.resumePage!.sweep(o), options),
    journal: (): Promise<RecordSummary[]> => page.evaluate(() => window.resumePage!.journal()),
    fingerprint: (key: string) => page.evaluate((k) => window.resumePage!.fingerprint(k), key),
    seedRecord: (options: SeedRecordOptions) => page.evaluate((o) => window.resumePage!.seedRecord(o), options),
    inputFile: () => page.evaluate(() => window.resumePage!.inputFile()),
    droppedFile: () => page.evaluate(() => window.resumePage!.droppedFile()),
    storedHandlePermission: (id: string) => page.evaluate((i) => window.resumePage!.storedHandlePermission(i), id),
    connectivity: () => page.evaluate(() => window.resumePage!.connectivity()),
  };
}

export type ResumePage = ReturnType<typeof resumePage>;

/**
 * Drops the disk file at `path` on the page's `#drop` zone as the OS would: CDP
 * `Input.dispatchDragEvent` with `data.files` makes Chromium build the drag data from the real file,
 * so `DataTransferItem.getAsFileSystemHandle()` yields a genuine `FileSystemFileHandle` of that file
 * with read permission granted (as for a user's drop). A synthetic `new DataTransfer()` cannot do
 * this (its items have no handle), and `showOpenFilePicker` cannot be answered headlessly (CDP's
 * `Page.fileChooserOpened` carries no node for it and no command takes paths for it).
 */
export async function dropFile(context: BrowserContext, page: Page, path: string): Promise<void> {
  const box = await page.locator('#drop').boundingBox();
  if (!box) throw new Error('#drop is not visible');
  const cdp = await context.newCDPSession(page);
  try {
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    const data = { items: [], files: [path], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  } finally {
    await cdp.detach();
  }
  await page.waitForFunction(() => document.querySelector('#drop')?.classList.contains('has-handle') === true, undefined, { timeout: 10_000 });
}

/** Attaches `value` as JSON (also kept as a file in the test's output directory). */
export async function attachJson(testInfo: TestInfo, name: string, value: unknown): Promise<void> {
  const path = testInfo.outputPath(name);
  await writeFile(path, JSON.stringify(value, null, 2));
  await testInfo.attach(name, { path, contentType: 'application/json' });
}

export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Throws with the page's error unless the run completed. */
export function expectDone(snapshot: RunSnapshot): RunSnapshot & { result: NonNullable<RunSnapshot['result']> } {
  if (snapshot.state !== 'done' || !snapshot.result) {
    throw new Error(`Run ${snapshot.run} ended ${snapshot.state}: ${snapshot.error?.name}: ${snapshot.error?.message}\n${snapshot.error?.stack ?? ''}`);
  }
  return snapshot as RunSnapshot & { result: NonNullable<RunSnapshot['result']> };
}

/**
 * The most UploadParts a browser upload with `concurrency` lanes has in flight: `concurrency` sending,
 * and as many more whose bodies are out and which await their answers (a sent part hands its lane
 * on; docs/architecture.md). A reload, a close or going offline can repeat at most that many. Loopback
 * socket buffers take a whole test part while a delay fault holds the answer, so tests reach it.
 */
export const maxInFlight = (concurrency: number): number => 2 * concurrency;

export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '').toUpperCase();
