/**
 * Unfinished uploads, as opt-in functions of an uploader: list them for a "resumable uploads"
 * panel, resume them from their stored file handles, discard them, sweep stale ones. Each takes the
 * uploader first; an app that imports none of them does not ship them
 * (docs/architecture.md#opt-in-features). The logic is in src/core/pending.ts.
 */
import { pendingUploads, type PendingUpload, type SweepResult } from './core/pending.js';
import { runUpload, type EngineDeps } from './core/upload.js';
import type { Uploader } from './create-uploader.js';
import { checkUploadOptions, resolveUploadOptions } from './options.js';
import type { UploadOptions, UploadResult } from './types.js';
import { uploaderState } from './uploader-state.js';

/** Reopens upload `id` from its stored handle and runs it with checked `options`, keeping its Content-Type. */
async function resumeReopened(deps: EngineDeps, pending: ReturnType<typeof pendingUploads>, id: string, options: UploadOptions): Promise<UploadResult> {
  const { record, file, handle } = await pending.reopen(id);
  return runUpload(deps, file, record.key, resolveUploadOptions({ contentType: record.contentType, ...options }, file), handle);
}

/** What {@link resumeAllPending} reports for each upload it tried. */
export type ResumeOutcome = { readonly id: string; readonly result?: UploadResult; readonly error?: unknown };

/**
 * The uploader's unfinished uploads (its endpoint and bucket), newest first.
 * @example
 * ```ts
 * import { listPending } from 'oss-resumable';
 * for (const item of await listPending(uploader)) console.log(item.fileName, item.bytesDone / item.fileSize);
 * ```
 */
export function listPending(uploader: Uploader): Promise<PendingUpload[]> {
  return pendingUploads(uploaderState(uploader)).listPending();
}

/** Aborts an unfinished upload on the server and forgets it (`id` from {@link listPending} or `onStart`). */
export function discardPending(uploader: Uploader, id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  return pendingUploads(uploaderState(uploader)).discard(id, options);
}

/**
 * Discards the uploader's records idle for `olderThan` ms; with `prefix`, also aborts such
 * server-side uploads under the prefix that no record knows (orphans of a cleared browser).
 */
export function sweepPending(uploader: Uploader, options: { olderThan: number; prefix?: string; signal?: AbortSignal }): Promise<SweepResult> {
  return pendingUploads(uploaderState(uploader)).sweep(options);
}

/**
 * Continues an unfinished upload from its stored file handle (asking for read permission when
 * needed), with the options of `upload()`; the Content-Type it was started with is kept.
 * @throws ResumeMismatchError when there is no such upload, no stored handle, no permission, or the file changed.
 */
export async function resumePending(uploader: Uploader, id: string, options: UploadOptions = {}): Promise<UploadResult> {
  const deps = uploaderState(uploader);
  checkUploadOptions(options);
  return resumeReopened(deps, pendingUploads(deps), id, options);
}

/**
 * Resumes every unfinished upload that has a stored file handle, one after another. A failed one
 * is reported with its `error` and the rest go on; aborting `options.signal` stops them all.
 */
export async function resumeAllPending(uploader: Uploader, options: UploadOptions = {}): Promise<ResumeOutcome[]> {
  const deps = uploaderState(uploader);
  checkUploadOptions(options);
  const pending = pendingUploads(deps);
  const outcomes: ResumeOutcome[] = [];
  for (const item of await pending.listPending()) {
    if (!item.hasFileHandle) continue;
    try {
      outcomes.push({ id: item.id, result: await resumeReopened(deps, pending, item.id, options) });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      outcomes.push({ id: item.id, error });
    }
  }
  return outcomes;
}
