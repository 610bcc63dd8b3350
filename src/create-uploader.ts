/**
 * `createUploader(options)`: validates once, builds the client and the hashing pool, and returns
 * the upload API as a plain object.
 */
import { runCopy, type CopyOptions, type CopyResult } from './core/copy.js';
import { createLinkMemory } from './core/part-size.js';
import { checkPartSize, defaultPartSizeBytes } from './core/plan.js';
import { normalizeRetry } from './oss/retry.js';
import { runUpload, type EngineSettings } from './core/upload.js';
import { pendingUploads, type PendingUpload, type SweepResult } from './core/pending.js';
import { createHasher, type Hasher } from './hashing/hash-pool.js';
import { defaultStore } from './persistence/idb-store.js';
import { warnJournalError } from './persistence/tolerant-store.js';
import { expected } from './describe.js';
import { createOssClient, type OssClient } from './oss/client.js';
import { requireObject } from './oss/connection.js';
import { loneSurrogate, objectHeaders } from './oss/object-headers.js';
import type { UploaderOptions, UploadOptions, UploadResult } from './types.js';

/** The uploader API. */
export type Uploader = {
  /**
   * Uploads a Blob/File (or the file behind a `FileSystemFileHandle`, which is then kept so a later
   * `resume(id)` needs no file picker) to `key`; multipart above `multipartThreshold`. An unfinished
   * upload of the same file to the same key resumes with only the parts the server lacks.
   */
  upload(file: Blob | FileSystemFileHandle, key: string, options?: UploadOptions): Promise<UploadResult>;
  /** Unfinished uploads of this endpoint and bucket, newest first. */
  listPending(): Promise<PendingUpload[]>;
  /** Continues an unfinished upload from its stored file handle (asks for read permission when needed). */
  resume(id: string, options?: UploadOptions): Promise<UploadResult>;
  /** Resumes every unfinished upload that has a stored file handle, one after another. */
  resumeAll(options?: UploadOptions): Promise<Array<{ id: string; result?: UploadResult; error?: unknown }>>;
  /** Aborts an unfinished upload on the server and forgets it. */
  discard(id: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Discards records idle for `olderThan` ms; with `prefix`, also aborts such server-side uploads no record knows. */
  sweep(options: { olderThan: number; prefix?: string; signal?: AbortSignal }): Promise<SweepResult>;
  /**
   * Copies an object within the bucket by UploadPartCopy. The target gets the source's Content-Type,
   * metadata, object headers (Content-Disposition, Cache-Control, storage class, encryption, …), ACL
   * and tags; the ACL and tags are read with GetObjectAcl and GetObjectTagging, which the credentials
   * must allow. In browsers only the headers the bucket's CORS ExposeHeaders lists can be seen, and kept.
   */
  copy(sourceKey: string, targetKey: string, options?: CopyOptions): Promise<CopyResult>;
  /** The low-level client with the same connection. */
  readonly client: OssClient;
  /** Stops the hashing workers (they are started again on the next upload). */
  dispose(): void;
};

/** Defaults of {@link UploaderOptions}' upload settings. */
export const uploaderDefaults = {
  partSize: 'auto', concurrency: 4, adaptiveConcurrency: true, contentMd5: true, crc64: false,
} as const satisfies Partial<UploaderOptions>;

const maxKeyBytes = 1023;

function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got \`${String(value)}\` (${typeof value})`);
}

function checkInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`Expected \`${name}\` to be an integer within ${min}..${max}, got \`${String(value)}\` (${typeof value})`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`Expected \`${name}\` to be an integer within ${min}..${max}, got \`${value}\``);
}

/** Whether a value is a `FileSystemFileHandle` of a file (duck-typed: the class is missing outside Chromium). */
function isFileHandle(value: unknown): value is FileSystemFileHandle {
  return typeof value === 'object' && value !== null && (value as FileSystemFileHandle).kind === 'file' &&
    typeof (value as FileSystemFileHandle).getFile === 'function';
}

/** Throws unless `key` is a valid OSS object key (docs/protocol.md §1.1). */
export function checkObjectKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`Expected the object key to be a string, got \`${String(key)}\` (${typeof key})`);
  const bytes = new TextEncoder().encode(key).length;
  if (bytes < 1 || bytes > maxKeyBytes) throw new RangeError(`Expected the object key to be 1..${maxKeyBytes} UTF-8 bytes, got ${bytes}`);
  // A lone UTF-16 surrogate has no UTF-8 form: TextEncoder would silently store U+FFFD instead.
  if (loneSurrogate.test(key)) throw new TypeError('Expected the object key to be well-formed Unicode, got a lone UTF-16 surrogate');
  if (key.startsWith('/') || key.startsWith('\\')) throw new RangeError(`Expected the object key not to start with "/" or "\\", got \`${key}\``);
}

const uploadCallbacks = ['onProgress', 'onPartComplete', 'onStart', 'onResume'] as const;

/** Throws TypeError naming the option unless `options` holds valid {@link UploadOptions}. */
function checkUploadOptions(options: UploadOptions): void {
  requireObject(options, 'upload');
  const { contentType, forbidOverwrite, callback, signal, lock } = options;
  if (contentType !== undefined && typeof contentType !== 'string') throw new TypeError(expected('contentType', 'a string', contentType));
  // Builds the object's headers once to check them (metadata, contentDisposition, tags, …), so a
  // value no header can carry fails here rather than as a network error later.
  objectHeaders(options);
  if (forbidOverwrite !== undefined) checkBoolean(forbidOverwrite, 'forbidOverwrite');
  if (callback !== undefined) {
    const urls: unknown = callback?.url;
    if (callback === null || typeof callback !== 'object') throw new TypeError(expected('callback', 'an object', callback));
    if (typeof urls !== 'string' && !(Array.isArray(urls) && urls.length > 0 && urls.every((url) => typeof url === 'string'))) {
      throw new TypeError(expected('callback.url', 'a string or an array of strings', urls));
    }
    if (typeof callback.body !== 'string') throw new TypeError(expected('callback.body', 'a string', callback.body));
  }
  // Duck-typed: an AbortSignal of another realm (an iframe) is not `instanceof` this one's.
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw new TypeError(expected('signal', 'an AbortSignal', signal));
  }
  for (const name of uploadCallbacks) {
    const listener: unknown = options[name];
    if (listener !== undefined && typeof listener !== 'function') throw new TypeError(expected(name, 'a function', listener));
  }
  if (lock !== undefined && lock !== 'fail' && lock !== 'wait') {
    throw new TypeError(expected('lock', "'fail' or 'wait'", lock));
  }
}

/** Creates an uploader. Options are validated synchronously (TypeError / RangeError naming the option). */
export function createUploader(options: UploaderOptions): Uploader {
  requireObject(options, 'createUploader');
  const client = createOssClient(options);
  const partSize = options.partSize ?? uploaderDefaults.partSize;
  if (partSize !== 'auto') checkPartSize(partSize);
  const concurrency = options.concurrency ?? uploaderDefaults.concurrency;
  checkInteger(concurrency, 'concurrency', 1, 64);
  const adaptiveConcurrency = options.adaptiveConcurrency ?? uploaderDefaults.adaptiveConcurrency;
  checkBoolean(adaptiveConcurrency, 'adaptiveConcurrency');
  const contentMd5 = options.contentMd5 ?? uploaderDefaults.contentMd5;
  checkBoolean(contentMd5, 'contentMd5');
  const crc64 = options.crc64 ?? uploaderDefaults.crc64;
  checkBoolean(crc64, 'crc64');
  const { multipartThreshold } = options;
  if (multipartThreshold !== undefined) checkInteger(multipartThreshold, 'multipartThreshold', 0, 5 * 1024 ** 3);
  if (options.workers !== undefined) checkInteger(options.workers, 'workers', 1, 32);
  const verifyResumedParts = options.verifyResumedParts ?? true;
  checkBoolean(verifyResumedParts, 'verifyResumedParts');
  const settings: EngineSettings = {
    partSize, concurrency, adaptiveConcurrency, contentMd5, crc64, multipartThreshold, retry: normalizeRetry(options.retry), verifyResumedParts,
  };
  const store = options.store ?? defaultStore();
  const storeMethods = ['get', 'create', 'addPart', 'delete', 'list'] as const;
  const missing = storeMethods.filter((name) => typeof (store as unknown as Partial<Record<string, unknown>> | null)?.[name] !== 'function');
  if (missing.length > 0) throw new TypeError(`Expected \`store\` to implement CheckpointStore (get, create, addPart, delete, list); missing ${missing.join(', ')}`);
  const onJournalError = options.onJournalError ?? warnJournalError;
  if (typeof onJournalError !== 'function') throw new TypeError(expected('onJournalError', 'a function', onJournalError));
  let hasher: Hasher | undefined;
  const getHasher = () => (hasher ??= createHasher(options.workers === undefined ? {} : { workers: options.workers }));
  const deps = { client, hasher: getHasher, settings, store, link: createLinkMemory(), endpoint: options.endpoint, bucket: options.bucket, onJournalError };
  const pending = pendingUploads(deps);
  const upload: Uploader['upload'] = (source, key, uploadOptions = {}) => {
    if (!(source instanceof Blob) && !isFileHandle(source)) {
      throw new TypeError(expected('file', 'a Blob, File or FileSystemFileHandle', source));
    }
    checkObjectKey(key);
    checkUploadOptions(uploadOptions);
    if (source instanceof Blob) return runUpload(deps, source, key, uploadOptions);
    return source.getFile().then((file) => runUpload(deps, file, key, uploadOptions, source));
  };
  return {
    client,
    upload,
    listPending: pending.listPending,
    discard: pending.discard,
    sweep: pending.sweep,
    async resume(id, resumeOptions = {}) {
      checkUploadOptions(resumeOptions);
      const { record, file, handle } = await pending.reopen(id);
      return runUpload(deps, file, record.key, { contentType: record.contentType, ...resumeOptions }, handle);
    },
    async resumeAll(resumeOptions = {}) {
      checkUploadOptions(resumeOptions);
      const outcomes: Array<{ id: string; result?: UploadResult; error?: unknown }> = [];
      for (const item of await pending.listPending()) {
        if (!item.hasFileHandle) continue;
        try {
          const { record, file, handle } = await pending.reopen(item.id);
          outcomes.push({ id: item.id, result: await runUpload(deps, file, record.key, { contentType: record.contentType, ...resumeOptions }, handle) });
        } catch (error) {
          if (resumeOptions.signal?.aborted) throw resumeOptions.signal.reason;
          outcomes.push({ id: item.id, error });
        }
      }
      return outcomes;
    },
    copy(sourceKey, targetKey, copyOptions = {}) {
      checkObjectKey(sourceKey);
      checkObjectKey(targetKey);
      // Copies move no bytes over the link, so its speed says nothing about their part size.
      return runCopy(client, { partSize: partSize === 'auto' ? defaultPartSizeBytes : partSize, concurrency }, sourceKey, targetKey, copyOptions);
    },
    dispose() {
      hasher?.dispose();
      hasher = undefined;
    },
  };
}
