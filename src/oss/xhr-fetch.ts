/**
 * `fetch` over XMLHttpRequest, for browsers. fetch reports no upload progress: ky's
 * `onUploadProgress` streams the body instead (`duplex: 'half'`), which Chromium refuses over
 * HTTP/1.1 and which drops Content-Length. XMLHttpRequest sends the Blob slice as it is (no copy,
 * with its length) and reports every chunk handed to the network. The answer comes back as a real
 * `Response`, so ky's retries and hooks and our error mapping see what they would see from fetch.
 */

/** What an XMLHttpRequest attempt reports while it runs. */
export type XhrEvents = {
  /** Bytes of the request body sent so far. */
  readonly uploaded: (sentBytes: number) => void;
  /** Anything else that shows the exchange is alive: the answer's headers or body bytes arriving. */
  readonly alive: () => void;
};

/** Statuses whose answer has no body (`new Response` refuses one). */
export const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

function toResponse(xhr: XMLHttpRequest, method: string): Response {
  const headers = new Headers();
  for (const line of xhr.getAllResponseHeaders().split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const empty = method === 'HEAD' || nullBodyStatuses.has(xhr.status);
  const response = new Response(empty ? null : (xhr.response as Blob), { status: xhr.status, statusText: xhr.statusText, headers });
  // `new Response` leaves `url` empty; error messages and callbacks report it.
  Object.defineProperty(response, 'url', { value: xhr.responseURL });
  return response;
}

/**
 * Sends `request` (method, URL, headers) with `body` through XMLHttpRequest. Rejects like fetch: a
 * `TypeError` when the network (or CORS) fails, `signal.reason` when `signal` aborts.
 */
export function xhrFetch(request: Request, body: Blob | string | Uint8Array | undefined, signal: AbortSignal, events: XhrEvents): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const xhr = new XMLHttpRequest();
    const cancel = () => xhr.abort();
    signal.addEventListener('abort', cancel, { once: true });
    const settle = (finish: () => void) => {
      signal.removeEventListener('abort', cancel);
      finish();
    };
    xhr.open(request.method, request.url);
    // A Blob answer stays out of the JS heap (Chromium spills large ones to disk), as `response.blob()` would.
    xhr.responseType = 'blob';
    request.headers.forEach((value, name) => xhr.setRequestHeader(name, value));
    // Upload listeners must be in place before send(), or the browser never reports upload progress.
    xhr.upload.addEventListener('progress', (event) => events.uploaded(event.loaded));
    xhr.addEventListener('progress', events.alive);
    xhr.addEventListener('readystatechange', events.alive);
    xhr.addEventListener('load', () => settle(() => resolve(toResponse(xhr, request.method))));
    xhr.addEventListener('error', () => settle(() => reject(new TypeError('Failed to fetch (XMLHttpRequest network error)'))));
    xhr.addEventListener('abort', () => settle(() => reject(signal.reason)));
    xhr.send((body ?? null) as XMLHttpRequestBodyInit | null);
  });
}
