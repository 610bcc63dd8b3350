/**
 * Chromium and the benchmark page: the vite server for `e2e/bench/page/` (the SDK straight from its
 * TypeScript sources, the ali-oss bundle at `/vendor/`), Chromium launched as the e2e tests launch
 * it, and one fresh browser context per measurement, driven over plain CDP (see launchChromium),
 * with its renderer process identified so its memory and CPU can be read from /proc.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type CDPSession } from 'playwright-core';
import { createServer, type Plugin } from 'vite';
import { repoRoot } from '../support/pages.js';
import { cpuOf } from './proc.js';

const pageRoot = join(dirname(fileURLToPath(import.meta.url)), 'page');
const aliBundle = join(repoRoot, 'node_modules', 'ali-oss', 'dist', 'aliyun-oss-sdk.min.js');

/** The Chromium flags of playwright.config.ts. */
export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Serves the ali-oss browser bundle at `/vendor/aliyun-oss-sdk.min.js`. */
function vendorPlugin(): Plugin {
  return {
    name: 'bench-vendor',
    configureServer(server) {
      server.middlewares.use('/vendor/aliyun-oss-sdk.min.js', (_request, response) => {
        response.setHeader('Content-Type', 'text/javascript');
        createReadStream(aliBundle).pipe(response);
      });
    },
  };
}

/**
 * Starts vite on 127.0.0.1 (same settings as e2e/support/pages.ts: no HMR, no watcher, private cache).
 * `srcDir` (profiling experiments only) serves the SDK from another copy of `src/`.
 */
export async function startBenchPages(srcDir?: string) {
  const cacheDir = await mkdtemp(join(tmpdir(), 'oss-resumable-bench-vite-'));
  const vite = await createServer({
    configFile: false, root: pageRoot, cacheDir, logLevel: 'warn', clearScreen: false, appType: 'mpa', plugins: [vendorPlugin()],
    ...(srcDir ? { resolve: { alias: [{ find: /^(\.\.\/)+src\//, replacement: `${srcDir}/` }] } } : {}),
    server: { host: '127.0.0.1', port: 0, strictPort: true, hmr: false, watch: null, fs: { strict: true, allow: [repoRoot, ...(srcDir ? [srcDir] : [])] } },
  });
  await vite.listen();
  const address = vite.httpServer?.address() as AddressInfo | null;
  if (!address) throw new Error('vite did not report its address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    pageUrl: (mode: string) => `${url}/?mode=${mode}`,
    async close() {
      await vite.close();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** One opened bench page in a browser context of its own. */
export type BenchPage = {
  /** Calls `window.bench[name](arg)` in the page and resolves with its (JSON) result. */
  call<T>(name: string, arg?: unknown): Promise<T>;
  /** A CDP command to the page (e.g. Profiler.*). */
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** The renderer process hosting the page (its dedicated workers run in it too). */
  readonly rendererPid: number;
  /** Pids of the browser, network-service and GPU processes (for CPU accounting). */
  readonly otherPids: Readonly<Record<string, number>>;
  /** `JSHeapUsedSize` of the page's main thread (CDP Performance.getMetrics). */
  jsHeapUsed(): Promise<number>;
  close(): Promise<void>;
};

type ProcessInfo = { type: string; id: number; cpuTime: number };
type CdpReply = { id: number; result?: Record<string, unknown>; error?: { message: string } };

/**
 * Chromium launched by Playwright, but each bench page is driven over a plain CDP session of its
 * own, outside Playwright's page instrumentation: Playwright enables the Network domain on every
 * page it manages, and Chromium then ships every ArrayBuffer/Buffer request body over the protocol
 * to Playwright (measured: 8 MiB/s instead of 224 MiB/s for 8 MiB ArrayBuffer PUTs, with ~40 CPU-s
 * per GiB in the browser and in Node). That would slow ali-oss (it uploads Buffers) for a reason no
 * user has; Blob bodies (raw fetch, oss-resumable) are not affected. A page lives in a browser
 * context Playwright does not know, so Playwright detaches from it at once, and the bench talks to
 * it through `Target.sendMessageToTarget` on the browser session.
 */
export async function launchChromium() {
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  const browserCdp: CDPSession = await browser.newBrowserCDPSession();
  const processes = async (): Promise<ProcessInfo[]> =>
    ((await browserCdp.send('SystemInfo.getProcessInfo' as never)) as unknown as { processInfo: ProcessInfo[] }).processInfo;
  const sessions = new Map<string, (message: { id?: number; method?: string; params?: Record<string, unknown> }) => void>();
  browserCdp.on('Target.receivedMessageFromTarget' as never, ((event: { sessionId: string; message: string }) => {
    sessions.get(event.sessionId)?.(JSON.parse(event.message) as { id?: number });
  }) as never);
  const usedRenderers = new Set<number>();

  /** The bench page's `send`/`evaluate`/`close` over a Playwright-managed page (`--playwright-pages`). */
  async function openManaged(url: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
    await page.goto(url);
    const cdp = await context.newCDPSession(page);
    return {
      send: <T = unknown>(method: string, params: Record<string, unknown> = {}) => cdp.send(method as never, params as never) as Promise<T>,
      evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
      close: () => context.close(),
    };
  }

  /** The bench page's `send`/`evaluate`/`close` over a plain CDP session, unknown to Playwright. */
  async function openUnmanaged(url: string) {
    const { browserContextId } = (await browserCdp.send('Target.createBrowserContext', { disposeOnDetach: false })) as { browserContextId: string };
    const { targetId } = (await browserCdp.send('Target.createTarget', { url: 'about:blank', browserContextId })) as { targetId: string };
    const { sessionId } = (await browserCdp.send('Target.attachToTarget', { targetId, flatten: false })) as { sessionId: string };
    let nextId = 0;
    const waiting = new Map<number, (reply: CdpReply) => void>();
    sessions.set(sessionId, (message) => {
      if (message.id !== undefined) {
        waiting.get(message.id)?.(message as CdpReply);
        waiting.delete(message.id);
      } else if (message.method === 'Runtime.exceptionThrown') {
        const details = message.params?.['exceptionDetails'] as { exception?: { description?: string }; text?: string } | undefined;
        console.error(`[page] ${details?.exception?.description ?? details?.text ?? 'exception'}`);
      } else if (message.method === 'Runtime.consoleAPICalled') {
        const { type, args } = message.params as { type: string; args: Array<{ value?: unknown; description?: string }> };
        const text = args.map((a) => String(a.value ?? a.description ?? '')).join(' ');
        // ali-oss warns about static keys on every client; the bench uses the local server's root keys on purpose.
        if ((type === 'error' || type === 'warning') && !text.startsWith('Please use STS Token')) console.error(`[page ${type}] ${text}`);
      }
    });
    const send = async <T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> => {
      const id = ++nextId;
      const reply = new Promise<CdpReply>((resolve) => waiting.set(id, resolve));
      await browserCdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
      const { result, error } = await reply;
      if (error) throw new Error(`${method}: ${error.message}`);
      return result as T;
    };
    const evaluate = async <T>(expression: string): Promise<T> => {
      const { result, exceptionDetails } = await send<{ result: { value?: T }; exceptionDetails?: { exception?: { description?: string }; text: string } }>(
        'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true },
      );
      if (exceptionDetails) throw new Error(`In the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
      return result.value as T;
    };
    const close = async () => {
      sessions.delete(sessionId);
      await browserCdp.send('Target.disposeBrowserContext', { browserContextId }).catch(() => undefined);
    };
    await send('Runtime.enable');
    await send('Page.enable');
    await send('Page.navigate', { url });
    return { send, evaluate, close };
  }

  /**
   * Opens `url` in a fresh context, picks `filePath` in `#file`, and waits for `window.bench`.
   * `managed`: a normal Playwright page instead (to show what its instrumentation costs).
   */
  async function open(url: string, filePath: string | undefined, managed = false): Promise<BenchPage> {
    const { send, evaluate, close } = managed ? await openManaged(url) : await openUnmanaged(url);
    try {
      const deadline = Date.now() + 60_000;
      while (!(await evaluate<boolean>('window.bench !== undefined').catch(() => false))) {
        if (Date.now() > deadline) throw new Error(`The bench page did not get ready: ${url}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (filePath) {
        const { root } = await send<{ root: { nodeId: number } }>('DOM.getDocument', { depth: 0 });
        const { nodeId } = await send<{ nodeId: number }>('DOM.querySelector', { nodeId: root.nodeId, selector: '#file' });
        await send('DOM.setFileInputFiles', { nodeId, files: [filePath] });
      }
      await send('Performance.enable');
      // Several renderers exist (spare ones, closed contexts' still exiting): the page's is the one
      // whose CPU time grows while the page busy-loops its main thread.
      let rendererPid: number | undefined;
      let seen = '';
      for (let attempt = 0; attempt < 5 && rendererPid === undefined; attempt++) {
        const renderers = (await processes()).filter((p) => p.type === 'renderer' && !usedRenderers.has(p.id)).map((p) => p.id);
        const before = new Map(renderers.map((pid) => [pid, cpuOf(pid).total]));
        await evaluate('window.bench.spin(400)');
        const grown = renderers.map((pid) => ({ pid, grew: cpuOf(pid).total - before.get(pid)! })).sort((a, b) => b.grew - a.grew);
        seen = JSON.stringify(grown);
        if (grown[0] && grown[0].grew >= 0.1 && grown[0].grew >= 2 * (grown[1]?.grew ?? 0)) rendererPid = grown[0].pid;
      }
      if (rendererPid === undefined) throw new Error(`Could not tell which renderer hosts the page: ${seen}`);
      usedRenderers.add(rendererPid);
      const otherPids: Record<string, number> = {};
      for (const p of await processes()) {
        if (p.type === 'browser') otherPids['browser'] = p.id;
        else if (p.type.includes('NetworkService')) otherPids['network'] = p.id;
        else if (p.type === 'GPU') otherPids['gpu'] = p.id;
        else if (p.type.includes('StorageService')) otherPids['storage'] = p.id;
      }
      return {
        rendererPid, otherPids, send, close,
        call: <T>(name: string, arg?: unknown) => evaluate<T>(`window.bench.${name}(${arg === undefined ? '' : JSON.stringify(arg)})`),
        async jsHeapUsed() {
          const { metrics } = await send<{ metrics: Array<{ name: string; value: number }> }>('Performance.getMetrics');
          return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
        },
      };
    } catch (error) {
      await close();
      throw error;
    }
  }

  return {
    browser,
    version: browser.version(),
    open,
    close: () => browser.close(),
  };
}
