/**
 * Runs ONE upload: plan → (single PutObject | fingerprint → lock → resume or Initiate → missing
 * parts → Complete → drop the journal record). Coordinates and delegates: the session, the part
 * sender and Complete live in their own modules.
 */
import { crc64Combine } from '../hashing/crc64-combine.js';
import type { Hasher } from '../hashing/hasher.js';
import { OssIntegrityError } from '../errors.js';
import type { OssClient } from '../oss/client.js';
import { etagMatchesMd5 } from '../oss/etag.js';
import { fileIdentity, fingerprintFile } from '../persistence/fingerprint.js';
import { withUploadLock } from '../persistence/lock.js';
import type { CheckpointStore } from '../persistence/store.js';
import type { UploadOptions, UploadPhase, UploadResult } from '../types.js';
import { completeSettled } from './complete.js';
import { readingFile } from './file-read.js';
import { effectivePartSize, planParts, type PartPlan } from './plan.js';
import { createProgressReporter, deriveProgress } from './progress.js';
import type { ResolvedRetry } from './retry.js';
import { checkCrc, sendParts } from './send-parts.js';
import { journalPart, openSession, type DonePart } from './session.js';

/** Settled uploader settings the engine runs with. */
export type EngineSettings = {
  readonly partSize: number;
  readonly concurrency: number;
  readonly contentMd5: boolean;
  readonly crc64: boolean;
  readonly multipartThreshold: number;
  readonly retry: ResolvedRetry;
  readonly verifyResumedParts: boolean;
};

/** What the engine needs from the uploader. */
export type EngineDeps = {
  readonly client: OssClient;
  readonly hasher: () => Hasher;
  readonly settings: EngineSettings;
  readonly store: CheckpointStore;
  readonly endpoint: string;
  readonly bucket: string;
};

function progressTracker(size: number, totalParts: number, listener: UploadOptions['onProgress']) {
  const reporter = createProgressReporter(listener);
  const samples: Array<readonly [number, number]> = [];
  const state = { doneBytes: 0, doneParts: 0 };
  return {
    state,
    /** Starts measuring speed from the bytes already done (parts found on the server count, but not as speed). */
    startClock: () => samples.push([Date.now(), state.doneBytes]),
    partDone(bytes: number) {
      state.doneBytes += bytes;
      state.doneParts += 1;
      samples.push([Date.now(), state.doneBytes]);
      if (samples.length > 64) samples.splice(0, samples.length - 64);
    },
    report(phase: UploadPhase, flush = false) {
      reporter.report(deriveProgress({ phase, totalBytes: size, totalParts, ...state, samples, now: Date.now() }), flush);
    },
    stop: () => reporter.stop(),
  };
}

/** Uploads `file` to `key`; `fileHandle` (if the file came from one) is kept in the journal. */
export async function runUpload(deps: EngineDeps, file: Blob, key: string, options: UploadOptions, fileHandle?: FileSystemFileHandle): Promise<UploadResult> {
  const { settings } = deps;
  const { signal } = options;
  signal?.throwIfAborted();
  const partSize = effectivePartSize(file.size, settings.partSize);
  const plan = file.size <= settings.multipartThreshold ? [] : planParts(file.size, partSize);
  const progress = progressTracker(file.size, Math.max(1, plan.length), options.onProgress);
  try {
    // A multipart upload reports its first progress once the session knows what the server already
    // has, so a resumed upload never shows 0 % and then jumps.
    // A file that changes on disk mid-upload fails every later read: that becomes ResumeMismatchError.
    if (plan.length === 0) return await readingFile(file, signal, () => putWhole(deps, file, key, options, progress));
    const { fingerprint, id } = await readingFile(file, signal, () => fingerprintFile(file, { bucket: deps.bucket, key }, deps.hasher(), signal));
    const { name, lastModified } = fileIdentity(file);
    const target = {
      id, fingerprint, endpoint: deps.endpoint, bucket: deps.bucket, key, partSize, file, fileName: name, lastModified,
      contentType: options.contentType ?? (file.type || 'application/octet-stream'), contentTypeGiven: options.contentType !== undefined, fileHandle,
    };
    return await withUploadLock(id, options.lock ?? 'fail', signal, async () => {
      const session = await openSession(deps.client, deps.store, plan, target, options);
      options.onStart?.({ id, uploadId: session.uploadId, key });
      for (const part of session.done.values()) progress.partDone(part.size);
      progress.startClock();
      progress.report('hashing', true);
      let journalFailed = false;
      await readingFile(file, signal, () => sendParts({
        client: deps.client, hasher: deps.hasher, file, key, uploadId: session.uploadId, concurrency: settings.concurrency, signal,
        what: { md5: settings.contentMd5, crc64: settings.crc64 },
        sending: () => progress.report('uploading'),
        acknowledged: async (part: PartPlan, done: DonePart, replaced: boolean) => {
          try {
            await deps.store.addPart(id, journalPart(part.partNumber, done.etag, part.size, done.md5 || undefined), Date.now());
          } catch (error) {
            // The server has the part; only resuming after a reload is at stake (e.g. IndexedDB quota).
            if (!journalFailed) console.warn('oss-resumable: could not write the upload journal; this upload cannot resume after a reload', error);
            journalFailed = true;
          }
          session.done.set(part.partNumber, done);
          if (!replaced) progress.partDone(part.size); // a replaced part was counted when the resume trusted it
          progress.report('uploading');
          options.onPartComplete?.({ partNumber: part.partNumber, etag: done.etag, size: part.size });
        },
      }, settings.verifyResumedParts
        ? plan.map((part) => ({ part, trusted: session.done.get(part.partNumber) }))
        : session.missing.map((part) => ({ part }))));
      progress.report('completing', true);
      const parts = plan.map((p) => ({ partNumber: p.partNumber, etag: session.done.get(p.partNumber)!.etag }));
      const completed = await completeSettled(deps.client, deps.hasher, settings.retry, key, session.uploadId, parts, options);
      if (settings.crc64) {
        const combined = plan.reduce((acc, p) => crc64Combine(acc, session.done.get(p.partNumber)!.crc64 ?? 0n, p.size), 0n);
        checkCrc('CompleteMultipartUpload', combined, completed.crc64, true);
      }
      await deps.store.delete(id).catch(() => undefined);
      progress.report('done', true);
      return {
        key, etag: completed.etag, size: file.size, requestId: completed.requestId,
        ...(completed.crc64 ? { crc64: completed.crc64 } : {}),
        ...('callbackResult' in completed ? { callbackResult: completed.callbackResult } : {}),
      };
    });
  } finally {
    progress.stop();
  }
}

/** Files up to the threshold: one PutObject with Content-MD5 (nothing to journal). */
async function putWhole(deps: EngineDeps, file: Blob, key: string, options: UploadOptions, progress: ReturnType<typeof progressTracker>): Promise<UploadResult> {
  const { settings } = deps;
  const what = { md5: settings.contentMd5, crc64: settings.crc64 };
  progress.report('hashing', true);
  const digest = what.md5 || what.crc64 ? await deps.hasher().hash(file, what, options.signal) : {};
  progress.report('uploading', true);
  const put = await deps.client.putObject(key, file, {
    contentType: options.contentType ?? (file.type || 'application/octet-stream'), metadata: options.metadata,
    forbidOverwrite: options.forbidOverwrite, signal: options.signal, contentMd5: digest.md5Base64, callback: options.callback,
  });
  if (digest.md5Hex && !etagMatchesMd5(put.etag, digest.md5Hex)) throw new OssIntegrityError(`PutObject: the server's ETag ${put.etag} is not the MD5 of the bytes sent`);
  checkCrc('PutObject', digest.crc64, put.crc64, settings.crc64);
  progress.partDone(file.size);
  progress.report('done', true);
  return { key, etag: put.etag, size: file.size, requestId: put.requestId, ...(put.crc64 ? { crc64: put.crc64 } : {}), ...('callbackResult' in put ? { callbackResult: put.callbackResult } : {}) };
}
