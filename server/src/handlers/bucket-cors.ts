/**
 * PutBucketCors, GetBucketCors and DeleteBucketCors (`PUT|GET|DELETE /?cors` on a bucket). The rules
 * take effect on the next request, preflights included; they persist in the data dir.
 */
import { createHash } from 'node:crypto';
import type { Context } from '../context.js';
import { maxCorsBodyBytes, parseCorsXml, renderCorsXml } from '../cors-config.js';
import { errors } from '../errors.js';
import { readContentMd5 } from '../object-headers.js';
import { readLimited } from '../request-body.js';
import { sendEmpty } from './send.js';

/** PutBucketCors: replaces all of the bucket's rules. */
export async function putBucketCors(ctx: Context): Promise<void> {
  const contentMd5 = readContentMd5(ctx.request);
  const body = await readLimited(ctx.body, ctx.request.headers['content-length'], maxCorsBodyBytes,
    () => errors.malformedXml('The XML you provided was larger than the maximum allowed size (16 KB).'));
  if (contentMd5 !== undefined) {
    const md5 = createHash('md5').update(body).digest('base64');
    if (md5 !== contentMd5) throw errors.badDigest(contentMd5, md5);
  }
  await ctx.storage.cors.put(ctx.request.bucket!, parseCorsXml(body.toString('utf8')));
  sendEmpty(ctx, 200);
}

/** GetBucketCors: the rules as stored; `404 NoSuchCORSConfiguration` when there are none. */
export async function getBucketCors(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const config = ctx.storage.cors.get(bucket);
  if (!config) throw errors.noSuchCorsConfiguration(bucket);
  const body = renderCorsXml(config);
  ctx.response.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  ctx.response.end(body);
}

/** DeleteBucketCors: 204 whether or not there were rules (as OSS answers). */
export async function deleteBucketCors(ctx: Context): Promise<void> {
  await ctx.storage.cors.put(ctx.request.bucket!, null);
  sendEmpty(ctx, 204);
}
