/**
 * The upload queue: one row per file, each driving `upload()` (or `resume(id)`) with an
 * AbortController. Pause aborts (the multipart upload stays on the server) and Resume calls the
 * SDK again, which continues with the parts the server lacks; Cancel pauses and hands the upload
 * to the "Resumable uploads" panel; Discard also aborts it on the server.
 */
import { discardPending, listPending, resumePending, type PendingUpload, type ResumeInfo, type Uploader, type UploadOptions, type UploadResult } from '../src/index.js';
import type { Announcer } from './announcer.js';
import type { PickedFile } from './file-sources.js';
import { describeError, formatBytes } from './format.js';
import { createQueueRow, type QueueRow, type RowState } from './queue-row.js';
import type { UploaderHost } from './uploader-host.js';

/** Where a row's bytes come from: a picked or dropped file, or an unfinished upload's stored handle. */
export type UploadOrigin =
  | { readonly kind: 'file'; readonly picked: PickedFile }
  | { readonly kind: 'pending'; readonly id: string; readonly handle: FileSystemFileHandle };

type Entry = {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly key: string;
  readonly origin: UploadOrigin;
  readonly row: QueueRow;
  /** The file was re-selected for an unfinished upload, so it should resume; say so if it doesn't. */
  expectResume: boolean;
  state: RowState;
  controller: AbortController | undefined;
  settled: Promise<void>;
};

/** What the queue needs from the page. */
export type QueueDeps = {
  readonly host: UploaderHost;
  readonly announce: Announcer;
  readonly list: HTMLElement;
  /** A finished upload, with the local file to verify it against. */
  onCompleted(done: { key: string; size: number; file: File }): void;
  /** Something changed that the resumable and server panels show. */
  onChanged(): void;
};

/** The queue's API for the page. */
export type Queue = {
  /** Starts uploading `picked` to `key`; `expectResume` when it was re-selected for an unfinished upload. */
  add(picked: PickedFile, key: string, options?: { expectResume?: boolean }): void;
  /** Continues an unfinished upload from its stored file handle (`resume(id)`). */
  resumePending(pending: PendingUpload, handle: FileSystemFileHandle): void;
  /** Whether a row (running, paused or failed) stands for this unfinished upload. */
  holds(pending: Pick<PendingUpload, 'key' | 'fileName' | 'fileSize'>): boolean;
  /** Removes the rows of finished uploads. */
  clearFinished(): void;
};

const paused = () => new DOMException('Paused by the user', 'AbortError');

/** Words for what `onResume` reported. */
export function resumeWords(info: ResumeInfo): string {
  if (info.resumed) {
    const parts = info.skippedParts === 1 ? '1 part' : `${info.skippedParts} parts`;
    return `Resumed: ${parts} (${formatBytes(info.skippedBytes)}) already on the server.`;
  }
  return info.reason === 'NoSuchUpload'
    ? 'The server no longer had the earlier upload, so this one starts from the beginning.'
    : 'The part size changed since this upload began, so it starts from the beginning.';
}

function begin(uploader: Uploader, origin: UploadOrigin, key: string, options: UploadOptions): Promise<UploadResult> {
  if (origin.kind === 'pending') return resumePending(uploader, origin.id, options);
  return uploader.upload(origin.picked.handle ?? origin.picked.file, key, options);
}

async function localFile(origin: UploadOrigin): Promise<File> {
  if (origin.kind === 'pending') return origin.handle.getFile();
  return origin.picked.handle ? origin.picked.handle.getFile() : origin.picked.file;
}

/** Creates the queue rendering into `deps.list`. */
export function createQueue(deps: QueueDeps): Queue {
  const entries = new Set<Entry>();
  let counter = 0;

  const setState = (entry: Entry, state: RowState) => {
    entry.state = state;
    entry.row.setState(state);
  };

  function start(entry: Entry): void {
    const controller = new AbortController();
    entry.controller = controller;
    setState(entry, 'running');
    entry.row.error(undefined);
    deps.announce.forget(entry.id);
    entry.row.parts.reset();
    let resumeReported = false;
    let serverTold = false;
    const options: UploadOptions = {
      signal: controller.signal,
      onResume(info) {
        resumeReported = true;
        entry.row.notice(resumeWords(info));
        deps.announce.say(`${entry.name}: ${resumeWords(info)}`);
      },
      onPartUpdate(part) {
        entry.row.parts.update(part);
      },
      onProgress(progress) {
        entry.row.showProgress(progress);
        entry.row.parts.size(progress.totalParts);
        deps.announce.progress(entry.id, entry.name, progress.phase, progress.percent);
        if (progress.phase === 'uploading' && entry.expectResume && !resumeReported) {
          entry.row.notice(`This is not the same file as the unfinished upload of "${entry.name}" (its contents or date differ), so it uploads from the beginning.`);
        }
        if (progress.phase === 'uploading') entry.expectResume = false;
      },
      onPartComplete() {
        if (!serverTold) deps.onChanged(); // the multipart upload now shows on the server
        serverTold = true;
      },
    };
    entry.settled = deps.host.run((uploader) => begin(uploader, entry.origin, entry.key, options)).then(
      async (result) => {
        setState(entry, 'done');
        deps.announce.say(`${entry.name} uploaded.`);
        deps.onCompleted({ key: result.key, size: result.size, file: await localFile(entry.origin) });
      },
      (error: unknown) => {
        if (controller.signal.aborted) {
          if (entry.state === 'pausing') setState(entry, 'paused');
          return;
        }
        const text = describeError(error);
        setState(entry, 'failed');
        entry.row.error(text);
        deps.announce.say(`${entry.name} failed. ${text.message}`);
      },
    ).finally(() => {
      entry.controller = undefined;
      deps.onChanged();
    });
  }

  function pause(entry: Entry): void {
    if (entry.state !== 'running') return;
    setState(entry, 'pausing');
    entry.controller?.abort(paused());
    void entry.settled.then(() => {
      if (entry.state === 'paused') deps.announce.say(`${entry.name} paused.`);
    });
  }

  /** Stops the row's upload; with `discard`, also aborts it on the server and forgets it. */
  async function stop(entry: Entry, discard: boolean): Promise<void> {
    if (!['running', 'paused', 'failed'].includes(entry.state)) return;
    const wasRunning = entry.state === 'running';
    setState(entry, 'stopping');
    if (wasRunning) entry.controller?.abort(paused());
    await entry.settled;
    if (entry.state === 'done') return; // it finished before the abort landed
    if (discard) {
      try {
        await deps.host.run(async (uploader) => {
          const id = entry.origin.kind === 'pending' ? entry.origin.id
            : (await listPending(uploader)).find((p) => p.key === entry.key && p.fileName === entry.name && p.fileSize === entry.size)?.id;
          if (id !== undefined) await discardPending(uploader, id);
        });
      } catch (error) {
        setState(entry, 'failed');
        entry.row.error(describeError(error));
        return;
      }
    }
    entries.delete(entry);
    entry.row.element.remove();
    deps.announce.forget(entry.id);
    deps.announce.say(discard ? `${entry.name} discarded.` : `${entry.name} cancelled; it can be resumed later.`);
    deps.onChanged();
  }

  function add(name: string, size: number, key: string, origin: UploadOrigin, expectResume: boolean): void {
    counter += 1;
    const entry: Entry = {
      id: `upload-${counter}`, name, size, key, origin, expectResume, state: 'running', controller: undefined, settled: Promise.resolve(),
      row: createQueueRow(name, size, key, {
        pause: () => pause(entry),
        resume: () => {
          if (entry.state === 'paused' || entry.state === 'failed') start(entry);
        },
        cancel: () => void stop(entry, false),
        discard: () => void stop(entry, true),
      }),
    };
    entries.add(entry);
    deps.list.append(entry.row.element);
    start(entry);
  }

  return {
    add: (picked, key, options = {}) => add(picked.file.name, picked.file.size, key, { kind: 'file', picked }, options.expectResume ?? false),
    resumePending: (pending, handle) => add(pending.fileName, pending.fileSize, pending.key, { kind: 'pending', id: pending.id, handle }, false),
    holds: (pending) => [...entries].some((e) => e.state !== 'done' && e.key === pending.key && e.name === pending.fileName && e.size === pending.fileSize),
    clearFinished() {
      for (const entry of entries) {
        if (entry.state !== 'done') continue;
        entries.delete(entry);
        entry.row.element.remove();
      }
    },
  };
}
