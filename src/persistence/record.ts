/**
 * The upload journal's record: versioned data, never live objects. One per
 * upload, written after Initiate and after every acknowledged part; after Complete it becomes a
 * short-lived completed marker (`completed`), then goes.
 */
import type { ObjectAcl, UploadResult } from '../stored-types.js';

/** Current record version; records of other versions are migrated or ignored. */
export const recordVersion = 1;

/** A part the server acknowledged. */
export type JournalPart = {
  readonly partNumber: number;
  /** ETag as the server sent it (quoted). */
  readonly etag: string;
  readonly size: number;
  /** Upper-case hex MD5 of the bytes sent (the server's ETag when Content-MD5 is off). */
  readonly md5: string;
};

/** Everything needed to resume an upload after a reload or a browser restart. */
export type UploadRecord = {
  readonly version: typeof recordVersion;
  /** Stable id derived from the fingerprint; also the Web Lock name. */
  readonly id: string;
  /** bucket, key, name, size, lastModified, type and a sampled content hash (see fingerprint.ts). */
  readonly fingerprint: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partSize: number;
  readonly fileSize: number;
  readonly fileName: string;
  /** `File.lastModified` (epoch ms), 0 for a plain Blob. */
  readonly lastModified: number;
  readonly contentType: string;
  /** The ACL asked for at Initiate, sent again at Complete (where OSS applies it) when a resume gives none. */
  readonly acl?: ObjectAcl | undefined;
  /** Acknowledged parts, ascending by part number. */
  readonly parts: readonly JournalPart[];
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms of the last write. */
  readonly updatedAt: number;
  /** The file's handle (File System Access API), so it can be reopened without a picker. */
  readonly fileHandle?: FileSystemFileHandle | undefined;
  /**
   * Set when the upload completed (`updatedAt` is then the time it did, and `parts` is empty): the
   * record is no longer pending but a marker, so a call that waited for this upload's lock
   * (`lock: 'wait'`) returns this result instead of uploading the file again. Markers older than
   * {@link completedMarkerMs} are removed by `listPending()` and `sweep()`.
   */
  readonly completed?: UploadResult | undefined;
};

/**
 * How long a completed marker is kept. A waiting call gets the lock milliseconds after the upload
 * completed, but a waiting tab in the background may be throttled or frozen by the browser for
 * minutes before its lock callback runs; ten minutes covers that while the marker (a few hundred
 * bytes, no file data) is still cheap to keep. A tab that comes back later simply uploads again.
 */
export const completedMarkerMs = 10 * 60_000;

/** A record without its parts (what stores keep as the header). */
export type RecordHeader = Omit<UploadRecord, 'parts'>;

/** Returns a current-version record, or undefined for anything unreadable or from an unknown version. */
export function migrateRecord(raw: unknown): UploadRecord | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const record = raw as Partial<UploadRecord>;
  if (record.version !== recordVersion) return undefined;
  for (const field of ['id', 'fingerprint', 'endpoint', 'bucket', 'key', 'uploadId'] as const) {
    if (typeof record[field] !== 'string' || record[field] === '') return undefined;
  }
  if (!Number.isInteger(record.partSize) || !Number.isInteger(record.fileSize) || !Array.isArray(record.parts)) return undefined;
  if (!Number.isFinite(record.createdAt) || !Number.isFinite(record.updatedAt)) return undefined;
  if (typeof record.fileName !== 'string' || typeof record.contentType !== 'string') return undefined;
  // A damaged part entry is dropped, not trusted: resume then simply sends that part again.
  const parts = record.parts.filter((p: Partial<JournalPart> | null) => p !== null && typeof p === 'object' &&
    Number.isInteger(p.partNumber) && typeof p.etag === 'string' && Number.isInteger(p.size) && typeof p.md5 === 'string');
  return { ...(record as UploadRecord), parts };
}
