/**
 * A pool of hash workers behind a small async API: Content-MD5 and CRC-64 of parts
 * never run on the page's main thread in browsers. Where `Worker` is missing (Node), the
 * same code runs in the calling thread instead.
 */
import { HashingError } from '../errors.js';
import { expected } from '../describe.js';
import type { HashRequest, HashResponse, HashResult } from './hash-worker.js';
import type { Hasher, HasherOptions } from './hasher.js';
import { parseCrc64 } from './crc64-text.js';
import { workerSource } from './worker-source.generated.js';

export type { Hasher, HasherOptions, PartDigest } from './hasher.js';

type Outcome = { readonly result: HashResult } | { readonly error: unknown };
type Task = { readonly request: HashRequest; settle(outcome: Outcome): void };
/** One hashing slot: at most one task and, in worker mode, the worker running it (started lazily). */
type Lane = { task: Task | undefined; worker: Worker | undefined; cancel: (() => void) | undefined };

const maxDefaultWorkers = 4;
const cspHint = 'If a Content-Security-Policy forbids blob: workers, pass `createWorker` to createHasher';

/**
 * Creates a hasher. Jobs run first in, first out, one per worker at a time. Aborting a queued job
 * removes it; aborting a running one terminates its worker (a worker can't be interrupted mid-chunk)
 * so a cancelled 5 GiB part doesn't hold a lane. A crashed worker fails its job and is replaced when
 * the next job needs it.
 *
 * @throws TypeError / RangeError for invalid options.
 */
export function createHasher(options: HasherOptions = {}): Hasher {
  const { createWorker, workers } = options;
  if (createWorker !== undefined && typeof createWorker !== 'function') {
    throw new TypeError(expected('createWorker', 'a function', createWorker));
  }
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
    const message = expected('workers', 'an integer ≥ 1', workers);
    throw typeof workers === 'number' ? new RangeError(message) : new TypeError(message);
  }
  const mode = createWorker !== undefined || typeof Worker !== 'undefined' ? 'worker' : 'inline';
  const laneCount = mode === 'inline' ? 1 : (workers ?? defaultWorkerCount());
  const lanes = Array.from({ length: laneCount }, (): Lane => ({ task: undefined, worker: undefined, cancel: undefined }));
  const queue: Task[] = [];
  let nextId = 1;
  let scriptUrl: string | undefined;
  let disposed = false;
  const spawn =
    createWorker ??
    (() => {
      scriptUrl ??= URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      return new Worker(scriptUrl, { name: 'oss-resumable-hash' });
    });

  function pump(): void {
    for (let task = queue[0]; task !== undefined; task = queue[0]) {
      // Prefer a lane whose worker is already up over starting another one.
      const lane = lanes.find((l) => !l.task && l.worker) ?? lanes.find((l) => !l.task);
      if (lane === undefined) {
        return;
      }
      queue.shift();
      lane.task = task;
      (mode === 'inline' ? runInline : runInWorker)(lane, task);
    }
  }

  function finish(lane: Lane): void {
    lane.task = undefined;
    lane.cancel = undefined;
    pump();
  }

  function runInline(lane: Lane, task: Task): void {
    const controller = new AbortController();
    // The run notices at its next chunk, then frees the lane in `finally` below.
    lane.cancel = () => controller.abort();
    // Loaded on demand: browsers never take this path, and splitting bundlers keep spark-md5 out of the
    // main chunk (it already ships inside workerSource).
    import('./hash-worker.js')
      .then(({ runHashJob }) => runHashJob(task.request, { signal: controller.signal, yieldBetweenChunks: true }))
      .then(
        (result) => task.settle({ result }),
        (error: unknown) => task.settle({ error: new HashingError('job', `Hashing failed: ${describe(error)}`, { cause: error }) }),
      )
      // The lane stays busy until the run really stops (≤ one chunk after a cancel), keeping memory bounded.
      .finally(() => finish(lane));
  }

  function runInWorker(lane: Lane, task: Task): void {
    // Terminating is the only way to stop a busy worker; the lane is free at once, the next job respawns.
    lane.cancel = () => {
      retire(lane);
      finish(lane);
    };
    try {
      (lane.worker ??= startWorker(lane)).postMessage(task.request);
    } catch (error) {
      retire(lane);
      task.settle({ error: new HashingError('start', `Could not start a hash worker: ${describe(error)}. ${cspHint}`, { cause: error }) });
      finish(lane);
    }
  }

  function startWorker(lane: Lane): Worker {
    const worker = spawn();
    worker.addEventListener('message', ({ data }: MessageEvent<HashResponse>) => {
      if (lane.worker === worker && lane.task !== undefined && data.id === lane.task.request.id) {
        lane.task.settle('error' in data ? { error: new HashingError('job', `Hashing failed: ${data.error}`) } : { result: data });
        finish(lane);
      }
    });
    const onCrash = (event: Event): void => {
      if (lane.worker === worker) {
        event.preventDefault(); // handled here; the browser needn't report it as uncaught as well
        const detail = 'message' in event && typeof event.message === 'string' ? event.message : `${event.type} event`;
        retire(lane);
        lane.task?.settle({ error: new HashingError('crash', `The hash worker failed: ${detail}. ${cspHint}`, { cause: event }) });
        finish(lane);
      }
    };
    worker.addEventListener('error', onCrash);
    worker.addEventListener('messageerror', onCrash);
    return worker;
  }

  function retire(lane: Lane): void {
    lane.worker?.terminate();
    lane.worker = undefined;
  }

  function cancel(task: Task, reason: unknown): void {
    const queued = queue.indexOf(task);
    if (queued !== -1) {
      queue.splice(queued, 1);
    }
    task.settle({ error: reason });
    lanes.find((l) => l.task === task)?.cancel?.();
  }

  function enqueue(request: HashRequest, signal: AbortSignal | undefined): Promise<HashResult> {
    if (disposed) {
      return Promise.reject(new HashingError('disposed', 'This hasher was disposed'));
    }
    if (signal?.aborted === true) {
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => cancel(task, signal?.reason);
      const task: Task = {
        request,
        // Settling twice is harmless (a promise settles once), which is what lets an aborted inline
        // run finish quietly after its task was already rejected.
        settle(outcome) {
          signal?.removeEventListener('abort', onAbort);
          if ('error' in outcome) {
            reject(outcome.error);
          } else {
            resolve(outcome.result);
          }
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(task);
      pump();
    });
  }

  return {
    mode,
    workers: laneCount,
    async hash(blob, what, signal) {
      assertBlob(blob);
      if (!what.md5 && !what.crc64) {
        signal?.throwIfAborted();
        return {};
      }
      const request = { id: nextId++, blob, md5: what.md5, crc64: what.crc64 };
      const { md5Base64, md5Hex, crc64 } = await enqueue(request, signal);
      return {
        ...(md5Base64 !== undefined && md5Hex !== undefined && { md5Base64, md5Hex }),
        ...(crc64 !== undefined && { crc64: parseCrc64(crc64) }),
      };
    },
    async sample(blob, ranges, signal) {
      assertBlob(blob);
      for (const range of ranges) {
        const [start, end] = range;
        if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
          throw new RangeError(`Expected each range to be [start, end] integers with 0 ≤ start ≤ end, got \`[${String(range)}]\``);
        }
      }
      // Copied so a caller mutating its array while the job waits can't change what gets hashed.
      const copy = ranges.map(([start, end]) => [start, end] as const);
      const { md5Hex } = await enqueue({ id: nextId++, kind: 'sample', blob, ranges: copy }, signal);
      if (md5Hex === undefined) {
        throw new HashingError('job', 'Hashing failed: the worker returned no MD5');
      }
      return md5Hex;
    },
    dispose() {
      disposed = true;
      const error = new HashingError('disposed', 'This hasher was disposed');
      for (const task of [...queue.splice(0), ...lanes.map((lane) => lane.task)]) {
        task?.settle({ error });
      }
      for (const lane of lanes) {
        lane.cancel?.();
        retire(lane);
      }
      if (scriptUrl !== undefined) {
        URL.revokeObjectURL(scriptUrl);
      }
    },
  };
}

function defaultWorkerCount(): number {
  const cores = typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency;
  return Math.min(Math.max((cores ?? 2) - 1, 1), maxDefaultWorkers);
}

function assertBlob(blob: unknown): asserts blob is Blob {
  // Duck-typed: a Blob from another realm (an iframe) fails `instanceof Blob` yet works fine.
  const candidate = blob as Partial<Blob> | null | undefined;
  if (typeof candidate?.slice !== 'function' || typeof candidate.size !== 'number') {
    throw new TypeError(`Expected \`blob\` to be a Blob, got \`${String(blob)}\` (${typeof blob})`);
  }
}

function describe(error: unknown): string {
  return String(error instanceof Error ? error.message : error);
}
