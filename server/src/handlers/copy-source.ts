/**
 * `x-oss-copy-source` (`/<bucket>/<url-encoded key>`, docs/protocol.md §2.3) and its conditional
 * headers, shared by CopyObject and UploadPartCopy. Reading the source needs oss:GetObject on it.
 */
import { checkBucketName, checkObjectKey } from '../addressing.js';
import { authorize } from '../auth/authorize.js';
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { normalizeEtag } from '../etag.js';
import type { ObjectRecord } from '../storage/object-store.js';
import { sendEmpty } from './send.js';

/** The resolved source object; its blobs stay pinned until `release()` (call it in a `finally`). */
export type CopySource = { readonly bucket: string; readonly key: string; readonly record: ObjectRecord; readonly release: () => void };

/**
 * Parses, authorises and opens the copy source (pinned), checking `x-oss-copy-source-if-*`. When a
 * condition answers 304 Not Modified, that answer is sent here and the result is undefined: nothing
 * is to be copied.
 */
export async function readCopySource(ctx: Context): Promise<CopySource | undefined> {
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
  authorize(ctx.principal, 'oss:GetObject', bucket, key);
  if (!(await ctx.storage.objects.buckets()).includes(bucket)) throw errors.noSuchBucket(bucket);
  const opened = await ctx.storage.objects.open(bucket, key);
  if (!opened) throw errors.noSuchKey(key);
  let outcome: 'ok' | 'not-modified';
  try {
    outcome = checkSourceConditions(ctx, opened.record);
  } catch (error) {
    opened.release();
    throw error;
  }
  if (outcome === 'not-modified') {
    opened.release();
    sendEmpty(ctx, 304);
    return undefined;
  }
  return { bucket, key, record: opened.record, release: opened.release };
}

/**
 * The copy-source conditions (go-sdk-v2 CopyObjectRequest / UploadPartCopyRequest docs): a failing
 * `-if-match` or `-if-unmodified-since` is 412 PreconditionFailed; a matching `-if-none-match` or an
 * unmet `-if-modified-since` is 304 Not Modified. As RFC 7232 §6 orders them, a date condition is
 * only read when its ETag partner is absent, and an unparsable date is ignored. The plain headers
 * alone are not copy conditions (on a copy they would name the target), but ali-oss's `copy()` sends
 * every condition twice, as `If-Match` and `x-oss-copy-source-if-match`, and OSS then names the
 * plain one in `<Condition>` (ali-oss's copy tests against OSS expect "(condition: If-Match)");
 * sent alone, the `x-oss-copy-source-*` header names itself.
 */
function checkSourceConditions(ctx: Context, record: ObjectRecord): 'ok' | 'not-modified' {
  const h = ctx.request.headers;
  const failed = (plain: string) => errors.preconditionFailed(h[plain.toLowerCase()] !== undefined ? plain : `x-oss-copy-source-${plain.toLowerCase()}`);
  const modified = Math.floor(Date.parse(record.lastModified) / 1000) * 1000;
  const matches = (list: string) => list.split(',').some((v) => v.trim() === '*' || normalizeEtag(v) === record.etag);
  const ifMatch = h['x-oss-copy-source-if-match'];
  if (ifMatch !== undefined && !matches(ifMatch)) throw failed('If-Match');
  const unmodified = h['x-oss-copy-source-if-unmodified-since'];
  if (ifMatch === undefined && unmodified !== undefined && Date.parse(unmodified) < modified) {
    throw failed('If-Unmodified-Since');
  }
  const noneMatch = h['x-oss-copy-source-if-none-match'];
  if (noneMatch !== undefined) return matches(noneMatch) ? 'not-modified' : 'ok';
  const since = h['x-oss-copy-source-if-modified-since'];
  return since !== undefined && Date.parse(since) >= modified ? 'not-modified' : 'ok';
}
