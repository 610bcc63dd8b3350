/**
 * `createUploader(options)`: validates once, builds the client and the hashing pool, and returns
 * the upload API as a plain object (house style rule 30).
 */
import { runCopy, type CopyOptions, type CopyResult } from './core/copy.js';
import { checkPartSize, defaultPartSizeBytes } from './core/plan.js';
import { normalizeRetry } from './core/retry.js';
import { runUpload, type EngineSettings } from './core/upload.js';
import { createHasher, type Hasher } from './hashing/hash-pool.js';
import { createOssClient, type OssClient } from './oss/client.js';
import { requireObject } from './oss/connection.js';
import type { UploaderOptions, UploadOptions, UploadResult } from './types.js';

/** The uploader API. */
export type Uploader = {
  /** Uploads a Blob/File to `key`; multipart above `multipartThreshold`. */
  upload(file: Blob, key: string, options?: UploadOptions): Promise<UploadResult>;
  /** Copies an object within the bucket by UploadPartCopy. */
  copy(sourceKey: string, targetKey: string, options?: CopyOptions): Promise<CopyResult>;
  /** The low-level client with the same connection. */
  readonly client: OssClient;
  /** Stops the hashing workers (they are started again on the next upload). */
  dispose(): void;
};

/** Defaults of {@link UploaderOptions}' upload settings. */
export const uploaderDefaults = { partSize: defaultPartSizeBytes, concurrency: 4, contentMd5: true, crc64: false } as const satisfies Partial<UploaderOptions>;

const maxKeyBytes = 1023;

function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got \`${String(value)}\` (${typeof value})`);
}

function checkInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`Expected \`${name}\` to be an integer within ${min}..${max}, got \`${String(value)}\` (${typeof value})`);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`Expected \`${name}\` to be an integer within ${min}..${max}, got \`${value}\``);
}

/** Throws unless `key` is a valid OSS object key (oss-protocol.md §1.1). */
export function checkObjectKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`Expected the object key to be a string, got \`${String(key)}\` (${typeof key})`);
  const bytes = new TextEncoder().encode(key).length;
  if (bytes < 1 || bytes > maxKeyBytes) throw new RangeError(`Expected the object key to be 1..${maxKeyBytes} UTF-8 bytes, got ${bytes}`);
  if (key.startsWith('/') || key.startsWith('\\')) throw new RangeError(`Expected the object key not to start with "/" or "\\", got \`${key}\``);
}

/** Creates an uploader. Options are validated synchronously (TypeError / RangeError naming the option). */
export function createUploader(options: UploaderOptions): Uploader {
  requireObject(options, 'createUploader');
  const client = createOssClient(options);
  const partSize = options.partSize ?? uploaderDefaults.partSize;
  checkPartSize(partSize);
  const concurrency = options.concurrency ?? uploaderDefaults.concurrency;
  checkInteger(concurrency, 'concurrency', 1, 64);
  const contentMd5 = options.contentMd5 ?? uploaderDefaults.contentMd5;
  checkBoolean(contentMd5, 'contentMd5');
  const crc64 = options.crc64 ?? uploaderDefaults.crc64;
  checkBoolean(crc64, 'crc64');
  const multipartThreshold = options.multipartThreshold ?? partSize;
  checkInteger(multipartThreshold, 'multipartThreshold', 0, 5 * 1024 ** 3);
  if (options.workers !== undefined) checkInteger(options.workers, 'workers', 1, 32);
  const settings: EngineSettings = { partSize, concurrency, contentMd5, crc64, multipartThreshold, retry: normalizeRetry(options.retry) };
  let hasher: Hasher | undefined;
  const getHasher = () => (hasher ??= createHasher(options.workers === undefined ? {} : { workers: options.workers }));
  return {
    client,
    upload(file, key, uploadOptions = {}) {
      if (!(file instanceof Blob)) throw new TypeError(`Expected \`file\` to be a Blob or File, got \`${String(file)}\` (${typeof file})`);
      checkObjectKey(key);
      requireObject(uploadOptions, 'upload');
      return runUpload({ client, hasher: getHasher, settings }, file, key, uploadOptions);
    },
    copy(sourceKey, targetKey, copyOptions = {}) {
      checkObjectKey(sourceKey);
      checkObjectKey(targetKey);
      return runCopy(client, settings, sourceKey, targetKey, copyOptions);
    },
    dispose() {
      hasher?.dispose();
      hasher = undefined;
    },
  };
}
