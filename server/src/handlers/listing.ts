/**
 * ListParts, ListMultipartUploads (oss-protocol.md §2.6–2.7), ListObjects and ListBuckets.
 */
import { encodeKey, quoted, sendXml, type Context } from '../context.js';
import { errors } from '../errors.js';
import { queryValue } from '../request.js';

const maxListed = 1000;

/** Keys sort in UTF-8 byte order, as OSS lists them (JavaScript compares UTF-16 code units). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Reads an integer query parameter of at least `min`; page sizes above 1000 are clamped (§2.8). */
function readCount(ctx: Context, name: string, fallback: number, min: number, clamp = maxListed): number {
  const raw = queryValue(ctx.request, name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) throw errors.invalidArgument(`Argument ${name} must be an integer of at least ${min}.`, name, raw);
  return Math.min(Number(raw), clamp);
}

function urlEncoding(ctx: Context): boolean {
  const value = queryValue(ctx.request, 'encoding-type');
  if (value !== undefined && value !== 'url') throw errors.invalidArgument('Argument encoding-type must be "url".', 'encoding-type', value);
  return value === 'url';
}

/** ListParts: one page of parts after `part-number-marker`. */
export async function listParts(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const uploadId = queryValue(ctx.request, 'uploadId') ?? '';
  const upload = ctx.storage.uploads.get(uploadId, bucket, ctx.request.key!);
  const maxParts = readCount(ctx, 'max-parts', maxListed, 1);
  const marker = readCount(ctx, 'part-number-marker', 0, 0, Infinity);
  const url = urlEncoding(ctx);
  const after = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, maxParts);
  sendXml(ctx, 'ListPartsResult', {
    EncodingType: url ? 'url' : undefined,
    Bucket: bucket,
    Key: encodeKey(upload.key, url),
    UploadId: upload.id,
    StorageClass: 'Standard',
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: after.length > page.length,
    Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified, ETag: quoted(p.etag), HashCrc64ecma: p.crc64, Size: p.size })),
  });
}

/** Groups keys under `prefix` by `delimiter` (S3/OSS CommonPrefixes semantics). */
function commonPrefix(key: string, prefix: string, delimiter: string): string | undefined {
  if (delimiter === '') return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at === -1 ? undefined : key.slice(0, at + delimiter.length);
}

/** ListMultipartUploads: uploads in progress, ordered by key then initiation. */
export async function listMultipartUploads(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const prefix = queryValue(ctx.request, 'prefix') ?? '';
  const delimiter = queryValue(ctx.request, 'delimiter') ?? '';
  const keyMarker = queryValue(ctx.request, 'key-marker') ?? '';
  const idMarker = keyMarker === '' ? '' : (queryValue(ctx.request, 'upload-id-marker') ?? '');
  const maxUploads = readCount(ctx, 'max-uploads', maxListed, 1);
  const url = urlEncoding(ctx);
  const all = ctx.storage.uploads.all()
    .filter((u) => u.state === 'active' && u.bucket === bucket && u.key.startsWith(prefix))
    .sort((a, b) => compareKeys(a.key, b.key) || a.initiated.localeCompare(b.initiated) || a.id.localeCompare(b.id));
  let start = 0;
  if (keyMarker !== '') {
    const idIndex = idMarker === '' ? -1 : all.findIndex((u) => u.key === keyMarker && u.id === idMarker);
    start = idIndex !== -1 ? idIndex + 1 : all.findIndex((u) => compareKeys(u.key, keyMarker) > 0);
    if (start === -1) start = all.length;
  }
  const uploads: typeof all = [];
  const prefixes: string[] = [];
  let truncated = false;
  let i = start;
  for (; i < all.length; i++) {
    const upload = all[i]!;
    const group = commonPrefix(upload.key, prefix, delimiter);
    if (group !== undefined && prefixes.at(-1) === group) continue;
    if (uploads.length + prefixes.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (group !== undefined) prefixes.push(group);
    else uploads.push(upload);
  }
  const last = uploads.at(-1);
  sendXml(ctx, 'ListMultipartUploadsResult', {
    EncodingType: url ? 'url' : undefined,
    Bucket: bucket,
    KeyMarker: encodeKey(keyMarker, url),
    UploadIdMarker: idMarker,
    NextKeyMarker: truncated && last ? encodeKey(last.key, url) : '',
    NextUploadIdMarker: truncated && last ? last.id : '',
    Delimiter: encodeKey(delimiter, url),
    Prefix: encodeKey(prefix, url),
    MaxUploads: maxUploads,
    IsTruncated: truncated,
    Upload: uploads.map((u) => ({ Key: encodeKey(u.key, url), UploadId: u.id, StorageClass: 'Standard', Initiated: u.initiated })),
    CommonPrefixes: prefixes.map((p) => ({ Prefix: encodeKey(p, url) })),
  });
}

/** ListObjects (GetBucket V1): objects by key after `marker`. */
export async function listObjects(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const prefix = queryValue(ctx.request, 'prefix') ?? '';
  const delimiter = queryValue(ctx.request, 'delimiter') ?? '';
  const marker = queryValue(ctx.request, 'marker') ?? '';
  const maxKeys = readCount(ctx, 'max-keys', 100, 1);
  const url = urlEncoding(ctx);
  const records = [];
  for await (const record of ctx.storage.objects.list(bucket)) {
    if (record.key.startsWith(prefix) && compareKeys(record.key, marker) > 0) records.push(record);
  }
  records.sort((a, b) => compareKeys(a.key, b.key));
  const contents: typeof records = [];
  const prefixes: string[] = [];
  let truncated = false;
  let next = '';
  for (const record of records) {
    const group = commonPrefix(record.key, prefix, delimiter);
    if (group !== undefined && prefixes.at(-1) === group) continue;
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (group !== undefined) prefixes.push(group);
    else contents.push(record);
    next = group ?? record.key;
  }
  sendXml(ctx, 'ListBucketResult', {
    EncodingType: url ? 'url' : undefined,
    Name: bucket,
    Prefix: encodeKey(prefix, url),
    Marker: encodeKey(marker, url),
    MaxKeys: maxKeys,
    Delimiter: encodeKey(delimiter, url),
    IsTruncated: truncated,
    NextMarker: truncated ? encodeKey(next, url) : undefined,
    Contents: contents.map((r) => ({
      Key: encodeKey(r.key, url), LastModified: r.lastModified, ETag: quoted(r.etag), Type: r.type, Size: r.size,
      StorageClass: 'Standard', Owner: { ID: 'oss-local', DisplayName: 'oss-local' },
    })),
    CommonPrefixes: prefixes.map((p) => ({ Prefix: encodeKey(p, url) })),
  });
}

/** ListBuckets (GetService). */
export async function listBuckets(ctx: Context): Promise<void> {
  const buckets = await ctx.storage.objects.buckets();
  sendXml(ctx, 'ListAllMyBucketsResult', {
    Owner: { ID: 'oss-local', DisplayName: 'oss-local' },
    Buckets: {
      Bucket: buckets.map((name) => ({
        Name: name, CreationDate: new Date(0).toISOString(), Location: `oss-${ctx.config.region}`, Region: ctx.config.region,
        ExtranetEndpoint: ctx.origin, IntranetEndpoint: ctx.origin, StorageClass: 'Standard',
      })),
    },
  });
}
