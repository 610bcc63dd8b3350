/**
 * Opens the multipart session of one upload: resume the journalled upload of the same file when
 * the server still has it (ListParts is the truth), otherwise Initiate a new one and journal it.
 */
import { OssServiceError } from '../errors.js';
import type { OssClient } from '../oss/client.js';
import { normalizeEtag } from '../oss/etag.js';
import type { JournalPart, UploadRecord } from '../persistence/record.js';
import { recordVersion } from '../persistence/record.js';
import type { CheckpointStore } from '../persistence/store.js';
import type { ObjectAcl, ResumeInfo, UploadOptions } from '../types.js';
import type { PartPlan } from './plan.js';
import { reconcile, type DonePart, type PartAction } from './resume.js';

/** What the engine continues with. */
export type Session = {
  readonly uploadId: string;
  /** Parts on the server: those the reconciliation found, then each part as it is acknowledged. */
  readonly done: Map<number, DonePart>;
  /** What to do with each planned part (resume.ts decides; the part sender acts on it). */
  readonly actions: readonly PartAction[];
  /** The ACL journalled at Initiate. */
  readonly acl: ObjectAcl | undefined;
  /** The journal record (its header is what the completed marker keeps). */
  readonly record: UploadRecord;
};

/** Facts of the file and target that the record keeps. */
export type SessionTarget = {
  readonly id: string;
  readonly fingerprint: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  readonly partSize: number;
  readonly file: Blob;
  readonly fileName: string;
  readonly lastModified: number;
  readonly contentType: string;
  /** Whether the caller asked for `contentType` explicitly (then a different journalled one is a mismatch). */
  readonly contentTypeGiven: boolean;
  readonly fileHandle: FileSystemFileHandle | undefined;
};

async function tryResume(client: OssClient, record: UploadRecord, plan: readonly PartPlan[], target: SessionTarget, signal: AbortSignal | undefined, verify: boolean)
  : Promise<{ session: Session | undefined; info: ResumeInfo }> {
  // The object's Content-Type was fixed at Initiate: asking for another one needs a new upload.
  if (record.partSize !== target.partSize || record.fileSize !== target.file.size || record.key !== target.key ||
    record.bucket !== target.bucket || (target.contentTypeGiven && record.contentType !== target.contentType)) {
    // Its parts cannot be reused; abort it so no orphan stays on the server (best effort).
    await client.abortMultipartUpload(record.key, record.uploadId, { signal }).catch(() => undefined);
    return { session: undefined, info: { resumed: false, reason: 'mismatch', uploadId: record.uploadId } };
  }
  try {
    const listed = await client.listAllParts(record.key, record.uploadId, { signal, expectedParts: plan.length });
    const result = reconcile(plan, record.parts, listed, { verify });
    return {
      session: { uploadId: record.uploadId, done: new Map(result.done), actions: result.actions, acl: record.acl, record },
      info: { resumed: true, uploadId: record.uploadId, skippedParts: result.skippedParts, skippedBytes: result.skippedBytes },
    };
  } catch (error) {
    if (error instanceof OssServiceError && error.code === 'NoSuchUpload') {
      return { session: undefined, info: { resumed: false, reason: 'NoSuchUpload', uploadId: record.uploadId } };
    }
    throw error;
  }
}

/**
 * Resumes `record` (the journal's record of this file, read under the upload's lock) or initiates,
 * journalling the new upload before any part is sent. `verify` (`verifyResumedParts`): the parts a
 * resume trusts are verified against the local bytes rather than skipped.
 */
export async function openSession(
  client: OssClient, store: CheckpointStore, plan: readonly PartPlan[], target: SessionTarget, options: UploadOptions, record: UploadRecord | undefined,
  verify: boolean,
): Promise<Session> {
  const { signal } = options;
  if (record) {
    const attempt = await tryResume(client, record, plan, target, signal, verify);
    options.onResume?.(attempt.info);
    if (attempt.session) {
      if (target.fileHandle && !record.fileHandle) await store.create({ ...record, fileHandle: target.fileHandle, updatedAt: Date.now() });
      return attempt.session;
    }
    await store.delete(target.id);
  }
  // Every object header of the options (metadata, tags, ACL, …); the ACL goes again at Complete.
  const { uploadId } = await client.initiateMultipartUpload(target.key, { ...options, contentType: target.contentType });
  const now = Date.now();
  const created: UploadRecord = {
    version: recordVersion, id: target.id, fingerprint: target.fingerprint, endpoint: target.endpoint, bucket: target.bucket,
    key: target.key, uploadId, partSize: target.partSize, fileSize: target.file.size, fileName: target.fileName,
    lastModified: target.lastModified, contentType: target.contentType, parts: [], createdAt: now, updatedAt: now,
    ...(target.fileHandle ? { fileHandle: target.fileHandle } : {}), ...(options.acl ? { acl: options.acl } : {}),
  };
  await store.create(created);
  return { uploadId, done: new Map(), actions: reconcile(plan, [], []).actions, acl: options.acl, record: created };
}

/** The journal entry of an acknowledged part. */
export function journalPart(partNumber: number, etag: string, size: number, md5Hex: string | undefined): JournalPart {
  return { partNumber, etag, size, md5: (md5Hex ?? normalizeEtag(etag)).toUpperCase() };
}
