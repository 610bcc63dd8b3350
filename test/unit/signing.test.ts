/**
 * Signing: every vector of docs/protocol.md §3.6, then a differential test against the official
 * ali-oss 6.23 signer (`lib/common/signUtils.js`, `signatureUrl`, `signatureUrlV4`) on seeded
 * random requests, and the documented places where we deliberately differ from ali-oss.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { binaryUtf8, encodeKeyForPath, encodeRfc3986 } from '../../src/oss/canonical.js';
import { signerV1 } from '../../src/oss/signing-v1.js';
import { canonicalRequestV4, presignQueryV4, signerV4, signHeadersV4 } from '../../src/oss/signing-v4.js';
import type { QueryEntry, SignableRequest, SignContext } from '../../src/oss/signing-types.js';

type Headers = Record<string, string>;
type AliQueries = Record<string, string | null>;
type SignUtils = {
  buildCanonicalString(method: string, resource: string, request: { headers: Headers; parameters: Record<string, string> }, expires?: string): string;
  authorization(accessKeyId: string, secret: string, canonical: string): string;
  authorizationV4(ak: string, sk: string, region: string, method: string, request: { headers: Headers; queries: AliQueries }, bucket?: string, key?: string, additional?: string[]): string;
  getCanonicalRequest(method: string, request: { headers: Headers; queries: AliQueries }, bucket?: string, key?: string, additional?: string[]): string;
};
type AliClient = {
  signatureUrl(name: string, options: Record<string, unknown>, strict?: boolean): string;
  signatureUrlV4(method: string, expires: number, request: { headers: Headers; queries: AliQueries }, key?: string): Promise<string>;
};
const require = createRequire(import.meta.url);
const signUtils = require('ali-oss/lib/common/signUtils.js') as SignUtils;
const AliOss = require('ali-oss') as new (options: Record<string, unknown>) => AliClient;

const credentials = { accessKeyId: 'ak', accessKeySecret: 'sk' } as const;
const sts = { ...credentials, securityToken: 'token' } as const;
/** A context that also names the scheme, so each vector below says which signer it runs. */
type Versioned = SignContext & { readonly version: 'v1' | 'v4' };
const v1 = (now: Date, creds: SignContext['credentials'] = credentials): Versioned =>
  ({ version: 'v1', credentials: creds, region: 'cn-hangzhou', now });
const v4 = (now: Date, creds: SignContext['credentials'] = credentials): Versioned =>
  ({ version: 'v4', credentials: creds, region: 'cn-hangzhou', now });
const signerOf = (context: Versioned) => (context.version === 'v1' ? signerV1 : signerV4);
const signRequest = (request: SignableRequest, context: Versioned) => signerOf(context).sign(request, context);
const presignUrlQuery = (request: SignableRequest, context: Versioned & { readonly expiresSeconds: number }) =>
  signerOf(context).presign(request, context, context.expiresSeconds);
const unix = (seconds: number): Date => new Date(seconds * 1000);
const req = (partial: Partial<SignableRequest> & Pick<SignableRequest, 'method'>): SignableRequest =>
  ({ bucket: 'examplebucket', key: undefined, query: [], headers: {}, ...partial });
const get = (query: readonly QueryEntry[], name: string): string | undefined => query.find(([n]) => n === name)?.[1];

describe('V1 vectors (§3.6)', () => {
  const now = new Date('Wed, 28 Dec 2022 10:27:41 GMT');
  const headers = {
    'content-md5': 'eB5eJF1ptWaXm4bijSPyxw==', 'content-type': 'text/html',
    'x-oss-meta-author': 'alice', 'x-oss-meta-magic': 'abracadabra',
  };
  test.each([
    ['PUT', 'nelson', headers, [], 'kSHKmLxlyEAKtZPkJhG9bZb5k7M='],
    ['PUT', 'nelson', headers, [['acl', undefined]], '/afkugFbmWDQ967j1vr6zygBLQk='],
    ['GET', undefined, {}, [['resourceGroup', undefined]], 'vkQmfuUDyi1uDi3bKt67oemssIs='],
    ['GET', undefined, {}, [['resourceGroup', ''], ['acl', ''], ['prefix', 'not-signed']], 'x3E5TgOvl/i7PN618s5mEvpJDYk='],
  ] as const)('header %s %s %j %j', async (method, key, hdrs, query, signature) => {
    const added = await signRequest(req({ method, key, headers: hdrs, query }), v1(now));
    expect(added).toEqual({ 'x-oss-date': 'Wed, 28 Dec 2022 10:27:41 GMT', authorization: `OSS ak:${signature}` });
  });

  const part = [['partNumber', '1'], ['uploadId', '0004B9895DBBB6EC98E36']] as const;
  const uploadId = [['uploadId', '0004B9895DBBB6EC98E36']] as const;
  const octet = { 'content-type': 'application/octet-stream' };
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>"3349DC700140D7F86A0784842780C3D5"</ETag>\n</Part>\n</CompleteMultipartUpload>';
  const md5 = createHash('md5').update(body).digest('base64');
  test('the Complete body hashes to the vector Content-MD5', () => expect(md5).toBe('CU3YcKNckxJrkd4Dfrb25w=='));
  test.each([
    ['Initiate', 'POST', 'dir/file.bin', [['uploads', undefined]], { ...octet, 'x-oss-meta-owner': 'alice' }, credentials, 'Ik1g6GeUJaiwQkvacTNJRXgCoxU='],
    ['UploadPart', 'PUT', 'dir/file.bin', part, octet, credentials, 'hnQLLtJDWVoPAzssyZE/Dxj+LcM='],
    ['UploadPart STS', 'PUT', 'dir/file.bin', part, octet, sts, 'HI0rggwJXaR7qn607kHiH1MM9wk='],
    ['Complete', 'POST', 'dir/file.bin', uploadId, { 'content-md5': md5, 'content-type': 'application/xml' }, credentials, 'qGG1eCniOr5BIs4i8pSae+eJpwg='],
    ['Abort', 'DELETE', 'dir/file.bin', uploadId, {}, credentials, 'XHyHFtcv0B1NatMBldDiRlQ9R+g='],
    ['ListParts', 'GET', 'dir/file.bin', uploadId, {}, credentials, 'Gj4i4W7mVEEL6OrdJDiYg1y9wrY='],
    ['ListMultipartUploads', 'GET', undefined, [['uploads', undefined]], {}, credentials, 'GzuqwXwofEqBx6roeBU+rj3ePcg='],
  ] as const)('derived multipart %s', async (_name, method, key, query, hdrs, creds, signature) => {
    const added = await signRequest(req({ method, key, query, headers: hdrs }), v1(now, creds));
    expect(added['authorization']).toBe(`OSS ak:${signature}`);
    expect(added['x-oss-security-token']).toBe(creds === sts ? 'token' : undefined);
  });

  test('presigned: versionId', async () => {
    const request = req({ method: 'GET', bucket: 'bucket', key: 'key', query: [['versionId', 'versionId']] });
    const query = await presignUrlQuery(request, { ...v1(unix(1699807420 - 1800)), expiresSeconds: 1800 });
    const search = query.map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v ?? '')].join('=')).sort().join('&');
    expect(search).toBe('Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId');
  });
  test('presigned: STS token is a signed sub-resource', async () => {
    const request = req({ method: 'GET', bucket: 'bucket', key: 'key+123', query: [['versionId', 'versionId']] });
    const query = await presignUrlQuery(request, { ...v1(unix(1699808204 - 60), sts), expiresSeconds: 60 });
    expect(get(query, 'Signature')).toBe('jzKYRrM5y6Br0dRFPaTGOsbrDhY=');
    expect(get(query, 'security-token')).toBe('token');
    expect(`/${encodeKeyForPath('key+123')}`).toBe('/key%2B123');
  });
});

describe('V4 vectors (§3.6)', () => {
  const key = '1234+-/123/1.txt';
  const query: QueryEntry[] = [
    ['param1', 'value1'], ['+param1', 'value3'], ['|param1', 'value4'], ['+param2', ''], ['|param2', ''], ['param2', ''],
  ];
  const headers = { 'x-oss-head1': 'value', abc: 'value', zabc: 'value', xyz: 'value' };
  const header = req({ method: 'PUT', bucket: 'bucket', key, query, headers: { ...headers, 'content-type': 'text/plain', 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const presign = req({ method: 'PUT', bucket: 'bucket', key, query, headers: { ...headers, 'content-type': 'application/octet-stream' } });
  const credential = (day: string): string => `ak/${day}/cn-hangzhou/oss/aliyun_v4_request`;

  test('header, plain (canonical request as in the doc)', async () => {
    const added = await signRequest(header, v4(unix(1702743657)));
    expect(added).toEqual({
      'x-oss-date': '20231216T162057Z',
      authorization: `OSS4-HMAC-SHA256 Credential=${credential('20231216')},Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe`,
    });
    expect(canonicalRequestV4({ ...header, headers: { ...header.headers, 'x-oss-date': '20231216T162057Z' } }, [])).toBe(
      'PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD',
    );
  });
  test('header, STS token', async () => {
    const added = await signRequest(header, v4(unix(1702784856), sts));
    expect(added['x-oss-security-token']).toBe('token');
    expect(added['authorization']).toBe(`OSS4-HMAC-SHA256 Credential=${credential('20231217')},Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea`);
  });
  test.each([[['ZAbc', 'abc']], [['x-oss-no-exist', 'ZAbc', 'x-oss-head1', 'abc']]])('header, additional headers %j (internal parameter)', async (additional) => {
    const added = await signHeadersV4(header, v4(unix(1702747512)), additional);
    expect(added['authorization']).toBe(`OSS4-HMAC-SHA256 Credential=${credential('20231216')},AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f`);
  });
  test('header, a missing additional header is an error', async () => {
    await expect(signHeadersV4(header, v4(unix(1702747512)), ['range'])).rejects.toThrow(TypeError);
  });
  test.each([
    ['plain', 1702781677, credentials, '20231217T025437Z', 'a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe'],
    ['STS', 1702785388, sts, '20231217T035628Z', '3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5'],
  ] as const)('presigned, %s', async (_name, seconds, creds, date, signature) => {
    const result = await presignUrlQuery(presign, { ...v4(unix(seconds), creds), expiresSeconds: 599 });
    expect(result.slice(0, query.length)).toEqual(query);
    expect(result.slice(query.length)).toEqual([
      ['x-oss-signature-version', 'OSS4-HMAC-SHA256'], ['x-oss-credential', credential('20231217')],
      ['x-oss-date', date], ['x-oss-expires', '599'],
      ...(creds === sts ? [['x-oss-security-token', 'token']] : []),
      ['x-oss-signature', signature],
    ]);
  });
  test('presigned, additional headers (internal parameter)', async () => {
    const result = await presignQueryV4(presign, v4(unix(1702783809)), 599, ['x-oss-no-exist', 'abc', 'x-oss-head1', 'ZAbc']);
    expect(get(result, 'x-oss-additional-headers')).toBe('abc;zabc');
    expect(get(result, 'x-oss-signature')).toBe('6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7');
  });
  test.each([0, -1, 604801, 1.5, Number.NaN])('presigned, x-oss-expires %s is a RangeError', async (expiresSeconds) => {
    await expect(presignUrlQuery(presign, { ...v4(unix(1702783809)), expiresSeconds })).rejects.toThrow(RangeError);
  });

  const now = new Date('2022-12-28T10:27:41Z');
  const part = [['partNumber', '1'], ['uploadId', '0004B9895DBBB6EC98E36']] as const;
  const octet = { 'content-type': 'application/octet-stream' };
  test.each([
    ['UploadPart', 'PUT', 'dir/file.bin', part, credentials, '1d0444da63f493dc8ab53fb0fdcfffa1049b76ba6e9e1b54e683cb7235326cab'],
    ['Initiate STS', 'POST', 'dir/file.bin', [['uploads', undefined]], sts, '8c5507ed47859df48559137f7c9c940032a0e9a471d25f40054daa940110f80b'],
  ] as const)('derived multipart %s', async (_name, method, objectKey, q, creds, signature) => {
    const added = await signRequest(req({ method, key: objectKey, query: q, headers: octet }), v4(now, creds));
    expect(added['x-oss-date']).toBe('20221228T102741Z');
    expect(added['x-oss-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(added['authorization']).toBe(`OSS4-HMAC-SHA256 Credential=ak/20221228/cn-hangzhou/oss/aliyun_v4_request,Signature=${signature}`);
  });
  test('derived ListMultipartUploads', async () => {
    const request = req({ method: 'GET', query: [['uploads', undefined], ['prefix', 'dir/'], ['max-uploads', '10']] });
    const added = await signRequest(request, v4(now));
    expect(canonicalRequestV4({ ...request, headers: added }, []).split('\n')[2]).toBe('max-uploads=10&prefix=dir%2F&uploads');
    expect(added['authorization']).toMatch(/,Signature=c978d835c71b6e121c0f9a14ffa50c0d2974bf5f67414a0319ad7c60d500c03d$/);
  });
});

describe('encoding', () => {
  test('encodeKeyForPath keeps `/` and escapes RFC 3986 reserved characters', () => {
    expect(encodeKeyForPath("dir/a+b (1)!'*~.txt")).toBe('dir/a%2Bb%20%281%29%21%27%2A~.txt');
    expect(encodeKeyForPath('中/😀?#&=%')).toBe('%E4%B8%AD/%F0%9F%98%80%3F%23%26%3D%25');
    expect(encodeRfc3986('a/b')).toBe('a%2Fb');
  });
});

/** Seeded PRNG (mulberry32) so every run checks the same requests. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyPieces = [
  'a', 'Z', '0', 'file', '.txt', 'dir/', '/', 'é', '中文', 'ñ', 'ß', 'Ω', '😀', '👍🏽', ' ', '  ', '+', '%', '%20', '%2F',
  '~', '#', '?', '&', '=', '!', "'", '(', ')', '*', '-', '_', '.', ';', ',', '@', '$', '[', ']', '|', ':', '\u00a0', '\\',
];
const signedNames = [
  'acl', 'uploads', 'uploadId', 'partNumber', 'position', 'append', 'tagging', 'versionId', 'x-oss-process',
  'response-content-type', 'response-content-disposition', 'continuation-token', 'resourceGroup', 'callback', 'callback-var',
  'x-oss-traffic-limit', 'objectMeta', 'symlink', 'restore', 'delete', 'udfImageDesc', 'qosInfo', 'responseHeader',
];
const unsignedNames = ['prefix', 'delimiter', 'max-uploads', 'key-marker', 'upload-id-marker', 'max-parts', 'encoding-type', 'marker', 'max-keys'];
const oddNames = ['+p', '|p', 'a b', 'ä', '😀k', 'p~', 'p*', "p'", 'x=y', 'x&y', 'z%'];
const utf8Length = (value: string): number => new TextEncoder().encode(value).length;

function randomRequest(next: () => number, index: number): { request: SignableRequest; creds: SignContext['credentials'] } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const text = (pieces: number): string => Array.from({ length: pieces }, () => pick(keyPieces)).join('');
  let key: string | undefined;
  if (next() < 0.9) {
    const budget = index % 10 === 0 ? 1023 - Math.floor(next() * 8) : 1 + Math.floor(next() * 120);
    key = 'k';
    for (let piece = pick(keyPieces); utf8Length(key + piece) <= budget; piece = pick(keyPieces)) key += piece;
    key = key.padEnd(key.length + budget - utf8Length(key), 'x');
    if (next() < 0.5) key = key.slice(1).replace(/^[/\\]+/, '') || 'k';
  }
  const headers: Record<string, string> = {};
  if (next() < 0.6) headers['content-type'] = pick(['application/octet-stream', 'text/plain; charset=utf-8', 'application/xml', ' image/png ']);
  if (next() < 0.4) headers['content-md5'] = btoa(String.fromCharCode(...Array.from({ length: 16 }, () => Math.floor(next() * 256))));
  for (let i = Math.floor(next() * 5); i > 0; i -= 1) {
    const name = `x-oss-meta-${Math.floor(next() * 1e6).toString(36)}`;
    // No U+00A0 at the ends: ali-oss trims it (String#trim), the wire keeps it (see the quirks below).
    const value = text(1 + Math.floor(next() * 4)).trim() || 'x';
    headers[name] = `${' '.repeat(Math.floor(next() * 3))}${value}${' '.repeat(Math.floor(next() * 3))}`;
  }
  if (next() < 0.2) headers['x-oss-forbid-overwrite'] = 'true';
  if (next() < 0.2) headers['cache-control'] = 'no-cache';
  const names = new Set<string>();
  for (let i = Math.floor(next() * 6); i > 0; i -= 1) names.add(pick(next() < 0.6 ? signedNames : next() < 0.5 ? unsignedNames : oddNames));
  const query: QueryEntry[] = [...names].map((name) => {
    const roll = next();
    return [name, roll < 0.25 ? undefined : roll < 0.35 ? '' : text(1 + Math.floor(next() * 6))];
  });
  const creds = next() < 0.35 ? { ...credentials, securityToken: `CAIS${Math.floor(next() * 1e12).toString(36)}+/=` } : credentials;
  const bucket = next() < 0.03 && key === undefined ? undefined : 'examplebucket';
  return { request: { method: pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']), bucket, key, query, headers }, creds };
}

/**
 * The request as the SDK signs it: header values as they go on the wire, their UTF-8 bytes one
 * Latin-1 character each. ali-oss gets the text itself and hashes its UTF-8: the same bytes.
 */
const onWire = <T extends SignableRequest>(request: T): T =>
  ({ ...request, headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, binaryUtf8(value)])) });

/** ali-oss V4 sorts raw names with localeCompare; only compare where that equals encoded byte order. */
const sameOrder = (query: readonly QueryEntry[]): boolean => {
  const names = query.map(([name]) => name);
  const byLocale = [...names].sort((a, b) => a.localeCompare(b));
  const byBytes = [...names].sort((a, b) => (encodeRfc3986(a) < encodeRfc3986(b) ? -1 : 1));
  return byLocale.join('\n') === byBytes.join('\n');
};
// ali-oss renders '' as `k=` (qs), the protocol as a bare `k` (see the quirks below): give it null.
const aliQueries = (query: readonly QueryEntry[]): AliQueries =>
  Object.fromEntries(query.map(([name, value]) => [name, value === undefined || value === '' ? null : value]));
const requestCount = 400;

describe('differential against ali-oss signUtils', () => {
  test(`V1 Authorization on ${requestCount} random requests`, async () => {
    const next = random(0x5eed1);
    const signedSet = new Set(signedNames);
    const mismatches: unknown[] = [];
    const seen = { longKeys: 0, emoji: 0, tokens: 0, padded: 0, bare: 0, empty: 0, reserved: 0 };
    for (let i = 0; i < requestCount; i += 1) {
      const { request, creds } = randomRequest(next, i);
      const key = request.key ?? '';
      if (utf8Length(key) >= 1016) seen.longKeys += 1;
      if (/\p{Extended_Pictographic}/u.test(key)) seen.emoji += 1;
      if (/[!'()*+%~#?&= ]/.test(key)) seen.reserved += 1;
      if (creds.securityToken !== undefined) seen.tokens += 1;
      if (Object.values(request.headers).some((v) => v !== v.trim())) seen.padded += 1;
      if (request.query.some(([, v]) => v === undefined)) seen.bare += 1;
      if (request.query.some(([, v]) => v === '')) seen.empty += 1;
      const now = new Date(1_600_000_000_000 + Math.floor(next() * 3e11));
      const added = await signRequest(onWire(request), v1(now, creds));
      const { authorization, ...sent } = added;
      const parameters = Object.fromEntries(request.query.filter(([n]) => signedSet.has(n)).map(([n, v]) => [n, v ?? '']));
      const resource = `/${request.bucket === undefined ? '' : `${request.bucket}/`}${request.key ?? ''}`;
      const canonical = signUtils.buildCanonicalString(request.method, resource, { headers: { ...request.headers, ...sent }, parameters });
      const expected = signUtils.authorization(creds.accessKeyId, creds.accessKeySecret, canonical);
      if (authorization !== expected) mismatches.push({ request, authorization, expected, canonical });
    }
    expect(mismatches).toEqual([]);
    // The generator really produces the hard cases (long, emoji, reserved characters, …).
    for (const count of Object.values(seen)) expect(count).toBeGreaterThanOrEqual(30);
  });

  test(`V4 Authorization on ${requestCount} random requests`, async () => {
    const next = random(0x5eed4);
    const mismatches: unknown[] = [];
    let compared = 0;
    while (compared < requestCount) {
      const { request, creds } = randomRequest(next, compared);
      if (!sameOrder(request.query)) continue;
      compared += 1;
      const now = new Date(1_600_000_000_000 + Math.floor(next() * 3e11));
      const context = { ...v4(now, creds), region: compared % 7 === 0 ? 'ap-southeast-1' : 'cn-hangzhou' };
      const { authorization, ...sent } = await signRequest(onWire(request), context);
      const expected = signUtils.authorizationV4(
        creds.accessKeyId, creds.accessKeySecret, context.region, request.method,
        { headers: { ...request.headers, ...sent }, queries: aliQueries(request.query) }, request.bucket, request.key, [],
      );
      if (authorization !== expected) mismatches.push({ request, authorization, expected });
    }
    expect(mismatches).toEqual([]);
  });

  test('the signing-key cache gives the same result across dates, regions and secrets', async () => {
    const request = req({ method: 'PUT', key: 'dir/file.bin', query: [['partNumber', '1'], ['uploadId', 'u']] });
    const cases = Array.from({ length: 60 }, (_, i) => ({
      now: new Date(Date.UTC(2024, 0, 1 + (i % 25), 23, 59, 59)),
      region: i % 2 === 0 ? 'cn-hangzhou' : 'cn-beijing',
      creds: { accessKeyId: 'ak', accessKeySecret: i % 3 === 0 ? 'sk' : 'other-secret' },
    }));
    // Twice through, interleaved: the second pass hits both cached and evicted keys.
    for (const { now, region, creds } of [...cases, ...cases.reverse()]) {
      const { authorization, ...sent } = await signRequest(request, { ...v4(now, creds), region });
      const expected = signUtils.authorizationV4('ak', creds.accessKeySecret, region, 'PUT',
        { headers: sent, queries: aliQueries(request.query) }, request.bucket, request.key, []);
      expect(authorization).toBe(expected);
    }
  });
});

describe('presigned URLs against ali-oss signatureUrl / signatureUrlV4 (fixed clock)', () => {
  afterEach(() => vi.useRealTimers());
  const fixed = new Date('2024-05-06T07:08:09Z');
  const entries = (url: string): string[][] => [...new URL(url).searchParams].map(([k, v]) => [k, v]).sort();
  const ours = (query: readonly QueryEntry[]): string[][] => query.map(([k, v]) => [k, v ?? '']).sort();

  test('V1 on 60 random requests', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: fixed });
    const next = random(0x5eed2);
    for (let i = 0; i < 60; i += 1) {
      const { request: random_, creds } = randomRequest(next, i);
      const key = random_.key ?? 'k';
      const query = random_.query.filter(([n]) => signedNames.includes(n) && n !== 'callback' && n !== 'callback-var');
      const request = { ...random_, bucket: 'examplebucket', key, method: 'GET', query };
      const client = new AliOss({ region: 'oss-cn-hangzhou', bucket: 'examplebucket', ...creds, stsToken: creds.securityToken });
      const url = client.signatureUrl(key, {
        method: 'GET', expires: 900, ...request.headers, subResource: Object.fromEntries(query.map(([n, v]) => [n, v ?? ''])),
      }, false);
      const result = await presignUrlQuery(onWire(request), { ...v1(fixed, creds), expiresSeconds: 900 });
      expect(ours(result)).toEqual(entries(url));
      expect(decodeURIComponent(new URL(url).pathname)).toBe(decodeURIComponent(`/${encodeKeyForPath(key)}`));
    }
  });

  test('V4 on 60 random requests', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: fixed });
    const next = random(0x5eed3);
    for (let i = 0; i < 60;) {
      const { request: random_, creds } = randomRequest(next, i);
      // The auth parameters are sorted in with the request's own (`x&y` vs `x-oss-date`).
      const authNames = ['x-oss-credential', 'x-oss-date', 'x-oss-expires', 'x-oss-signature-version', 'x-oss-security-token'];
      if (!sameOrder([...random_.query, ...authNames.map((n): QueryEntry => [n, undefined])])) continue;
      i += 1;
      const query = random_.query.map(([n, v]): QueryEntry => [n, v === '' ? undefined : v]);
      const request = { ...random_, bucket: 'examplebucket', key: random_.key ?? 'k', query };
      const client = new AliOss({ region: 'oss-cn-hangzhou', bucket: 'examplebucket', authorizationV4: true, ...creds, stsToken: creds.securityToken });
      const url = await client.signatureUrlV4(request.method, 3600, { headers: request.headers, queries: aliQueries(query) }, request.key);
      const result = await presignUrlQuery(onWire(request), { ...v4(fixed, creds), expiresSeconds: 3600 });
      expect(ours(result)).toEqual(entries(url));
    }
  });
});

describe('ali-oss quirks we deliberately do not copy', () => {
  test('V4: ali-oss signs an empty value as `k=`; the official SDK vectors sign a bare `k`', () => {
    const request = req({ method: 'GET', query: [['prefix', '']], headers: { 'x-oss-date': '20240101T000000Z' } });
    const ali = signUtils.getCanonicalRequest('GET', { headers: request.headers, queries: { prefix: '' } }, 'examplebucket');
    expect(ali.split('\n')[2]).toBe('prefix=');
    expect(canonicalRequestV4(request, []).split('\n')[2]).toBe('prefix');
  });
  test('V4: ali-oss sorts raw names with localeCompare, the protocol sorts encoded names by byte', () => {
    const request = req({ method: 'GET', query: [['a', '1'], ['B', '2']], headers: {} });
    const ali = signUtils.getCanonicalRequest('GET', { headers: {}, queries: { a: '1', B: '2' } }, 'examplebucket');
    expect(ali.split('\n')[2]).toBe('a=1&B=2');
    expect(canonicalRequestV4(request, []).split('\n')[2]).toBe('B=2&a=1');
  });
  test("URL path: ali-oss leaves !'()* raw, we escape them so the path equals the V4 canonical URI", () => {
    const client = new AliOss({ region: 'oss-cn-hangzhou', bucket: 'examplebucket', accessKeyId: 'ak', accessKeySecret: 'sk' });
    const url = client.signatureUrl("a(1)!*.txt", { expires: 60 });
    expect(new URL(url).pathname).toBe('/a(1)!*.txt');
    expect(encodeKeyForPath("a(1)!*.txt")).toBe('a%281%29%21%2A.txt');
  });
});
