/**
 * Public option, result and progress types. Defaults are documented with `@default` and applied
 * once, where the options are resolved (house style rule 13).
 */
import type { RetryOptions } from './core/retry.js';
import type { CredentialsSource } from './oss/credentials.js';
import type { CheckpointStore } from './persistence/store.js';

/** How to reach a bucket and sign for it. */
export type ConnectionOptions = {
  /**
   * OSS endpoint, e.g. `https://oss-cn-hangzhou.aliyuncs.com`, or a local server such as
   * `http://localhost:9000`. No path.
   */
  readonly endpoint: string;
  /** Bucket name. */
  readonly bucket: string;
  /** Region id, `cn-hangzhou` or `oss-cn-hangzhou` (used in V4 signatures). */
  readonly region: string;
  /**
   * Put the bucket in the path (`endpoint/bucket/key`) instead of the host (`bucket.endpoint/key`).
   * Real OSS uses virtual-hosted URLs; local servers on `localhost` accept both.
   * @default false
   */
  readonly pathStyle?: boolean;
  /**
   * Credentials: a function that returns STS temporary credentials from your backend (called again
   * before they expire and when the server rejects the token), or a static object. Both camelCase
   * (`accessKeyId`, …) and the STS PascalCase shape (`AccessKeyId`, …, `Expiration`) are accepted.
   * Never ship a RAM user's long-term keys to a browser.
   */
  readonly credentials: CredentialsSource;
  /** Signature scheme. @default 'v4' */
  readonly signatureVersion?: 'v4' | 'v1';
  /**
   * Retries of idempotent requests (UploadPart, ListParts, Abort, Head, Get) on network errors,
   * timeouts, 408, 429 and 5xx, with exponential backoff and equal jitter (each wait ½–1× of the backoff). A number sets `limit`.
   * @default { limit: 8, baseDelayMs: 300, maxDelayMs: 20000 }: the retries of one request span 29–58 s
   */
  readonly retry?: number | RetryOptions;
  /**
   * Stall timeout: milliseconds one request attempt may take, body included, before it is aborted
   * and retried (a part with no completion for this long is re-sent). fetch reports no upload
   * progress, so this bounds a whole part: 8 MiB in 60 s needs about 140 KB/s.
   * @default 60000
   */
  readonly timeout?: number;
};

/** Options of {@link createUploader}. */
export type UploaderOptions = ConnectionOptions & {
  /**
   * Part size in bytes, between 100 KB and 5 GiB. Raised automatically when a file would need more
   * than 10,000 parts. Memory held by hashing is about `workers × partSize`.
   * @default 8388608 (8 MiB)
   */
  readonly partSize?: number;
  /** Parts uploaded at once. @default 4 */
  readonly concurrency?: number;
  /** Send Content-MD5 with every part (hashed in Web Workers), so corruption on the way is refused. @default true */
  readonly contentMd5?: boolean;
  /**
   * Compute CRC-64 of every part (same worker pass) and check the object's combined CRC against
   * `x-oss-hash-crc64ecma` after Complete. Needs that header in the bucket's CORS ExposeHeaders.
   * @default false
   */
  readonly crc64?: boolean;
  /** Files up to this size go through one PutObject instead of a multipart upload. @default partSize */
  readonly multipartThreshold?: number;
  /** Hashing workers; browsers only (Node hashes inline). @default clamp(navigator.hardwareConcurrency − 1, 1, 4) */
  readonly workers?: number;
  /**
   * On resume, hash the local bytes of every part the server already has (in workers, alongside the
   * uploads) and send again any part whose MD5 differs from the journal. The fingerprint samples only
   * the first, middle and last 64 KiB, so this is what guarantees a changed file is never spliced onto
   * old parts; turning it off trusts the fingerprint and skips that hashing.
   * @default true
   */
  readonly verifyResumedParts?: boolean;
  /**
   * Where the upload journal (uploadId + acknowledged parts) is kept so an upload can resume after a
   * reload or a browser restart.
   * @default IndexedDB database `oss-resumable` in browsers, memory in Node
   */
  readonly store?: CheckpointStore;
};

/** What `onResume` reports when a journalled upload of the same file was found. */
export type ResumeInfo =
  | { readonly resumed: true; readonly uploadId: string; readonly skippedParts: number; readonly skippedBytes: number }
  | {
    readonly resumed: false;
    /** `NoSuchUpload`: the server no longer has it (aborted, expired); `mismatch`: part size or target changed. */
    readonly reason: 'NoSuchUpload' | 'mismatch';
    readonly uploadId: string;
  };

/** The upload callback OSS calls after storing the object (oss-protocol.md §5). */
export type CallbackOptions = {
  /** URL (or up to 5, tried in order) OSS POSTs to. */
  readonly url: string | readonly string[];
  /** Body template, e.g. `bucket=${bucket}&object=${object}&etag=${etag}&size=${size}&my=${x:my}`. */
  readonly body: string;
  /** @default 'application/x-www-form-urlencoded' */
  readonly bodyType?: 'application/x-www-form-urlencoded' | 'application/json';
  /** Host header of the callback request. @default the URL's host */
  readonly host?: string;
  /** Custom variables, referenced as `${x:name}` in the body; names are lower case. */
  readonly customVars?: Readonly<Record<string, string>>;
};

/** Phase of an upload, as reported to `onProgress`. */
export type UploadPhase = 'hashing' | 'uploading' | 'completing' | 'done';

/** Progress of one upload; it never moves backwards. */
export type UploadProgress = {
  readonly phase: UploadPhase;
  /** Bytes of acknowledged parts (whole parts; see house style rule 33). */
  readonly transferredBytes: number;
  readonly totalBytes: number;
  /** 0–100. */
  readonly percent: number;
  readonly completedParts: number;
  readonly totalParts: number;
  /** Recent throughput; 0 until measurable. */
  readonly bytesPerSecond: number;
  /** Seconds left at the recent throughput; undefined until measurable. */
  readonly etaSeconds: number | undefined;
};

/** A part the server acknowledged. */
export type CompletedPart = { readonly partNumber: number; readonly etag: string; readonly size: number };

/** Options of one `upload()`. */
export type UploadOptions = {
  /** Content-Type of the object. @default the file's `type`, else 'application/octet-stream' */
  readonly contentType?: string;
  /** `x-oss-meta-*` metadata (names lower case). @default {} */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Refuse to replace an existing object (409 FileAlreadyExists). @default false */
  readonly forbidOverwrite?: boolean;
  /** Upload callback; its JSON answer comes back as `callbackResult`. */
  readonly callback?: CallbackOptions;
  /** Aborting pauses: the multipart upload stays on the server, and the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Called at most every 100 ms and at least once per part. */
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Called after each acknowledged part (once it is journalled). */
  readonly onPartComplete?: (part: CompletedPart) => void;
  /**
   * Called once a multipart upload has its uploadId (new or resumed), with the journal record id that
   * `listPending()`, `resume()` and `discard()` take.
   */
  readonly onStart?: (info: { readonly id: string; readonly uploadId: string; readonly key: string }) => void;
  /** Called when an earlier, unfinished upload of the same file to the same key was found: resumed, or started afresh. */
  readonly onResume?: (info: ResumeInfo) => void;
  /**
   * When another tab is already uploading the same file to the same key: `'fail'` rejects with
   * `UploadLockedError`, `'wait'` waits for it to finish or pause.
   * @default 'fail'
   */
  readonly lock?: 'fail' | 'wait';
};

/** What a finished upload returns. */
export type UploadResult = {
  readonly key: string;
  /** Object ETag as the server sent it (quoted). */
  readonly etag: string;
  readonly size: number;
  readonly requestId: string | undefined;
  /** Object CRC-64 (unsigned decimal), when `crc64` was on and the server reported it. */
  readonly crc64?: string;
  /** The callback server's JSON answer, when a callback was given. */
  readonly callbackResult?: unknown;
};
