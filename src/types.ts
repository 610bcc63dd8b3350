/**
 * Public option and result types. Defaults are documented with `@default`, declared once in
 * src/options.ts and applied there, where the options are resolved. What the callbacks report is in
 * src/report-types.ts.
 */
import type { Crc64Check } from './hashing/crc64-combine.js';
import type { CredentialsSource } from './oss/credentials.js';
import type { OssSigner } from './oss/signing-types.js';
import type { CheckpointStore } from './persistence/store.js';
import type { JournalErrorListener } from './persistence/tolerant-store.js';
import type { CompletedPart, PartUpdate, ResumeInfo, UploadProgress } from './report-types.js';
import type { ObjectAcl } from './stored-types.js';

export type { ObjectAcl, UploadResult } from './stored-types.js';
export type { CompletedPart, PartState, PartUpdate, ResumeInfo, UploadPhase, UploadProgress } from './report-types.js';

/** Retry settings of idempotent requests (`ConnectionOptions.retry`). */
export type RetryOptions = {
  /** Retries after the first attempt. @default 8 */
  readonly limit?: number;
  /** First backoff delay in ms; doubles each retry, and each wait is drawn from ½–1× of it (equal jitter). @default 300 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff delay in ms. @default 20000 */
  readonly maxDelayMs?: number;
};

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
  /**
   * Signature scheme: `signerV4` or `signerV1`, imported from the package so that apps on V4 do not
   * ship V1 (0.1's `signatureVersion` throws a TypeError saying so). @default signerV4
   */
  readonly signer?: OssSigner;
  /**
   * Retries of idempotent requests (UploadPart, ListParts, Abort, Head, Get) on network errors,
   * timeouts, 408, 429 and 5xx, with exponential backoff and equal jitter (each wait ½–1× of the backoff). A number sets `limit`.
   * @default { limit: 8, baseDelayMs: 300, maxDelayMs: 20000 }: the retries of one request span 29–58 s
   */
  readonly retry?: number | RetryOptions;
  /**
   * Stall timeout: an attempt is given up (and retried) once no byte of its body went out and no
   * byte of its answer came in for this many milliseconds. A part that keeps moving is never cut,
   * however slow the link. Browsers see every chunk leave; where the platform reports no upload
   * progress (Node), an attempt may also take twice as long as its body needs at the throughput
   * seen so far (64 KiB/s until something was measured), doubling with each retry.
   * Replaces the whole-attempt `timeout` of 0.1 (passing `timeout` throws a TypeError).
   * @default 30000
   */
  readonly stallTimeout?: number;
};

/** Options of {@link createUploader}. */
export type UploaderOptions = ConnectionOptions & {
  /**
   * Part size in bytes, between 100 KB and 5 GiB, or `'auto'`: sized in link time, because a part is
   * what a dropped connection costs and what is safe on the server at a time. Once the uploader has
   * measured the link (an earlier upload), a part is about 10 s of its throughput (256 KiB – 8 MiB);
   * before that, a file is cut into about 16 parts (1 – 8 MiB). Either way it is raised when a file
   * would need more than 10,000 parts, and a resumed upload keeps the part size it was started with.
   * @default 'auto'
   */
  readonly partSize?: number | 'auto';
  /**
   * Most parts sending at once. A part whose body has gone out and that only waits for its answer
   * does not count (up to as many such parts again), so the link carries the next part during
   * that round trip. With `adaptiveConcurrency` the upload starts with two and adds one only while
   * that raises the measured throughput.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * Measure throughput while uploading and keep as few parts in flight (at least 2) as give the
   * most of it, up to `concurrency`: where the link is the bottleneck, more parallel parts only
   * lose more work on a drop and delay every acknowledgement. `false` always runs `concurrency` parts.
   * @default true
   */
  readonly adaptiveConcurrency?: boolean;
  /** Send Content-MD5 with every part (hashed in Web Workers), so corruption on the way is refused. @default true */
  readonly contentMd5?: boolean;
  /**
   * CRC-64 checking: pass the `crc64` export (`import { crc64 } from 'oss-resumable'`). Every
   * part's CRC-64 is computed in the same worker pass as its MD5 and checked against the part's
   * `x-oss-hash-crc64ecma`, and the combined CRC against the object's after Complete (that header
   * must be in the bucket's CORS ExposeHeaders). An import, not 0.1's `true` (now a TypeError), so
   * that apps without it do not ship the combining code.
   * @default false
   */
  readonly crc64?: Crc64Check | false;
  /** Files up to this size go through one PutObject instead of a multipart upload. @default the part size chosen for the file */
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
  /**
   * Called once per upload when its journal fails (IndexedDB blocked, quota exceeded, a store that
   * throws), with the first error and `{ id, key }` of the upload. The upload still goes through;
   * only resuming it after a reload is lost. Pass your own to show it in the app or report it; a
   * listener that throws is ignored.
   * @default a single `console.warn` per upload saying it cannot resume after a reload
   */
  readonly onJournalError?: JournalErrorListener;
};

/** The upload callback OSS calls after storing the object (docs/protocol.md §5). */
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

/** OSS storage classes (the object's, not the bucket's). */
export type StorageClass = 'Standard' | 'IA' | 'Archive' | 'ColdArchive' | 'DeepColdArchive';

/** Server-side encryption methods. */
export type ServerSideEncryption = 'AES256' | 'KMS' | 'SM4';

/**
 * A `Content-Disposition` value: a string sent as it is, or a type and a file name, written as
 * RFC 6266 asks: `attachment; filename="report.pdf"`, and for names beyond plain ASCII an ASCII
 * fallback plus the UTF-8 name, `attachment; filename="__.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf`.
 */
export type ContentDisposition = string | { readonly type: 'attachment' | 'inline'; readonly filename?: string };

/**
 * Headers an object is stored with, set where the object is written: PutObject for files up to
 * the multipart threshold, InitiateMultipartUpload otherwise (the ACL also at Complete, where OSS
 * documents it). Every value is checked at the call: a TypeError or RangeError names the option.
 * Text beyond ASCII goes out as UTF-8 bytes, as browsers and OSS expect.
 */
export type ObjectHeaderOptions = {
  /**
   * How browsers present the object when it is downloaded.
   * @example { type: 'attachment', filename: '报告.pdf' }
   * @default none: browsers decide from the Content-Type
   */
  readonly contentDisposition?: ContentDisposition;
  /** `Cache-Control` served with the object, e.g. `'no-cache'` or `'max-age=3600'`. @default none */
  readonly cacheControl?: string;
  /** `Content-Encoding` of the bytes as stored, e.g. `'gzip'` for a file you compressed yourself. @default none */
  readonly contentEncoding?: string;
  /** `Content-Language` of the content, e.g. `'zh-CN'`. @default none */
  readonly contentLanguage?: string;
  /** `Expires` served with the object: a Date or a date string, sent as an HTTP date. @default none */
  readonly expires?: Date | string;
  /** Storage class of the object. @default the bucket's storage class */
  readonly storageClass?: StorageClass;
  /** Server-side encryption of the object. @default the bucket's default encryption, if any */
  readonly serverSideEncryption?: ServerSideEncryption;
  /** KMS key id; only with `serverSideEncryption: 'KMS'`. @default the KMS key OSS manages for you */
  readonly kmsKeyId?: string;
  /**
   * ACL of the object. Multipart uploads send it at Initiate and at Complete; an upload resumed
   * without `acl` completes with the ACL it was started with.
   * @default 'default': the bucket's ACL
   */
  readonly acl?: ObjectAcl;
  /**
   * Object tags (`x-oss-tagging`): at most 10, keys of 1–128 characters, values of up to 256.
   * OSS documents letters, digits, spaces and `+ - = . _ : /` as the characters tags may hold.
   * @default {}
   */
  readonly tags?: Readonly<Record<string, string>>;
};

/** Options of one `upload()`. */
export type UploadOptions = ObjectHeaderOptions & {
  /** Content-Type of the object. @default the file's `type`, else 'application/octet-stream' */
  readonly contentType?: string;
  /**
   * `x-oss-meta-*` metadata. Names are HTTP tokens (sent lower case); values are any text without
   * control characters (tab aside), sent as UTF-8 and read back decoded.
   * @default {}
   */
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
   * Called whenever a part changes: `waiting` → `hashing` → `sending` (with `sentBytes`, and
   * `attempts` above 1 once retried) → `done`. Parts the server already had when the upload resumed
   * are reported `done` with `resumed: true` before anything is sent. Parts not reported yet are waiting.
   */
  readonly onPartUpdate?: (part: PartUpdate) => void;
  /**
   * Called once a multipart upload has its uploadId (new or resumed), with the journal record id that
   * `listPending()`, `resume()` and `discard()` take.
   */
  readonly onStart?: (info: { readonly id: string; readonly uploadId: string; readonly key: string }) => void;
  /** Called when an earlier, unfinished upload of the same file to the same key was found: resumed, or started afresh. */
  readonly onResume?: (info: ResumeInfo) => void;
  /**
   * When another tab is already uploading the same file to the same key: `'fail'` rejects with
   * `UploadLockedError`, `'wait'` waits for it to finish or pause. When it finished after this call
   * began (and a HeadObject does not show the object deleted or replaced since), this call resolves
   * with that upload's result and `completedElsewhere: true`, and sends nothing; when it paused,
   * this call resumes it.
   * @default 'fail'
   */
  readonly lock?: 'fail' | 'wait';
};

