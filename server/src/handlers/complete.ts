/**
 * CompleteMultipartUpload (docs/protocol.md §2.4): validates the part list (ascending, each part
 * present with a matching ETag, every part but the last ≥ 100 KB), publishes the object as the
 * concatenation of the part blobs (no byte copy), and answers with the `MD5-of-MD5s-N` ETag and
 * the combined CRC-64 — or with the callback server's JSON.
 */
import { createHash } from 'node:crypto';
import { parseCallback } from '../callback.js';
import type { Context } from '../context.js';
import { crc64Combine } from '../crc64.js';
import { errors } from '../errors.js';
import { normalizeEtag, quoted } from '../etag.js';
import { attributesOf, encryptionHeaders, readObjectAcl } from '../object-attributes.js';
import { readSmallBody } from '../request-body.js';
import { queryValue } from '../request.js';
import type { ObjectRecord } from '../storage/object-store.js';
import type { PartRecord } from '../storage/upload-store.js';
import { encodeKey, parseCompleteBody, type CompletePart } from '../xml.js';
import { replyAfterWrite } from './reply.js';
import { sendXml } from './send.js';

const minPartBytes = 100 * 1024;
/** A 10,000-part body is about 0.9 MB; anything far larger is not a part list. */
const maxCompleteBodyBytes = 4 * 1024 * 1024;

function selectParts(listed: readonly CompletePart[], stored: ReadonlyMap<number, PartRecord>): PartRecord[] {
  for (let i = 1; i < listed.length; i++) if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) throw errors.invalidPartOrder();
  const parts = listed.map(({ partNumber, etag }) => {
    const part = stored.get(partNumber);
    if (!part || normalizeEtag(etag) !== part.etag) throw errors.invalidPart();
    return part;
  });
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.size < minPartBytes) throw errors.entityTooSmall(part.partNumber, part.size);
  });
  return parts;
}

function multipartEtag(parts: readonly PartRecord[]): string {
  const md5 = createHash('md5');
  for (const part of parts) md5.update(Buffer.from(part.etag, 'hex'));
  return `${md5.digest('hex').toUpperCase()}-${parts.length}`;
}

/** CompleteMultipartUpload. */
export async function completeMultipartUpload(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const key = ctx.request.key!;
  const uploadId = queryValue(ctx.request, 'uploadId') ?? '';
  const upload = ctx.storage.uploads.get(uploadId, bucket, key);
  const callback = parseCallback(ctx.request.headers['x-oss-callback'], ctx.request.headers['x-oss-callback-var']);
  const completeAll = ctx.request.headers['x-oss-complete-all']?.toLowerCase() === 'yes';
  // Complete may name the object's ACL (go-sdk-v2 CompleteMultipartUploadRequest.Acl); else Initiate's stands.
  const acl = readObjectAcl(ctx.request) ?? upload.acl;
  const body = await readSmallBody(ctx, maxCompleteBodyBytes, () => errors.malformedXml('The XML you provided was larger than the maximum allowed size.'));
  let listed: CompletePart[];
  if (completeAll) {
    if (body.trim() !== '') throw errors.invalidArgument('Specifying x-oss-complete-all:yes is not allowed when the body has content.', 'x-oss-complete-all', 'yes');
    listed = [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
  } else {
    listed = parseCompleteBody(body);
    ctx.note({ completeParts: listed.map((p) => p.partNumber) });
    if (listed.length === 0) throw errors.malformedXml('The XML you provided lists no parts.');
  }
  const forbid = upload.forbidOverwrite || ctx.request.headers['x-oss-forbid-overwrite']?.toLowerCase() === 'true';
  const record = await ctx.storage.uploads.exclusive(upload, async () => {
    // NoSuchUpload when a Complete or Abort held the lock first; from here on the parts are frozen.
    ctx.storage.uploads.beginComplete(upload);
    let parts: PartRecord[];
    let result: ObjectRecord;
    try {
      parts = selectParts(listed, upload.parts);
      const crc = parts.reduce((acc, p) => crc64Combine(acc, BigInt(p.crc64), p.size), 0n);
      result = {
        v: 1, bucket, key, size: parts.reduce((n, p) => n + p.size, 0), etag: multipartEtag(parts), contentType: upload.contentType,
        contentMd5: undefined, crc64: crc.toString(), lastModified: new Date(ctx.now()).toISOString(), userMeta: upload.userMeta,
        headers: upload.headers, type: 'Multipart', uploadId, segments: parts.map((p) => ({ blob: p.blob, size: p.size })),
        ...attributesOf({ storageClass: upload.storageClass, acl, encryption: upload.encryption, tags: upload.tags }),
      };
      await ctx.storage.objects.put(result, (existing) => {
        if (forbid && existing) throw errors.fileAlreadyExists('0042-00000214');
      });
    } catch (error) {
      // Nothing was published: the upload takes parts and a Complete again.
      ctx.storage.uploads.abandonComplete(upload);
      throw error;
    }
    await ctx.storage.uploads.finishComplete(upload, new Set(parts.map((p) => p.blob)));
    return result;
  });
  const headers = { ETag: quoted(record.etag), 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record.encryption) };
  const url = queryValue(ctx.request, 'encoding-type') === 'url';
  await replyAfterWrite(ctx, callback, { bucket, object: key, etag: record.etag, size: record.size, mimeType: record.contentType }, headers,
    () => sendXml(ctx, 'CompleteMultipartUploadResult', {
      EncodingType: url ? 'url' : undefined,
      Location: `http://${ctx.origin}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
      Bucket: bucket,
      Key: encodeKey(key, url),
      ETag: quoted(record.etag),
    }, headers));
}
