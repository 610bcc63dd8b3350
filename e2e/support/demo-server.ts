/**
 * The demo page (demo/) under e2e, served exactly as `npm start` serves it: vite with the repo's
 * vite.config.ts — so the real STS backend route mints the page's credentials — against a local
 * OSS server whose CORS allows only the page's origin, with fault injection on.
 *
 * The backend reads `OSS_LOCAL_PORT` when vite loads its config, and the OSS server needs the
 * page's origin for CORS before that: so a free port is reserved for vite first, the OSS server
 * starts with that origin, and the variable is set only while vite loads the config.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'vite';
import type { FaultRule } from '../../server/src/faults.js';
import { startOss, type E2eOss } from './oss.js';
import { repoRoot } from './pages.js';

/** The running demo: its OSS server, its page URL, and the fault-injection control. */
export type DemoServer = {
  readonly oss: E2eOss;
  /** `http://127.0.0.1:PORT/`, the demo page. */
  readonly url: string;
  /** Adds fault rules (`POST /_local/faults`). */
  addFaults(rules: readonly FaultRule[]): Promise<void>;
  /** Removes every fault rule. */
  clearFaults(): Promise<void>;
  close(): Promise<void>;
};

/** A port nobody listens on right now (vite then binds it with `strictPort`). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Starts the OSS server and the demo's vite dev server (HMR and file watching off). */
export async function startDemoServer(): Promise<DemoServer> {
  const port = await freePort();
  const oss = await startOss({ faults: true, corsOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`] });
  const cacheDir = await mkdtemp(join(tmpdir(), 'oss-resumable-e2e-demo-vite-'));
  const previous = process.env['OSS_LOCAL_PORT'];
  process.env['OSS_LOCAL_PORT'] = String(oss.server.port);
  let vite: Awaited<ReturnType<typeof createServer>>;
  try {
    vite = await createServer({
      configFile: join(repoRoot, 'vite.config.ts'),
      root: join(repoRoot, 'demo'),
      cacheDir,
      logLevel: 'warn',
      clearScreen: false,
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
    });
  } finally {
    if (previous === undefined) delete process.env['OSS_LOCAL_PORT'];
    else process.env['OSS_LOCAL_PORT'] = previous;
  }
  const control = (method: string, body?: unknown) =>
    fetch(`${oss.server.url}/_local/faults`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then((response) => {
      if (!response.ok) throw new Error(`${method} /_local/faults answered ${response.status}`);
    });
  try {
    await vite.listen();
  } catch (error) {
    await Promise.allSettled([vite.close(), oss.dispose(), rm(cacheDir, { recursive: true, force: true })]);
    throw error;
  }
  return {
    oss,
    url: `http://127.0.0.1:${port}/`,
    addFaults: (rules) => control('POST', { rules }),
    clearFaults: () => control('DELETE'),
    async close() {
      await Promise.allSettled([vite.close(), oss.dispose()]);
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}
