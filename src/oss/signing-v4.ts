/**
 * OSS Signature V4 (`OSS4-HMAC-SHA256`) for header-signed requests and presigned URLs
 * (docs/protocol.md §3.3, §3.4), on WebCrypto and TextEncoder only so that the same code runs in
 * browsers and in Node ≥ 20. {@link signerV4} is the default `signer`.
 */
import { binaryBytes, checkExpiresSeconds, comparePairs, encodeRfc3986, lowerCaseNames, resourcePath, trimmedWireValue } from './canonical.js';
import type { OssSigner, QueryEntry, SignableRequest, SignContext } from './signing-types.js';

const algorithm = 'OSS4-HMAC-SHA256';
const unsignedPayload = 'UNSIGNED-PAYLOAD';
const scopeTerminator = 'aliyun_v4_request';
const ossHeaderPrefix = 'x-oss-';
/** Enough for several regions × a day boundary × a credential rotation; FIFO eviction is fine here. */
const maxCachedSigningKeys = 16;
/** Upper bound of `x-oss-expires` for V4 presigned URLs: 7 days (§3.4). */
const maxV4ExpiresSeconds = 604_800;

const textEncoder = new TextEncoder();
const signingKeys = new Map<string, Promise<CryptoKey>>();

/** `20221228T102741Z`: the V4 `x-oss-date` format (ISO 8601 basic, UTC, whole seconds). */
export function formatV4Date(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * The V4 canonical query string: every parameter, name and value RFC 3986-encoded, sorted by
 * encoded name in byte order (then by value), `name=value`, or the bare `name` when the value is
 * absent *or empty*.
 */
export function canonicalQueryV4(query: readonly QueryEntry[]): string {
  const encoded = query.map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value ?? '')] as const);
  // Byte order, not localeCompare: the encoded strings are ASCII, so `<` is byte order (§3.3 item 3).
  encoded.sort(comparePairs);
  // Empty values render bare: the official SDKs' vectors (go-sdk-v2 `calcCanonicalRequest`
  // `len(values[k]) > 0`, python/C#/Kotlin/C++ v2 tests) pass `""` and expect `%2Bparam2`, not
  // `%2Bparam2=`. ali-oss writes `k=` for `''`, which is its quirk, not the protocol.
  return encoded.map(([name, value]) => (value === '' ? name : `${name}=${value}`)).join('&');
}

/**
 * The six-line V4 canonical request (§3.3), as a binary string of the bytes to hash. Signed headers
 * are `content-type`, `content-md5`, every `x-oss-*` header and the given additional headers, with
 * trimmed values as they go on the wire ({@link trimmedWireValue}); everything else in it is ASCII.
 */
export function canonicalRequestV4(
  request: SignableRequest,
  additionalHeaders: readonly string[],
): string {
  const headers = lowerCaseNames(request.headers);
  const extra = new Set(additionalHeaders);
  const signed = Object.keys(headers)
    .filter((name) => isDefaultSignedHeader(name) || extra.has(name))
    .sort();
  const canonicalHeaders = signed.map((name) => `${name}:${trimmedWireValue(headers[name] ?? '')}\n`).join('');
  return [
    request.method.toUpperCase(),
    encodeRfc3986(resourcePath(request.bucket, request.key)).replaceAll('%2F', '/'),
    canonicalQueryV4(request.query),
    canonicalHeaders,
    additionalHeaders.join(';'),
    // An empty header counts as absent, as in ali-oss and go-sdk-v2 (`!= ""`), hence `||`.
    headers['x-oss-content-sha256'] || unsignedPayload,
  ].join('\n');
}

/**
 * Headers to add to a V4 header-signed request: `x-oss-date`, `x-oss-content-sha256` (unless
 * present), `x-oss-security-token` (STS) and `authorization`.
 *
 * @param additionalHeaders - Extra non-`x-oss-*` header names to sign (§3.3 item 5). Browsers
 * cannot sign `host`, so {@link signerV4} passes none; exposed here for the SDK vectors.
 */
export async function signHeadersV4(
  request: SignableRequest,
  context: SignContext,
  additionalHeaders: readonly string[] = [],
): Promise<Record<string, string>> {
  const dateTime = formatV4Date(context.now);
  const added: Record<string, string> = { 'x-oss-date': dateTime };
  const existing = lowerCaseNames(request.headers);
  if (!existing['x-oss-content-sha256']) added['x-oss-content-sha256'] = unsignedPayload;
  const token = context.credentials.securityToken;
  if (token) added['x-oss-security-token'] = token;

  const headers = { ...existing, ...added };
  const extra = normalizeAdditionalHeaders(additionalHeaders, headers);
  const scope = scopeOf(dateTime, context.region);
  const signature = await signatureV4(context, dateTime, { ...request, headers }, extra);
  const additional = extra.length > 0 ? `AdditionalHeaders=${extra.join(';')},` : '';
  added['authorization'] =
    `${algorithm} Credential=${context.credentials.accessKeyId}/${scope},${additional}Signature=${signature}`;
  return added;
}

/**
 * The full query of a V4 presigned URL: the request's own query, then `x-oss-signature-version`,
 * `x-oss-credential`, `x-oss-date`, `x-oss-expires`, optional `x-oss-additional-headers` and
 * `x-oss-security-token`, and last `x-oss-signature` (§3.4). `expiresSeconds` must already be
 * validated (1..604800).
 */
export async function presignQueryV4(
  request: SignableRequest,
  context: SignContext,
  expiresSeconds: number,
  additionalHeaders: readonly string[] = [],
): Promise<QueryEntry[]> {
  const dateTime = formatV4Date(context.now);
  const extra = normalizeAdditionalHeaders(additionalHeaders, lowerCaseNames(request.headers));
  const query: QueryEntry[] = [
    ...request.query,
    ['x-oss-signature-version', algorithm],
    ['x-oss-credential', `${context.credentials.accessKeyId}/${scopeOf(dateTime, context.region)}`],
    ['x-oss-date', dateTime],
    ['x-oss-expires', String(expiresSeconds)],
  ];
  if (extra.length > 0) query.push(['x-oss-additional-headers', extra.join(';')]);
  const token = context.credentials.securityToken;
  if (token) query.push(['x-oss-security-token', token]);
  // Every parameter except the signature itself is signed (go-sdk-v2 `authQuery`).
  const signature = await signatureV4(context, dateTime, { ...request, query }, extra);
  query.push(['x-oss-signature', signature]);
  return query;
}

/**
 * OSS Signature V4 (`OSS4-HMAC-SHA256`), the default `signer`: header signing adds `x-oss-date`
 * (`20221228T102741Z`), `x-oss-content-sha256: UNSIGNED-PAYLOAD` unless the request has one,
 * `x-oss-security-token` for STS credentials and `authorization`; presigned URLs last at most
 * 604800 s (7 days).
 */
export const signerV4: OssSigner = {
  sign: (request, context) => signHeadersV4(request, context),
  // async, so a bad expiry rejects the promise rather than throwing at the call.
  async presign(request, context, expiresSeconds) {
    checkExpiresSeconds(expiresSeconds, maxV4ExpiresSeconds);
    return presignQueryV4(request, context, expiresSeconds);
  },
};

async function signatureV4(
  context: SignContext,
  dateTime: string,
  request: SignableRequest,
  additionalHeaders: readonly string[],
): Promise<string> {
  if (context.region === '') throw new TypeError('Expected a non-empty `region` for signature V4');
  const day = dateTime.slice(0, 8);
  const canonicalRequest = canonicalRequestV4(request, additionalHeaders);
  const hashed = toHex(await crypto.subtle.digest('SHA-256', binaryBytes(canonicalRequest)));
  const stringToSign = [algorithm, dateTime, scopeOf(dateTime, context.region), hashed].join('\n');
  const key = await signingKey(context.credentials.accessKeySecret, day, context.region);
  return toHex(await crypto.subtle.sign('HMAC', key, textEncoder.encode(stringToSign)));
}

/**
 * The derived signing key, cached per (secret, day, region): an upload signs thousands of parts
 * with the same one, and the four-step chain costs four key imports. The promise is cached so
 * that concurrent part requests share one derivation.
 */
function signingKey(secret: string, day: string, region: string): Promise<CryptoKey> {
  const cacheKey = JSON.stringify([secret, day, region]);
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    key = deriveSigningKey(secret, day, region);
    key.catch(() => signingKeys.delete(cacheKey));
    if (signingKeys.size >= maxCachedSigningKeys) signingKeys.delete(signingKeys.keys().next().value ?? '');
    signingKeys.set(cacheKey, key);
  }
  return key;
}

async function deriveSigningKey(secret: string, day: string, region: string): Promise<CryptoKey> {
  // k1 = HMAC("aliyun_v4" + secret, day), then region, product, terminator (§3.3).
  let raw = textEncoder.encode(`aliyun_v4${secret}`);
  for (const part of [day, region, 'oss', scopeTerminator]) {
    const key = await importHmacSha256(raw);
    raw = new Uint8Array(await crypto.subtle.sign('HMAC', key, textEncoder.encode(part)));
  }
  return importHmacSha256(raw);
}

function importHmacSha256(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/**
 * Lower-cased, de-duplicated, sorted additional headers without the ones signed anyway; each must
 * be present, as OSS rejects a signature over a header it never received (ali-oss throws too).
 */
function normalizeAdditionalHeaders(names: readonly string[], headers: Readonly<Record<string, string>>): string[] {
  const result = [...new Set(names.map((name) => name.toLowerCase()))]
    .filter((name) => !isDefaultSignedHeader(name))
    .sort();
  for (const name of result) {
    if (headers[name] === undefined) throw new TypeError(`Expected additional header \`${name}\` in the request`);
  }
  return result;
}

function isDefaultSignedHeader(name: string): boolean {
  return name === 'content-type' || name === 'content-md5' || name.startsWith(ossHeaderPrefix);
}

function scopeOf(dateTime: string, region: string): string {
  return `${dateTime.slice(0, 8)}/${region}/oss/${scopeTerminator}`;
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
