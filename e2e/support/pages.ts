/**
 * The e2e test pages: a vite dev server whose root is `e2e/fixtures`, so each page lives in its own
 * folder (`e2e/fixtures/upload-page/` → `${url}/upload-page/`) and imports the SDK straight from
 * `src/` by a relative path (`../../../src/index.js`), exactly as the TypeScript sources are —
 * no build step, and the same module graph an app's bundler would see.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

/** The repository root (this file is `e2e/support/pages.ts`). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the fixture pages live. */
export const fixturesRoot = join(repoRoot, 'e2e', 'fixtures');

/** A running page server. */
export type PageServer = {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly vite: ViteDevServer;
  /** The URL of the page in `e2e/fixtures/<name>/index.html`. */
  pageUrl(name: string, query?: Record<string, string>): string;
  close(): Promise<void>;
};

/**
 * Starts vite on 127.0.0.1 with a free port. The config is inline (`configFile: false`: the
 * project's vite.config.ts is the demo's), HMR and the file watcher are off (other work editing
 * `src/` must not reload a page mid-test), and the dependency cache is private to this server so
 * parallel Playwright workers and the demo's dev server never share (or invalidate) one.
 */
export async function startPageServer(): Promise<PageServer> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'oss-resumable-e2e-vite-'));
  const vite = await createServer({
    configFile: false,
    root: fixturesRoot,
    cacheDir,
    logLevel: 'warn',
    clearScreen: false,
    appType: 'mpa',
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: true,
      hmr: false,
      watch: null,
      // The pages import ../../../src/** and node_modules: both are outside the vite root.
      fs: { strict: true, allow: [repoRoot] },
    },
  });
  try {
    await vite.listen();
  } catch (error) {
    await vite.close();
    await rm(cacheDir, { recursive: true, force: true });
    throw error;
  }
  const address = vite.httpServer?.address() as AddressInfo | null;
  if (!address) throw new Error('vite did not report its address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    vite,
    pageUrl(name, query = {}) {
      const search = new URLSearchParams(query).toString();
      return `${url}/${name}/${search ? `?${search}` : ''}`;
    },
    async close() {
      await vite.close();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}
