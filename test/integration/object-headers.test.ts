/**
 * Object headers against the real local server (issue 13, items 11 and 12), V4 and V1: metadata
 * beyond ASCII, Content-Disposition, Cache-Control, Content-Encoding, Content-Language, Expires,
 * storage class, server-side encryption, ACL and tags, set by `upload()` through PutObject and
 * through a multipart upload, by the low-level client, and kept by `copy()`. Everything is read back
 * with the official ali-oss client (`head`, `getACL`, `getObjectTagging`), and with the SDK's own
 * `headObject`, which decodes what the server sends.
 */
import { describe, expect, it } from 'vitest';
import { copyObject, createMemoryStore, type ObjectHeaderOptions, type UploadOptions } from '../../src/index.js';
import { aliFor, clientFor, minPart, rejectionOf, testBytes, uniqueKey, uploaderFor, useFaultServer, type TestServer } from './setup.js';

let server: TestServer;
useFaultServer((started) => {
  server = started;
});

type Ali = {
  head(key: string): Promise<{ res: { headers: Record<string, string> } }>;
  getACL(key: string): Promise<{ acl: string }>;
  getObjectTagging(key: string): Promise<{ tag: Record<string, string> }>;
};
const ali = (): Ali => aliFor(server) as unknown as Ali;

/** Node hands header bytes over as Latin-1 characters; the bytes are UTF-8. */
const utf8 = (value: string | undefined): string | undefined => (value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8'));

const options = {
  metadata: { name: '报告.pdf', note: 'café ☕ 😀', plain: 'ascii' },
  contentDisposition: { type: 'attachment', filename: '报告 2024.pdf' },
  cacheControl: 'max-age=3600',
  contentEncoding: 'gzip',
  contentLanguage: 'zh-CN',
  expires: new Date(Date.UTC(2031, 4, 6, 7, 8, 9)),
  storageClass: 'IA',
  serverSideEncryption: 'KMS',
  kmsKeyId: 'test-key-1',
  acl: 'public-read',
  tags: { project: '报告 1', team: 'a+b=c' },
} as const satisfies UploadOptions;

const disposition = "attachment; filename=\"__ 2024.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%202024.pdf";

/** What ali-oss reads back of an object written with `options`. */
async function expectStoredWith(key: string, expected: ObjectHeaderOptions & { metadata: Record<string, string> } = options): Promise<void> {
  const { res: { headers } } = await ali().head(key);
  const meta = Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('x-oss-meta-')).map(([name, value]) => [name.slice(11), utf8(value)]));
  expect(meta).toEqual(expected.metadata);
  expect({
    disposition: utf8(headers['content-disposition']), cacheControl: headers['cache-control'], contentEncoding: headers['content-encoding'],
    contentLanguage: headers['content-language'], expires: headers['expires'], storageClass: headers['x-oss-storage-class'],
    encryption: headers['x-oss-server-side-encryption'], kmsKeyId: headers['x-oss-server-side-encryption-key-id'],
  }).toEqual({
    disposition, cacheControl: 'max-age=3600', contentEncoding: 'gzip', contentLanguage: 'zh-CN', expires: 'Tue, 06 May 2031 07:08:09 GMT',
    storageClass: 'IA', encryption: 'KMS', kmsKeyId: 'test-key-1',
  });
  expect((await ali().getACL(key)).acl).toBe(expected.acl);
  expect((await ali().getObjectTagging(key)).tag).toEqual(expected.tags);
}

describe.each(['v4', 'v1'] as const)('object headers with signature %s, read back by ali-oss', (signatureVersion) => {
  it('a small file goes by PutObject with every header', async () => {
    const key = uniqueKey(`headers-put-${signatureVersion}`);
    await uploaderFor(server, { signatureVersion }).upload(new Blob([testBytes(1000)]), key, options);
    await expectStoredWith(key);
  });

  it('a multipart upload sends them at Initiate (and the ACL again at Complete)', async () => {
    const key = uniqueKey(`headers-multipart-${signatureVersion}`);
    const parts: number[] = [];
    await uploaderFor(server, { signatureVersion, partSize: minPart, multipartThreshold: 0 })
      .upload(new Blob([testBytes(2 * minPart + 5)]), key, { ...options, onPartComplete: (p) => parts.push(p.partNumber) });
    expect(parts.sort()).toEqual([1, 2, 3]);
    await expectStoredWith(key);
  });

  it('copy() writes the target with the source\'s headers, ACL and tags', async () => {
    const source = uniqueKey(`headers-copy-src-${signatureVersion}`);
    const target = uniqueKey(`headers-copy-dst-${signatureVersion}`);
    const uploader = uploaderFor(server, { signatureVersion, partSize: minPart });
    await uploader.upload(new Blob([testBytes(minPart + 7)]), source, { ...options, acl: 'private', contentType: 'application/pdf' });
    await copyObject(uploader, source, target);
    await expectStoredWith(target, { ...options, acl: 'private' });
    expect((await uploader.client.headObject(target)).contentType).toBe('application/pdf');
  });

  it('headObject decodes metadata and Content-Disposition and reports the other headers', async () => {
    const key = uniqueKey(`headers-head-${signatureVersion}`);
    const uploader = uploaderFor(server, { signatureVersion });
    await uploader.upload(new Blob(['x']), key, options);
    expect(await uploader.client.headObject(key)).toMatchObject({
      metadata: options.metadata, contentDisposition: disposition, cacheControl: 'max-age=3600', contentEncoding: 'gzip',
      contentLanguage: 'zh-CN', expires: 'Tue, 06 May 2031 07:08:09 GMT', storageClass: 'IA', serverSideEncryption: 'KMS', kmsKeyId: 'test-key-1',
    });
    expect(await uploader.client.getObjectAcl(key)).toBe('public-read');
    expect(await uploader.client.getObjectTagging(key)).toEqual(options.tags);
  });

  it('a Content-Disposition string and metadata beyond ASCII are stored as their UTF-8 bytes', async () => {
    const key = uniqueKey(`headers-utf8-${signatureVersion}`);
    const metadata = { a: 'Ünïcödé', b: '中文 😀 end' };
    await uploaderFor(server, { signatureVersion }).upload(new Blob(['x']), key, { metadata, contentDisposition: 'inline; filename="résumé.pdf"' });
    const { res: { headers } } = await ali().head(key);
    expect([utf8(headers['x-oss-meta-a']), utf8(headers['x-oss-meta-b'])]).toEqual(Object.values(metadata));
    expect(Buffer.from(headers['content-disposition']!, 'latin1')).toEqual(Buffer.from('inline; filename="résumé.pdf"'));
  });

  it('a value whose last byte is 0xA0 (`à` is C3 A0) is signed with that byte, as it goes on the wire', async () => {
    // The server must trim only spaces and tabs (HTTP whitespace), not 0xA0 as String#trim does.
    const key = uniqueKey(`headers-a0-${signatureVersion}`);
    await uploaderFor(server, { signatureVersion }).upload(new Blob(['x']), key, { metadata: { word: 'voilà' } });
    expect(utf8((await ali().head(key)).res.headers['x-oss-meta-word'])).toBe('voilà');
  });

  it('the low-level client takes them at putObject and initiateMultipartUpload; the ACL at Complete wins', async () => {
    const client = clientFor(server, { signatureVersion });
    const put = uniqueKey(`headers-client-put-${signatureVersion}`);
    await client.putObject(put, 'hello', options);
    await expectStoredWith(put);
    const multipart = uniqueKey(`headers-client-mpu-${signatureVersion}`);
    const { uploadId } = await client.initiateMultipartUpload(multipart, options);
    const part = await client.uploadPart(multipart, uploadId, 1, new Blob(['x']));
    await client.completeMultipartUpload(multipart, uploadId, [{ partNumber: 1, etag: part.etag }], { acl: 'private' });
    await expectStoredWith(multipart, { ...options, acl: 'private' });
  });
});

describe('the ACL of a resumed upload', () => {
  it('is journalled at Initiate and sent at Complete when the resuming call gives none', async () => {
    const store = createMemoryStore();
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1, store });
    const key = uniqueKey('headers-resume-acl');
    const file = new Blob([testBytes(3 * minPart)]);
    const controller = new AbortController();
    const paused = await rejectionOf(uploader.upload(file, key, { acl: 'private', signal: controller.signal, onPartComplete: () => controller.abort() }));
    expect(paused).toBe(controller.signal.reason);
    const [record] = await store.list();
    expect(record?.acl).toBe('private');
    const resumed: boolean[] = [];
    await uploader.upload(file, key, { onResume: (info) => resumed.push(info.resumed) });
    expect(resumed).toEqual([true]);
    expect((await ali().getACL(key)).acl).toBe('private');
  });
});
