/**
 * The hash worker: reads a Blob in chunks and feeds Content-MD5 (spark-md5) and CRC-64 in one pass.
 *
 * `scripts/build-worker.mjs` bundles this module into `worker-source.generated.ts` with a one-line
 * entry, `serveHashJobs(self)`. The module itself has no side effects, so the Node fallback in
 * `hash-pool.ts` runs the very same {@link runHashJob} in the calling thread. It must import nothing
 * but spark-md5 and the CRC-64 modules: whatever it imports is copied into the worker bundle.
 */
import SparkMD5 from 'spark-md5';
import { createCrc64 } from './crc64.js';

/** Hash one part: Content-MD5 and/or CRC-64 of the whole Blob. */
export type HashPartRequest = {
  readonly id: number;
  readonly kind?: 'hash';
  readonly blob: Blob;
  readonly md5: boolean;
  readonly crc64: boolean;
};

/**
 * MD5 (hex) of the concatenation of byte ranges of a Blob, for the upload fingerprint. Ranges are
 * half-open `[start, end)` like `Blob.slice`, non-negative, and clamped to the Blob's size.
 */
export type HashSampleRequest = {
  readonly id: number;
  readonly kind: 'sample';
  readonly blob: Blob;
  readonly ranges: ReadonlyArray<readonly [number, number]>;
};

/** A message to the hash worker. */
export type HashRequest = HashPartRequest | HashSampleRequest;

/** Digests of one request; only the requested fields are present. `crc64` is unsigned decimal text. */
export type HashResult = {
  readonly md5Base64?: string;
  readonly md5Hex?: string;
  readonly crc64?: string;
};

/** A message from the hash worker: the result or the error text of the request with the same `id`. */
export type HashResponse = (HashResult & { readonly id: number }) | { readonly id: number; readonly error: string };

/** The part of a `DedicatedWorkerGlobalScope` the worker uses; a test can pass a fake. */
export type HashWorkerScope = {
  postMessage(message: HashResponse): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<HashRequest>) => void): void;
};

/**
 * Bytes read per step. Bounds a worker's memory to about two chunks (the one being hashed and the
 * one being read ahead) plus spark-md5's copy, whatever the part size, and sets how often an
 * inline run yields and checks its signal.
 */
const chunkSizeBytes = 2 * 1024 * 1024;

/** Where Node's `setImmediate` (a turn right after pending I/O) lives; typed here since the SDK is built without Node's types. */
type MaybeNodeGlobal = { readonly setImmediate?: (callback: (value?: unknown) => void) => unknown };

/**
 * Answers every request posted to `scope`, one reply per request. Errors become `{ id, error }`
 * because a worker that throws would only surface as an anonymous `error` event on the page.
 */
export function serveHashJobs(scope: HashWorkerScope): void {
  scope.addEventListener('message', (event) => {
    const { id } = event.data;
    runHashJob(event.data).then(
      (result) => {
        scope.postMessage({ ...result, id });
      },
      (error: unknown) => {
        scope.postMessage({ id, error: describeError(error) });
      },
    );
  });
}

/** Options of {@link runHashJob}. */
export type RunHashJobOptions = {
  /**
   * Checked between chunks (a chunk in progress always finishes); an abort rejects with `signal.reason`.
   *
   * @default undefined: runs to the end
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Give the event loop a macrotask turn between chunks. The inline fallback needs it: Node's in-memory
   * Blob reads resolve without leaving the microtask queue, so awaiting them alone would hold timers,
   * sockets and abort handlers back for a whole part. A worker has nothing else to do and skips it.
   *
   * @default false
   */
  readonly yieldBetweenChunks?: boolean | undefined;
};

/** Runs one request to completion, reading the Blob chunk by chunk. */
export async function runHashJob(request: HashRequest, options: RunHashJobOptions = {}): Promise<HashResult> {
  if (request.kind === 'sample') {
    const md5 = new SparkMD5.ArrayBuffer();
    await readRanges(request.blob, request.ranges, options, (chunk) => md5.append(chunk));
    return { md5Hex: md5.end() };
  }
  const md5 = request.md5 ? new SparkMD5.ArrayBuffer() : undefined;
  const crc = request.crc64 ? createCrc64() : undefined;
  if (md5 === undefined && crc === undefined) {
    return {};
  }
  await readRanges(request.blob, [[0, request.blob.size]], options, (chunk) => {
    md5?.append(chunk);
    crc?.update(new Uint8Array(chunk));
  });
  // Content-MD5 is base64 of the 16 raw bytes, not of the hex text (docs/protocol.md §4).
  const raw = md5?.end(true);
  return {
    ...(raw !== undefined && { md5Base64: btoa(raw), md5Hex: binaryToHex(raw) }),
    // Unsigned decimal, as formatCrc64 prints it; a digest is always in range, so its check is not needed here.
    ...(crc !== undefined && { crc64: crc.digest().toString(10) }),
  };
}

function* chunksOf(
  ranges: ReadonlyArray<readonly [number, number]>,
  size: number,
): Generator<readonly [number, number]> {
  for (const [start, end] of ranges) {
    const stop = Math.min(end, size);
    // Blob.slice counts negative offsets from the end; callers validate, this only keeps it contained.
    for (let at = Math.max(start, 0); at < stop; at += chunkSizeBytes) {
      yield [at, Math.min(at + chunkSizeBytes, stop)];
    }
  }
}

async function readRanges(
  blob: Blob,
  ranges: ReadonlyArray<readonly [number, number]>,
  { signal, yieldBetweenChunks = false }: RunHashJobOptions,
  consume: (chunk: ArrayBuffer) => void,
): Promise<void> {
  const read = ([start, end]: readonly [number, number]): Promise<ArrayBuffer> =>
    blob.slice(start, end).arrayBuffer();
  const chunks = chunksOf(ranges, blob.size);
  let next = chunks.next();
  let pending = next.done === true ? undefined : read(next.value);
  try {
    while (pending !== undefined) {
      const chunk = await pending;
      if (yieldBetweenChunks) {
        await new Promise((resolve) => ((globalThis as MaybeNodeGlobal).setImmediate ?? setTimeout)(resolve));
      }
      signal?.throwIfAborted();
      // Start reading the next chunk before hashing this one, so file I/O overlaps the CPU work.
      next = chunks.next();
      pending = next.done === true ? undefined : read(next.value);
      consume(chunk);
    }
  } finally {
    // On abort or error the read-ahead is abandoned; keep its possible rejection from going unhandled.
    pending?.catch(() => undefined);
  }
}

function binaryToHex(raw: string): string {
  let hex = '';
  for (let i = 0; i < raw.length; i++) {
    hex += raw.charCodeAt(i).toString(16).padStart(2, '0');
  }
  return hex;
}

function describeError(error: unknown): string {
  // Blob reads fail with DOMExceptions such as NotReadableError when the file changed on disk; keep
  // the name, it is the useful part. (Not `instanceof Error`: DOMException isn't one in every engine.)
  if (typeof error === 'object' && error !== null && 'name' in error && 'message' in error) {
    return `${String(error.name)}: ${String(error.message)}`;
  }
  return String(error);
}
