/**
 * OSS Signature V1 (HMAC-SHA1) canonicalisation and signing, docs/protocol.md §3.1 and §3.2.
 * Pure functions over already-decoded request parts; written from the protocol notes, not from SDK code.
 *
 * What is signed is bytes: header values exactly as they came over the wire (node:http hands them over
 * as latin1 strings, one character per byte, which is how they arrive here), the resource as the
 * UTF-8 bytes of the decoded key and sub-resources. So a client that sends a value's raw UTF-8 bytes
 * (ali-oss with `headerEncoding`) and signs those bytes matches, as it does against OSS.
 */
import { createHmac } from 'node:crypto';
import type { QueryParam } from '../request.js';

/**
 * Query parameters that take part in the V1 CanonicalizedResource. Copied from go-sdk `oss/conn.go`
 * `signKeyList` (docs/protocol.md §3.1); every other parameter (`prefix`, `max-parts`, …) is unsigned.
 */
export const signedSubResources: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append',
  'tagging', 'objectMeta', 'uploadId', 'partNumber', 'security-token', 'position', 'img', 'style',
  'styleName', 'replication', 'replicationProgress', 'replicationLocation', 'cname', 'bucketInfo', 'comp',
  'qos', 'live', 'status', 'vod', 'startTime', 'endTime', 'symlink', 'x-oss-process',
  'response-content-type', 'x-oss-traffic-limit', 'response-content-language', 'response-expires',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'udf', 'udfName',
  'udfImage', 'udfId', 'udfImageDesc', 'udfApplication', 'udfApplicationLog', 'restore', 'callback',
  'callback-var', 'qosInfo', 'policy', 'stat', 'encryption', 'versions', 'versioning', 'versionId',
  'requestPayment', 'x-oss-request-payer', 'sequential', 'inventory', 'inventoryId', 'continuation-token',
  'asyncFetch', 'worm', 'wormId', 'wormExtend', 'withHashContext', 'x-oss-enable-md5', 'x-oss-enable-sha1',
  'x-oss-enable-sha256', 'x-oss-hash-ctx', 'x-oss-md5-ctx', 'transferAcceleration', 'regionList',
  'cloudboxes', 'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask', 'x-oss-ac-vpc-id', 'x-oss-ac-forward-allow',
  'metaQuery', 'resourceGroup', 'rtc', 'x-oss-async-process', 'responseHeader',
]);

/** The parts of a request that V1 signs. Header names must already be lower-case. */
export type V1StringToSignInput = {
  readonly method: string;
  /** Values as node:http gives them: latin1 strings of the wire bytes. */
  readonly headers: Readonly<Record<string, string>>;
  /** `Date` header (or `x-oss-date`) for header auth; the `Expires` number for presigned URLs (§3.2). Wire bytes, like a header. */
  readonly dateSlot: string;
  readonly bucket: string | undefined;
  /** Decoded object key; undefined or `''` for bucket-level requests. */
  readonly key: string | undefined;
  readonly query: readonly QueryParam[];
};

// Every name compared here is ASCII (HTTP header tokens, the fixed sub-resource list), so UTF-16 code
// unit order equals the byte order the Go SDKs use (`sort.Strings`).
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * CanonicalizedResource: `/bucket/key` with the raw decoded key (`/bucket/` for bucket operations, `/` for
 * the service), then `?` and the sorted signed sub-resources as `name` or `name=value`, raw, joined by `&`.
 */
export function v1CanonicalizedResource(
  bucket: string | undefined,
  key: string | undefined,
  query: readonly QueryParam[],
): string {
  const path = bucket === undefined ? '/' : `/${bucket}/${key ?? ''}`;
  const signed = query
    .filter(([name]) => signedSubResources.has(name))
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  return signed.length === 0 ? path : `${path}?${signed.join('&')}`;
}

/**
 * Trims the spaces and tabs around a header value. Only those: on wire bytes, `String.prototype.trim`
 * would also cut a lone 0xA0 byte, the tail of a UTF-8 no-break space (C2 A0), and sign half a character.
 */
export function trimHeaderValue(value: string): string {
  return value.replace(/^[\t ]+|[\t ]+$/g, '');
}

/**
 * CanonicalizedOSSHeaders: every `x-oss-*` header as `name:value\n`, values trimmed, sorted by name. The
 * result stays a latin1 string of wire bytes, like the values.
 */
export function v1CanonicalizedOssHeaders(headers: Readonly<Record<string, string>>): string {
  return Object.keys(headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort(byCodeUnit)
    .map((name) => `${name}:${trimHeaderValue(headers[name] ?? '')}\n`)
    .join('');
}

/**
 * The V1 StringToSign, `VERB\nContent-MD5\nContent-Type\nDate\n` + OSS headers + resource (§3.1), as the
 * bytes that are signed: everything up to the resource as the wire bytes of the header values, the
 * resource as UTF-8.
 */
export function v1StringToSign(input: V1StringToSignInput): Buffer {
  const headerPart =
    `${input.method.toUpperCase()}\n` +
    `${input.headers['content-md5'] ?? ''}\n` +
    `${input.headers['content-type'] ?? ''}\n` +
    `${input.dateSlot}\n` +
    v1CanonicalizedOssHeaders(input.headers);
  return Buffer.concat([
    Buffer.from(headerPart, 'latin1'),
    Buffer.from(v1CanonicalizedResource(input.bucket, input.key, input.query), 'utf8'),
  ]);
}

/** `base64(HMAC-SHA1(secret, stringToSign))`; a string is signed as its UTF-8 bytes. */
export function v1Signature(secret: string, stringToSign: Buffer | string): string {
  return createHmac('sha1', secret).update(stringToSign).digest('base64');
}

const monthIndex: Readonly<Record<string, number>> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
const rfc1123 = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;

/**
 * Parses the RFC 1123 form V1 uses for `Date`/`x-oss-date` (`Wed, 28 Dec 2022 10:27:41 GMT`, the format
 * ali-oss and Go's `http.TimeFormat` produce). Returns epoch milliseconds, or NaN when malformed.
 * Strict on purpose: `Date.parse` accepts many shapes OSS would reject.
 */
export function parseV1Date(value: string): number {
  const match = rfc1123.exec(value);
  if (match === null) return Number.NaN;
  const [, day, monthName, year, hour, minute, second] = match;
  const month = monthIndex[monthName ?? ''];
  if (month === undefined) return Number.NaN;
  const fields = [Number(year), month, Number(day), Number(hour), Number(minute), Number(second)] as const;
  const ms = Date.UTC(...fields);
  const back = new Date(ms);
  // Date.UTC silently rolls 31 Feb over into March; a round trip catches impossible dates.
  const same = back.getUTCDate() === fields[2] && back.getUTCMonth() === month && back.getUTCHours() === fields[3]
    && back.getUTCMinutes() === fields[4] && back.getUTCSeconds() === fields[5];
  return same ? ms : Number.NaN;
}
