/**
 * `x-oss-copy-source` (`/<bucket>/<url-encoded key>`, oss-protocol.md §2.3) and its conditional
 * headers, shared by CopyObject and UploadPartCopy. Reading the source needs oss:GetObject on it.
 */
import { checkBucketName, checkObjectKey } from '../addressing.js';
import { authorize, type Context } from '../context.js';
import { errors } from '../errors.js';
import type { ObjectRecord } from '../storage/object-store.js';

/** The resolved source object; its blobs stay pinned until `release()` (call it in a `finally`). */
export type CopySource = { readonly bucket: string; readonly key: string; readonly record: ObjectRecord; readonly release: () => void };

/** Parses, authorises and opens the copy source (pinned), checking `x-oss-copy-source-if-*`. */
export async function readCopySource(ctx: Context): Promise<CopySource> {
  const header = ctx.request.headers['x-oss-copy-source'] ?? '';
  if (header === '') throw errors.invalidArgument('Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.', 'x-oss-copy-source', '', '0042-00000302');
  if (!header.startsWith('/')) throw errors.invalidArgument('Copy Source must start with "/".', 'x-oss-copy-source', header, '0042-00000301');
  const path = header.split('?')[0]!.slice(1);
  const slash = path.indexOf('/');
  if (slash <= 0) throw errors.invalidArgument('Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.', 'x-oss-copy-source', header, '0042-00000301');
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(path.slice(0, slash));
    key = decodeURIComponent(path.slice(slash + 1));
  } catch {
    throw errors.invalidArgument('Copy Source is not correctly URL-encoded.', 'x-oss-copy-source', header);
  }
  checkBucketName(bucket);
  if (key === '') throw errors.invalidArgument('Copy Source must mention the source key.', 'x-oss-copy-source', header);
  checkObjectKey(key);
  authorize(ctx, 'oss:GetObject', bucket, key);
  if (!(await ctx.storage.objects.buckets()).includes(bucket)) throw errors.noSuchBucket(bucket);
  const opened = await ctx.storage.objects.open(bucket, key);
  if (!opened) throw errors.noSuchKey(key);
  try {
    checkSourceConditions(ctx, opened.record);
  } catch (error) {
    opened.release();
    throw error;
  }
  return { bucket, key, record: opened.record, release: opened.release };
}

function checkSourceConditions(ctx: Context, record: ObjectRecord): void {
  const h = ctx.request.headers;
  const etag = `"${record.etag}"`;
  const modified = Math.floor(Date.parse(record.lastModified) / 1000) * 1000;
  const matches = (list: string) => list.split(',').some((v) => v.trim() === etag || v.trim() === record.etag || v.trim() === '*');
  const ifMatch = h['x-oss-copy-source-if-match'];
  if (ifMatch !== undefined && !matches(ifMatch)) throw errors.preconditionFailed('x-oss-copy-source-if-match');
  const noneMatch = h['x-oss-copy-source-if-none-match'];
  if (noneMatch !== undefined && matches(noneMatch)) throw errors.preconditionFailed('x-oss-copy-source-if-none-match');
  const unmodified = h['x-oss-copy-source-if-unmodified-since'];
  if (unmodified !== undefined && Date.parse(unmodified) < modified) throw errors.preconditionFailed('x-oss-copy-source-if-unmodified-since');
  const since = h['x-oss-copy-source-if-modified-since'];
  if (since !== undefined && Date.parse(since) >= modified) throw errors.preconditionFailed('x-oss-copy-source-if-modified-since');
}
