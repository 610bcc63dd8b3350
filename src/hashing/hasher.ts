/**
 * The hashing contract: what the upload engine asks of a hasher, and the options of the default
 * worker pool (`hash-pool.ts`).
 */

/** Digests of one part; only the requested ones are present. */
export type PartDigest = {
  /** Base64 of the 16 raw MD5 bytes: the `Content-MD5` header value. */
  md5Base64?: string;
  /** Lower-case hex MD5, comparable with an OSS ETag once quotes are stripped and case folded. */
  md5Hex?: string;
  /** CRC-64/XZ, as OSS computes `x-oss-hash-crc64ecma`. */
  crc64?: bigint;
};

/** Options of {@link createHasher}. */
export type HasherOptions = {
  /**
   * How many workers hash in parallel. Each holds at most one part at a time, so resident part bytes
   * stay ≤ `workers × partSize`. Ignored in inline mode, which has a single lane.
   *
   * @default clamp(navigator.hardwareConcurrency − 1, 1, 4), or 1 when the core count is unknown: one
   * core stays free for the page. Measured trade-off on 2 cores (512 MiB, 3 runs): two
   * workers hash about 10 % faster (73–77 vs 66–68 MiB/s) but left the main thread waiting up to
   * 60–120 ms for a core (tasks of ≤ 5 ms CPU, seen in a trace); one worker, no task ≥ 50 ms.
   */
  workers?: number;
  /**
   * Starts one worker. The default loads the bundled worker script from a `blob:` URL, which needs no
   * bundler configuration. Pass your own when a Content-Security-Policy forbids `blob:` workers, e.g.
   * `() => new Worker('/assets/hash-worker.js')` serving `workerSource`. When given, the pool uses
   * workers even where the global `Worker` is missing.
   *
   * @default a classic Worker from a Blob URL of `workerSource`
   */
  createWorker?: () => Worker;
};

/** Hashes parts off the main thread. Created by {@link createHasher}; implementable for tests or custom pools. */
export interface Hasher {
  /** Content-MD5 and/or CRC-64 of `blob`. An abort rejects with `signal.reason`. */
  hash(blob: Blob, what: { md5: boolean; crc64: boolean }, signal?: AbortSignal): Promise<PartDigest>;
  /** Hex MD5 of the concatenated `[start, end)` ranges of `blob` (for the upload fingerprint). */
  sample(blob: Blob, ranges: ReadonlyArray<readonly [number, number]>, signal?: AbortSignal): Promise<string>;
  /** `'worker'` in browsers (or with `createWorker`), `'inline'` where `Worker` is missing. */
  readonly mode: 'worker' | 'inline';
  /** Jobs that run at once: the worker count, or 1 inline (one thread gains nothing from interleaving). */
  readonly workers: number;
  /** Terminates the workers and rejects every pending job. The hasher can't be used afterwards. */
  dispose(): void;
}
