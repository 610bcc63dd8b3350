/**
 * The contract between the benchmark page (`e2e/bench/page/`) and `e2e/bench/run.ts` (types only:
 * both sides `import type` it).
 */

/** Main-thread responsiveness during one measured window. */
export type ProbeStats = {
  /** `longtask` entries (tasks ≥ 50 ms) that started inside the window. */
  readonly longTasks: { readonly count: number; readonly maxMs: number; readonly totalMs: number };
  /** A 10 ms `setInterval`: the longest gap between two ticks, and the tick count vs what 10 ms would give. */
  readonly heartbeat: { readonly maxGapMs: number; readonly ticks: number; readonly expectedTicks: number };
};

/** What one measured upload resolves with. */
export type UploadMeasure = {
  readonly elapsedMs: number;
  readonly probe: ProbeStats;
  /** Part ETags the page saw (raw contender), in part order. */
  readonly etags?: readonly string[];
  /** The object ETag the uploader reported. */
  readonly etag?: string;
  /** Hash workers the SDK used (SDK contenders). */
  readonly workers?: number;
  /** Progress the uploader reported: [ms from the start, bytes], in order (`--link` runs). */
  readonly progress?: ReadonlyArray<readonly [number, number]>;
};

/** The link's ceiling: one plain fetch PUT of the whole file to a presigned PutObject URL. */
export type PutOptions = { readonly url: string };

/** Raw limit: plain fetch PUTs of `file.slice()` to presigned UploadPart URLs. */
export type RawOptions = { readonly urls: readonly string[]; readonly partSize: number; readonly concurrency: number };

/** Where an upload goes, with the root keys of the local server. */
export type BenchTarget = {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly key: string;
};

/** oss-resumable with the given settings (anything left out stays the SDK default). */
export type SdkOptions = BenchTarget & {
  readonly partSize?: number;
  readonly concurrency?: number;
  readonly contentMd5?: boolean;
  readonly workers?: number;
  /** Record every progress event (`UploadMeasure.progress`). */
  readonly recordProgress?: boolean;
};

/** The official ali-oss browser bundle's `multipartUpload`. */
export type AliOptions = BenchTarget & {
  readonly partSize?: number;
  readonly parallel?: number;
  /** ali-oss's per-request timeout in ms; left out: ali-oss's own default (60 s). */
  readonly timeout?: number;
  /** Record every progress event (`UploadMeasure.progress`). */
  readonly recordProgress?: boolean;
};

/** 10,000-part resume reconciliation: a journal of `md5s.length` one-byte parts against ListParts. */
export type ReconcileOptions = BenchTarget & {
  readonly uploadId: string;
  /** Upper-case hex MD5 of each part, part 1 first (what the journal recorded when it was sent). */
  readonly md5s: readonly string[];
  /** Timed repetitions after the first (cold) one. */
  readonly repeats: number;
};

/** One reconciliation, in ms. */
export type ReconcileTiming = {
  /** `store.get` of the 10,000-part record from IndexedDB (the journal read before ListParts). */
  readonly journalReadMs: number;
  /** `client.listAllParts` (10 pages of 1,000). */
  readonly listMs: number;
  /** `reconcile(plan, journal, listed)`. */
  readonly reconcileMs: number;
  readonly listedParts: number;
  readonly trustedParts: number;
};

/** The API the page puts on `window.bench` once its mode's code has loaded. */
export type BenchPageApi = {
  readonly mode: string;
  raw(options: RawOptions): Promise<UploadMeasure>;
  put(options: PutOptions): Promise<UploadMeasure>;
  sdk(options: SdkOptions): Promise<UploadMeasure>;
  ali(options: AliOptions): Promise<UploadMeasure>;
  reconcile(options: ReconcileOptions): Promise<readonly ReconcileTiming[]>;
  /** Busy-loops the main thread (used to find this page's renderer process by its CPU time). */
  spin(ms: number): number;
};

declare global {
  interface Window {
    bench?: BenchPageApi;
  }
}
