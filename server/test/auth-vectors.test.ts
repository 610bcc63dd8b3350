/**
 * Signature verification against every V1/V4 vector of docs/protocol.md §3.6, the failure modes of §2.9,
 * and a seeded differential run against ali-oss 6.23's own signer (a test-only dependency: the server
 * code never imports SDK code, docs/architecture.md#layers).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../src/auth/authenticate.js';
import type { AuthOptions, ResolvedCredential } from '../src/auth/types.js';
import { v1CanonicalizedResource, v1Signature, v1StringToSign } from '../src/auth/v1.js';
import { v4CanonicalRequest, v4Signature, v4StringToSign } from '../src/auth/v4.js';
import { errors, OssError } from '../src/errors.js';
import type { OssRequest, QueryParam } from '../src/request.js';

type Headers = Record<string, string>;
type AliQueries = Record<string, string | null>;
type SignUtils = {
  buildCanonicalString(method: string, resource: string, request: { headers: Headers; parameters: Record<string, string> }, expires?: string): string;
  computeSignature(secret: string, canonicalString: string): string;
  authorizationV4(ak: string, sk: string, region: string, method: string, request: { headers: Headers; queries: AliQueries },
    bucket: string, object: string | undefined, additionalHeaders: string[] | undefined, headerEncoding?: string): string;
  getCanonicalRequest(method: string, request: { headers: Headers; queries: AliQueries }, bucket: string,
    object: string | undefined, additionalHeaders: string[] | undefined): string;
  getStringToSign(region: string, date: string, canonicalRequest: string): string;
  getSignatureV4(secret: string, date: string, region: string, stringToSign: string): string;
};
const signUtils = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as SignUtils;

const region = 'cn-hangzhou';
const resolverCalls: Array<[string, string | undefined]> = [];

/** Test credentials: `ak`/`sk`, which becomes an STS principal when paired with the token `token`. */
function resolve(accessKeyId: string, token: string | undefined): ResolvedCredential {
  resolverCalls.push([accessKeyId, token]);
  if (accessKeyId !== 'ak') throw errors.invalidAccessKeyId(accessKeyId);
  if (token !== undefined && token !== 'token') throw errors.invalidSecurityToken(token);
  return { secret: 'sk', principal: { accessKeyId, kind: token === undefined ? 'root' : 'sts', policy: undefined } };
}

const optionsAt = (now: number): AuthOptions => ({ resolve, now: () => now, region });

type RequestInit = { method: string; bucket?: string | undefined; key?: string | undefined; query?: readonly QueryParam[]; headers?: Headers };

function ossRequest(init: RequestInit): OssRequest {
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    raw: {} as never, method: init.method, bucket: init.bucket, key: init.key, query: init.query ?? [],
    headers, virtualHosted: false, requestId: '0123456789ABCDEF01234567',
  };
}

/** Splits a URL the way the router does: decoded key and query pairs, `+` kept literally. */
function fromUrl(url: string): { key: string; query: QueryParam[] } {
  const { pathname, search } = new URL(url);
  const query = search.slice(1).split('&').filter((pair) => pair !== '').map((pair): QueryParam => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decodeURIComponent(pair), ''] : [decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))];
  });
  return { key: decodeURIComponent(pathname.slice(1)), query };
}

function thrown(run: () => unknown): OssError {
  try {
    run();
  } catch (error) {
    if (error instanceof OssError) return error;
    throw error;
  }
  throw new Error('expected an OssError');
}

const v4Time = (dateTime: string): number =>
  Date.UTC(+dateTime.slice(0, 4), +dateTime.slice(4, 6) - 1, +dateTime.slice(6, 8), +dateTime.slice(9, 11), +dateTime.slice(11, 13), +dateTime.slice(13, 15));
const stripSignature = (query: readonly QueryParam[]) => query.filter(([name]) => name !== 'x-oss-signature');

// §3.6 V1 header vectors (go-sdk TestAuthV1Header) and the derived multipart vectors.
const v1Date = 'Wed, 28 Dec 2022 10:27:41 GMT';
const v1Now = Date.parse(v1Date);
const goV1Headers = {
  'Content-MD5': 'eB5eJF1ptWaXm4bijSPyxw==', 'Content-Type': 'text/html', 'x-oss-meta-author': 'alice',
  'x-oss-meta-magic': 'abracadabra', 'x-oss-date': v1Date,
};
const uploadId = '0004B9895DBBB6EC98E36';
const mp = { bucket: 'examplebucket', key: 'dir/file.bin' };
const octet = { 'Content-Type': 'application/octet-stream', 'x-oss-date': v1Date };
const v1HeaderVectors: Array<RequestInit & { name: string; resource: string; authorization: string }> = [
  { name: 'PUT object', method: 'PUT', bucket: 'examplebucket', key: 'nelson', headers: goV1Headers, resource: '/examplebucket/nelson', authorization: 'OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=' },
  { name: 'PUT object ?acl', method: 'PUT', bucket: 'examplebucket', key: 'nelson', query: [['acl', '']], headers: goV1Headers, resource: '/examplebucket/nelson?acl', authorization: 'OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=' },
  { name: 'GET bucket ?resourceGroup (unsigned param ignored)', method: 'GET', bucket: 'examplebucket', query: [['resourceGroup', ''], ['non-resousce', 'null']], headers: { 'x-oss-date': v1Date }, resource: '/examplebucket/?resourceGroup', authorization: 'OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=' },
  { name: 'GET bucket ?resourceGroup&acl', method: 'GET', bucket: 'examplebucket', query: [['resourceGroup', ''], ['acl', '']], headers: { 'x-oss-date': v1Date }, resource: '/examplebucket/?acl&resourceGroup', authorization: 'OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=' },
  { name: 'Initiate', method: 'POST', ...mp, query: [['uploads', '']], headers: { ...octet, 'x-oss-meta-owner': 'alice' }, resource: '/examplebucket/dir/file.bin?uploads', authorization: 'OSS ak:Ik1g6GeUJaiwQkvacTNJRXgCoxU=' },
  { name: 'UploadPart', method: 'PUT', ...mp, query: [['partNumber', '1'], ['uploadId', uploadId]], headers: octet, resource: `/examplebucket/dir/file.bin?partNumber=1&uploadId=${uploadId}`, authorization: 'OSS ak:hnQLLtJDWVoPAzssyZE/Dxj+LcM=' },
  { name: 'UploadPart with STS token', method: 'PUT', ...mp, query: [['partNumber', '1'], ['uploadId', uploadId]], headers: { ...octet, 'x-oss-security-token': 'token' }, resource: `/examplebucket/dir/file.bin?partNumber=1&uploadId=${uploadId}`, authorization: 'OSS ak:HI0rggwJXaR7qn607kHiH1MM9wk=' },
  { name: 'Complete', method: 'POST', ...mp, query: [['uploadId', uploadId]], headers: { 'Content-MD5': 'CU3YcKNckxJrkd4Dfrb25w==', 'Content-Type': 'application/xml', 'x-oss-date': v1Date }, resource: `/examplebucket/dir/file.bin?uploadId=${uploadId}`, authorization: 'OSS ak:qGG1eCniOr5BIs4i8pSae+eJpwg=' },
  { name: 'Abort', method: 'DELETE', ...mp, query: [['uploadId', uploadId]], headers: { 'x-oss-date': v1Date }, resource: `/examplebucket/dir/file.bin?uploadId=${uploadId}`, authorization: 'OSS ak:XHyHFtcv0B1NatMBldDiRlQ9R+g=' },
  { name: 'ListParts', method: 'GET', ...mp, query: [['uploadId', uploadId]], headers: { 'x-oss-date': v1Date }, resource: `/examplebucket/dir/file.bin?uploadId=${uploadId}`, authorization: 'OSS ak:Gj4i4W7mVEEL6OrdJDiYg1y9wrY=' },
  { name: 'ListMultipartUploads', method: 'GET', bucket: 'examplebucket', key: '', query: [['uploads', '']], headers: { 'x-oss-date': v1Date }, resource: '/examplebucket/?uploads', authorization: 'OSS ak:GzuqwXwofEqBx6roeBU+rj3ePcg=' },
];

describe('V1 header vectors (§3.6)', () => {
  it('builds the full string-to-sign of go-sdk case 1', () => {
    const request = ossRequest(v1HeaderVectors[0]!);
    expect(v1StringToSign({ ...request, dateSlot: v1Date }).toString('utf8')).toBe(
      'PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n'
      + 'x-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson');
  });

  it.each(v1HeaderVectors)('$name', (vector) => {
    const request = ossRequest(vector);
    expect(v1CanonicalizedResource(request.bucket, request.key, request.query)).toBe(vector.resource);
    const stringToSign = v1StringToSign({ ...request, dateSlot: v1Date });
    expect(stringToSign.toString('utf8').endsWith(`\n${vector.resource}`)).toBe(true);
    expect(`OSS ak:${v1Signature('sk', stringToSign)}`).toBe(vector.authorization);
    const principal = authenticate(ossRequest({ ...vector, headers: { ...vector.headers, Authorization: vector.authorization } }), optionsAt(v1Now));
    expect(principal.kind).toBe(vector.headers?.['x-oss-security-token'] === undefined ? 'root' : 'sts');
  });

  it('accepts the Date header in place of x-oss-date', () => {
    const { 'x-oss-date': _ignored, ...rest } = goV1Headers;
    const headers = { ...rest, Date: v1Date, Authorization: 'OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=' };
    // Without x-oss-date among the OSS headers the string differs, so the vector signature must fail...
    expect(thrown(() => authenticate(ossRequest({ method: 'PUT', bucket: 'examplebucket', key: 'nelson', headers }), optionsAt(v1Now))).code).toBe('SignatureDoesNotMatch');
    // ...while a signature over the Date-slot-only string passes.
    const stringToSign = v1StringToSign({ ...ossRequest({ method: 'PUT', bucket: 'examplebucket', key: 'nelson', headers: rest }), dateSlot: v1Date });
    const signed = { ...headers, Authorization: `OSS ak:${v1Signature('sk', stringToSign)}` };
    expect(authenticate(ossRequest({ method: 'PUT', bucket: 'examplebucket', key: 'nelson', headers: signed }), optionsAt(v1Now)).kind).toBe('root');
  });
});

describe('V1 presigned vectors (§3.6)', () => {
  const vectors = [
    { url: 'http://bucket.oss-cn-hangzhou.aliyuncs.com/key?Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId', stringToSign: 'GET\n\n\n1699807420\n/bucket/key?versionId=versionId', kind: 'root' },
    { url: 'http://bucket.oss-cn-hangzhou.aliyuncs.com/key%2B123?Expires=1699808204&OSSAccessKeyId=ak&Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D&security-token=token&versionId=versionId', stringToSign: 'GET\n\n\n1699808204\n/bucket/key+123?security-token=token&versionId=versionId', kind: 'sts' },
  ];
  it.each(vectors)('$stringToSign', (vector) => {
    const { key, query } = fromUrl(vector.url);
    const expires = query.find(([name]) => name === 'Expires')![1];
    const signature = query.find(([name]) => name === 'Signature')![1];
    expect(v1StringToSign({ method: 'GET', headers: {}, dateSlot: expires, bucket: 'bucket', key, query }).toString('utf8')).toBe(vector.stringToSign);
    expect(v1Signature('sk', vector.stringToSign)).toBe(signature);
    const request = ossRequest({ method: 'GET', bucket: 'bucket', key, query });
    expect(authenticate(request, optionsAt(Number(expires) * 1000)).kind).toBe(vector.kind);
    const error = thrown(() => authenticate(request, optionsAt(Number(expires) * 1000 + 1000)));
    expect([error.status, error.code, error.message]).toEqual([403, 'AccessDenied', 'Request has expired.']);
  });
});

// §3.6 V4 vectors (go-sdk-v2 TestAuthV4Header*/TestAuthV4Query*) and the derived multipart ones.
const v4Key = '1234+-/123/1.txt';
const goV4Query: QueryParam[] = [['param1', 'value1'], ['+param1', 'value3'], ['|param1', 'value4'], ['+param2', ''], ['|param2', ''], ['param2', '']];
const goV4Headers = { 'x-oss-head1': 'value', abc: 'value', ZAbc: 'value', XYZ: 'value' };
const credentialFor = (dateTime: string) => `ak/${dateTime.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
type V4HeaderVector = RequestInit & { name: string; dateTime: string; additional?: string; signature: string; canonicalQuery?: string };
const v4HeaderVectors: V4HeaderVector[] = [
  { name: 'plain', method: 'PUT', bucket: 'bucket', key: v4Key, query: goV4Query, headers: { ...goV4Headers, 'content-type': 'text/plain' }, dateTime: '20231216T162057Z', signature: 'e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe' },
  { name: 'STS token', method: 'PUT', bucket: 'bucket', key: v4Key, query: goV4Query, headers: { ...goV4Headers, 'content-type': 'text/plain', 'x-oss-security-token': 'token' }, dateTime: '20231217T034736Z', signature: 'b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea' },
  { name: 'additional headers', method: 'PUT', bucket: 'bucket', key: v4Key, query: goV4Query, headers: { ...goV4Headers, 'content-type': 'text/plain' }, dateTime: '20231216T172512Z', additional: 'abc;zabc', signature: '4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f' },
  { name: 'UploadPart', method: 'PUT', ...mp, query: [['partNumber', '1'], ['uploadId', uploadId]], headers: { 'Content-Type': 'application/octet-stream' }, dateTime: '20221228T102741Z', signature: '1d0444da63f493dc8ab53fb0fdcfffa1049b76ba6e9e1b54e683cb7235326cab' },
  { name: 'Initiate with STS token', method: 'POST', ...mp, query: [['uploads', '']], headers: { 'Content-Type': 'application/octet-stream', 'x-oss-security-token': 'token' }, dateTime: '20221228T102741Z', canonicalQuery: 'uploads', signature: '8c5507ed47859df48559137f7c9c940032a0e9a471d25f40054daa940110f80b' },
  { name: 'ListMultipartUploads', method: 'GET', bucket: 'examplebucket', query: [['uploads', ''], ['prefix', 'dir/'], ['max-uploads', '10']], dateTime: '20221228T102741Z', canonicalQuery: 'max-uploads=10&prefix=dir%2F&uploads', signature: 'c978d835c71b6e121c0f9a14ffa50c0d2974bf5f67414a0319ad7c60d500c03d' },
];

function v4HeaderRequest(vector: V4HeaderVector, signature = vector.signature, authorizationExtra = ''): OssRequest {
  const additional = vector.additional === undefined ? '' : `,${authorizationExtra}AdditionalHeaders=${vector.additional}`;
  const authorization = `OSS4-HMAC-SHA256 Credential=${credentialFor(vector.dateTime)}${additional},${authorizationExtra}Signature=${signature}`;
  return ossRequest({ ...vector, headers: { ...vector.headers, 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-date': vector.dateTime, Authorization: authorization } });
}

describe('V4 header vectors (§3.6)', () => {
  it('builds the documented canonical request and string-to-sign (plain variant)', () => {
    const request = v4HeaderRequest(v4HeaderVectors[0]!);
    const canonical = v4CanonicalRequest({ ...request, additionalHeaders: [], hashedPayload: 'UNSIGNED-PAYLOAD' });
    expect(canonical.toString('latin1')).toBe('PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n'
      + 'content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD');
    expect(v4StringToSign('20231216T162057Z', region, canonical).split('\n')[3]).toBe('f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4');
  });

  it.each(v4HeaderVectors)('$name', (vector) => {
    const request = v4HeaderRequest(vector);
    const additionalHeaders = vector.additional?.split(';') ?? [];
    const canonical = v4CanonicalRequest({ ...request, additionalHeaders, hashedPayload: 'UNSIGNED-PAYLOAD' });
    if (vector.canonicalQuery !== undefined) expect(canonical.toString('latin1').split('\n')[2]).toBe(vector.canonicalQuery);
    const stringToSign = v4StringToSign(vector.dateTime, region, canonical);
    expect(v4Signature('sk', vector.dateTime.slice(0, 8), region, stringToSign)).toBe(vector.signature);
    const kind = vector.headers?.['x-oss-security-token'] === undefined ? 'root' : 'sts';
    expect(authenticate(request, optionsAt(v4Time(vector.dateTime))).kind).toBe(kind);
    // Spaces after the commas are tolerated.
    expect(authenticate(v4HeaderRequest(vector, vector.signature, ' '), optionsAt(v4Time(vector.dateTime))).kind).toBe(kind);
  });
});

type V4QueryVector = { name: string; dateTime: string; token?: string; additional?: string; signature: string };
const v4QueryVectors: V4QueryVector[] = [
  { name: 'plain', dateTime: '20231217T025437Z', signature: 'a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe' },
  { name: 'STS token', dateTime: '20231217T035628Z', token: 'token', signature: '3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5' },
  { name: 'additional headers', dateTime: '20231217T033009Z', additional: 'abc;zabc', signature: '6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7' },
];

function v4QueryRequest(vector: V4QueryVector, signature = vector.signature): OssRequest {
  const query: QueryParam[] = [
    ...goV4Query,
    ['x-oss-signature-version', 'OSS4-HMAC-SHA256'], ['x-oss-date', vector.dateTime], ['x-oss-expires', '599'],
    ['x-oss-credential', credentialFor(vector.dateTime)],
    ...(vector.additional === undefined ? [] : [['x-oss-additional-headers', vector.additional] as const]),
    ...(vector.token === undefined ? [] : [['x-oss-security-token', vector.token] as const]),
    ['x-oss-signature', signature],
  ];
  return ossRequest({ method: 'PUT', bucket: 'bucket', key: v4Key, query, headers: { ...goV4Headers, 'content-type': 'application/octet-stream' } });
}

describe('V4 presigned vectors (§3.6)', () => {
  it.each(v4QueryVectors)('$name', (vector) => {
    const request = v4QueryRequest(vector);
    const canonical = v4CanonicalRequest({
      ...request, query: stripSignature(request.query), additionalHeaders: vector.additional?.split(';') ?? [], hashedPayload: 'UNSIGNED-PAYLOAD',
    });
    const stringToSign = v4StringToSign(vector.dateTime, region, canonical);
    expect(v4Signature('sk', vector.dateTime.slice(0, 8), region, stringToSign)).toBe(vector.signature);
    const signedAt = v4Time(vector.dateTime);
    expect(authenticate(request, optionsAt(signedAt)).kind).toBe(vector.token === undefined ? 'root' : 'sts');
    expect(authenticate(request, optionsAt(signedAt + 599_000)).accessKeyId).toBe('ak');
    const error = thrown(() => authenticate(request, optionsAt(signedAt + 600_000)));
    expect([error.status, error.code, error.message]).toEqual([403, 'AccessDenied', 'Request has expired.']);
  });
});

describe('failures (§2.9)', () => {
  const v1Vector = v1HeaderVectors[0]!;
  const v1Request = (authorization: string, extra: Headers = {}) =>
    ossRequest({ ...v1Vector, headers: { ...v1Vector.headers, ...extra, Authorization: authorization } });
  const v4Vector = v4HeaderVectors[0]!;
  const v4At = v4Time(v4Vector.dateTime);
  const hex = (bytes: Buffer | string) => [...(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');

  it('tampered V1 signature → SignatureDoesNotMatch with StringToSign extras and EC 0002-00000040', () => {
    const error = thrown(() => authenticate(v1Request('OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7X='), optionsAt(v1Now)));
    const stringToSign = v1StringToSign({ ...ossRequest(v1Vector), dateSlot: v1Date });
    expect([error.status, error.code, error.ec]).toEqual([403, 'SignatureDoesNotMatch', '0002-00000040']);
    expect(error.extras).toEqual({
      OSSAccessKeyId: 'ak', SignatureProvided: 'kSHKmLxlyEAKtZPkJhG9bZb5k7X=', StringToSign: stringToSign.toString('utf8'), StringToSignBytes: hex(stringToSign),
    });
    expect(error.extras['StringToSignBytes']?.startsWith('50 55 54 0a 65 42 35')).toBe(true);
    // A signature of another length is a plain mismatch too (no exception from timingSafeEqual).
    expect(thrown(() => authenticate(v1Request('OSS ak:short'), optionsAt(v1Now))).code).toBe('SignatureDoesNotMatch');
  });

  it('tampered V4 signature → extras include the CanonicalRequest, EC 0002-00000201', () => {
    const error = thrown(() => authenticate(v4HeaderRequest(v4Vector, '0'.repeat(64)), optionsAt(v4At)));
    expect([error.status, error.code, error.ec]).toEqual([403, 'SignatureDoesNotMatch', '0002-00000201']);
    expect(error.extras['CanonicalRequest']).toContain('PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&');
    expect(error.extras['StringToSign']?.split('\n')[3]).toBe('f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4');
    expect(error.extras['StringToSignBytes']).toBe(hex(error.extras['StringToSign'] ?? ''));
    expect(Object.keys(error.extras)).toEqual(['OSSAccessKeyId', 'SignatureProvided', 'StringToSign', 'StringToSignBytes', 'CanonicalRequest']);
    const query = thrown(() => authenticate(v4QueryRequest(v4QueryVectors[0]!, 'f'.repeat(64)), optionsAt(v4Time(v4QueryVectors[0]!.dateTime))));
    expect([query.code, query.extras['SignatureProvided']]).toEqual(['SignatureDoesNotMatch', 'f'.repeat(64)]);
  });

  it('a request time 16 minutes off → RequestTimeTooSkewed; 14 minutes is accepted', () => {
    const minutes = (n: number) => n * 60_000;
    for (const now of [v1Now + minutes(16), v1Now - minutes(16)]) {
      const error = thrown(() => authenticate(v1Request(v1Vector.authorization), optionsAt(now)));
      expect([error.status, error.code]).toEqual([403, 'RequestTimeTooSkewed']);
      expect(error.extras).toEqual({ RequestTime: '2022-12-28T10:27:41.000Z', ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: '900000' });
    }
    expect(authenticate(v1Request(v1Vector.authorization), optionsAt(v1Now + minutes(14))).kind).toBe('root');
    expect(thrown(() => authenticate(v4HeaderRequest(v4Vector), optionsAt(v4At + minutes(16)))).code).toBe('RequestTimeTooSkewed');
    expect(authenticate(v4HeaderRequest(v4Vector), optionsAt(v4At - minutes(14))).kind).toBe('root');
    // A V4 URL dated more than 15 minutes in the future is skewed, not "not yet valid".
    const v4Url = v4QueryVectors[0]!;
    expect(thrown(() => authenticate(v4QueryRequest(v4Url), optionsAt(v4Time(v4Url.dateTime) - minutes(16)))).code).toBe('RequestTimeTooSkewed');
  });

  it('expired presigned URLs → AccessDenied "Request has expired." with Expires/ServerTime', () => {
    const { key, query } = fromUrl('http://bucket/key?Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId');
    const error = thrown(() => authenticate(ossRequest({ method: 'GET', bucket: 'bucket', key, query }), optionsAt(1699807421_000)));
    expect([error.status, error.code, error.message, error.ec]).toEqual([403, 'AccessDenied', 'Request has expired.', '0002-00000069']);
    expect(error.extras).toEqual({ Expires: '2023-11-12T16:43:40.000Z', ServerTime: '2023-11-12T16:43:41.000Z' });
  });

  it('no credentials at all → AccessDenied (buckets are private)', () => {
    const error = thrown(() => authenticate(ossRequest({ method: 'GET', bucket: 'b', key: 'k', headers: { 'x-oss-date': v1Date } }), optionsAt(v1Now)));
    expect([error.status, error.code]).toEqual([403, 'AccessDenied']);
  });

  it('missing or unparsable dates', () => {
    const { 'x-oss-date': _ignored, ...undated } = goV1Headers;
    const missing = thrown(() => authenticate(ossRequest({ ...v1Vector, headers: { ...undated, Authorization: v1Vector.authorization } }), optionsAt(v1Now)));
    expect([missing.status, missing.ec]).toEqual([403, '0002-00000503']);
    for (const bad of ['2022-12-28T10:27:41Z', 'Wed, 31 Feb 2022 10:27:41 GMT', 'Wed, 28 Dec 2022 10:27:41 UTC']) {
      expect(thrown(() => authenticate(v1Request(v1Vector.authorization, { 'x-oss-date': bad }), optionsAt(v1Now))).ec).toBe('0002-00000502');
    }
    const v4Undated = ossRequest({ method: 'GET', bucket: 'b', headers: { Authorization: `OSS4-HMAC-SHA256 Credential=${credentialFor('20231216T162057Z')},Signature=00` } });
    expect(thrown(() => authenticate(v4Undated, optionsAt(v4At))).ec).toBe('0002-00000503');
    const v4BadDate = ossRequest({ method: 'GET', bucket: 'b', headers: { 'x-oss-date': '20231316T162057Z', Authorization: `OSS4-HMAC-SHA256 Credential=${credentialFor('20231316T162057Z')},Signature=00` } });
    expect(thrown(() => authenticate(v4BadDate, optionsAt(v4At))).ec).toBe('0002-00000502');
  });

  it('malformed Authorization headers → 400 InvalidArgument', () => {
    const credential = credentialFor(v4Vector.dateTime);
    for (const authorization of [
      'OSS ak', 'OSS :sig', 'OSS ak:', 'Bearer abc', 'OSS4-HMAC-SHA256 Credential=x', `OSS4-HMAC-SHA256 Credential=${credential},Foo=1,Signature=00`,
      `OSS4-HMAC-SHA256 Credential=${credential},Signature=00,Signature=00`, 'OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss,Signature=00',
    ]) {
      const error = thrown(() => authenticate(ossRequest({ ...v4Vector, headers: { 'x-oss-date': v4Vector.dateTime, Authorization: authorization } }), optionsAt(v4At)));
      expect([error.status, error.code, error.extras['ArgumentName']], authorization).toEqual([400, 'InvalidArgument', 'Authorization']);
    }
  });

  it('V4 credential scope must match the date, region, product and terminator', () => {
    const scoped = (credential: string) => ossRequest({
      ...v4Vector, headers: { ...v4Vector.headers, 'x-oss-date': v4Vector.dateTime, Authorization: `OSS4-HMAC-SHA256 Credential=${credential},Signature=${v4Vector.signature}` },
    });
    const cases = [
      ['ak/20231216/cn-shanghai/oss/aliyun_v4_request', 'The signing region in credential is invalid.'],
      ['ak/20231217/cn-hangzhou/oss/aliyun_v4_request', 'The signing date in credential does not match x-oss-date.'],
      ['ak/20231216/cn-hangzhou/s3/aliyun_v4_request', 'The signing product in credential is invalid.'],
      ['ak/20231216/cn-hangzhou/oss/aws4_request', 'The terminator in credential is invalid.'],
    ] as const;
    for (const [credential, message] of cases) {
      const error = thrown(() => authenticate(scoped(credential), optionsAt(v4At)));
      expect([error.status, error.code, error.message]).toEqual([403, 'SignatureDoesNotMatch', message]);
    }
  });

  it('additional headers must be present; x-oss-expires must be 1..604800', () => {
    const additional = v4HeaderVectors[2]!;
    const { abc: _ignored, ...withoutAbc } = additional.headers ?? {};
    const error = thrown(() => authenticate(v4HeaderRequest({ ...additional, headers: withoutAbc }), optionsAt(v4Time(additional.dateTime))));
    expect([error.status, error.code, error.extras['ArgumentName']]).toEqual([400, 'InvalidArgument', 'AdditionalHeaders']);
    const url = v4QueryRequest(v4QueryVectors[0]!);
    for (const expires of ['0', '604801', 'abc', '']) {
      const query = url.query.map(([name, value]): QueryParam => [name, name === 'x-oss-expires' ? expires : value]);
      const invalid = thrown(() => authenticate({ ...url, query }, optionsAt(v4Time(v4QueryVectors[0]!.dateTime))));
      expect([invalid.status, invalid.code, invalid.extras['ArgumentName']]).toEqual([400, 'InvalidArgument', 'x-oss-expires']);
    }
  });

  it('hands the STS token from each transport to the resolver and propagates its errors', () => {
    resolverCalls.length = 0;
    authenticate(ossRequest({ ...v1HeaderVectors[6]!, headers: { ...v1HeaderVectors[6]!.headers, Authorization: v1HeaderVectors[6]!.authorization } }), optionsAt(v1Now));
    const { key, query } = fromUrl('http://b/key%2B123?Expires=1699808204&OSSAccessKeyId=ak&Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D&security-token=token&versionId=versionId');
    authenticate(ossRequest({ method: 'GET', bucket: 'bucket', key, query }), optionsAt(1699808204_000));
    authenticate(v4QueryRequest(v4QueryVectors[1]!), optionsAt(v4Time(v4QueryVectors[1]!.dateTime)));
    expect(resolverCalls).toEqual([['ak', 'token'], ['ak', 'token'], ['ak', 'token']]);
    const forged = thrown(() => authenticate(v1Request(v1Vector.authorization, { 'x-oss-security-token': 'forged' }), optionsAt(v1Now)));
    expect(forged.code).toBe('InvalidSecurityToken');
    expect(thrown(() => authenticate(v1Request('OSS nobody:kSHKmLxlyEAKtZPkJhG9bZb5k7M='), optionsAt(v1Now))).code).toBe('InvalidAccessKeyId');
  });
});

describe('differential against ali-oss 6.23 signUtils (seeded random keys)', () => {
  const iterations = 200;
  const bucket = 'examplebucket';
  const v4DateTime = '20221228T102741Z';
  const pieces = [
    'a', 'Z', 'q', '0', '9', '-', '_', '.', '~', ' ', '+', '%', '#', '?', '&', '=', '/', '!', '*', "'", '(', ')', ':', ';', '@',
    '$', ',', '[', ']', '|', '^', '`', '{', '}', '"', '<', '>', '\\', '%2F', '%20', 'é', 'ß', '中文', 'キー', '😀', '\u00a0', 'dir/',
  ];

  /** mulberry32: a tiny seeded PRNG so failures reproduce. */
  function prng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /**
   * `headers` are what the server sees: the raw UTF-8 bytes of `meant` as node:http hands them over (latin1
   * strings). ali-oss signs `meant`: its signer hashes the UTF-8 bytes, so it signs exactly the bytes sent —
   * what ali-oss's `headerEncoding` option does when it puts such values on the wire itself.
   */
  type Case = { method: string; key: string | undefined; headers: Headers; meant: Headers; signed: Record<string, string>; unsigned: Record<string, string>; additional: string[] };

  function randomCase(rand: () => number): Case {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
    const text = (max: number): string => {
      const length = 1 + Math.floor(rand() * max);
      let out = '';
      while ([...out].length < length) out += pick(pieces);
      return out;
    };
    let key: string | undefined = rand() < 0.1 ? undefined : text(rand() < 0.15 ? 400 : 30);
    if (key !== undefined) {
      const points = [...key];
      // OSS keys are 1..1023 UTF-8 bytes and may not start with `/` or `\` (§1.1).
      while (Buffer.byteLength(points.join('')) > 1023) points.pop();
      key = points.join('').replace(/^[/\\]+/, 'k/');
    }
    // Signers trim values: ali-oss trims JavaScript whitespace (U+00A0 too), the server only spaces and
    // tabs of the bytes; no value here starts or ends with a no-break space, where the two differ.
    const value = (max: number) => text(max).replace(/^\u00a0+|\u00a0+$/g, '') || 'v';
    const meant: Headers = {};
    for (const name of ['x-oss-meta-owner', 'X-Oss-Meta-Mixed', 'x-oss-meta-zz', 'x-oss-forbid-overwrite']) {
      if (rand() < 0.4) meant[name] = rand() < 0.2 ? ` ${value(20)}\t` : value(20); // both sides trim x-oss-* values
    }
    if (rand() < 0.6) meant['Content-Type'] = pick(['application/octet-stream', 'text/plain;charset=utf-8', 'application/xml']);
    if (rand() < 0.3) meant['Content-MD5'] = createHash('md5').update(text(10)).digest('base64');
    const additional: string[] = [];
    if (rand() < 0.3) {
      meant['X-Custom'] = value(10);
      additional.push('x-custom');
    }
    // Header values travel as their raw UTF-8 bytes, which node:http hands over as latin1 strings.
    const headers = Object.fromEntries(Object.entries(meant).map(([name, value]) => [name, Buffer.from(value, 'utf8').toString('latin1')]));
    const signed: Record<string, string> = {};
    if (rand() < 0.3) signed['uploads'] = '';
    else if (rand() < 0.5) Object.assign(signed, { partNumber: String(1 + Math.floor(rand() * 10_000)), uploadId: createHash('md5').update(text(5)).digest('hex').toUpperCase() });
    if (rand() < 0.2) signed['versionId'] = text(12);
    if (rand() < 0.2) signed['response-content-disposition'] = `attachment; filename="${text(12)}"`;
    if (rand() < 0.1) signed['x-oss-process'] = 'image/resize,w_100';
    if (rand() < 0.1) signed['acl'] = '';
    const unsigned: Record<string, string> = {};
    if (rand() < 0.3) unsigned['prefix'] = text(10);
    if (rand() < 0.3) unsigned['max-parts'] = String(1 + Math.floor(rand() * 1000));
    return { method: pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']), key, headers, meant, signed, unsigned, additional };
  }

  const pairs = (record: Record<string, string>): QueryParam[] => Object.entries(record);
  const aliQueries = (record: Record<string, string>): AliQueries =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, value === '' ? null : value]));
  const shuffled = <T>(list: T[], rand: () => number): T[] => list.map((item) => [rand(), item] as const).sort(([a], [b]) => a - b).map(([, item]) => item);
  const resourceOf = (key: string | undefined) => `/${bucket}/${key ?? ''}`;

  it(`V1 header: ${iterations} requests`, () => {
    const rand = prng(1);
    for (let i = 0; i < iterations; i++) {
      const c = randomCase(rand);
      const common = { 'x-oss-date': v1Date, ...(rand() < 0.3 ? { 'x-oss-security-token': 'token' } : {}) };
      const canonical = signUtils.buildCanonicalString(c.method, resourceOf(c.key), { headers: { ...c.meant, ...common }, parameters: { ...c.signed } });
      const query = shuffled([...pairs(c.signed), ...pairs(c.unsigned)], rand);
      const request = ossRequest({ method: c.method, bucket, key: c.key, query, headers: { ...c.headers, ...common, Authorization: `OSS ak:${signUtils.computeSignature('sk', canonical)}` } });
      expect(v1StringToSign({ ...request, dateSlot: v1Date }).toString('hex'), JSON.stringify(c.key)).toBe(Buffer.from(canonical, 'utf8').toString('hex'));
      expect(authenticate(request, optionsAt(v1Now)).accessKeyId).toBe('ak');
    }
  });

  it(`V1 presigned: ${iterations} URLs`, () => {
    const rand = prng(2);
    for (let i = 0; i < iterations; i++) {
      const c = randomCase(rand);
      const expires = String(v1Now / 1000 + 1 + Math.floor(rand() * 3600));
      const signed = { ...c.signed, ...(rand() < 0.3 ? { 'security-token': 'token' } : {}) };
      const canonical = signUtils.buildCanonicalString(c.method, resourceOf(c.key), { headers: c.meant, parameters: { ...signed } }, expires);
      const auth: QueryParam[] = [['OSSAccessKeyId', 'ak'], ['Expires', expires], ['Signature', signUtils.computeSignature('sk', canonical)]];
      const query = shuffled([...pairs(signed), ...pairs(c.unsigned), ...auth], rand);
      const request = ossRequest({ method: c.method, bucket, key: c.key, query, headers: c.headers });
      expect(v1StringToSign({ ...request, dateSlot: expires }).toString('hex'), JSON.stringify(c.key)).toBe(Buffer.from(canonical, 'utf8').toString('hex'));
      expect(authenticate(request, optionsAt(v1Now)).kind).toBe(signed['security-token'] === undefined ? 'root' : 'sts');
    }
  });

  it(`V4 header: ${iterations} requests`, () => {
    const rand = prng(3);
    for (let i = 0; i < iterations; i++) {
      const c = randomCase(rand);
      const payload = rand() < 0.5 ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(String(i)).digest('hex');
      const common = { 'x-oss-date': v4DateTime, 'x-oss-content-sha256': payload, ...(rand() < 0.3 ? { 'x-oss-security-token': 'token' } : {}) };
      const headers = { ...c.headers, ...common };
      const queries = aliQueries({ ...c.signed, ...c.unsigned });
      // ali-oss's own path for raw UTF-8 header bytes: `headerEncoding` other than utf-8 decodes them before signing.
      const authorization = signUtils.authorizationV4('ak', 'sk', region, c.method, { headers, queries }, bucket, c.key, c.additional, 'latin1');
      const canonical = signUtils.getCanonicalRequest(c.method, { headers: { ...c.meant, ...common }, queries }, bucket, c.key, c.additional);
      const query = shuffled([...pairs(c.signed), ...pairs(c.unsigned)], rand);
      const request = ossRequest({ method: c.method, bucket, key: c.key, query, headers: { ...headers, Authorization: authorization } });
      const ours = v4CanonicalRequest({ ...request, additionalHeaders: c.additional, hashedPayload: payload });
      expect(ours.toString('hex'), JSON.stringify(c.key)).toBe(Buffer.from(canonical, 'utf8').toString('hex'));
      expect(authenticate(request, optionsAt(v4Time(v4DateTime))).accessKeyId).toBe('ak');
    }
  });

  it(`V4 presigned: ${iterations} URLs`, () => {
    const rand = prng(4);
    for (let i = 0; i < iterations; i++) {
      const c = randomCase(rand);
      // The same steps as ali-oss `signatureUrlV4`, with a fixed date instead of the wall clock.
      const queries = aliQueries({
        ...c.signed, ...c.unsigned,
        ...(c.additional.length > 0 ? { 'x-oss-additional-headers': c.additional.join(';') } : {}),
        'x-oss-credential': credentialFor(v4DateTime), 'x-oss-date': v4DateTime, 'x-oss-expires': String(1 + Math.floor(rand() * 604_800)),
        'x-oss-signature-version': 'OSS4-HMAC-SHA256', ...(rand() < 0.3 ? { 'x-oss-security-token': 'token' } : {}),
      });
      const canonical = signUtils.getCanonicalRequest(c.method, { headers: c.meant, queries }, bucket, c.key, c.additional);
      const stringToSign = signUtils.getStringToSign(region, v4DateTime, canonical);
      const signature = signUtils.getSignatureV4('sk', v4DateTime.slice(0, 8), region, stringToSign);
      const query = shuffled<QueryParam>([...Object.entries(queries).map(([name, value]): QueryParam => [name, value ?? '']), ['x-oss-signature', signature]], rand);
      const request = ossRequest({ method: c.method, bucket, key: c.key, query, headers: c.headers });
      const ours = v4CanonicalRequest({ ...request, query: stripSignature(query), additionalHeaders: c.additional, hashedPayload: 'UNSIGNED-PAYLOAD' });
      expect(ours.toString('hex'), JSON.stringify(c.key)).toBe(Buffer.from(canonical, 'utf8').toString('hex'));
      expect(authenticate(request, optionsAt(v4Time(v4DateTime) + 1000)).accessKeyId).toBe('ak');
    }
  });
});
