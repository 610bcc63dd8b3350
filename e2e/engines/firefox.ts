/**
 * Firefox for `npm run test:engines`: Debian's `firefox-esr` driven by puppeteer-core over WebDriver
 * BiDi (no geckodriver, nothing downloaded). `FIREFOX_PATH` overrides the binary.
 *
 * Measured on firefox-esr 153 with puppeteer-core 25: `page.setOfflineMode` works over BiDi
 * (requests fail with NetworkError, `navigator.onLine` turns false, `offline`/`online` fire), file
 * inputs take real disk files (`input.setFiles`), and tabs opened with `browser.newPage()` share one
 * profile (IndexedDB, Web Locks). Each launch gets a fresh temporary profile from puppeteer.
 */
import { access, constants } from 'node:fs/promises';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import {
  evaluationScript, readEnvelope, withTimeout,
  type EngineFactory, type EngineLaunchOptions, type EnginePage, type EngineSession, type PageFunction,
} from './driver.js';

/** The Firefox binary: `FIREFOX_PATH`, else Debian's `firefox-esr`. */
export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

const navigationTimeoutMs = 60_000;
const evaluateTimeoutMs = 120_000;

class FirefoxPage implements EnginePage {
  private readonly page: Page;
  constructor(page: Page) {
    this.page = page;
  }

  evaluate<T>(fn: PageFunction<undefined, T> | string): Promise<T>;
  evaluate<T, A>(fn: PageFunction<A, T>, arg: A): Promise<T>;
  async evaluate<T, A>(fn: PageFunction<A, T> | string, arg?: A): Promise<T> {
    const script = evaluationScript(fn as PageFunction<never, unknown> | string, arg);
    return readEnvelope<T>(await withTimeout(this.page.evaluate(script), evaluateTimeoutMs, 'firefox evaluate'));
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'load', timeout: navigationTimeoutMs });
  }

  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: 'load', timeout: navigationTimeoutMs });
  }

  async setInputFiles(selector: string, path: string): Promise<void> {
    const input = await this.page.$(selector);
    if (!input) throw new Error(`firefox: no element matches ${selector}`);
    try {
      // Cleared first: setting the same path twice must still be a new pick (fresh File, change event).
      await input.evaluate((element) => {
        (element as HTMLInputElement).value = '';
      });
      await withTimeout((input as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(path), 30_000, 'firefox setInputFiles');
    } finally {
      await input.dispose();
    }
  }

  async setOffline(offline: boolean): Promise<void> {
    await withTimeout(this.page.setOfflineMode(offline), 15_000, 'firefox setOfflineMode');
  }

  async close(): Promise<void> {
    await withTimeout(this.page.close(), 10_000, 'firefox page close').catch(() => undefined);
  }
}

class FirefoxSession implements EngineSession {
  readonly name = 'firefox';
  readonly capabilities = { canEmulateOffline: true, multiplePages: true, canBlockStorage: true, blockStorageNote: 'Firefox setting network.cookie.cookieBehavior=2 (block all site data): IndexedDB and Web Locks throw SecurityError' } as const;

  private readonly browser: Browser;
  readonly version: string;
  constructor(browser: Browser, version: string) {
    this.browser = browser;
    this.version = version;
  }

  async open(url: string): Promise<EnginePage> {
    const page = await this.browser.newPage();
    page.setDefaultTimeout(navigationTimeoutMs);
    const wrapped = new FirefoxPage(page);
    await wrapped.goto(url);
    return wrapped;
  }

  async close(): Promise<void> {
    const child = this.browser.process();
    await withTimeout(this.browser.close(), 15_000, 'firefox close').catch(() => {
      child?.kill('SIGKILL');
    });
  }
}

/** The Firefox engine for the runner. */
export const firefox: EngineFactory = {
  name: 'firefox',
  async unavailable() {
    try {
      await access(firefoxPath, constants.X_OK);
      return undefined;
    } catch {
      return `no Firefox at ${firefoxPath} (apt-get install firefox-esr, or set FIREFOX_PATH)`;
    }
  },
  async launch(options: EngineLaunchOptions = {}) {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: firefoxPath,
      headless: true,
      protocol: 'webDriverBiDi',
      timeout: 60_000,
      protocolTimeout: evaluateTimeoutMs + 10_000,
      extraPrefsFirefox: {
        // Only localhost is reachable here: no update checks, telemetry or remote settings traffic.
        'app.update.enabled': false,
        'datareporting.policy.dataSubmissionEnabled': false,
        'toolkit.telemetry.enabled': false,
        // Firefox's own "block all cookies and site data": IndexedDB, Web Locks and localStorage throw SecurityError.
        ...(options.storage === 'blocked' ? { 'network.cookie.cookieBehavior': 2 } : {}),
      },
    });
    try {
      return new FirefoxSession(browser, await browser.version());
    } catch (error) {
      await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
      throw error;
    }
  },
};

export default firefox;
