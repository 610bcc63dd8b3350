/**
 * `createUploader(options)`: validates once, builds the client and the hashing pool, and returns
 * the upload API as a plain object.
 */
import { createLinkMemory } from './core/part-size.js';
import { runUpload } from './core/upload.js';
import { createHasher, type Hasher } from './hashing/hash-pool.js';
import { expected } from './describe.js';
import { openOssClient, type OssClient } from './oss/client.js';
import { checkObjectKey, checkUploadOptions, resolveUploaderOptions, resolveUploadOptions } from './options.js';
import type { UploaderOptions, UploadOptions, UploadResult } from './types.js';
import { registerUploader } from './uploader-state.js';

/**
 * The uploader API. The rarer operations are functions that take the uploader, so that apps which
 * do not use them do not ship them: {@link copyObject}, {@link listPending}, {@link resumePending},
 * {@link resumeAllPending}, {@link discardPending} and {@link sweepPending}.
 */
export type Uploader = {
  /**
   * Uploads a Blob/File (or the file behind a `FileSystemFileHandle`, which is then kept so a later
   * `resumePending(uploader, id)` needs no file picker) to `key`; multipart above
   * `multipartThreshold`. An unfinished upload of the same file to the same key resumes with only
   * the parts the server lacks.
   */
  upload(file: Blob | FileSystemFileHandle, key: string, options?: UploadOptions): Promise<UploadResult>;
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
  const upload: Uploader['upload'] = (source, key, uploadOptions = {}) => {
    if (!(source instanceof Blob) && !isFileHandle(source)) {
      throw new TypeError(expected('file', 'a Blob, File or FileSystemFileHandle', source));
    }
    checkObjectKey(key);
    checkUploadOptions(uploadOptions);
    if (source instanceof Blob) return runUpload(deps, source, key, resolveUploadOptions(uploadOptions, source));
    return source.getFile().then((file) => runUpload(deps, file, key, resolveUploadOptions(uploadOptions, file), source));
  };
  const uploader: Uploader = {
    client,
    upload,
    dispose() {
      hasher?.dispose();
      hasher = undefined;
    },
  };
  registerUploader(uploader, deps);
  return uploader;
}
