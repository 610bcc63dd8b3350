/**
 * The options of `createUploader`, `createOssClient` and `upload()` in one place: every default
 * declared once ({@link uploaderDefaults}, {@link uploadDefaults}, {@link retryDefaults}), every check
 * (TypeError for a wrong type, RangeError out of range, naming the option, the value shown by
 * src/describe.ts), and the resolved forms, with no optional settings left for a layer to default.
 * Checked where parsed anyway: endpoint and region (src/oss/url.ts), object headers as they are
 * built (src/oss/object-headers.ts). test/unit/option-defaults.test.ts holds the defaults to the
 * `@default` tags of src/types.ts, which is what apps read (docs/architecture.md#options).
 */
import { describeValue, expected } from './describe.js';
import type { Crc64Check } from './hashing/crc64-combine.js';
import type { HasherOptions } from './hashing/hasher.js';
import type { CredentialsSource } from './oss/credentials.js';
import { maxKeyBytes, maxPartSizeBytes, minPartSizeBytes } from './oss/limits.js';
import { loneSurrogate, objectHeaders } from './oss/object-headers.js';
import { signerV4 } from './oss/signing-v4.js';
import type { OssSigner } from './oss/signing-types.js';
import { normalizeRegion, parseEndpoint, type Endpoint } from './oss/url.js';
import { defaultStore } from './persistence/idb-store.js';
import type { CheckpointStore } from './persistence/store.js';
import { warnJournalError, type JournalErrorListener } from './persistence/tolerant-store.js';
import type { ConnectionOptions, RetryOptions, UploaderOptions, UploadOptions } from './types.js';

// Defaults

/** Settled retry settings. */
export type ResolvedRetry = { readonly limit: number; readonly baseDelayMs: number; readonly maxDelayMs: number };

/** Defaults of {@link RetryOptions}. */
// Eight retries span 29–58 s (equal jitter): a resumable uploader should outlast a server restart
// or a short outage rather than fail the upload. Five (4.65–9.3 s) were not enough: a SIGKILLed
// server that took a few seconds to come back on a loaded machine failed the chaos e2e (e2e/chaos.spec.ts,
// CHAOS_SEED=753971950 in CI). Offline time is not counted at all (src/async/online.ts).
export const retryDefaults: ResolvedRetry = { limit: 8, baseDelayMs: 300, maxDelayMs: 20_000 };

/**
 * Defaults of {@link UploaderOptions} (connection options included). Three are not plain values and
 * are applied by {@link resolveUploaderOptions} instead: `store` (IndexedDB, or memory in Node),
 * `onJournalError` (one console warning) and `multipartThreshold` (the part size chosen for each
 * file); the default of `workers` is the hashing pool's own (src/hashing/hash-pool.ts).
 */
export const uploaderDefaults = {
  pathStyle: false, signer: signerV4, retry: retryDefaults, stallTimeout: 30_000,
  partSize: 'auto', concurrency: 4, adaptiveConcurrency: true, contentMd5: true, crc64: false, verifyResumedParts: true,
} as const satisfies Partial<UploaderOptions>;

/** Defaults of {@link UploadOptions} that change what the SDK does; the rest, left out, send nothing. */
export const uploadDefaults = { lock: 'fail' } as const satisfies Partial<UploadOptions>;

// Checks shared by every option

/** Throws TypeError unless `options` is an object; used by every factory. */
export function requireObject(options: unknown, name: string): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected \`${name}\` options to be an object, got ${describeValue(options)}`);
}

function checkBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(expected(name, 'a boolean', value));
}

/** The names in `methods` that `value` (an option taking an object: signer, crc64, store) has no function under. */
function missingMethods(value: unknown, methods: readonly string[]): string[] {
  return methods.filter((name) => typeof (value as Partial<Record<string, unknown>> | null)?.[name] !== 'function');
}

/** TypeError unless a number, RangeError unless an integer within `min..max`. */
function checkInteger(value: unknown, name: string, min: number, max: number, what = `an integer within ${min}..${max}`): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(expected(name, what, value));
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(expected(name, what, value));
}

/** Throws (TypeError / RangeError) unless `partSize` is an integer within the OSS limits. */
export function checkPartSize(partSize: unknown): asserts partSize is number {
  checkInteger(partSize, 'partSize', minPartSizeBytes, maxPartSizeBytes);
}

// Connection options (createOssClient, and createUploader through it)

/** {@link ConnectionOptions} checked, with every default applied: what the transport is built from. */
export type ResolvedConnection = {
  readonly endpoint: Endpoint;
  readonly bucket: string;
  /** Without the `oss-` prefix. */
  readonly region: string;
  readonly signer: OssSigner;
  readonly credentials: CredentialsSource;
  readonly retry: ResolvedRetry;
  readonly stallTimeoutMs: number;
};

const bucketPattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Checks `retry` and fills in its defaults; a number sets `limit`. */
export function normalizeRetry(input: number | RetryOptions | undefined): ResolvedRetry {
  const options = typeof input === 'number' ? { limit: input } : (input ?? {});
  if (typeof options !== 'object') throw new TypeError(expected('retry', 'a number or an object', input));
  const resolved = { ...retryDefaults, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || (value as number) < 0) throw new RangeError(expected(`retry.${name}`, 'an integer ≥ 0', value));
  }
  return resolved;
}

/** Checks connection options (TypeError / RangeError naming the option) and resolves them. */
export function resolveConnectionOptions(options: ConnectionOptions): ResolvedConnection {
  requireObject(options, 'createOssClient');
  const { endpoint, bucket, region, credentials } = options;
  // `??`, not destructuring defaults: an option given as null takes its default too.
  const pathStyle = options.pathStyle ?? uploaderDefaults.pathStyle;
  const signer = options.signer ?? uploaderDefaults.signer;
  const stallTimeout = options.stallTimeout ?? uploaderDefaults.stallTimeout;
  // 0.2.0 replaced the whole-attempt `timeout` with `stallTimeout`; a silently ignored option would
  // bring back the very cut-offs it caused on slow links.
  if ('timeout' in options) throw new TypeError('The `timeout` option was replaced by `stallTimeout` (ms without any byte moving; see the CHANGELOG for 0.2.0)');
  // 0.2.0 made V1 an import (apps on V4 do not ship it): a string left in place would sign V4 silently.
  if ('signatureVersion' in options) throw new TypeError("`signatureVersion` was replaced by `signer` (V4 by default; V1: import { signerV1 } from 'oss-resumable')");
  if (typeof endpoint !== 'string') throw new TypeError(expected('endpoint', 'a string', endpoint));
  if (typeof bucket !== 'string' || !bucketPattern.test(bucket)) throw new TypeError(expected('bucket', 'a bucket name (3–63 of a-z, 0-9, -)', bucket));
  checkBoolean(pathStyle, 'pathStyle');
  if (missingMethods(signer, ['sign', 'presign']).length > 0) throw new TypeError(expected('signer', 'signerV4 or signerV1', signer));
  checkInteger(stallTimeout, 'stallTimeout', 1000, 3_600_000, 'an integer within 1000..3600000 (ms)');
  if (credentials === null || (typeof credentials !== 'object' && typeof credentials !== 'function')) {
    throw new TypeError(expected('credentials', 'an object or a function', credentials));
  }
  return {
    endpoint: parseEndpoint(endpoint, pathStyle), bucket, region: normalizeRegion(region), signer, credentials,
    retry: normalizeRetry(options.retry), stallTimeoutMs: stallTimeout,
  };
}

// createUploader options

/** The uploader's settings the engine runs with (src/core/upload.ts), every default applied. */
export type ResolvedSettings = {
  readonly partSize: number | 'auto';
  readonly concurrency: number;
  readonly adaptiveConcurrency: boolean;
  readonly contentMd5: boolean;
  readonly crc64: Crc64Check | false;
  /** `'partSize'`: the part size chosen for each file (the documented default). */
  readonly multipartThreshold: number | 'partSize';
  readonly retry: ResolvedRetry;
  readonly verifyResumedParts: boolean;
};

/** {@link UploaderOptions} checked and resolved. */
export type ResolvedUploaderOptions = {
  readonly connection: ResolvedConnection;
  readonly settings: ResolvedSettings;
  readonly store: CheckpointStore;
  readonly onJournalError: JournalErrorListener;
  /** What the hashing pool is created with; it picks the worker count itself when none is given. */
  readonly hasher: HasherOptions;
};

/** Checks every option of `createUploader` (TypeError / RangeError naming the option) and resolves them. */
export function resolveUploaderOptions(options: UploaderOptions): ResolvedUploaderOptions {
  requireObject(options, 'createUploader');
  const connection = resolveConnectionOptions(options);
  const d = uploaderDefaults;
  const { multipartThreshold, workers } = options;
  const partSize = options.partSize ?? d.partSize;
  const concurrency = options.concurrency ?? d.concurrency;
  const adaptiveConcurrency = options.adaptiveConcurrency ?? d.adaptiveConcurrency;
  const contentMd5 = options.contentMd5 ?? d.contentMd5;
  const crc64 = options.crc64 ?? d.crc64;
  const verifyResumedParts = options.verifyResumedParts ?? d.verifyResumedParts;
  const store = options.store ?? defaultStore();
  const onJournalError = options.onJournalError ?? warnJournalError;
  if (partSize !== 'auto') checkPartSize(partSize);
  checkInteger(concurrency, 'concurrency', 1, 64);
  checkBoolean(adaptiveConcurrency, 'adaptiveConcurrency');
  checkBoolean(contentMd5, 'contentMd5');
  // Names the import, because `true` (the 0.1 form) would otherwise get a bare type error.
  if (crc64 !== false && missingMethods(crc64, ['combine']).length > 0) throw new TypeError(expected('crc64', "false or the `crc64` export (import { crc64 } from 'oss-resumable')", crc64));
  if (multipartThreshold !== undefined) checkInteger(multipartThreshold, 'multipartThreshold', 0, 5 * 1024 ** 3);
  if (workers !== undefined) checkInteger(workers, 'workers', 1, 32);
  checkBoolean(verifyResumedParts, 'verifyResumedParts');
  const missing = missingMethods(store, ['get', 'create', 'addPart', 'delete', 'list']);
  if (missing.length > 0) throw new TypeError(`Expected \`store\` to implement CheckpointStore (get, create, addPart, delete, list); missing ${missing.join(', ')}`);
  if (typeof onJournalError !== 'function') throw new TypeError(expected('onJournalError', 'a function', onJournalError));
  return {
    connection,
    settings: {
      partSize, concurrency, adaptiveConcurrency, contentMd5, crc64, multipartThreshold: multipartThreshold ?? 'partSize', retry: connection.retry, verifyResumedParts,
    },
    store,
    onJournalError,
    hasher: workers === undefined ? {} : { workers },
  };
}

// upload() / resume() arguments

/** Throws unless `key` is a valid OSS object key (docs/protocol.md §1.1). */
export function checkObjectKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`Expected the object key to be a string, got ${describeValue(key)}`);
  const bytes = new TextEncoder().encode(key).length;
  if (bytes < 1 || bytes > maxKeyBytes) throw new RangeError(`Expected the object key to be 1..${maxKeyBytes} UTF-8 bytes, got ${bytes}`);
  // A lone UTF-16 surrogate has no UTF-8 form: TextEncoder would silently store U+FFFD instead.
  if (loneSurrogate.test(key)) throw new TypeError('Expected the object key to be well-formed Unicode, got a lone UTF-16 surrogate');
  if (key.startsWith('/') || key.startsWith('\\')) throw new RangeError(`Expected the object key not to start with "/" or "\\", got \`${key}\``);
}

const uploadCallbacks = ['onProgress', 'onPartComplete', 'onStart', 'onResume'] as const;

/** Throws TypeError (RangeError for a value out of OSS's limits) naming the option unless `options` holds valid {@link UploadOptions}. */
export function checkUploadOptions(options: UploadOptions): void {
  requireObject(options, 'upload');
  const { contentType, forbidOverwrite, callback, signal, lock } = options;
  if (contentType !== undefined && typeof contentType !== 'string') throw new TypeError(expected('contentType', 'a string', contentType));
  // Builds the object's headers once to check them (metadata, contentDisposition, tags, …): the
  // header builder checks each value as it encodes it (src/oss/object-headers.ts).
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

/** {@link UploadOptions} of one upload with their defaults applied (checked by {@link checkUploadOptions}). */
export type ResolvedUploadOptions = UploadOptions & {
  readonly lock: 'fail' | 'wait';
  /** The object's Content-Type: the option, else the file's `type`, else `application/octet-stream`. */
  readonly contentType: string;
  /** Whether the caller gave `contentType` (then a journalled upload with another one cannot be continued). */
  readonly contentTypeGiven: boolean;
};

/** Applies the defaults of checked upload options for `file`. */
export function resolveUploadOptions(options: UploadOptions, file: Blob): ResolvedUploadOptions {
  const { contentType } = options;
  return { ...options, lock: options.lock ?? uploadDefaults.lock, contentType: contentType ?? (file.type || 'application/octet-stream'), contentTypeGiven: contentType !== undefined };
}
