/**
 * A probe, installed in the page before any of its scripts run, that records where the bytes of a
 * picked file are read: on the page's main thread (any JavaScript-visible read) or in a Worker (the
 * jobs posted to it and the digests it answers with). It lets a spec prove that hashing ran in
 * workers — and, run against an SDK forced into its inline fallback, that it would notice if not.
 *
 * "File bytes" means any `File` (the page only ever holds the picked one) and anything derived from
 * it: `slice()`s (with their byte range, however deeply sliced), `new Blob([...])` around them, and
 * `Request` / `Response` bodies made of them (plus their clones and body streams). Every main-thread
 * way for script to get at those bytes is counted as a read:
 * - `Blob#arrayBuffer/text/bytes/stream`,
 * - `FileReader#readAsArrayBuffer/readAsBinaryString/readAsText/readAsDataURL`,
 * - `Request#/Response#arrayBuffer/blob/bytes/text/json/formData`,
 * - `ReadableStream#getReader/pipeTo/pipeThrough/tee/values/[Symbol.asyncIterator]` of such a body,
 * - `URL.createObjectURL` (a `blob:` URL is a way to fetch the bytes back).
 * Sending a body with `fetch()` reads it in the browser's network code, not in script: not a read.
 */
import type { Page } from '@playwright/test';

/** A byte range of the picked file; `start = end = -1` for a Blob merely built from file bytes. */
export type ProbeRange = { readonly start: number; readonly end: number };

/** One main-thread read of file bytes. */
export type ProbeRead = ProbeRange & { readonly api: string; readonly at: number };

/** One message posted to a worker. `blob` describes the first Blob in it, if any. */
export type ProbeJob = {
  readonly worker: number;
  /** The message's `id` field, if it has one (the SDK's hash protocol pairs requests and replies by it). */
  readonly id: unknown;
  readonly kind: string | undefined;
  readonly blob: (ProbeRange & { readonly size: number; readonly fromPickedFile: boolean }) | undefined;
  readonly at: number;
};

/** One message a worker posted back. */
export type ProbeReply = {
  readonly worker: number;
  readonly id: unknown;
  readonly md5Base64: string | undefined;
  readonly md5Hex: string | undefined;
  readonly error: string | undefined;
  readonly at: number;
};

/** What the probe saw, as plain data. Times are `performance.now()` milliseconds. */
export type ProbeReport = {
  readonly hardwareConcurrency: number;
  /** Whether the page had a `Worker` constructor to wrap at all. */
  readonly workerApi: boolean;
  readonly workers: ReadonlyArray<{ readonly url: string; readonly name: string | undefined; readonly at: number }>;
  readonly mainThreadReads: readonly ProbeRead[];
  readonly jobs: readonly ProbeJob[];
  readonly replies: readonly ProbeReply[];
};

declare global {
  interface Window {
    __mainThreadProbe?: { report(): ProbeReport };
  }
}

/**
 * The init script. Self-contained (Playwright sends its source text to the page), idempotent, and
 * careful to keep every wrapped API's behaviour and shape (`instanceof`, `new.target`, descriptors).
 */
export function probeScript(): void {
  if (window.__mainThreadProbe) return;
  type Range = { start: number; end: number };
  type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer U> ? U[] : T[K] };
  const report: Mutable<ProbeReport> = {
    hardwareConcurrency: navigator.hardwareConcurrency,
    workerApi: typeof Worker === 'function',
    workers: [],
    mainThreadReads: [],
    jobs: [],
    replies: [],
  };
  const now = () => performance.now();
  const OriginalBlob = Blob;
  const OriginalFile = File;
  /** Blobs, Requests, Responses and ReadableStreams that carry file bytes, with their range. */
  const carriers = new WeakMap<object, Range>();
  const derived: Range = { start: -1, end: -1 };

  const rangeOf = (value: unknown): Range | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    const known = carriers.get(value);
    if (known) return known;
    if (value instanceof OriginalFile) {
      const whole = { start: 0, end: value.size };
      carriers.set(value, whole);
      return whole;
    }
    return undefined;
  };
  const countRead = (api: string, carrier: unknown): void => {
    const range = rangeOf(carrier);
    if (range) report.mainThreadReads.push({ api, start: range.start, end: range.end, at: now() });
  };
  /** Replaces a method (keeping its descriptor); `wrap` gets the original. */
  const patch = (target: object, name: PropertyKey, wrap: (original: (...args: unknown[]) => unknown) => (this: unknown, ...args: unknown[]) => unknown): void => {
    const descriptor = Object.getOwnPropertyDescriptor(target, name);
    if (typeof descriptor?.value !== 'function') return;
    Object.defineProperty(target, name, { ...descriptor, value: wrap(descriptor.value as (...args: unknown[]) => unknown) });
  };
  /** Replaces a global constructor by a Proxy that sees every instance; `instanceof` keeps working. */
  const proxyConstructor = (name: string, onCreate: (instance: object, args: unknown[]) => void): void => {
    const globals = window as unknown as Record<string, unknown>;
    const original = globals[name];
    if (typeof original !== 'function') return;
    globals[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        const instance = Reflect.construct(target, args, newTarget) as object;
        onCreate(instance, args);
        return instance;
      },
    });
  };

  // Blobs: slices inherit (a sub-range of) their parent's range; composites are "derived".
  patch(OriginalBlob.prototype, 'slice', (slice) => function (this: unknown, ...args: unknown[]) {
    const child = slice.apply(this, args) as Blob;
    const parent = rangeOf(this);
    if (parent && this instanceof OriginalBlob) {
      if (parent.start < 0) {
        carriers.set(child, derived);
      } else {
        const size = this.size;
        const clamp = (value: unknown, fallback: number): number => {
          if (value === undefined) return fallback;
          const n = Math.trunc(Number(value)) || 0;
          return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
        };
        const start = clamp(args[0], 0);
        const end = Math.max(clamp(args[1], size), start);
        carriers.set(child, { start: parent.start + start, end: parent.start + end });
      }
    }
    return child;
  });
  proxyConstructor('Blob', (blob, [parts]) => {
    if (Array.isArray(parts) && parts.some((part) => rangeOf(part))) {
      const only = parts.length === 1 ? rangeOf(parts[0]) : undefined;
      carriers.set(blob, only ?? derived);
    }
  });
  for (const name of ['arrayBuffer', 'text', 'bytes', 'stream']) {
    patch(OriginalBlob.prototype, name, (read) => function (this: unknown, ...args: unknown[]) {
      countRead(`Blob#${name}`, this);
      return read.apply(this, args);
    });
  }
  for (const name of ['readAsArrayBuffer', 'readAsBinaryString', 'readAsText', 'readAsDataURL']) {
    patch(FileReader.prototype, name, (read) => function (this: unknown, ...args: unknown[]) {
      countRead(`FileReader#${name}`, args[0]);
      return read.apply(this, args);
    });
  }
  patch(URL, 'createObjectURL', (create) => function (this: unknown, ...args: unknown[]) {
    countRead('URL.createObjectURL', args[0]);
    return create.apply(this, args);
  });

  // Request / Response bodies made of file bytes, their clones and their body streams.
  proxyConstructor('Request', (request, [input, init]) => {
    const body = (init as { body?: unknown } | undefined)?.body;
    const range = body === undefined || body === null ? rangeOf(input) : rangeOf(body);
    if (range) carriers.set(request, range);
  });
  proxyConstructor('Response', (response, [body]) => {
    const range = rangeOf(body);
    if (range) carriers.set(response, range);
  });
  for (const type of [Request, Response]) {
    const proto = type.prototype as object;
    for (const name of ['arrayBuffer', 'blob', 'bytes', 'text', 'json', 'formData']) {
      patch(proto, name, (read) => function (this: unknown, ...args: unknown[]) {
        countRead(`${type.name}#${name}`, this);
        return read.apply(this, args);
      });
    }
    patch(proto, 'clone', (clone) => function (this: unknown, ...args: unknown[]) {
      const copy = clone.apply(this, args) as object;
      const range = rangeOf(this);
      if (range) carriers.set(copy, range);
      return copy;
    });
    const body = Object.getOwnPropertyDescriptor(proto, 'body');
    const getBody = body?.get;
    if (body && getBody) {
      Object.defineProperty(proto, 'body', {
        ...body,
        get(this: object) {
          const stream = getBody.call(this) as object | null;
          const range = rangeOf(this);
          // Handing out the stream is not a read (ky only cancels it); reading from it is.
          if (stream && range) carriers.set(stream, range);
          return stream;
        },
      });
    }
  }
  for (const name of ['getReader', 'pipeTo', 'pipeThrough', 'tee', 'values', Symbol.asyncIterator]) {
    patch(ReadableStream.prototype, name, (use) => function (this: unknown, ...args: unknown[]) {
      countRead(`ReadableStream#${String(name)}`, this);
      return use.apply(this, args);
    });
  }

  // Workers: every construction, every message posted (with the file range of its Blob), every reply.
  const OriginalWorker = typeof Worker === 'function' ? Worker : undefined;
  const workerIndex = new WeakMap<object, number>();
  if (OriginalWorker) {
    proxyConstructor('Worker', (worker, [url, options]) => {
      const index = report.workers.length;
      workerIndex.set(worker, index);
      report.workers.push({ url: String(url), name: (options as { name?: string } | undefined)?.name, at: now() });
      // Registered before the page can register its own listener, so it sees every reply.
      (worker as Worker).addEventListener('message', (event: MessageEvent<unknown>) => {
        const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
        const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
        report.replies.push({
          worker: index, id: data['id'], md5Base64: text(data['md5Base64']), md5Hex: text(data['md5Hex']), error: text(data['error']), at: now(),
        });
      });
    });
    patch(OriginalWorker.prototype, 'postMessage', (post) => function (this: unknown, ...args: unknown[]) {
      const message = args[0];
      const fields = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
      const blob = Object.values(fields).find((value): value is Blob => value instanceof OriginalBlob);
      const range = rangeOf(blob);
      report.jobs.push({
        worker: workerIndex.get(this as object) ?? -1,
        id: fields['id'],
        kind: typeof fields['kind'] === 'string' ? fields['kind'] : undefined,
        blob: blob === undefined ? undefined : { start: range?.start ?? -1, end: range?.end ?? -1, size: blob.size, fromPickedFile: range !== undefined },
        at: now(),
      });
      return post.apply(this, args);
    });
  }

  Object.defineProperty(window, '__mainThreadProbe', {
    value: { report: () => JSON.parse(JSON.stringify(report)) as ProbeReport },
  });
}

/** Installs the probe in every document the page loads from now on (call before `page.goto`). */
export async function installMainThreadProbe(page: Page): Promise<void> {
  await page.addInitScript(probeScript);
}

/** What the probe has seen so far in the current document. */
export async function readMainThreadProbe(page: Page): Promise<ProbeReport> {
  return page.evaluate(() => {
    const probe = window.__mainThreadProbe;
    if (!probe) throw new Error('The main-thread probe is not installed in this page');
    return probe.report();
  });
}
