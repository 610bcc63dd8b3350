/**
 * The engine-agnostic contract the `npm run test:engines` scenarios are written against, so one
 * scenario file runs in Firefox (puppeteer-core over WebDriver BiDi, `./firefox.ts`) and WebKit
 * (WebKitWebDriver through selenium-webdriver, `./webkit.ts`) alike.
 *
 * Contract, precisely:
 * - `EngineSession` is ONE running browser with ONE profile. Every `EnginePage` it opens is a tab of
 *   that profile: same origin ⇒ same IndexedDB, same Web Locks, same storage. (The "two tabs" and
 *   "reload" scenarios rely on this.) `close()` ends the browser and every page; it must not throw
 *   when the browser is already gone, and must settle within ~15 s (kill the process if need be).
 * - `open(url)` opens a NEW tab, navigates it to `url`, and resolves once the `load` event fired.
 *   `goto(url)` / `reload()` do the same in the existing tab. After any of these the page's
 *   module scripts may still be initialising: scenarios wait for their `window` API themselves
 *   (`waitForFunction`).
 * - `evaluate(fn, arg)` runs `fn(arg)` in the page's main world and resolves with its (awaited)
 *   result. `fn` is SERIALISED (`String(fn)`): it must not close over anything from Node; all it
 *   needs comes through `arg`. `arg` and the result must be JSON data (plain objects, arrays,
 *   strings, finite numbers, booleans, null; `undefined` survives only as the whole result or an
 *   omitted property). Drivers implement it with `evaluationScript()` + `readEnvelope()` below, so
 *   both engines serialise identically and a page-side throw/rejection becomes an
 *   `EngineEvaluateError` carrying the page error's name and message (never a driver-specific error).
 *   A string `fn` is an expression (its value is awaited if it is a promise).
 * - `setInputFiles(selector, path)` sets ONE file from the local disk on the `<input type=file>`
 *   matching `selector` and fires `input` and `change` as a real pick would. Picking the same path
 *   again yields a fresh `File` (the page reads the file's current bytes and lastModified).
 * - `setOffline(offline)` exists only when `capabilities.canEmulateOffline` is true: it makes the
 *   browser's network fail (requests error out, `navigator.onLine` false, `offline` event fires)
 *   and back (`online` fires).
 * - Every method is bounded: a driver applies its own timeout (≤ 60 s for navigation and
 *   evaluation unless the scenario awaits something longer in the page; scenarios keep single
 *   evaluations short and poll instead).
 * - Calls on different pages may be serialised by a driver (WebDriver classic has one current
 *   window): scenarios never await a page-side event in one tab that needs a command in another.
 * - Where `canEmulateOffline` is false, the offline scenario runs its documented substitute (the
 *   server drops connections mid-body) and prints `offlineNote` as the reason.
 * - `capabilities` are what the DRIVER can do, measured or documented; what the ENGINE can do
 *   (Web Locks, showOpenFilePicker, …) is feature-detected inside the page by the scenarios.
 */

/** A registered engine: how the runner starts it. */
export type EngineFactory = {
  /** `firefox` | `webkit` (lower case, used by `--engine`). */
  readonly name: string;
  /** Why the engine cannot run on this machine (missing binary …), or undefined when it can. Fast: no browser start. */
  unavailable(): Promise<string | undefined>;
  /** Starts the browser (a fresh, empty profile each time). */
  launch(options?: EngineLaunchOptions): Promise<EngineSession>;
};

/**
 * How to start a browser. `storage: 'blocked'` asks for the browser's own "block all site data"
 * setting (Firefox: `network.cookie.cookieBehavior = 2`, where `indexedDB.open` and
 * `navigator.locks.request` throw SecurityError). A driver that cannot do it says so with
 * `capabilities.canBlockStorage = false` and ignores the option.
 */
export type EngineLaunchOptions = {
  readonly storage?: 'default' | 'blocked';
};

/** What a driver can do for the scenarios. */
export type EngineCapabilities = {
  /** `setOffline` exists and cuts the browser's network (see the contract above). */
  readonly canEmulateOffline: boolean;
  /** Why not, when `canEmulateOffline` is false (printed by the offline scenario). */
  readonly offlineNote?: string;
  /** Several tabs of the same profile can be open at once (`open` more than once). */
  readonly multiplePages: boolean;
  /** `launch({ storage: 'blocked' })` starts a browser whose site storage is blocked by the browser itself. */
  readonly canBlockStorage: boolean;
  /** How `storage: 'blocked'` blocks it in this browser (printed by the storage scenario). */
  readonly blockStorageNote?: string;
};

/** One running browser (one profile). */
export interface EngineSession {
  readonly name: string;
  /** Browser name and version as the driver reports it, e.g. `firefox 153.0`. */
  readonly version: string;
  readonly capabilities: EngineCapabilities;
  /** A new tab of this profile at `url`, after its `load` event. */
  open(url: string): Promise<EnginePage>;
  /** Ends the browser (idempotent, never throws). */
  close(): Promise<void>;
}

/** A page's function: gets `arg`, returns JSON data (or a promise of it). */
export type PageFunction<A, T> = (arg: A) => T | Promise<T>;

/** One tab. */
export interface EnginePage {
  evaluate<T>(fn: PageFunction<undefined, T> | string): Promise<T>;
  evaluate<T, A>(fn: PageFunction<A, T>, arg: A): Promise<T>;
  /** Navigates this tab; resolves after `load`. */
  goto(url: string): Promise<void>;
  /** Reloads this tab; resolves after `load` of the new document. */
  reload(): Promise<void>;
  /** Puts the file at `path` (absolute) into the `<input type=file>` at `selector`; fires input + change. */
  setInputFiles(selector: string, path: string): Promise<void>;
  /** Only when `capabilities.canEmulateOffline`. */
  setOffline?(offline: boolean): Promise<void>;
  /** Closes the tab (never throws). */
  close(): Promise<void>;
}

/** A page-side exception or rejection, as `evaluate` reports it in every engine. */
export class EngineEvaluateError extends Error {
  override readonly name = 'EngineEvaluateError';
  /** `name` of the page's error (e.g. `TypeError`). */
  readonly pageErrorName: string;
  readonly pageMessage: string;
  readonly pageStack: string | undefined;
  constructor(pageErrorName: string, pageMessage: string, pageStack: string | undefined) {
    super(`page threw ${pageErrorName}: ${pageMessage}`);
    this.pageErrorName = pageErrorName;
    this.pageMessage = pageMessage;
    this.pageStack = pageStack;
  }
}

/**
 * The script text a driver evaluates in the page: an expression whose value is a promise of a JSON
 * string envelope `{"ok":true,"value":…}` or `{"ok":false,"error":{name,message,stack}}`.
 * Serialising in the page (not in the driver) makes both engines transport results identically.
 * `__name` is defined because tsx/esbuild's keepNames wraps inner functions in `__name(...)` calls
 * that would otherwise be undefined in the page.
 */
export function evaluationScript(fn: PageFunction<never, unknown> | string, arg?: unknown): string {
  const call = typeof fn === 'string' ? `(${fn})` : `(${String(fn)})(${arg === undefined ? 'undefined' : JSON.stringify(arg)})`;
  return `(async () => {
  const __name = (target) => target;
  try {
    const value = await ${call};
    return JSON.stringify({ ok: true, value: value === undefined ? null : value, undef: value === undefined });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return JSON.stringify({ ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
  }
})()`;
}

/** Parses what `evaluationScript` resolved with; throws `EngineEvaluateError` for a page-side failure. */
export function readEnvelope<T>(raw: unknown): T {
  if (typeof raw !== 'string') throw new Error(`evaluate: the driver returned ${typeof raw}, expected the JSON envelope string`);
  const envelope = JSON.parse(raw) as
    | { ok: true; value: T; undef: boolean }
    | { ok: false; error: { name: string; message: string; stack?: string } };
  if (envelope.ok) return (envelope.undef ? undefined : envelope.value) as T;
  throw new EngineEvaluateError(envelope.error.name, envelope.error.message, envelope.error.stack);
}

/** Polls `fn(arg)` in the page until it returns a truthy value (returned), or throws after `timeoutMs`. */
export async function waitForFunction<T, A>(
  page: EnginePage, fn: PageFunction<A, T>, arg: A, options: { timeoutMs: number; intervalMs?: number; what?: string },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await page.evaluate(fn, arg);
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      // a navigation in progress destroys the context; keep polling until the deadline
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what ?? 'a page condition'} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** Rejects after `ms` with a message naming `what`: bounds any driver call. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
