/**
 * The `fetch` ky calls for one request, once per attempt (ky retries by calling it again). Each
 * attempt runs under a stall watchdog (stall.ts) and resolves only once the whole answer is in, so
 * a stall while the answer arrives is an attempt failure that ky retries like any other. Browsers
 * send through XMLHttpRequest for byte-level upload progress (xhr-fetch.ts); elsewhere (Node, service
 * workers) the platform's fetch sends, without upload progress.
 */
import { anySignal } from '../async/abort.js';
import { formatSeconds, StallError, startWatchdog, type ThroughputMemory } from './stall.js';
import { nullBodyStatuses, xhrFetch } from './xhr-fetch.js';

/** What one request's attempts need. */
export type AttemptOptions = {
  /** The request body as the caller gave it (ky's Request carries a copy-free clone of it). */
  readonly body: Blob | string | Uint8Array | undefined;
  /** Milliseconds without any byte moving before an attempt is given up. */
  readonly stallMs: number;
  /** Where the fetch path learns how long a body takes (stall.ts). */
  readonly throughput: ThroughputMemory;
  /** Called when attempt `attempt` (1-based) starts (with 0) and as its body goes out. */
  readonly onProgress?: ((attempt: number, sentBytes: number) => void) | undefined;
};

/** The fetch function ky is given, plus how many attempts it has made. */
export type AttemptFetch = ((input: string | URL | Request) => Promise<Response>) & { readonly attempts: () => number };

/** Bytes of a request body as sent (strings go out as UTF-8). */
export function bodySize(body: AttemptOptions['body']): number {
  if (body === undefined) return 0;
  if (typeof body === 'string') return new TextEncoder().encode(body).length;
  return body instanceof Blob ? body.size : body.byteLength;
}

/** fetch, reading the whole answer before resolving; `alive` is called as its bytes arrive. */
async function bufferedFetch(request: Request, signal: AbortSignal, alive: () => void): Promise<Response> {
  const response = await fetch(request, { signal });
  alive();
  if (!response.body || nullBodyStatuses.has(response.status)) return response;
  const chunks: Uint8Array[] = [];
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    alive();
  }
  const whole = new Response(new Blob(chunks as BlobPart[]), { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(whole, 'url', { value: response.url });
  return whole;
}

/** Creates the fetch for one request. */
export function attemptFetch(options: AttemptOptions): AttemptFetch {
  const size = bodySize(options.body);
  const viaXhr = typeof XMLHttpRequest === 'function';
  let attempts = 0;
  const run = async (input: string | URL | Request): Promise<Response> => {
    // ky always passes a Request (with the signed headers and its abort signal).
    const request = input instanceof Request ? input : new Request(input);
    const attempt = ++attempts;
    options.onProgress?.(attempt, 0);
    const stalled = new AbortController();
    const signal = anySignal([request.signal, stalled.signal]);
    // Without upload progress the body's time is unobservable, so it gets an allowance instead (stall.ts).
    const firstLimit = viaXhr || size === 0 ? options.stallMs : options.throughput.allowanceMs(size, attempt, options.stallMs);
    const started = Date.now();
    const watchdog = startWatchdog(firstLimit, (idleMs) => {
      const detail = viaXhr || size === 0
        ? `stallTimeout ${options.stallMs} ms`
        : `no upload progress here: stallTimeout ${options.stallMs} ms + ${formatSeconds(firstLimit - options.stallMs)} for ${size} bytes at the throughput seen so far`;
      stalled.abort(new StallError(idleMs, detail));
    });
    try {
      if (viaXhr) {
        return await xhrFetch(request, options.body, signal, {
          uploaded: (sentBytes) => {
            watchdog.kick();
            options.onProgress?.(attempt, sentBytes);
          },
          alive: () => watchdog.kick(),
        });
      }
      let answered = false;
      const response = await bufferedFetch(request, signal, () => {
        if (!answered) options.throughput.record(size, Date.now() - started);
        answered = true;
        watchdog.kick(options.stallMs);
      });
      return response;
    } catch (error) {
      // A stall aborts through our own signal; report the stall, not the AbortError it caused.
      if (stalled.signal.aborted && !request.signal.aborted) throw stalled.signal.reason;
      throw error;
    } finally {
      watchdog.stop();
    }
  };
  return Object.assign(run, { attempts: () => attempts });
}
