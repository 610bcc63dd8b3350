/**
 * GetObjectTagging, PutObjectTagging and DeleteObjectTagging (`?tagging` on an object), and the
 * `x-oss-tagging-count` header of GetObject/HeadObject. Changing tags keeps the object's bytes,
 * ETag and Last-Modified (OSS PutObjectTagging docs).
 */
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { checkTags } from '../object-attributes.js';
import { readSmallBody } from '../request-body.js';
import type { ObjectRecord, Tag } from '../storage/object-store.js';
import { isAllowed, ossResource } from '../sts/policy.js';
import { parseTaggingBody } from '../xml.js';
import { sendEmpty, sendXml } from './send.js';

/** Ten tags of at most 128 + 256 bytes fit in far less; anything larger is not a tag set. */
const maxTaggingBodyBytes = 64 * 1024;

function withTags(record: ObjectRecord, tags: readonly Tag[]): ObjectRecord {
  const { tags: _previous, ...rest } = record;
  return tags.length > 0 ? { ...rest, tags } : rest;
}

/** GetObjectTagging: the tag set in the order it was given (empty `<TagSet>` when there is none). */
export async function getObjectTagging(ctx: Context): Promise<void> {
  const key = ctx.request.key!;
  const record = await ctx.storage.objects.get(ctx.request.bucket!, key);
  if (!record) throw errors.noSuchKey(key);
  sendXml(ctx, 'Tagging', { TagSet: { Tag: (record.tags ?? []).map(([k, v]) => ({ Key: k, Value: v })) } });
}

/** PutObjectTagging: replaces the whole tag set with the body's. */
export async function putObjectTagging(ctx: Context): Promise<void> {
  const key = ctx.request.key!;
  const body = await readSmallBody(ctx, maxTaggingBodyBytes, () => errors.malformedXml('The XML you provided was larger than the maximum allowed size.'));
  const tags = parseTaggingBody(body);
  if (new Set(tags.map(([k]) => k)).size !== tags.length) throw errors.repeatedTags();
  checkTags(tags);
  const updated = await ctx.storage.objects.update(ctx.request.bucket!, key, (record) => withTags(record, tags));
  if (!updated) throw errors.noSuchKey(key);
  sendEmpty(ctx, 200);
}

/** DeleteObjectTagging: 204, also when the object had no tags. */
export async function deleteObjectTagging(ctx: Context): Promise<void> {
  const key = ctx.request.key!;
  const updated = await ctx.storage.objects.update(ctx.request.bucket!, key, (record) => withTags(record, []));
  if (!updated) throw errors.noSuchKey(key);
  sendEmpty(ctx, 204);
}

/**
 * `x-oss-tagging-count` for GetObject/HeadObject: sent when the object has tags and the caller may
 * read them (OSS omits it for principals without oss:GetObjectTagging).
 */
export function taggingCountHeader(ctx: Context, record: ObjectRecord): Record<string, string> {
  const count = record.tags?.length ?? 0;
  if (count === 0 || !isAllowed(ctx.principal.policy, 'oss:GetObjectTagging', ossResource(record.bucket, record.key))) return {};
  return { 'x-oss-tagging-count': String(count) };
}
