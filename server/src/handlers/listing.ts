/**
 * ListParts, ListMultipartUploads (docs/protocol.md §2.6–2.7), ListObjects, ListObjectsV2 and
 * ListBuckets.
 *
 * Keys with characters XML 1.0 cannot carry (C0 controls) are written as numeric character
 * references, as OSS does (see xml.ts `escapeXml`); clients that list such keys ask for
 * `encoding-type=url`, and then every name-like element (Key, Prefix, markers, tokens, Delimiter,
 * CommonPrefixes) is percent-encoded.
 */
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { quoted } from '../etag.js';
import { queryValue } from '../request.js';
import { storageClassOf, type ObjectRecord } from '../storage/object-store.js';
import type { Upload } from '../storage/upload-store.js';
import { encodeKey } from '../xml.js';
import { sendXml } from './send.js';

const maxListed = 1000;
const owner = { ID: 'oss-local', DisplayName: 'oss-local' };

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

/**
 * Whether `encoding-type=url` was asked for (listings, DeleteMultipleObjects); any other value is
 * InvalidArgument, with OSS's message.
 */
export function urlEncoding(ctx: Context): boolean {
  const value = queryValue(ctx.request, 'encoding-type');
  if (value !== undefined && value !== 'url') throw errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', value);
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
    StorageClass: storageClassOf(upload),
    PartNumberMarker: marker,
    NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
    MaxParts: maxParts,
    IsTruncated: after.length > page.length,
    Part: page.map((p) => ({ PartNumber: p.partNumber, LastModified: p.lastModified, ETag: quoted(p.etag), HashCrc64ecma: p.crc64, Size: p.size })),
  });
}

/** Groups keys under `prefix` by `delimiter` (S3/OSS CommonPrefixes semantics). */
function commonPrefix(key: string, prefix: string, delimiter: string): string | undefined {
  if (delimiter === '' || !key.startsWith(prefix)) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at === -1 ? undefined : key.slice(0, at + delimiter.length);
}

/** One listing entry: an item, or the CommonPrefix it rolled up into. */
type Entry<T> = { readonly item: T; readonly group: undefined } | { readonly item: undefined; readonly group: string };

/** One page of a listing: items and CommonPrefixes in key order, and the entry the next page starts after. */
type Page<T> = { readonly items: T[]; readonly prefixes: string[]; readonly truncated: boolean; readonly last: Entry<T> | undefined };

/**
 * Pages through `sorted` (key order), rolling keys up into CommonPrefixes; each item and each
 * CommonPrefix counts once towards `max`. A marker that is itself a CommonPrefix (the NextMarker /
 * NextKeyMarker / token of a page that ended on one) skips every key under it, so the prefix is not
 * listed again on the next page.
 */
function paginate<T>(sorted: readonly T[], keyOf: (item: T) => string, prefix: string, delimiter: string, marker: string, max: number): Page<T> {
  const items: T[] = [];
  const prefixes: string[] = [];
  let last: Entry<T> | undefined;
  for (const item of sorted) {
    const group = commonPrefix(keyOf(item), prefix, delimiter);
    if (group !== undefined && (group === marker || prefixes.at(-1) === group)) continue;
    if (items.length + prefixes.length >= max) return { items, prefixes, truncated: true, last };
    if (group !== undefined) {
      prefixes.push(group);
      last = { item: undefined, group };
    } else {
      items.push(item);
      last = { item, group: undefined };
    }
  }
  return { items, prefixes, truncated: false, last };
}

/** Records of a bucket under `prefix` whose keys sort after `after`, in key order. */
async function recordsAfter(ctx: Context, bucket: string, prefix: string, after: string): Promise<ObjectRecord[]> {
  const records: ObjectRecord[] = [];
  for await (const record of ctx.storage.objects.list(bucket)) {
    if (record.key.startsWith(prefix) && compareKeys(record.key, after) > 0) records.push(record);
  }
  return records.sort((a, b) => compareKeys(a.key, b.key));
}

function contents(records: readonly ObjectRecord[], url: boolean, withOwner: boolean) {
  return records.map((r) => ({
    Key: encodeKey(r.key, url), LastModified: r.lastModified, ETag: quoted(r.etag), Type: r.type, Size: r.size,
    StorageClass: storageClassOf(r), Owner: withOwner ? owner : undefined,
  }));
}

/**
 * ListMultipartUploads: uploads in progress, by key (UTF-8 byte order), then by UploadId. With
 * `key-marker` alone the listing starts at the next key; with `upload-id-marker` too, uploads of
 * that key with a greater UploadId come first (OSS ignores `upload-id-marker` without `key-marker`).
 * NextKeyMarker / NextUploadIdMarker name the last entry listed, as OSS's own sample shows.
 */
export async function listMultipartUploads(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const prefix = queryValue(ctx.request, 'prefix') ?? '';
  const delimiter = queryValue(ctx.request, 'delimiter') ?? '';
  const keyMarker = queryValue(ctx.request, 'key-marker') ?? '';
  const idMarker = keyMarker === '' ? '' : (queryValue(ctx.request, 'upload-id-marker') ?? '');
  const maxUploads = readCount(ctx, 'max-uploads', maxListed, 1);
  const url = urlEncoding(ctx);
  const sorted = ctx.storage.uploads.all()
    .filter((u) => u.state === 'active' && u.bucket === bucket && u.key.startsWith(prefix))
    .filter((u) => {
      const order = compareKeys(u.key, keyMarker);
      return order > 0 || (order === 0 && idMarker !== '' && u.id > idMarker);
    })
    .sort((a, b) => compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // An upload-id-marker names a position inside the key-marker's own uploads, not a CommonPrefix.
  const page = paginate<Upload>(sorted, (u) => u.key, prefix, delimiter, idMarker === '' ? keyMarker : '', maxUploads);
  const last = page.last;
  sendXml(ctx, 'ListMultipartUploadsResult', {
    EncodingType: url ? 'url' : undefined,
    Bucket: bucket,
    KeyMarker: encodeKey(keyMarker, url),
    UploadIdMarker: idMarker,
    NextKeyMarker: last ? encodeKey(last.item?.key ?? last.group!, url) : '',
    NextUploadIdMarker: last?.item?.id ?? '',
    Delimiter: encodeKey(delimiter, url),
    Prefix: encodeKey(prefix, url),
    MaxUploads: maxUploads,
    IsTruncated: page.truncated,
    Upload: page.items.map((u) => ({ Key: encodeKey(u.key, url), UploadId: u.id, StorageClass: storageClassOf(u), Initiated: u.initiated })),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encodeKey(p, url) })),
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
  const page = paginate(await recordsAfter(ctx, bucket, prefix, marker), (r) => r.key, prefix, delimiter, marker, maxKeys);
  sendXml(ctx, 'ListBucketResult', {
    EncodingType: url ? 'url' : undefined,
    Name: bucket,
    Prefix: encodeKey(prefix, url),
    Marker: encodeKey(marker, url),
    MaxKeys: maxKeys,
    Delimiter: encodeKey(delimiter, url),
    IsTruncated: page.truncated,
    NextMarker: page.truncated && page.last ? encodeKey(page.last.item?.key ?? page.last.group!, url) : undefined,
    // ali-oss `list` reads Owner.ID of every entry unguarded, and OSS always sends it in V1.
    Contents: contents(page.items, url, true),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encodeKey(p, url) })),
  });
}

/**
 * Continuation tokens are opaque to clients (OSS's look like `CgJiYw--`); here one is the last key
 * or CommonPrefix of the page, base64url-encoded — URL-safe, so `encoding-type=url` leaves it as
 * is, and stateless, so it survives a restart.
 */
function encodeToken(entry: string): string {
  return Buffer.from(entry, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const bytes = Buffer.from(token, 'base64url');
  const entry = bytes.toString('utf8');
  if (!/^[A-Za-z0-9_-]+$/.test(token) || bytes.toString('base64url') !== token || !Buffer.from(entry, 'utf8').equals(bytes)) {
    throw errors.invalidArgument('The continuation token provided is incorrect.', 'continuation-token', token.slice(0, 256));
  }
  return entry;
}

/**
 * ListObjectsV2 (GetBucketV2, `list-type=2`): like ListObjects, but paged by an opaque
 * `continuation-token` (or `start-after` on the first page), with KeyCount, and Owner only when
 * `fetch-owner=true`. The token wins over `start-after` when both are sent.
 */
export async function listObjectsV2(ctx: Context): Promise<void> {
  const bucket = ctx.request.bucket!;
  const prefix = queryValue(ctx.request, 'prefix') ?? '';
  const delimiter = queryValue(ctx.request, 'delimiter') ?? '';
  const startAfter = queryValue(ctx.request, 'start-after');
  const token = queryValue(ctx.request, 'continuation-token');
  const fetchOwner = queryValue(ctx.request, 'fetch-owner')?.toLowerCase() === 'true';
  const maxKeys = readCount(ctx, 'max-keys', 100, 1);
  const url = urlEncoding(ctx);
  const after = token ? decodeToken(token) : (startAfter ?? '');
  const page = paginate(await recordsAfter(ctx, bucket, prefix, after), (r) => r.key, prefix, delimiter, after, maxKeys);
  sendXml(ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: encodeKey(prefix, url),
    ContinuationToken: token ? encodeKey(token, url) : undefined,
    StartAfter: startAfter !== undefined && startAfter !== '' ? encodeKey(startAfter, url) : undefined,
    MaxKeys: maxKeys,
    Delimiter: encodeKey(delimiter, url),
    EncodingType: url ? 'url' : undefined,
    IsTruncated: page.truncated,
    NextContinuationToken: page.truncated && page.last ? encodeToken(page.last.item?.key ?? page.last.group!) : undefined,
    KeyCount: page.items.length + page.prefixes.length,
    Contents: contents(page.items, url, fetchOwner),
    CommonPrefixes: page.prefixes.map((p) => ({ Prefix: encodeKey(p, url) })),
  });
}

/** ListBuckets (GetService). */
export async function listBuckets(ctx: Context): Promise<void> {
  const buckets = await ctx.storage.objects.buckets();
  sendXml(ctx, 'ListAllMyBucketsResult', {
    Owner: owner,
    Buckets: {
      Bucket: buckets.map((name) => ({
        Name: name, CreationDate: new Date(0).toISOString(), Location: `oss-${ctx.config.region}`, Region: ctx.config.region,
        ExtranetEndpoint: ctx.origin, IntranetEndpoint: ctx.origin, StorageClass: 'Standard',
      })),
    },
  });
}
