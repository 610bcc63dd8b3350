/**
 * Object headers (issue 13, items 11 and 12): what the write options become on the wire, how bad
 * values are refused at the call naming the option, how values beyond ASCII travel (their UTF-8
 * bytes, one Latin-1 character each) and are read back, and a differential test of the signatures
 * over such values against ali-oss 6.23 with `headerEncoding: 'latin1'`, the ali-oss mode that sends
 * the same bytes, driven through its own request builder (`lib/common/utils/createRequest.js`).
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createOssClient, createUploader } from '../../src/index.js';
import { binaryUtf8 } from '../../src/oss/canonical.js';
import { objectHeaders, readHeaderValue } from '../../src/oss/object-headers.js';
import { signerV1 } from '../../src/oss/signing-v1.js';
import { signerV4 } from '../../src/oss/signing-v4.js';
import { parseAcl, parseTagging } from '../../src/oss/xml.js';

const require = createRequire(import.meta.url);
type AliRequest = { params: { headers: Record<string, string> } };
type AliParams = { method: string; bucket: string; object: string; headers: Record<string, string>; subres?: unknown };
const { createRequest } = require('ali-oss/lib/common/utils/createRequest.js') as { createRequest(this: unknown, params: AliParams): AliRequest };
const AliOss = require('ali-oss') as new (options: Record<string, unknown>) => { _objectRequestParams(method: string, name: string, options: unknown): AliParams };
const signUtils = require('ali-oss/lib/common/signUtils.js') as {
  buildCanonicalString(method: string, resource: string, request: { headers: Record<string, string> }): string;
  computeSignature(secret: string, canonical: string, encoding: string): string;
};

// Nothing listens here: a request that got out would fail as a network error, never a TypeError.
const connection = {
  endpoint: 'http://127.0.0.1:9', bucket: 'demo', region: 'cn-hangzhou', pathStyle: true,
  credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' }, retry: 0,
} as const;

describe('objectHeaders: what the options send', () => {
  test('every option becomes its header', () => {
    expect(objectHeaders({
      contentType: 'text/plain', metadata: { Owner: 'x' }, forbidOverwrite: true, cacheControl: 'max-age=60', contentEncoding: 'gzip',
      contentLanguage: 'zh-CN', expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)), storageClass: 'IA', serverSideEncryption: 'KMS',
      kmsKeyId: 'key-1', acl: 'private', tags: { project: 'a b', 'k+': 'v/=' },
    })).toEqual({
      'Content-Type': 'text/plain', 'x-oss-meta-owner': 'x', 'x-oss-forbid-overwrite': 'true', 'Cache-Control': 'max-age=60',
      'Content-Encoding': 'gzip', 'Content-Language': 'zh-CN', Expires: 'Wed, 02 Jan 2030 03:04:05 GMT', 'x-oss-storage-class': 'IA',
      'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'key-1', 'x-oss-object-acl': 'private',
      'x-oss-tagging': 'project=a%20b&k%2B=v%2F%3D',
    });
  });

  test.each([
    [{ type: 'attachment', filename: 'report.pdf' }, 'attachment; filename="report.pdf"'],
    [{ type: 'inline' }, 'inline'],
    [{ type: 'attachment', filename: '报告.pdf' }, "attachment; filename=\"__.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"],
    [{ type: 'inline', filename: 'a "b" 100%\\.txt' }, "inline; filename=\"a _b_ 100__.txt\"; filename*=UTF-8''a%20%22b%22%20100%25%5C.txt"],
    [{ type: 'attachment', filename: "it's (1) 😀.txt" }, "attachment; filename=\"it's (1) _.txt\"; filename*=UTF-8''it%27s%20%281%29%20%F0%9F%98%80.txt"],
  ] as const)('contentDisposition %j → %s (RFC 6266 with an ASCII fallback)', (contentDisposition, header) => {
    expect(objectHeaders({ contentDisposition })['Content-Disposition']).toBe(header);
  });

  test('expires: a date string is sent as an HTTP date; no tags, no header', () => {
    expect(objectHeaders({ expires: '2030-01-02T03:04:05Z', tags: {} })).toEqual({ Expires: 'Wed, 02 Jan 2030 03:04:05 GMT' });
  });

  test('text beyond ASCII goes out as its UTF-8 bytes, one Latin-1 character each, and reads back as the text', () => {
    const headers = objectHeaders({ metadata: { name: '报告.pdf', mixed: 'café 😀' }, contentDisposition: 'attachment; filename="报告.pdf"' });
    expect(headers['x-oss-meta-name']).toBe(Buffer.from('报告.pdf').toString('latin1'));
    expect(headers['Content-Disposition']).toBe(Buffer.from('attachment; filename="报告.pdf"').toString('latin1'));
    // A Headers object (what fetch sends from) accepts it as it is.
    expect(new Headers(headers).get('x-oss-meta-mixed')).toBe(Buffer.from('café 😀').toString('latin1'));
    for (const value of Object.values(headers)) expect(readHeaderValue(value)).toBe(Buffer.from(value, 'latin1').toString('utf8'));
    expect(readHeaderValue('plain')).toBe('plain');
    // Bytes that are not UTF-8 (a Latin-1 value another client stored) stay as they came.
    expect(readHeaderValue('caf\u00e9')).toBe('caf\u00e9');
  });
});

describe('GetObjectAcl / GetObjectTagging documents', () => {
  test('one tag, no tags, an ACL', () => {
    expect(parseTagging('<Tagging><TagSet><Tag><Key>k</Key><Value>1</Value></Tag></TagSet></Tagging>')).toEqual({ k: '1' });
    expect(parseTagging('<Tagging><TagSet/></Tagging>')).toEqual({});
    expect(parseAcl('<AccessControlPolicy><Owner><ID>1</ID></Owner><AccessControlList><Grant>default</Grant></AccessControlList></AccessControlPolicy>')).toBe('default');
  });
});

describe('bad values fail at the call, naming the option, before any request', () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, ErrorConstructor, RegExp]> = [
    ['CR LF in metadata', { metadata: { name: 'a\r\nSet-Cookie: x' } }, TypeError, /`metadata\.name`.*control characters/],
    ['NUL in metadata', { metadata: { name: 'a\0b' } }, TypeError, /`metadata\.name`/],
    ['another control character', { metadata: { name: 'a\x1bb' } }, TypeError, /`metadata\.name`/],
    ['DEL', { cacheControl: 'no\x7fcache' }, TypeError, /`cacheControl`/],
    ['a lone surrogate', { metadata: { name: 'a\uD800' } }, TypeError, /`metadata\.name`/],
    ['a metadata name that is no token', { metadata: { 'my name': 'x' } }, TypeError, /`metadata\.my name`.*HTTP token/],
    ['a non-string metadata value', { metadata: { n: 1 } }, TypeError, /`metadata\.n`.*string/],
    ['a contentDisposition type', { contentDisposition: { type: 'download', filename: 'a' } }, TypeError, /`contentDisposition\.type`.*download/],
    ['an empty file name', { contentDisposition: { type: 'attachment', filename: '' } }, TypeError, /`contentDisposition\.filename`/],
    ['LF in contentDisposition', { contentDisposition: 'attachment;\nfilename=a' }, TypeError, /`contentDisposition`/],
    ['contentLanguage of a number', { contentLanguage: 7 }, TypeError, /`contentLanguage`.*7/],
    ['expires of a number', { expires: 5 }, TypeError, /`expires`.*Date/],
    ['an expires that is no date', { expires: 'next week' }, RangeError, /`expires`.*next week/],
    ['an invalid Date', { expires: new Date(Number.NaN) }, RangeError, /`expires`/],
    ['a storage class', { storageClass: 'Cold' }, TypeError, /`storageClass`.*Standard, IA, Archive, ColdArchive, DeepColdArchive.*Cold/],
    ['an encryption', { serverSideEncryption: 'AES' }, TypeError, /`serverSideEncryption`.*AES256, KMS, SM4/],
    ['kmsKeyId without KMS', { serverSideEncryption: 'AES256', kmsKeyId: 'k' }, TypeError, /`kmsKeyId`.*KMS.*AES256/],
    ['kmsKeyId alone', { kmsKeyId: 'k' }, TypeError, /`kmsKeyId`/],
    ['an ACL', { acl: 'public' }, TypeError, /`acl`.*default, private, public-read, public-read-write/],
    ['tags of an array', { tags: ['a'] }, TypeError, /`tags`/],
    ['11 tags', { tags: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }, RangeError, /`tags`.*at most 10/],
    ['an empty tag key', { tags: { '': 'v' } }, RangeError, /`tags\.`.*1\.\.128/],
    ['a 129-character tag key', { tags: { ['k'.repeat(129)]: 'v' } }, RangeError, /1\.\.128.*129/],
    ['a 257-character tag value', { tags: { k: 'v'.repeat(257) } }, RangeError, /`tags\.k`.*256.*257/],
    ['a tag value of a number', { tags: { k: 1 } }, TypeError, /`tags\.k`/],
  ];

  test.each(cases)('upload(): %s', (_name, options, type, message) => {
    const uploader = createUploader(connection);
    const call = () => uploader.upload(new Blob(['x']), 'k', options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  test.each(cases)('client putObject() and initiateMultipartUpload(): %s', async (_name, options, type, message) => {
    const client = createOssClient(connection);
    for (const call of [() => client.putObject('k', 'x', options as never), () => client.initiateMultipartUpload('k', options as never)]) {
      const error = await call().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
    }
  });

  test('the limits themselves are accepted: 10 tags, 128/256 characters (emoji count as one), a tab', () => {
    const tags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`${i}${'😀'.repeat(127)}`, '😀'.repeat(256)]));
    expect(objectHeaders({ tags, metadata: { t: 'a\tb' } })['x-oss-tagging']?.split('&')).toHaveLength(10);
  });
});

describe('signatures over header values beyond ASCII, against ali-oss with headerEncoding latin1', () => {
  afterEach(() => vi.useRealTimers());
  const now = new Date('2025-03-04T05:06:07Z');
  const inputs = [
    { key: 'docs/报告.pdf', metadata: { name: '报告.pdf', cafe: 'café', emoji: '😀 ok' } },
    { key: 'plain.bin', metadata: { 'x-y': 'Ünïcödé', mixed: 'a 中 b' }, contentDisposition: 'attachment; filename="résumé.pdf"' },
    { key: 'k', metadata: { a: 'ascii only' }, contentDisposition: { type: 'attachment', filename: '报告.pdf' }, tags: { 项目: '值 1' } },
  ] as const;

  test.each(['v1', 'v4'] as const)('%s: the same bytes on the wire and the same Authorization', async (version) => {
    vi.useFakeTimers({ toFake: ['Date'], now });
    const ali = new AliOss({
      region: 'oss-cn-hangzhou', bucket: 'demo', accessKeyId: 'ak', accessKeySecret: 'sk', headerEncoding: 'latin1', authorizationV4: version === 'v4',
    });
    for (const { key, ...options } of inputs) {
      const ours = objectHeaders({ contentType: 'application/pdf', ...options });
      // ali-oss is given the text; it encodes the values itself (`encoder`, headerEncoding latin1).
      const text = Object.fromEntries(Object.entries(ours).map(([name, value]) => [name, Buffer.from(value, 'latin1').toString('utf8')]));
      const { params: { headers: sent } } = createRequest.call(ali, ali._objectRequestParams('PUT', key, { headers: text }));
      const { authorization, ...onWire } = Object.fromEntries(Object.entries(sent).map(([name, value]) => [name.toLowerCase(), String(value)]));
      for (const [name, value] of Object.entries(ours)) expect(onWire[name.toLowerCase()], name).toBe(value);
      const signable = Object.fromEntries(Object.entries(onWire).filter(([name]) => name.startsWith('x-oss-') || name.startsWith('content-')));
      const added = await (version === 'v1' ? signerV1 : signerV4).sign({ method: 'PUT', bucket: 'demo', key, query: [], headers: signable }, { credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' }, region: 'cn-hangzhou', now });
      expect(added['authorization'], JSON.stringify(options)).toBe(authorization);
    }
  });

  test('quirk not copied: ali-oss V1 trims a trailing 0xA0 byte (the end of `à`, C3 A0) with String#trim; it is on the wire, so we sign it', async () => {
    const headers = { 'content-type': 'text/plain', 'x-oss-date': now.toUTCString(), 'x-oss-meta-word': binaryUtf8('voilà') };
    const canonical = signUtils.buildCanonicalString('PUT', '/demo/k', { headers });
    expect(canonical).toContain('x-oss-meta-word:voil\u00c3\n');
    const ali = `OSS ak:${signUtils.computeSignature('sk', canonical, 'latin1')}`;
    const withByte = `OSS ak:${signUtils.computeSignature('sk', canonical.replace('voil\u00c3\n', 'voil\u00c3\u00a0\n'), 'latin1')}`;
    const ours = await signerV1.sign({ method: 'PUT', bucket: 'demo', key: 'k', query: [], headers }, { credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' }, region: 'cn-hangzhou', now });
    expect(ours['authorization']).toBe(withByte);
    expect(ours['authorization']).not.toBe(ali);
  });
});
