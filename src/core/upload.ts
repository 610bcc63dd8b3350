/**
 * Runs ONE upload: part size → (single PutObject | fingerprint → lock → resume or Initiate →
 * the parts resume.ts says to send or verify → Complete → the journal record becomes a completed
 * marker). Coordinates and delegates: the session, the part sender, Complete and the progress
 * tracker live in their own modules.
 */
import type { Hasher } from '../hashing/hasher.js';
import { OssServiceError } from '../errors.js';
import type { OssClient } from '../oss/client.js';
import { fileIdentity, fingerprintFile } from '../persistence/fingerprint.js';
import { withUploadLock } from '../persistence/lock.js';
import { tolerantStore, type JournalErrorListener } from '../persistence/tolerant-store.js';
import type { UploadRecord } from '../persistence/record.js';
import type { CheckpointStore } from '../persistence/store.js';
import type { ResolvedSettings, ResolvedUploadOptions } from '../options.js';
import type { UploadResult } from '../types.js';
import { completeSettled } from './complete.js';
import { anySignal } from '../async/abort.js';
import { checkUnchanged, explainSendFailure, readingFile, rehashUnchanged, watchFile } from './file-read.js';
import { checkCrc, checkEtag } from './integrity.js';
import { choosePartSize, type LinkMemory } from './part-size.js';
import { minPartSizeBytes } from '../oss/limits.js';
import { effectivePartSize, isUsablePartSize, planParts } from './plan.js';
import { sendParts } from './send-parts.js';
import { journalPart, openSession } from './session.js';
import { createUploadTracker, type UploadTracker } from './upload-progress.js';

/** What the engine needs from the uploader. */
export type EngineDeps = {
  readonly client: OssClient;
  readonly hasher: () => Hasher;
  /** Settled uploader settings, every default applied (src/options.ts). */
  readonly settings: ResolvedSettings;
  readonly store: CheckpointStore;
  /** The link throughput earlier uploads of this uploader measured (part-size.ts). */
  readonly link: LinkMemory;
  readonly endpoint: string;
  readonly bucket: string;
  /** Told of the first journal failure of each upload (`UploaderOptions.onJournalError`). */
  readonly onJournalError: JournalErrorListener;
};

/** The digests each part is hashed for: Content-MD5 and, when the `crc64` option is given, CRC-64. */
function digestsOf(settings: ResolvedSettings): { readonly md5: boolean; readonly crc64: boolean } {
  return { md5: settings.contentMd5, crc64: settings.crc64 !== false };
}

/** Ends a tracker and lets the uploader learn the link's throughput from what it measured. */
function finish(deps: EngineDeps, tracker: UploadTracker): void {
  const { movedBytes, sendingMs } = tracker.stop();
  deps.link.record(movedBytes, sendingMs, Date.now());
}

/** Uploads `file` to `key`; `fileHandle` (if the file came from one) is kept in the journal. */
export async function runUpload(engineDeps: EngineDeps, file: Blob, key: string, options: ResolvedUploadOptions, fileHandle?: FileSystemFileHandle): Promise<UploadResult> {
  // A failing journal (IndexedDB blocked or full) costs this upload its resumability, with one report, never the upload.
  const deps: EngineDeps = { ...engineDeps, store: tolerantStore(engineDeps.store, key, engineDeps.onJournalError) };
  const { settings } = deps;
  const { signal } = options;
  signal?.throwIfAborted();
  // A completed marker written after this moment answers this call (see the lock below). It is the
  // call's start, not the moment it asks for the lock: reading the fingerprint can take longer
  // than the rest of another tab's upload (a slow disk, a page still loading its hash worker).
  // Strictly after: a marker from the same millisecond may be an upload this call follows, and
  // uploading again is the safe reading of a tie.
  const calledAt = Date.now();
  const auto = settings.partSize === 'auto';
  const partSize = effectivePartSize(file.size, auto ? choosePartSize(file.size, deps.link.bytesPerSecond(Date.now())) : settings.partSize);
  const identify = () => fingerprintFile(file, { bucket: deps.bucket, key }, deps.hasher(), signal);
  // A file that changes on disk mid-upload fails every later read: that becomes ResumeMismatchError.
  return readingFile(file, signal, async () => {
    let identity: Awaited<ReturnType<typeof identify>> | undefined;
    if (file.size <= (settings.multipartThreshold === 'partSize' ? partSize : settings.multipartThreshold)) {
      // With automatic part sizes an earlier page may have started this file as a multipart upload
      // with smaller parts (it knew the link was slow): its journal wins over a fresh PutObject.
      if (!auto || file.size <= minPartSizeBytes) return putWhole(deps, file, key, options);
      identity = await identify();
      const journalled = await deps.store.get(identity.id);
      if (!journalled || journalled.completed) return putWhole(deps, file, key, options);
    }
    const { fingerprint, id } = identity ?? await identify();
    return withUploadLock(id, options.lock, signal, async () => {
      let record = await deps.store.get(id);
      if (record?.completed) {
        // Completed after this call began: whoever held the lock uploaded this very file (same
        // fingerprint) while this call read the file or waited. An older marker is an earlier
        // upload, and uploading again is what this call asked for (new headers, callback …): it is
        // replaced below.
        const result = record.updatedAt > calledAt && record.fingerprint === fingerprint
          ? await stillStored(deps, record.completed, signal) : undefined;
        if (result) return { ...result, completedElsewhere: true };
        record = undefined;
      }
      // A resume plans the parts it was started with; only an explicit, different partSize starts afresh.
      const resumedSize = auto && record?.fileSize === file.size && isUsablePartSize(file.size, record.partSize) ? record.partSize : undefined;
      return runMultipart(deps, file, key, options, { id, fingerprint, partSize: resumedSize ?? partSize, record, fileHandle });
    });
  });
}

/** Everything {@link runMultipart} knows about the upload before it starts. */
type MultipartStart = {
  readonly id: string;
  readonly fingerprint: string;
  readonly partSize: number;
  readonly record: UploadRecord | undefined;
  readonly fileHandle: FileSystemFileHandle | undefined;
};

async function runMultipart(deps: EngineDeps, file: Blob, key: string, options: ResolvedUploadOptions, start: MultipartStart): Promise<UploadResult> {
  const { settings } = deps;
  const { signal } = options;
  const { id, partSize } = start;
  const plan = planParts(file.size, partSize);
  const { name, lastModified } = fileIdentity(file);
  // What the fingerprint is taken of: sampled again once sending failed, and before Complete.
  const sampled = { bucket: deps.bucket, key };
  const target = {
    id, fingerprint: start.fingerprint, endpoint: deps.endpoint, bucket: deps.bucket, key, partSize, file, fileName: name, lastModified,
    contentType: options.contentType, contentTypeGiven: options.contentTypeGiven, fileHandle: start.fileHandle,
  };
  const tracker = createUploadTracker({
    sizes: plan.map((part) => part.size), totalBytes: file.size, listeners: options,
    lanes: { max: settings.concurrency, adaptive: settings.adaptiveConcurrency },
  });
  try {
    const session = await openSession(deps.client, deps.store, plan, target, options, start.record, settings.verifyResumedParts);
    options.onStart?.({ id, uploadId: session.uploadId, key });
    // The first progress comes once the session knows what the server already has, so a resumed
    // upload never shows 0 % and then jumps.
    for (const partNumber of session.done.keys()) tracker.board.done(partNumber, true);
    tracker.startClock();
    tracker.report('hashing', true);
    // Ends the sending at once when WebKit shows the file changed (it would let the requests hang).
    const watch = watchFile(file);
    await sendParts({
      client: deps.client, hasher: deps.hasher, file, key, uploadId: session.uploadId, signal: anySignal([signal, watch.signal]), what: digestsOf(settings),
      concurrency: settings.concurrency, lanes: tracker.lanes, board: tracker.board,
      acknowledged: async (part, done) => {
        // Never rejects: the tolerant store reports a failed write (the server has the part; only
        // resuming after a reload is at stake, e.g. IndexedDB quota).
        await deps.store.addPart(id, journalPart(part.partNumber, done.etag, part.size, done.md5 || undefined), Date.now());
        session.done.set(part.partNumber, done);
        tracker.board.done(part.partNumber);
        options.onPartComplete?.({ partNumber: part.partNumber, etag: done.etag, size: part.size });
      },
    }, session.actions).catch(async (error: unknown) => {
      // A failure that a file changed mid-upload can cause (a hung body, a refused digest) is that change.
      throw await explainSendFailure(error, file, start.fingerprint, sampled, deps.hasher(), signal);
    }).finally(() => watch.stop());
    // Firefox reads a changed file's new bytes instead of failing: never complete from mixed bytes.
    await checkUnchanged(file, start.fingerprint, sampled, deps.hasher(), signal);
    tracker.report('completing', true);
    const parts = plan.map((p) => ({ partNumber: p.partNumber, etag: session.done.get(p.partNumber)!.etag }));
    const completed = await completeSettled(deps.client, deps.hasher, settings.retry, key, session.uploadId, parts, { ...options, acl: options.acl ?? session.acl });
    if (settings.crc64) {
      const { combine } = settings.crc64;
      const combined = plan.reduce((acc, p) => combine(acc, session.done.get(p.partNumber)!.crc64 ?? 0n, p.size), 0n);
      checkCrc({ operation: 'CompleteMultipartUpload' }, combined, completed.crc64, true);
    }
    const result: UploadResult = {
      key, etag: completed.etag, size: file.size, requestId: completed.requestId,
      ...(completed.crc64 ? { crc64: completed.crc64 } : {}),
      ...('callbackResult' in completed ? { callbackResult: completed.callbackResult } : {}),
    };
    // Still under the lock: the record becomes the completed marker that a call waiting for this
    // lock finds (record.ts). The file handle goes: nothing will reopen the file.
    const { fileHandle: _, ...header } = session.record;
    await deps.store.create({ ...header, parts: [], updatedAt: Date.now(), completed: result })
      .catch(() => deps.store.delete(id)).catch(() => undefined);
    tracker.report('done', true);
    return result;
  } finally {
    finish(deps, tracker);
  }
}

/**
 * The completed marker's result, unless a HeadObject shows the object gone or replaced since (then
 * the waiting call uploads after all). Any other failure of the HeadObject — typically 403 for an
 * upload-only STS policy without oss:GetObject — trusts the marker, written moments ago under the lock.
 */
async function stillStored(deps: EngineDeps, result: UploadResult, signal: AbortSignal | undefined): Promise<UploadResult | undefined> {
  try {
    return (await deps.client.headObject(result.key, { signal })).etag === result.etag ? result : undefined;
  } catch (error) {
    signal?.throwIfAborted();
    return error instanceof OssServiceError && error.code === 'NoSuchKey' ? undefined : result;
  }
}

/** Files up to the threshold: one PutObject with Content-MD5 (nothing to journal). */
async function putWhole(deps: EngineDeps, file: Blob, key: string, options: ResolvedUploadOptions): Promise<UploadResult> {
  const { settings } = deps;
  const what = digestsOf(settings);
  const tracker = createUploadTracker({ sizes: [file.size], totalBytes: file.size, listeners: options, lanes: { max: 1, adaptive: false } });
  const { board } = tracker;
  try {
    tracker.report('hashing', true);
    let digest: Awaited<ReturnType<Hasher['hash']>> = {};
    if (what.md5 || what.crc64) {
      board.hashing(1);
      digest = await deps.hasher().hash(file, what, options.signal);
      board.hashed(1);
    }
    tracker.startClock();
    tracker.report('uploading', true);
    const put = await deps.client.putObject(key, file, {
      ...options, contentMd5: digest.md5Base64,
      onUploadProgress: ({ attempt, transferredBytes }) => board.attempt(1, attempt, transferredBytes),
    }).catch(async (error: unknown) => {
      // Not re-sent (the caller's retry decides), but a file that now reads other bytes says why.
      if (error instanceof OssServiceError && error.code === 'InvalidDigest') await rehashUnchanged(deps.hasher(), file, what, digest, error, options.signal);
      throw error;
    });
    checkEtag({ operation: 'PutObject' }, digest.md5Hex, put.etag);
    checkCrc({ operation: 'PutObject' }, digest.crc64, put.crc64, what.crc64);
    board.done(1);
    tracker.report('done', true);
    return { key, etag: put.etag, size: file.size, requestId: put.requestId, ...(put.crc64 ? { crc64: put.crc64 } : {}), ...('callbackResult' in put ? { callbackResult: put.callbackResult } : {}) };
  } finally {
    finish(deps, tracker);
  }
}
