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
import { reconcile } from './resume.js';

/** A part known to be on the server. */
export type DonePart = { readonly etag: string; readonly size: number; readonly md5: string; readonly crc64: bigint | undefined };

/** What the engine continues with. */
export type Session = {
  readonly uploadId: string;
  readonly done: Map<number, DonePart>;
  readonly missing: readonly PartPlan[];
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

async function tryResume(client: OssClient, record: UploadRecord, plan: readonly PartPlan[], target: SessionTarget, signal: AbortSignal | undefined)
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
    const result = reconcile(plan, record.parts, listed);
    const crcs = new Map(listed.map((p) => [p.partNumber, p.crc64]));
    const done = new Map<number, DonePart>();
    for (const [partNumber, part] of result.done) {
      const crc = crcs.get(partNumber);
      done.set(partNumber, { etag: part.etag, size: part.size, md5: part.md5, crc64: crc === undefined ? undefined : BigInt(crc) });
    }
    return {
      session: { uploadId: record.uploadId, done, missing: result.missing, acl: record.acl, record },
      info: { resumed: true, uploadId: record.uploadId, skippedParts: result.skippedParts, skippedBytes: result.skippedBytes },
    };
  } catch (error) {
    if (error instanceof OssServiceError && error.code === 'NoSuchUpload') {
      return { session: undefined, info: { resumed: false, reason: 'NoSuchUpload', uploadId: record.uploadId } };
    }
    throw error;
  }
}

/** Resumes `record` (the journal's record of this file, read under the upload's lock) or initiates, journalling the new upload before any part is sent. */
export async function openSession(
  client: OssClient, store: CheckpointStore, plan: readonly PartPlan[], target: SessionTarget, options: UploadOptions, record: UploadRecord | undefined,
): Promise<Session> {
  const { signal } = options;
  if (record) {
    const attempt = await tryResume(client, record, plan, target, signal);
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
  return { uploadId, done: new Map(), missing: plan, acl: options.acl, record: created };
}

/** The journal entry of an acknowledged part. */
export function journalPart(partNumber: number, etag: string, size: number, md5Hex: string | undefined): JournalPart {
  return { partNumber, etag, size, md5: (md5Hex ?? normalizeEtag(etag)).toUpperCase() };
}
