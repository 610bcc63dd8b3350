/**
 * Server-side copy by parts (UploadPartCopy): no bytes pass through the client, so any object up
 * to the OSS limits can be copied. The target is written with what the source was: Content-Type,
 * metadata, the object headers of ObjectHeaderOptions, its ACL and its tags.
 */
import type { OssClient } from '../oss/client.js';
import type { ServerSideEncryption, StorageClass, UploadProgress } from '../types.js';
import { runConcurrently } from '../async/run-concurrently.js';
import { effectivePartSize, planParts } from './plan.js';
import { createUploadTracker } from './upload-progress.js';

/** Options of `copyObject()`. */
export type CopyOptions = {
  /** Aborting stops the copy and rejects with `signal.reason`; the multipart upload is aborted on the server. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: UploadProgress) => void;
};

/** What a finished copy returns. */
export type CopyResult = { readonly key: string; readonly etag: string; readonly size: number; readonly requestId: string | undefined };

/**
 * Copies `sourceKey` to `targetKey` within the bucket. The source's ACL and tags are read
 * (GetObjectAcl, GetObjectTagging, alongside HeadObject), so the credentials need those permissions
 * too: a copy never quietly turns a private object into one that follows a public bucket's ACL.
 */
export async function runCopy(
  client: OssClient, settings: { partSize: number; concurrency: number }, sourceKey: string, targetKey: string, options: CopyOptions,
): Promise<CopyResult> {
  const { signal } = options;
  const [source, acl, tags] = await Promise.all([
    client.headObject(sourceKey, { signal }), client.getObjectAcl(sourceKey, { signal }), client.getObjectTagging(sourceKey, { signal }),
  ]);
  const partSize = effectivePartSize(source.size, settings.partSize);
  const plan = source.size === 0 ? [] : planParts(source.size, partSize);
  const etags = new Map<number, string>();
  // The same progress source as uploads (part-board.ts); a copied part moves no bytes over the link,
  // so parts count when the server has copied them.
  const tracker = createUploadTracker({
    sizes: plan.length === 0 ? [0] : plan.map((part) => part.size), totalBytes: source.size, listeners: options,
    lanes: { max: settings.concurrency, adaptive: false },
  });
  const { uploadId } = await client.initiateMultipartUpload(targetKey, {
    contentType: source.contentType || undefined, metadata: source.metadata, cacheControl: source.cacheControl,
    contentDisposition: source.contentDisposition, contentEncoding: source.contentEncoding, contentLanguage: source.contentLanguage,
    expires: source.expires, storageClass: source.storageClass as StorageClass | undefined,
    serverSideEncryption: source.serverSideEncryption as ServerSideEncryption | undefined, kmsKeyId: source.kmsKeyId, acl, tags, signal,
  });
  try {
    tracker.startClock();
    tracker.report('uploading', true);
    if (plan.length === 0) {
      etags.set(1, (await client.uploadPartCopy(targetKey, uploadId, 1, { sourceKey }, { signal })).etag);
      tracker.board.done(1);
    }
    await runConcurrently(plan, async (part, laneSignal) => {
      const copied = await client.uploadPartCopy(targetKey, uploadId, part.partNumber, { sourceKey, range: { start: part.start, end: part.end } }, { signal: laneSignal });
      etags.set(part.partNumber, copied.etag);
      tracker.board.done(part.partNumber);
    }, { concurrency: settings.concurrency, signal });
    tracker.report('completing', true);
    const parts = [...etags].map(([partNumber, etag]) => ({ partNumber, etag }));
    const completed = await client.completeMultipartUpload(targetKey, uploadId, parts, { acl, signal });
    tracker.report('done', true);
    return { key: targetKey, etag: completed.etag, size: source.size, requestId: completed.requestId };
  } catch (error) {
    // A copy keeps nothing worth resuming: its parts are cheap to copy again.
    await client.abortMultipartUpload(targetKey, uploadId).catch(() => undefined);
    throw error;
  } finally {
    tracker.stop();
  }
}
