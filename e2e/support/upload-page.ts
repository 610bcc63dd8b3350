/**
 * Driving `e2e/fixtures/upload-page`: open it (optionally with an STS "backend" bound to the OSS
 * server), pick a file through its `<input type=file>`, run an upload, and record what went over
 * the wire to the OSS server.
 */
import type { Page, Request } from '@playwright/test';
import type { RunUploadOptions, RunUploadOutcome } from '../fixtures/upload-page/api.js';
import type { E2eOss } from './oss.js';
import type { PageServer } from './pages.js';

export type { RunUploadOptions, RunUploadOutcome } from '../fixtures/upload-page/api.js';

/** The opened page's handle on the backend STS calls. */
export type UploadPageSession = {
  /** How often the page asked the backend for STS credentials. */
  readonly stsCalls: () => number;
};

/**
 * Binds `window.ossBackendSts` (mints on `oss`), opens the page and waits until the SDK module
 * graph has loaded. Init scripts (e.g. the main-thread probe) must be added before this.
 */
export async function openUploadPage(page: Page, pages: PageServer, oss: E2eOss): Promise<UploadPageSession> {
  let stsCalls = 0;
  await page.exposeFunction('ossBackendSts', () => {
    stsCalls += 1;
    return oss.mintSts();
  });
  await page.goto(pages.pageUrl('upload-page'));
  await page.waitForFunction(() => window.uploadPage !== undefined, undefined, { timeout: 30_000 });
  return { stsCalls: () => stsCalls };
}

/** Picks `path` in the page's `<input type=file>` (as a user would; the bytes stay on disk). */
export async function pickFile(page: Page, path: string): Promise<void> {
  await page.locator('#file').setInputFiles(path);
}

/** Runs one upload of the picked file in the page. */
export async function runUpload(page: Page, options: RunUploadOptions): Promise<RunUploadOutcome> {
  return page.evaluate((opts) => {
    const api = window.uploadPage;
    if (!api) throw new Error('The upload page is not ready');
    return api.run(opts);
  }, options);
}

/** A request the page sent to the OSS server (CORS preflights excluded), with every header sent. */
export type OssRequest = {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
};

/**
 * Records every request from the page to `origins` (e.g. `http://localhost:PORT` and
 * `http://demo.localhost:PORT`) from now on. `settled()` waits for the headers to be collected.
 */
export function recordOssRequests(page: Page, origins: readonly string[]) {
  const pending: Array<Promise<OssRequest>> = [];
  const listener = (request: Request) => {
    const url = new URL(request.url());
    if (!origins.includes(url.origin) || request.method() === 'OPTIONS') return;
    pending.push(request.allHeaders().then((headers) => ({ method: request.method(), url, headers })));
  };
  page.on('request', listener);
  return {
    /** Stops recording and returns what was recorded, in the order the requests were sent. */
    async settled(): Promise<OssRequest[]> {
      page.off('request', listener);
      return Promise.all(pending);
    },
  };
}
