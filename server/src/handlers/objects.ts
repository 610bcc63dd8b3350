/**
 * Single-object operations: PutObject, CopyObject, GetObject, HeadObject, DeleteObject.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseCallback } from '../callback.js';
import { authorize } from '../auth/authorize.js';
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { quoted } from '../etag.js';
import {
  checkConditions, forbidsOverwrite, objectResponseHeaders, parseRange, readObjectHeaders,
} from '../object-headers.js';
import {
  attributesOf, encryptionHeaders, readObjectAttributes, readTaggingDirective,
} from '../object-attributes.js';
import type { BlobInfo } from '../storage/blob-store.js';
import type { ObjectRecord } from '../storage/object-store.js';
import { replyAfterWrite } from './reply.js';
import { readCopySource } from './copy-source.js';
import { taggingCountHeader } from './object-tagging.js';
import { sendEmpty, sendXml } from './send.js';
import { writeBody } from './write-body.js';

function target(ctx: Context): { bucket: string; key: string } {
  return { bucket: ctx.request.bucket!, key: ctx.request.key! };
}

function refuseExisting(ec?: string) {
  return (existing: ObjectRecord | undefined) => {
    if (existing) throw errors.fileAlreadyExists(ec);
  };
}

/** PutObject: streams the body into a new object version, verified by Content-MD5 when sent. */
export async function putObject(ctx: Context): Promise<void> {
  const { bucket, key } = target(ctx);
  const callback = parseCallback(ctx.request.headers['x-oss-callback'], ctx.request.headers['x-oss-callback-var']);
  const meta = readObjectHeaders(ctx.request);
  const attributes = readObjectAttributes(ctx.request);
  // Tagging on upload needs oss:PutObjectTagging besides oss:PutObject (OSS PutObject docs).
  if (attributes.tags) authorize(ctx.principal, 'oss:PutObjectTagging', bucket, key);
  const forbid = forbidsOverwrite(ctx.request);
  if (forbid && (await ctx.storage.objects.get(bucket, key))) throw errors.fileAlreadyExists();
  const info = await writeBody(ctx);
  const md5Hex = info.md5.toString('hex').toUpperCase();
  const record: ObjectRecord = {
    v: 1, bucket, key, size: info.size, etag: md5Hex, contentType: meta.contentType,
    contentMd5: info.md5.toString('base64'), crc64: info.crc64.toString(), lastModified: new Date(ctx.now()).toISOString(),
    userMeta: meta.userMeta, headers: meta.headers, type: 'Normal', uploadId: undefined,
    segments: [{ blob: info.blob, size: info.size }], ...attributes,
  };
  try {
    await ctx.storage.objects.put(record, forbid ? refuseExisting() : undefined);
  } catch (error) {
    await ctx.storage.blobs.remove([info.blob]);
    throw error;
  }
  const headers = {
    ETag: quoted(md5Hex), 'Content-MD5': record.contentMd5!, 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record.encryption),
  };
  await replyAfterWrite(ctx, callback, { bucket, object: key, etag: md5Hex, size: info.size, mimeType: meta.contentType }, headers,
    () => sendEmpty(ctx, 200, headers));
}

/**
 * CopyObject: a whole-object copy. Content metadata (Content-Type, `x-oss-meta-*`, Cache-Control & co.)
 * is copied unless `x-oss-metadata-directive: REPLACE`; tags are copied unless
 * `x-oss-tagging-directive: Replace`. Storage class, ACL and encryption always come from the request
 * (OSS does not carry the source's encryption over, go-sdk-v2 CopyObjectRequest docs).
 */
export async function copyObject(ctx: Context): Promise<void> {
  const { bucket, key } = target(ctx);
  const replaceMeta = ctx.request.headers['x-oss-metadata-directive']?.toUpperCase() === 'REPLACE';
  const requested = replaceMeta ? readObjectHeaders(ctx.request) : undefined;
  const attributes = readObjectAttributes(ctx.request);
  const replaceTags = readTaggingDirective(ctx.request) === 'Replace';
  if (replaceTags && attributes.tags) authorize(ctx.principal, 'oss:PutObjectTagging', bucket, key);
  const source = await readCopySource(ctx);
  if (!source) return; // 304 Not Modified: a copy-source condition said there is nothing to copy
  let info: BlobInfo;
  const meta: Pick<ObjectRecord, 'contentType' | 'userMeta' | 'headers'> = requested ?? source.record;
  const tags = replaceTags ? attributes.tags : source.record.tags;
  try {
    info = await ctx.storage.blobs.write(ctx.storage.blobs.read(source.record.segments, 0, source.record.size), { maxBytes: Infinity });
  } finally {
    source.release();
  }
  const md5Hex = info.md5.toString('hex').toUpperCase();
  const record: ObjectRecord = {
    v: 1, bucket, key, size: info.size, etag: md5Hex, contentType: meta.contentType, contentMd5: info.md5.toString('base64'),
    crc64: info.crc64.toString(), lastModified: new Date(ctx.now()).toISOString(), userMeta: meta.userMeta, headers: meta.headers,
    type: 'Normal', uploadId: undefined, segments: [{ blob: info.blob, size: info.size }],
    ...attributesOf({ storageClass: attributes.storageClass, acl: attributes.acl, encryption: attributes.encryption, tags }),
  };
  try {
    await ctx.storage.objects.put(record, forbidsOverwrite(ctx.request) ? refuseExisting() : undefined);
  } catch (error) {
    await ctx.storage.blobs.remove([info.blob]);
    throw error;
  }
  sendXml(ctx, 'CopyObjectResult', { LastModified: record.lastModified, ETag: quoted(md5Hex) },
    { ETag: quoted(md5Hex), 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record.encryption) });
}

async function loadObject(ctx: Context): Promise<ObjectRecord> {
  const { bucket, key } = target(ctx);
  const record = await ctx.storage.objects.get(bucket, key);
  if (!record) throw errors.noSuchKey(key);
  return record;
}

/** GetObject, with Range (OSS ignores an unusable range unless `x-oss-range-behavior: standard`). */
export async function getObject(ctx: Context): Promise<void> {
  const { bucket, key } = target(ctx);
  const opened = await ctx.storage.objects.open(bucket, key);
  if (!opened) throw errors.noSuchKey(key);
  try {
    await sendObject(ctx, opened.record);
  } finally {
    opened.release();
  }
}

async function sendObject(ctx: Context, record: ObjectRecord): Promise<void> {
  const headers = { ...objectResponseHeaders(record, ctx.request), ...taggingCountHeader(ctx, record) };
  if (checkConditions(record, ctx.request) === 'not-modified') return sendEmpty(ctx, 304, { ETag: headers['ETag']! });
  const rangeHeader = ctx.request.headers['range'];
  let range = parseRange(rangeHeader, record.size);
  if (range === 'unsatisfiable') {
    if (ctx.request.headers['x-oss-range-behavior'] === 'standard') throw errors.invalidRange(rangeHeader!, record.size);
    range = undefined;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? record.size;
  const status = range ? 206 : 200;
  if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${record.size}`;
  ctx.response.writeHead(status, { ...headers, 'Content-Length': end - start });
  if (end === start) return void ctx.response.end();
  await pipeline(Readable.from(ctx.storage.blobs.read(record.segments, start, end)), ctx.response);
}

/** HeadObject: GetObject's headers, no body. */
export async function headObject(ctx: Context): Promise<void> {
  const record = await loadObject(ctx);
  const headers = { ...objectResponseHeaders(record, ctx.request), ...taggingCountHeader(ctx, record) };
  if (checkConditions(record, ctx.request) === 'not-modified') return sendEmpty(ctx, 304, { ETag: headers['ETag']! });
  ctx.response.writeHead(200, { ...headers, 'Content-Length': record.size });
  ctx.response.end();
}

/** DeleteObject: 204 whether or not the object existed. */
export async function deleteObject(ctx: Context): Promise<void> {
  const { bucket, key } = target(ctx);
  await ctx.storage.objects.delete(bucket, key);
  sendEmpty(ctx, 204);
}

