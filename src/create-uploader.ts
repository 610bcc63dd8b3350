/**
 * `createUploader(options)`: validates once, builds the client and the hashing pool, and returns
 * the upload API as a plain object.
 */
import { runCopy, type CopyOptions, type CopyResult } from './core/copy.js';
import { createLinkMemory } from './core/part-size.js';
import { defaultPartSizeBytes } from './core/plan.js';
import { runUpload } from './core/upload.js';
import { pendingUploads, type PendingUpload, type SweepResult } from './core/pending.js';
import { createHasher, type Hasher } from './hashing/hash-pool.js';
import { expected } from './describe.js';
import { openOssClient, type OssClient } from './oss/client.js';
import { checkObjectKey, checkUploadOptions, resolveUploaderOptions, resolveUploadOptions } from './options.js';
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

/** Whether a value is a `FileSystemFileHandle` of a file (duck-typed: the class is missing outside Chromium). */
function isFileHandle(value: unknown): value is FileSystemFileHandle {
  return typeof value === 'object' && value !== null && (value as FileSystemFileHandle).kind === 'file' &&
    typeof (value as FileSystemFileHandle).getFile === 'function';
}

/** Creates an uploader. Options are validated synchronously (TypeError / RangeError naming the option). */
export function createUploader(options: UploaderOptions): Uploader {
  const { connection, settings, store, onJournalError, hasher: hasherOptions } = resolveUploaderOptions(options);
  const client = openOssClient(connection);
  let hasher: Hasher | undefined;
  const getHasher = () => (hasher ??= createHasher(hasherOptions));
  const deps = { client, hasher: getHasher, settings, store, link: createLinkMemory(), endpoint: options.endpoint, bucket: options.bucket, onJournalError };
  const pending = pendingUploads(deps);
  const upload: Uploader['upload'] = (source, key, uploadOptions = {}) => {
    if (!(source instanceof Blob) && !isFileHandle(source)) {
      throw new TypeError(expected('file', 'a Blob, File or FileSystemFileHandle', source));
    }
    checkObjectKey(key);
    checkUploadOptions(uploadOptions);
    if (source instanceof Blob) return runUpload(deps, source, key, resolveUploadOptions(uploadOptions, source));
    return source.getFile().then((file) => runUpload(deps, file, key, resolveUploadOptions(uploadOptions, file), source));
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
      return runUpload(deps, file, record.key, resolveUploadOptions({ contentType: record.contentType, ...resumeOptions }, file), handle);
    },
    async resumeAll(resumeOptions = {}) {
      checkUploadOptions(resumeOptions);
      const outcomes: Array<{ id: string; result?: UploadResult; error?: unknown }> = [];
      for (const item of await pending.listPending()) {
        if (!item.hasFileHandle) continue;
        try {
          const { record, file, handle } = await pending.reopen(item.id);
          const options = resolveUploadOptions({ contentType: record.contentType, ...resumeOptions }, file);
          outcomes.push({ id: item.id, result: await runUpload(deps, file, record.key, options, handle) });
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
      const { partSize, concurrency } = settings;
      return runCopy(client, { partSize: partSize === 'auto' ? defaultPartSizeBytes : partSize, concurrency }, sourceKey, targetKey, copyOptions);
    },
    dispose() {
      hasher?.dispose();
      hasher = undefined;
    },
  };
}
