/**
 * WebKit for `npm run test:engines`: WebKitGTK's MiniBrowser driven by Debian's `WebKitWebDriver`
 * (package webkit2gtk-driver) through selenium-webdriver, on a private Xvfb display. Nothing is
 * downloaded. `WEBKIT_DRIVER_PATH` overrides the driver, `WEBKIT_BROWSER_PATH` the MiniBrowser
 * binary, `XVFB_PATH` the X server; `WEBKIT_DISPLAY` (e.g. `:0`) uses that display instead of Xvfb
 * (to watch a run).
 *
 * Measured on WebKitGTK 2.50.6 (Debian 12 backport), MiniBrowser `--automation`:
 * - The automation session is ephemeral (like a private window): IndexedDB works but lives in memory
 *   and dies with the browser; it stores plain records, while storing a Blob fails (not something
 *   the SDK does). Every launch is therefore a fresh, empty profile, shared by all its windows.
 * - `navigator.locks` (Web Locks) and module/classic Workers are present; `navigator.storage`
 *   (StorageAPI feature) and `FileSystemFileHandle` / `showOpenFilePicker` (FileSystem feature) are
 *   not; XHR upload progress events fire.
 * - There is no offline emulation: WebKitWebDriver implements no network-conditions command, and
 *   MiniBrowser has no switch for it (only a fixed `--proxy` at start).
 * - `switchTo().newWindow('tab')` opens a background tab that stays `visibilityState: 'hidden'`
 *   even after switching to it, and its timers run at ~3 Hz instead of 100 Hz, which would starve an
 *   upload in the second "tab". Pages are therefore separate WINDOWS of the same session (same
 *   profile: same IndexedDB and Web Locks), each visible, as two Safari windows would be.
 * - `--cookies-policy=never` does not block IndexedDB or Web Locks, so there is no "block all site
 *   data" switch to map `storage: 'blocked'` to. The closest real browser setting is WebKit's
 *   runtime feature flags (`--features=-IndexedDBAPI,-WebLocksAPI`, the same flags Safari exposes in
 *   Develop › Feature Flags): `indexedDB` and `navigator.locks` are then absent rather than
 *   throwing, which `launch({ storage: 'blocked' })` uses.
 *
 * WebDriver has ONE current window per session, so every command switches to its page's window
 * first; commands of all pages are serialised through one queue (a long `evaluate` in one window
 * delays the others, which is why scenarios keep evaluations short and poll).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Builder, By, type WebDriver } from 'selenium-webdriver';
import {
  evaluationScript, readEnvelope, withTimeout,
  type EngineCapabilities, type EngineFactory, type EngineLaunchOptions, type EnginePage, type EngineSession, type PageFunction,
} from './driver.js';

/** The WebDriver server: `WEBKIT_DRIVER_PATH`, else Debian's webkit2gtk-driver. */
export const webkitDriverPath = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
/** The browser the driver starts: `WEBKIT_BROWSER_PATH`, else Debian's MiniBrowser of webkit2gtk-4.1. */
export const webkitBrowserPath = process.env.WEBKIT_BROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
/** The X server the browser draws into: `XVFB_PATH`, else Debian's xvfb. */
export const xvfbPath = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

const navigationTimeoutMs = 60_000;
const evaluateTimeoutMs = 120_000;
const commandTimeoutMs = 30_000;

/** A child process started in its own process group, so everything it spawns dies with it. */
type Group = {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The last lines it wrote to stderr, for a failure message. */
  stderr(): string;
};

function startGroup(command: string, args: readonly string[], env: NodeJS.ProcessEnv, extraFds = 0): Group {
  const child = spawn(command, args, {
    env,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', ...Array.from({ length: extraFds }, () => 'pipe' as const)],
  });
  // Bounded, so a chatty process cannot grow memory.
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  let failure = '';
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
    child.once('error', (error) => {
      failure = `${error.message}; `;
      resolve();
    });
  });
  return { child, exited, stderr: () => failure + stderr.trim().split('\n').slice(-5).join(' | ') };
}

/** SIGTERM to the whole group, SIGKILL if it is still there after `graceMs`. Never throws. */
async function stopGroup(group: Group | undefined, graceMs = 3000): Promise<void> {
  if (!group || group.child.pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-group.child.pid!, name);
    } catch {
      // the group is already gone
    }
  };
  signal('SIGTERM');
  const timedOut = await Promise.race([group.exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref())]);
  // Also after a clean exit of the leader: a browser helper process of the group may linger.
  signal('SIGKILL');
  if (timedOut) await Promise.race([group.exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
}

/**
 * Groups still running, killed synchronously if Node ends without `close()`: an uncaught error, the
 * runner's hard timeout (`process.exit`), or Ctrl-C / a CI job's SIGTERM. Xvfb and the driver run in
 * groups of their own, so nothing else would take them down.
 */
const running = new Set<Group>();
let exitHookInstalled = false;
function killRunning(): void {
  for (const { child } of running) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
}
function track(group: Group): void {
  running.add(group);
  void group.exited.then(() => running.delete(group));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', killRunning);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killRunning();
      // When nobody else handles the signal, end as it would have ended Node without this listener.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Starts Xvfb on a display number it picks itself (`-displayfd`), so parallel runs never collide. */
async function startXvfb(): Promise<{ group: Group; display: string }> {
  const group = startGroup(xvfbPath, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], process.env, 1);
  track(group);
  const fd3 = group.child.stdio[3] as NodeJS.ReadableStream;
  const number = new Promise<string>((resolve, reject) => {
    let text = '';
    fd3.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    void group.exited.then(() => reject(new Error(`Xvfb exited before reporting its display: ${group.stderr()}`)));
  });
  try {
    return { group, display: `:${await withTimeout(number, 15_000, 'Xvfb start')}` };
  } catch (error) {
    await stopGroup(group);
    throw error;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts WebKitWebDriver on a free port and waits until `/status` answers. */
async function startDriver(display: string): Promise<{ group: Group; url: string }> {
  let lastError: unknown;
  // The port is free when picked but could be taken before the driver binds it: retry a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const group = startGroup(webkitDriverPath, [`--port=${port}`, '--host=local'], { ...process.env, DISPLAY: display });
    track(group);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    let exited = false;
    void group.exited.then(() => {
      exited = true;
    });
    while (!exited && Date.now() < deadline) {
      try {
        const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return { group, url };
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    lastError = new Error(exited ? `WebKitWebDriver exited: ${group.stderr()}` : 'WebKitWebDriver did not answer /status within 15 s');
    await stopGroup(group);
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** One window of the session. */
class WebKitPage implements EnginePage {
  closed = false;
  private readonly session: WebKitSession;
  readonly handle: string;
  constructor(session: WebKitSession, handle: string) {
    this.session = session;
    this.handle = handle;
  }

  evaluate<T>(fn: PageFunction<undefined, T> | string): Promise<T>;
  evaluate<T, A>(fn: PageFunction<A, T>, arg: A): Promise<T>;
  async evaluate<T, A>(fn: PageFunction<A, T> | string, arg?: A): Promise<T> {
    const expression = evaluationScript(fn as PageFunction<never, unknown> | string, arg);
    // A rejection that escapes the envelope (it cannot, short of a broken script) still ends the call
    // with a readable envelope instead of a script timeout.
    const script = `const done = arguments[arguments.length - 1];
(${expression}).then(done, (e) => done(JSON.stringify({ ok: false, error: { name: 'DriverError', message: String(e) } })));`;
    const raw = await this.session.inWindow(this, 'evaluate', evaluateTimeoutMs + 5000, (driver) => driver.executeAsyncScript(script));
    return readEnvelope<T>(raw);
  }

  async goto(url: string): Promise<void> {
    await this.session.inWindow(this, 'goto', navigationTimeoutMs + 5000, (driver) => driver.get(url));
  }

  async reload(): Promise<void> {
    await this.session.inWindow(this, 'reload', navigationTimeoutMs + 5000, (driver) => driver.navigate().refresh());
  }

  async setInputFiles(selector: string, path: string): Promise<void> {
    await this.session.inWindow(this, 'setInputFiles', commandTimeoutMs, async (driver) => {
      const input = await driver.findElement(By.css(selector));
      // Cleared first: WebKit fires no `change` when the same path is picked twice, and the contract
      // wants every pick to be a fresh File with the file's current bytes.
      await driver.executeScript('arguments[0].value = "";', input);
      // With no file detector set, selenium sends the path as text: WebKitWebDriver reads the local file.
      await input.sendKeys(path);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.session.closeWindow(this).catch(() => undefined);
  }
}

class WebKitSession implements EngineSession {
  readonly name = 'webkit';
  readonly capabilities: EngineCapabilities = {
    canEmulateOffline: false,
    offlineNote: 'WebKitWebDriver has no network emulation command and MiniBrowser no offline switch (WebKitGTK 2.50)',
    multiplePages: true,
    canBlockStorage: true,
    blockStorageNote: 'MiniBrowser started with --features=-IndexedDBAPI,-WebLocksAPI (WebKitGTK has no "block site data" setting): both APIs absent',
  };

  private queue: Promise<unknown> = Promise.resolve();
  private current: string;
  /** The session's first window, until a page takes it (the first `open` reuses it instead of adding one). */
  private spare: string | undefined;
  private readonly pages = new Set<WebKitPage>();
  private ended = false;
  private readonly driver: WebDriver;
  readonly version: string;
  private readonly processes: { driver: Group; xvfb: Group | undefined };

  constructor(driver: WebDriver, version: string, firstWindow: string, processes: { driver: Group; xvfb: Group | undefined }) {
    this.driver = driver;
    this.version = version;
    this.processes = processes;
    this.current = firstWindow;
    this.spare = firstWindow;
  }

  /** Runs `command` alone, with `page`'s window current, bounded by `timeoutMs`. */
  inWindow<T>(page: WebKitPage, what: string, timeoutMs: number, command: (driver: WebDriver) => Promise<T>): Promise<T> {
    return this.serial(`webkit ${what}`, timeoutMs, async () => {
      if (page.closed) throw new Error(`webkit ${what}: the page is closed`);
      await this.focus(page.handle);
      return command(this.driver);
    });
  }

  private serial<T>(what: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.ended) throw new Error(`${what}: the browser is closed`);
      return withTimeout(task(), timeoutMs, what);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async focus(handle: string): Promise<void> {
    if (this.current === handle) return;
    await this.driver.switchTo().window(handle);
    this.current = handle;
  }

  async open(url: string): Promise<EnginePage> {
    const page = await this.serial('webkit open', commandTimeoutMs, async () => {
      let handle = this.spare;
      if (handle === undefined) {
        // A window, not a tab: background tabs of MiniBrowser stay hidden and throttled (see the top).
        await this.driver.switchTo().newWindow('window');
        handle = await this.driver.getWindowHandle();
      } else {
        this.spare = undefined;
        await this.focus(handle);
      }
      this.current = handle;
      const created = new WebKitPage(this, handle);
      this.pages.add(created);
      return created;
    });
    await page.goto(url);
    return page;
  }

  async closeWindow(page: WebKitPage): Promise<void> {
    await this.serial('webkit page close', commandTimeoutMs, async () => {
      if (page.closed) return;
      page.closed = true;
      this.pages.delete(page);
      await this.focus(page.handle);
      if (this.pages.size === 0 && this.spare === undefined) {
        // Closing the last window would end the WebDriver session: unload the page instead (its
        // locks and connections go as with a closed window) and keep the window for the next `open`.
        await this.driver.get('about:blank');
        this.spare = page.handle;
        return;
      }
      await this.driver.close();
      const [next] = await this.driver.getAllWindowHandles();
      if (next !== undefined) {
        await this.driver.switchTo().window(next);
        this.current = next;
      }
    });
  }

  async close(): Promise<void> {
    if (this.ended) return;
    // Waits for a command in flight at most its own timeout; quitting lets the driver end MiniBrowser cleanly.
    await withTimeout(this.queue, 5000, 'webkit queue').catch(() => undefined);
    this.ended = true;
    await withTimeout(this.driver.quit(), 10_000, 'webkit quit').catch(() => undefined);
    await stopGroup(this.processes.driver);
    await stopGroup(this.processes.xvfb);
  }
}

/** The WebKit engine for the runner. */
export const webkit: EngineFactory = {
  name: 'webkit',
  async unavailable() {
    const needed: Array<[string, string]> = [
      [webkitDriverPath, 'apt-get install webkit2gtk-driver, or set WEBKIT_DRIVER_PATH'],
      [webkitBrowserPath, 'apt-get install webkit2gtk-driver (it brings MiniBrowser), or set WEBKIT_BROWSER_PATH'],
    ];
    if (!process.env.WEBKIT_DISPLAY) needed.push([xvfbPath, 'apt-get install xvfb, or set XVFB_PATH (or WEBKIT_DISPLAY to use a running X display)']);
    for (const [path, fix] of needed) {
      try {
        await access(path, constants.X_OK);
      } catch {
        return `no ${path} (${fix})`;
      }
    }
    return undefined;
  },
  async launch(options: EngineLaunchOptions = {}) {
    let xvfb: Group | undefined;
    let driverGroup: Group | undefined;
    let driver: WebDriver | undefined;
    try {
      let display = process.env.WEBKIT_DISPLAY;
      if (!display) ({ group: xvfb, display } = await startXvfb());
      const started = await startDriver(display);
      driverGroup = started.group;
      const args = ['--automation'];
      // See the top: WebKit's feature flags are its only per-browser switch that takes IndexedDB and Web Locks away.
      if (options.storage === 'blocked') args.push('--features=-IndexedDBAPI,-WebLocksAPI');
      const building = new Builder()
        .usingServer(started.url)
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: webkitBrowserPath, args },
        })
        .build();
      // Normally 0.5–3 s; a browser that never connects back to the driver (wrong binary) ends here.
      driver = await withTimeout(Promise.resolve(building), 30_000, 'webkit new session (is WEBKIT_BROWSER_PATH a WebKitGTK MiniBrowser?)');
      const session = driver;
      await withTimeout(session.manage().setTimeouts({ script: evaluateTimeoutMs, pageLoad: navigationTimeoutMs }), commandTimeoutMs, 'webkit timeouts');
      const capabilities = await withTimeout(session.getCapabilities(), commandTimeoutMs, 'webkit capabilities');
      const firstWindow = await withTimeout(session.getWindowHandle(), commandTimeoutMs, 'webkit window');
      const version = `${String(capabilities.get('browserName'))} ${String(capabilities.get('browserVersion'))} (WebKitGTK)`;
      return new WebKitSession(session, version, firstWindow, { driver: driverGroup, xvfb });
    } catch (error) {
      if (driver) await withTimeout(driver.quit(), 10_000, 'webkit quit').catch(() => undefined);
      await stopGroup(driverGroup);
      await stopGroup(xvfb);
      throw error;
    }
  },
};

export default webkit;
