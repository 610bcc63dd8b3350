/**
 * DeleteMultipleObjects (`POST /?delete`): up to 1,000 keys in one request, verified by the
 * mandatory Content-MD5 of the body. OSS's DeleteResult has no per-key error element, so the
 * request succeeds or fails as a whole: every key is validated and authorized (`oss:DeleteObject`
 * on the object, as for DeleteObject) before anything is deleted. A missing key counts as deleted.
 */
import { createHash } from 'node:crypto';
import { checkObjectKey } from '../addressing.js';
import { authorize } from '../auth/authorize.js';
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { readLimited } from '../request-body.js';
import { encodeKey, parseDeleteBody } from '../xml.js';
import { urlEncoding } from './listing.js';
import { sendEmpty, sendXml } from './send.js';

/** OSS refuses larger bodies with MalformedXML. */
const maxBodyBytes = 2 * 1024 * 1024;
/** OSS refuses more keys with MalformedXML. */
const maxKeys = 1000;

/** DeleteMultipleObjects; the quiet mode answers 200 without a body, as OSS does when nothing failed. */
export async function deleteMultipleObjects(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const url = urlEncoding(ctx);
  const provided = ctx.request.headers['content-md5'];
  if (provided === undefined) throw errors.missingContentMd5();
  if (!/^[A-Za-z0-9+/]{22}==$/.test(provided.trim())) throw errors.invalidDigest(provided);
  const raw = await readLimited(ctx.body, ctx.request.headers['content-length'], maxBodyBytes,
    () => errors.malformedXml('The XML you provided was larger than the maximum allowed size.'));
  const calculated = createHash('md5').update(raw).digest('base64');
  if (calculated !== provided.trim()) throw errors.badDigest(provided, calculated);
  const { quiet, keys } = parseDeleteBody(raw.toString('utf8'));
  if (keys.length > maxKeys) throw errors.malformedXml(`The XML you provided lists more than ${maxKeys} objects.`);
  for (const key of keys) {
    checkObjectKey(key);
    authorize(ctx.principal, 'oss:DeleteObject', bucket, key);
  }
  for (const key of keys) await ctx.storage.objects.delete(bucket, key);
  if (quiet) return sendEmpty(ctx, 200);
  sendXml(ctx, 'DeleteResult', {
    EncodingType: url ? 'url' : undefined,
    Deleted: keys.map((key) => ({ Key: encodeKey(key, url) })),
  });
}
