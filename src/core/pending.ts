/**
 * Unfinished uploads as an app sees them: list them for a "resumable uploads" panel, resume them
 * from a stored file handle, discard them (abort on the server), and sweep stale ones — including
 * orphans on the server that no journal remembers (docs/architecture.md#pending-uploads).
 */
import { OssServiceError, ResumeMismatchError } from '../errors.js';
import { expected } from '../describe.js';
import type { Hasher } from '../hashing/hasher.js';
import type { OssClient } from '../oss/client.js';
import { fingerprintFile } from '../persistence/fingerprint.js';
import { withUploadLock } from '../persistence/lock.js';
import { completedMarkerMs, type UploadRecord } from '../persistence/record.js';
import type { CheckpointStore } from '../persistence/store.js';

/** An unfinished upload, for a UI. */
export type PendingUpload = {
  readonly id: string;
  readonly key: string;
  readonly uploadId: string;
  readonly fileName: string;
  readonly fileSize: number;
  readonly contentType: string;
  /** Bytes of parts the journal recorded as acknowledged. */
  readonly bytesDone: number;
  readonly partsDone: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Milliseconds since the last acknowledged part. */
  readonly ageMs: number;
  /** Whether `resume(id)` can reopen the file without asking the user to pick it again. */
  readonly hasFileHandle: boolean;
  /** The stored file handle, when there is one. */
  readonly fileHandle: FileSystemFileHandle | undefined;
};

/** What `sweep` removed. */
export type SweepResult = {
  /** Journal records discarded (their server uploads aborted). */
  readonly discarded: readonly string[];
  /** Server-side uploads under the prefix aborted without a journal record. */
  readonly aborted: ReadonlyArray<{ readonly key: string; readonly uploadId: string }>;
};

type PermissionHandle = FileSystemFileHandle & {
  queryPermission?: (descriptor: { mode: 'read' }) => Promise<PermissionState>;
  requestPermission?: (descriptor: { mode: 'read' }) => Promise<PermissionState>;
};

/** Management over one uploader's store, restricted to its endpoint and bucket. */
export function pendingUploads(deps: { client: OssClient; store: CheckpointStore; endpoint: string; bucket: string; hasher: () => Hasher }) {
  const mine = (record: UploadRecord) => record.bucket === deps.bucket && record.endpoint === deps.endpoint;
  /** This uploader's unfinished uploads; completed markers past their time are deleted on the way. */
  const records = async () => {
    const pending: UploadRecord[] = [];
    const expired = Date.now() - completedMarkerMs;
    for (const record of (await deps.store.list()).filter(mine)) {
      if (!record.completed) pending.push(record);
      // Under the lock and read again, so a new upload of the same file that just replaced the
      // marker is never deleted with it; a held lock means that upload is running: leave it.
      else if (record.updatedAt < expired) {
        await withUploadLock(record.id, 'fail', undefined, async () => {
          if ((await deps.store.get(record.id))?.updatedAt === record.updatedAt) await deps.store.delete(record.id);
        }).catch(() => undefined);
      }
    }
    return pending;
  };

  const discardRecord = async (record: UploadRecord, signal?: AbortSignal) => {
    await withUploadLock(record.id, 'fail', signal, async () => {
      try {
        if (!record.completed) await deps.client.abortMultipartUpload(record.key, record.uploadId, { signal });
      } catch (error) {
        if (!(error instanceof OssServiceError && error.code === 'NoSuchUpload')) throw error;
      }
      await deps.store.delete(record.id);
    });
  };

  return {
    async listPending(): Promise<PendingUpload[]> {
      const now = Date.now();
      return (await records()).map((r) => ({
        id: r.id, key: r.key, uploadId: r.uploadId, fileName: r.fileName, fileSize: r.fileSize, contentType: r.contentType,
        bytesDone: r.parts.reduce((n, p) => n + p.size, 0), partsDone: r.parts.length,
        createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt), ageMs: now - r.updatedAt, hasFileHandle: r.fileHandle !== undefined,
        fileHandle: r.fileHandle,
      })).sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
    },

    async discard(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
      const record = await deps.store.get(id);
      if (record && mine(record)) await discardRecord(record, options.signal);
    },

    async sweep(options: { olderThan: number; prefix?: string; signal?: AbortSignal }): Promise<SweepResult> {
      if (!Number.isFinite(options.olderThan) || options.olderThan < 0) {
        throw new RangeError(expected('olderThan', 'a number of milliseconds ≥ 0', options.olderThan));
      }
      const cutoff = Date.now() - options.olderThan;
      const discarded: string[] = [];
      const kept = new Set<string>();
      for (const record of await records()) {
        if (record.updatedAt >= cutoff) {
          kept.add(record.uploadId);
          continue;
        }
        try {
          await discardRecord(record, options.signal);
          discarded.push(record.id);
        } catch {
          kept.add(record.uploadId); // running in another tab, or the server refused: leave it
        }
      }
      const aborted: Array<{ key: string; uploadId: string }> = [];
      if (options.prefix !== undefined) {
        let keyMarker: string | undefined;
        let uploadIdMarker: string | undefined;
        for (;;) {
          const page = await deps.client.listMultipartUploads({
            prefix: options.prefix, signal: options.signal, ...(keyMarker ? { keyMarker, uploadIdMarker: uploadIdMarker ?? '' } : {}),
          });
          for (const upload of page.uploads) {
            if (kept.has(upload.uploadId) || Date.parse(upload.initiated) >= cutoff) continue;
            await deps.client.abortMultipartUpload(upload.key, upload.uploadId, { signal: options.signal }).catch(() => undefined);
            aborted.push({ key: upload.key, uploadId: upload.uploadId });
          }
          if (!page.isTruncated || !page.nextKeyMarker) break;
          keyMarker = page.nextKeyMarker;
          uploadIdMarker = page.nextUploadIdMarker;
        }
      }
      return { discarded, aborted };
    },

    /** The record's file, reopened from its stored handle (asking for read permission when needed). */
    async reopen(id: string): Promise<{ record: UploadRecord; file: File; handle: FileSystemFileHandle }> {
      const record = await deps.store.get(id);
      if (!record || record.completed || !mine(record)) throw new ResumeMismatchError(`No unfinished upload ${id} for this bucket`);
      const handle = record.fileHandle as PermissionHandle | undefined;
      if (!handle) throw new ResumeMismatchError(`Upload ${id} has no stored file handle: ask the user to select "${record.fileName}" again and call upload()`);
      if (handle.queryPermission && (await handle.queryPermission({ mode: 'read' })) !== 'granted') {
        if (!handle.requestPermission || (await handle.requestPermission({ mode: 'read' })) !== 'granted') {
          throw new ResumeMismatchError(`Permission to read "${record.fileName}" was not granted`);
        }
      }
      const file = await handle.getFile();
      const { id: current } = await fingerprintFile(file, { bucket: record.bucket, key: record.key }, deps.hasher());
      if (current !== id) throw new ResumeMismatchError(`"${record.fileName}" changed since the upload started; it would not match the parts on the server`);
      return { record, file, handle };
    },
  };
}
