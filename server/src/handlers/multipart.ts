/**
 * InitiateMultipartUpload, UploadPart, UploadPartCopy and AbortMultipartUpload (docs/protocol.md §2.1–2.5).
 */
import { authorize } from '../auth/authorize.js';
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { quoted } from '../etag.js';
import { encryptionHeaders, readObjectAttributes } from '../object-attributes.js';
import { forbidsOverwrite, readObjectHeaders } from '../object-headers.js';
import { queryValue } from '../request.js';
import type { BlobInfo } from '../storage/blob-store.js';
import type { PartRecord, Upload } from '../storage/upload-store.js';
import { encodeKey } from '../xml.js';
import { readCopySource } from './copy-source.js';
import { sendEmpty, sendXml } from './send.js';
import { writeBody } from './write-body.js';

/**
 * InitiateMultipartUpload: fixes the final object's metadata and attributes (storage class, ACL,
 * encryption, tags) and returns a new UploadId; the encryption is echoed, as OSS does.
 */
export async function initiateMultipartUpload(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const key = ctx.request.key!;
  const meta = readObjectHeaders(ctx.request);
  const attributes = readObjectAttributes(ctx.request);
  if (attributes.tags) authorize(ctx.principal, 'oss:PutObjectTagging', bucket, key);
  const forbidOverwrite = forbidsOverwrite(ctx.request);
  if (forbidOverwrite && (await ctx.storage.objects.get(bucket, key))) throw errors.fileAlreadyExists();
  const upload = await ctx.storage.uploads.create({
    bucket, key, ...meta, forbidOverwrite, initiated: new Date(ctx.now()).toISOString(), ...attributes,
  });
  const url = queryValue(ctx.request, 'encoding-type') === 'url';
  sendXml(ctx, 'InitiateMultipartUploadResult', {
    Bucket: bucket, Key: encodeKey(key, url), UploadId: upload.id, EncodingType: url ? 'url' : undefined,
  }, encryptionHeaders(upload.encryption));
}

/** Validates `partNumber`: an integer within 1..10000, else InvalidArgument (EC 0017-00000220). */
export function readPartNumber(ctx: Context): number {
  const raw = queryValue(ctx.request, 'partNumber') ?? '';
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 10_000)) throw errors.invalidPartNumber(raw);
  return n;
}

function findUpload(ctx: Context): Upload {
  return ctx.storage.uploads.get(queryValue(ctx.request, 'uploadId') ?? '', ctx.request.bucket!, ctx.request.key!);
}

/** UploadPart: stores the part (replacing an earlier one with the same number). */
export async function uploadPart(ctx: Context): Promise<void> {
  const partNumber = readPartNumber(ctx);
  const upload = findUpload(ctx);
  const info = await writeBody(ctx);
  const etag = info.md5.toString('hex').toUpperCase();
  const part: PartRecord = {
    partNumber, etag, size: info.size, crc64: info.crc64.toString(), lastModified: new Date(ctx.now()).toISOString(), blob: info.blob,
  };
  await ctx.storage.uploads.addPart(upload, part);
  sendEmpty(ctx, 200, {
    ETag: quoted(etag), 'Content-MD5': info.md5.toString('base64'), 'x-oss-hash-crc64ecma': part.crc64, ...encryptionHeaders(upload.encryption),
  });
}

function readCopyRange(ctx: Context, size: number): { start: number; end: number } {
  const value = ctx.request.headers['x-oss-copy-source-range'];
  if (value === undefined) return { start: 0, end: size };
  const match = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  const start = match ? Number(match[1]) : NaN;
  const last = match ? Number(match[2]) : NaN;
  if (!(start <= last && last < size)) {
    throw errors.invalidArgument('The x-oss-copy-source-range is invalid or out of the source object\'s size.', 'x-oss-copy-source-range', value, '0042-00000306');
  }
  return { start, end: last + 1 };
}

/** UploadPartCopy: the part's bytes come from a range of an existing object. */
export async function uploadPartCopy(ctx: Context): Promise<void> {
  const partNumber = readPartNumber(ctx);
  const upload = findUpload(ctx);
  const source = await readCopySource(ctx);
  if (!source) return; // 304 Not Modified: nothing copied, the part is unchanged
  let info: BlobInfo;
  try {
    const { start, end } = readCopyRange(ctx, source.record.size);
    info = await ctx.storage.blobs.write(ctx.storage.blobs.read(source.record.segments, start, end), { maxBytes: Infinity });
  } finally {
    source.release();
  }
  const etag = info.md5.toString('hex').toUpperCase();
  const lastModified = new Date(ctx.now()).toISOString();
  await ctx.storage.uploads.addPart(upload, { partNumber, etag, size: info.size, crc64: info.crc64.toString(), lastModified, blob: info.blob });
  // ali-oss reads the part ETag from the header, others from the XML: send both (docs/protocol.md §2.3).
  sendXml(ctx, 'CopyPartResult', { LastModified: lastModified, ETag: quoted(etag) }, { ETag: quoted(etag), 'x-oss-hash-crc64ecma': info.crc64.toString() });
}

/** AbortMultipartUpload: 204, the parts are deleted. */
export async function abortMultipartUpload(ctx: Context): Promise<void> {
  await ctx.storage.uploads.abort(findUpload(ctx));
  sendEmpty(ctx, 204);
}
