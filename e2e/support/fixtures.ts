/**
 * Playwright fixtures shared by the e2e specs: one local OSS server and one vite page server per
 * Playwright worker. A spec imports `test` and `expect` from here instead of '@playwright/test';
 * `test.use({ ossOptions: { faults: true } })` starts its server with other options.
 */
import { test as base } from '@playwright/test';
import type { OssServerOptions } from '../../server/src/server.js';
import { startOss, type E2eOss } from './oss.js';
import { startPageServer, type PageServer } from './pages.js';

export type E2eWorkerFixtures = {
  /** Options of the worker's OSS server (merged over `startOss`'s defaults). */
  ossOptions: OssServerOptions;
  /** The worker's local OSS server. */
  oss: E2eOss;
  /** The worker's vite server for the pages in `e2e/fixtures/`. */
  pages: PageServer;
};

export const test = base.extend<Record<never, never>, E2eWorkerFixtures>({
  ossOptions: [{}, { scope: 'worker', option: true }],
  oss: [
    async ({ ossOptions }, use) => {
      const oss = await startOss(ossOptions);
      try {
        await use(oss);
      } finally {
        await oss.dispose();
      }
    },
    { scope: 'worker' },
  ],
  pages: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring pattern
    async ({}, use) => {
      const pages = await startPageServer();
      try {
        await use(pages);
      } finally {
        await pages.close();
      }
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
