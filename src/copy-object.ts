/**
 * `copyObject(uploader, sourceKey, targetKey)`: a server-side copy by parts, as an opt-in function
 * of an uploader (docs/architecture.md#opt-in-features). The logic is in src/core/copy.ts.
 */
import { runCopy, type CopyOptions, type CopyResult } from './core/copy.js';
import { defaultPartSizeBytes } from './core/plan.js';
import type { Uploader } from './create-uploader.js';
import { checkObjectKey, requireObject } from './options.js';
import { uploaderState } from './uploader-state.js';

/**
 * Copies an object within the uploader's bucket by UploadPartCopy, with its part size and
 * concurrency. The target gets the source's Content-Type, metadata, object headers
 * (Content-Disposition, Cache-Control, storage class, encryption, …), ACL and tags; the ACL and tags
 * are read with GetObjectAcl and GetObjectTagging, which the credentials must allow. In browsers
 * only the headers the bucket's CORS ExposeHeaders lists can be seen, and kept.
 * @example
 * ```ts
 * import { copyObject } from 'oss-resumable';
 * await copyObject(uploader, 'videos/raw.mp4', 'archive/raw.mp4', { onProgress: (p) => console.log(p.percent) });
 * ```
 */
export function copyObject(uploader: Uploader, sourceKey: string, targetKey: string, options: CopyOptions = {}): Promise<CopyResult> {
  const { client, settings } = uploaderState(uploader);
  checkObjectKey(sourceKey);
  checkObjectKey(targetKey);
  requireObject(options, 'copyObject');
  // Copies move no bytes over the link, so its speed says nothing about their part size.
  const { partSize, concurrency } = settings;
  return runCopy(client, { partSize: partSize === 'auto' ? defaultPartSizeBytes : partSize, concurrency }, sourceKey, targetKey, options);
}
