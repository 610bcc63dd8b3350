/**
 * OSS Signature V1 (`OSS ak:sig`, HMAC-SHA1) for header-signed requests and presigned URLs,
 * following docs/protocol.md §3.1–3.2. An opt-in import: nothing reaches this module unless an app
 * names `signerV1` (the default scheme is V4, in `signing-v4.ts`). WebCrypto and TextEncoder only,
 * so it runs in browsers and Node ≥ 20 alike.
 */
import { binaryBytes, binaryUtf8, checkExpiresSeconds, comparePairs, lowerCaseNames, resourcePath, trimmedWireValue, wireValue } from './canonical.js';
import type { OssSigner, QueryEntry } from './signing-types.js';

/**
 * Query parameters that V1 signs as sub-resources; all others (`prefix`, `max-uploads`, …) are
 * left out of the CanonicalizedResource (§3.1). Same list as go-sdk `oss/conn.go` `signKeyList`.
 */
const v1SignedSubResources: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete',
  'append', 'tagging', 'objectMeta', 'uploadId', 'partNumber', 'security-token', 'position', 'img',
  'style', 'styleName', 'replication', 'replicationProgress', 'replicationLocation', 'cname',
  'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod', 'startTime', 'endTime', 'symlink',
  'x-oss-process', 'response-content-type', 'x-oss-traffic-limit', 'response-content-language',
  'response-expires', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'udf', 'udfName', 'udfImage', 'udfId', 'udfImageDesc',
  'udfApplication', 'udfApplicationLog', 'restore', 'callback', 'callback-var', 'qosInfo', 'policy',
  'stat', 'encryption', 'versions', 'versioning', 'versionId', 'requestPayment',
  'x-oss-request-payer', 'sequential', 'inventory', 'inventoryId', 'continuation-token', 'asyncFetch',
  'worm', 'wormId', 'wormExtend', 'withHashContext', 'x-oss-enable-md5', 'x-oss-enable-sha1',
  'x-oss-enable-sha256', 'x-oss-hash-ctx', 'x-oss-md5-ctx', 'transferAcceleration', 'regionList',
  'cloudboxes', 'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask', 'x-oss-ac-vpc-id',
  'x-oss-ac-forward-allow', 'metaQuery', 'resourceGroup', 'rtc', 'x-oss-async-process',
  'responseHeader',
]);

/** STS secrets rotate every hour or so; a handful of imported keys covers any overlap. */
const maxCachedV1Keys = 8;

const textEncoder = new TextEncoder();
const v1Keys = new Map<string, Promise<CryptoKey>>();

/**
 * OSS Signature V1 (`OSS ak:sig`, HMAC-SHA1): opt in with `signer: signerV1`.
 *
 * - Header signing adds `x-oss-date` (`Wed, 28 Dec 2022 10:27:41 GMT`), `x-oss-security-token`
 *   for STS credentials, and `authorization`. The signature covers the added `x-oss-*` headers as
 *   well as the request's own `content-type`, `content-md5` and `x-oss-*` (§3.1).
 * - Presigning (§3.2) appends `OSSAccessKeyId`, `Expires` (absolute unix seconds = `now` +
 *   `expiresSeconds`), `Signature`, and `security-token` for STS credentials (a signed
 *   sub-resource). The request's `content-type`, `content-md5` and `x-oss-*` headers are signed,
 *   so whoever uses the URL must send exactly those.
 *
 * @example
 * ```ts
 * import { createUploader, signerV1 } from 'oss-resumable';
 * const uploader = createUploader({ endpoint, bucket, region, credentials, signer: signerV1 });
 * ```
 */
export const signerV1: OssSigner = {
  async sign(request, context) {
    // Browsers cannot send `Date`, so the x-oss-date value fills the Date slot (§3.1, §4).
    const date = context.now.toUTCString();
    const added: Record<string, string> = { 'x-oss-date': date };
    const token = context.credentials.securityToken;
    if (token) added['x-oss-security-token'] = token;

    const headers = { ...lowerCaseNames(request.headers), ...added };
    const resource = canonicalResourceV1(request.bucket, request.key, request.query);
    const signature = await hmacSha1Base64(
      context.credentials.accessKeySecret,
      stringToSignV1(request.method, headers, date, resource),
    );
    added['authorization'] = `OSS ${context.credentials.accessKeyId}:${signature}`;
    return added;
  },
  async presign(request, context, expiresSeconds) {
    checkExpiresSeconds(expiresSeconds, Number.MAX_SAFE_INTEGER);
    // floor, where ali-oss `utility.timestamp()` rounds: never valid longer than asked.
    const expires = String(Math.floor(context.now.getTime() / 1000) + expiresSeconds);
    const token = context.credentials.securityToken;
    const tokenQuery: QueryEntry[] = token ? [['security-token', token]] : [];
    const resource = canonicalResourceV1(request.bucket, request.key, [...request.query, ...tokenQuery]);
    const signature = await hmacSha1Base64(
      context.credentials.accessKeySecret,
      // The Expires number takes the Date slot (§3.2, ali-oss `_signatureForURL`).
      stringToSignV1(request.method, lowerCaseNames(request.headers), expires, resource),
    );
    return [
      ...request.query,
      ['OSSAccessKeyId', context.credentials.accessKeyId],
      ['Expires', expires],
      ['Signature', signature],
      ...tokenQuery,
    ];
  },
};

/**
 * VERB, Content-MD5, Content-Type, Date slot, CanonicalizedOSSHeaders, CanonicalizedResource (§3.1),
 * as a binary string of the bytes to sign: header values as they go on the wire ({@link wireValue}),
 * the resource (raw key, sub-resources) as UTF-8.
 */
function stringToSignV1(
  method: string,
  headers: Readonly<Record<string, string>>,
  dateSlot: string,
  resource: string,
): string {
  const ossHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${trimmedWireValue(headers[name] ?? '')}\n`)
    .join('');
  const md5 = wireValue(headers['content-md5'] ?? '');
  const type = wireValue(headers['content-type'] ?? '');
  return `${method.toUpperCase()}\n${md5}\n${type}\n${dateSlot}\n${ossHeaders}${binaryUtf8(resource)}`;
}

/**
 * `/bucket/key` with the RAW key, then `?` and the signed sub-resources present, sorted, each
 * `name` (absent or empty value) or `name=value`, unencoded (§3.1).
 */
function canonicalResourceV1(
  bucket: string | undefined,
  key: string | undefined,
  query: readonly QueryEntry[],
): string {
  const subResources = query
    .filter(([name]) => v1SignedSubResources.has(name))
    .map(([name, value]) => [name, value ?? ''] as const)
    .sort(comparePairs)
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const path = resourcePath(bucket, key);
  return subResources.length === 0 ? path : `${path}?${subResources.join('&')}`;
}

/** HMAC-SHA1 of the bytes of a binary string, in base64. */
async function hmacSha1Base64(secret: string, binary: string): Promise<string> {
  const key = await hmacSha1Key(secret);
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, binaryBytes(binary)));
  return btoa(String.fromCharCode(...signature));
}

/** One key import per secret rather than per request: every part of an upload shares it. */
function hmacSha1Key(secret: string): Promise<CryptoKey> {
  let key = v1Keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', textEncoder.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    key.catch(() => v1Keys.delete(secret));
    if (v1Keys.size >= maxCachedV1Keys) v1Keys.delete(v1Keys.keys().next().value ?? '');
    v1Keys.set(secret, key);
  }
  return key;
}
