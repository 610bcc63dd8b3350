/**
 * Independent OSS signers for the hardening tests: Signature V4 in the Authorization header and as a
 * presigned URL (docs/protocol.md §3.3–§3.4), and V1 presigned URLs (§3.2). Written from the protocol
 * notes with node:crypto only — no server code, no SDK code — like raw-request.ts, which holds the
 * V1 header signer these build on; a test failure cannot be a bug shared with the verifier.
 *
 * Inputs are what the server will see after decoding: the bucket, the decoded key, decoded query
 * pairs and header values exactly as they travel (latin1 strings of the wire bytes).
 */
import { createHash, createHmac } from 'node:crypto';
import { canonicalizedResource, v1Sign, v1StringToSign } from './raw-request.js';

/** Credentials; `token` is an STS security token. */
export type Signer = { readonly accessKeyId: string; readonly secret: string; readonly token?: string | undefined };

/** What is signed. */
export type SignInput = {
  readonly method: string;
  readonly bucket: string | undefined;
  /** Decoded key, `''` for bucket or service requests. */
  readonly key: string;
  /** Decoded query pairs as the server splits them (`''` for a bare name). */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case header names → values as sent. */
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch ms used for the signing date. */
  readonly now: number;
  /** V4 region. @default 'cn-hangzhou' */
  readonly region?: string;
};

const v4Algorithm = 'OSS4-HMAC-SHA256';

/** RFC 3986 encoding (`A-Z a-z 0-9 - _ . ~` kept), via encodeURIComponent plus the five it leaves alone. */
export function rfc3986(value: string, keepSlash = false): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be UTF-8 encoded; the server can never have decoded one either.
    encoded = encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
  encoded = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

/** `yyyyMMdd'T'HHmmss'Z'`. */
export function isoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function canonicalQuery(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, va], [b, vb]) => (a < b ? -1 : a > b ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .join('&');
}

function canonicalHeaders(headers: Readonly<Record<string, string>>): string {
  return Object.keys(headers)
    .filter((name) => name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${headers[name]!.replace(/^[\t ]+|[\t ]+$/g, '')}\n`)
    .join('');
}

/**
 * The V4 canonical request (§3.3) of a request without additional headers, as a latin1 string of the bytes
 * hashed: path and query encode to ASCII, header values are the wire bytes already.
 */
export function v4CanonicalRequest(input: SignInput, query: ReadonlyArray<readonly [string, string]>, hashedPayload: string): string {
  const path = input.bucket === undefined ? '/' : `/${input.bucket}/${input.key}`;
  return [input.method.toUpperCase(), rfc3986(path, true), canonicalQuery(query), canonicalHeaders(input.headers), '', hashedPayload].join('\n');
}

function v4Key(secret: string, date: string, region: string): Buffer {
  let key = createHmac('sha256', `aliyun_v4${secret}`).update(date).digest();
  for (const part of [region, 'oss', 'aliyun_v4_request']) key = createHmac('sha256', key).update(part).digest();
  return key;
}

function v4Sign(signer: Signer, dateTime: string, region: string, canonical: string): string {
  const scope = `${dateTime.slice(0, 8)}/${region}/oss/aliyun_v4_request`;
  const toSign = `${v4Algorithm}\n${dateTime}\n${scope}\n${createHash('sha256').update(canonical, 'latin1').digest('hex')}`;
  return createHmac('sha256', v4Key(signer.secret, dateTime.slice(0, 8), region)).update(toSign).digest('hex');
}

/**
 * V4 header signing: returns the headers to add (`x-oss-date`, `x-oss-content-sha256`, the token,
 * `authorization`). `input.headers` must not already carry them.
 */
export function signV4Header(input: SignInput, signer: Signer): Record<string, string> {
  const region = input.region ?? 'cn-hangzhou';
  const dateTime = isoBasic(input.now);
  const added: Record<string, string> = { 'x-oss-date': dateTime, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' };
  if (signer.token !== undefined) added['x-oss-security-token'] = signer.token;
  const headers = { ...input.headers, ...added };
  const signature = v4Sign(signer, dateTime, region, v4CanonicalRequest({ ...input, headers }, input.query, 'UNSIGNED-PAYLOAD'));
  added['authorization'] = `${v4Algorithm} Credential=${signer.accessKeyId}/${dateTime.slice(0, 8)}/${region}/oss/aliyun_v4_request,Signature=${signature}`;
  return added;
}

/** V4 presigned URL: the query pairs to append (raw, unencoded), `x-oss-signature` last. */
export function presignV4(input: SignInput, signer: Signer, expiresSeconds: number): Array<[string, string]> {
  const region = input.region ?? 'cn-hangzhou';
  const dateTime = isoBasic(input.now);
  const added: Array<[string, string]> = [
    ['x-oss-signature-version', v4Algorithm],
    ['x-oss-credential', `${signer.accessKeyId}/${dateTime.slice(0, 8)}/${region}/oss/aliyun_v4_request`],
    ['x-oss-date', dateTime],
    ['x-oss-expires', String(expiresSeconds)],
  ];
  if (signer.token !== undefined) added.push(['x-oss-security-token', signer.token]);
  const signature = v4Sign(signer, dateTime, region, v4CanonicalRequest(input, [...input.query, ...added], 'UNSIGNED-PAYLOAD'));
  return [...added, ['x-oss-signature', signature]];
}

/** V1 header signing (raw-request.ts's signer): the headers to add. */
export function signV1Header(input: SignInput, signer: Signer): Record<string, string> {
  const added: Record<string, string> = { 'x-oss-date': new Date(input.now).toUTCString() };
  if (signer.token !== undefined) added['x-oss-security-token'] = signer.token;
  const headers = { ...input.headers, ...added };
  const toSign = v1StringToSign(input.method, headers, canonicalizedResource(input.bucket, input.key, input.query));
  added['authorization'] = `OSS ${signer.accessKeyId}:${v1Sign(signer.secret, toSign)}`;
  return added;
}

/** V1 presigned URL (§3.2): the query pairs to append; `expires` is absolute Unix seconds. */
export function presignV1(input: SignInput, signer: Signer, expires: number): Array<[string, string]> {
  const query: Array<[string, string]> = [...input.query.map(([k, v]): [string, string] => [k, v])];
  const added: Array<[string, string]> = [];
  if (signer.token !== undefined) {
    query.push(['security-token', signer.token]);
    added.push(['security-token', signer.token]);
  }
  const headers = { ...input.headers, date: String(expires) };
  const toSign = v1StringToSign(input.method, headers, canonicalizedResource(input.bucket, input.key, query));
  return [...added, ['OSSAccessKeyId', signer.accessKeyId], ['Expires', String(expires)], ['Signature', v1Sign(signer.secret, toSign)]];
}

/** Flips one character of a signature (base64 or hex), keeping its alphabet and length. */
export function tamper(signature: string): string {
  const at = Math.floor(signature.length / 2);
  const c = signature[at]!;
  const swapped = /[0-9a-f]/.test(c) ? (c === 'a' ? 'b' : 'a') : c === 'A' ? 'B' : 'A';
  return signature.slice(0, at) + swapped + signature.slice(at + 1);
}
