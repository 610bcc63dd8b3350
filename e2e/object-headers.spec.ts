/**
 * Object headers from real Chromium (issue 13, items 11 and 12): a file picked in the upload page is
 * uploaded with metadata beyond ASCII (`报告.pdf`), an RFC 6266 Content-Disposition, Cache-Control,
 * Content-Language, Expires, storage class, ACL and tags, through PutObject and through a multipart
 * upload, with V4 and V1 signatures. What went over the wire is read off the requests, what was
 * stored is read back in Node by the official ali-oss client, and the page's own `headObject`
 * decodes the metadata it is allowed to see (the bucket's CORS rule exposes it).
 */
import { recommendedCorsRule } from '../server/src/cors.js';
import type { ObjectHeaderOptions } from '../src/index.js';
import { expect, test } from './support/fixtures.js';
import { createTestFile, type TestFile } from './support/test-file.js';
import { openUploadPage, pickFile, recordOssRequests, runUpload, type RunUploadOptions } from './support/upload-page.js';

const bucket = 'demo';
const KiB = 1024;

const exposed = ['x-oss-meta-name', 'x-oss-meta-note', 'Content-Disposition', 'x-oss-storage-class'];
test.use({ ossOptions: { corsRules: [{ ...recommendedCorsRule(['*']), exposeHeaders: [...recommendedCorsRule(['*']).exposeHeaders, ...exposed] }] } });

const objectOptions = {
  metadata: { name: '报告.pdf', note: 'café ☕ 😀' },
  contentDisposition: { type: 'attachment', filename: '报告 2024.pdf' },
  cacheControl: 'no-cache',
  contentLanguage: 'zh-CN',
  expires: 'Tue, 06 May 2031 07:08:09 GMT',
  storageClass: 'IA',
  acl: 'private',
  tags: { project: '报告 1' },
} as const satisfies ObjectHeaderOptions & { metadata: Record<string, string> };

const disposition = "attachment; filename=\"__ 2024.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%202024.pdf";

type Ali = {
  head(key: string): Promise<{ res: { headers: Record<string, string> } }>;
  getACL(key: string): Promise<{ acl: string }>;
  getObjectTagging(key: string): Promise<{ tag: Record<string, string> }>;
};

/** Node hands header bytes over as Latin-1 characters; the bytes are UTF-8. */
const utf8 = (value: string | undefined) => (value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8'));

/** The byte each windows-1252 character stands for: how Chromium (through Playwright) shows request header bytes. */
const cp1252High = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ'; // 0x80–0x9F; the rest is Latin-1
const cp1252 = new Map(Array.from({ length: 256 }, (_, byte) => [byte >= 0x80 && byte < 0xa0 ? cp1252High[byte - 0x80]! : String.fromCharCode(byte), byte]));
const sentBytes = (value: string | undefined) => Buffer.from(Array.from(value ?? '', (c) => cp1252.get(c) ?? Number.NaN));

test.describe('object headers from Chromium, read back by ali-oss', () => {
  let file: TestFile;
  test.beforeAll(async () => {
    file = await createTestFile(300 * KiB, 'report.bin');
  });
  test.afterAll(async () => {
    await file?.dispose();
  });

  const variants = [
    { title: 'PutObject, V4', signatureVersion: 'v4', partSize: undefined, writes: 'PUT' },
    { title: 'multipart, V1', signatureVersion: 'v1', partSize: 100 * KiB, writes: 'POST' },
  ] as const;

  for (const variant of variants) {
    test(`metadata 报告.pdf and every header — ${variant.title}`, async ({ page, oss, pages }) => {
      const key = `e2e/headers/${variant.signatureVersion}/报告.bin`;
      await openUploadPage(page, pages, oss);
      await pickFile(page, file.path);
      const wire = recordOssRequests(page, [oss.endpoint]);
      const options: RunUploadOptions = {
        endpoint: oss.endpoint, bucket, region: 'cn-hangzhou', key, pathStyle: true, signatureVersion: variant.signatureVersion,
        credentials: { accessKeyId: oss.server.accessKeyId, accessKeySecret: oss.server.accessKeySecret },
        ...(variant.partSize === undefined ? {} : { partSize: variant.partSize }), objectOptions,
      };
      const outcome = await runUpload(page, options);
      if (!outcome.ok) throw new Error(`The upload failed in the page: ${outcome.error.name}: ${outcome.error.message}`);
      expect(outcome.parts.length).toBe(variant.partSize === undefined ? 0 : 3);

      // On the wire: the UTF-8 bytes of the value, as Chromium sent them.
      const requests = await wire.settled();
      const write = requests.find((r) => r.method === variant.writes && (variant.writes === 'PUT' || r.url.search === '?uploads'));
      expect(sentBytes(write?.headers['x-oss-meta-name'])).toEqual(Buffer.from('报告.pdf'));
      expect(write?.headers['content-disposition']).toBe(disposition);

      // Stored: read back in Node by ali-oss.
      const ali = oss.client() as unknown as Ali;
      const { res: { headers } } = await ali.head(key);
      expect({
        name: utf8(headers['x-oss-meta-name']), note: utf8(headers['x-oss-meta-note']), disposition: headers['content-disposition'],
        cacheControl: headers['cache-control'], language: headers['content-language'], expires: headers['expires'], storageClass: headers['x-oss-storage-class'],
      }).toEqual({
        name: '报告.pdf', note: 'café ☕ 😀', disposition, cacheControl: 'no-cache', language: 'zh-CN', expires: objectOptions.expires, storageClass: 'IA',
      });
      expect((await ali.getACL(key)).acl).toBe('private');
      expect((await ali.getObjectTagging(key)).tag).toEqual(objectOptions.tags);
      expect((await oss.objectMd5(key)).md5).toBe(file.md5Hex());

      // Read back in the page: XMLHttpRequest hands over the bytes as Latin-1 too; the SDK decodes them.
      const info = await page.evaluate(([opts, k]) => window.uploadPage!.head(opts, k), [options, key] as const);
      expect(info).toMatchObject({ metadata: objectOptions.metadata, contentDisposition: disposition, storageClass: 'IA', cacheControl: 'no-cache' });
    });
  }

  test('a header value no request can carry fails at the call as a TypeError naming it, before any request', async ({ page, oss, pages }) => {
    await openUploadPage(page, pages, oss);
    await pickFile(page, file.path);
    const wire = recordOssRequests(page, [oss.endpoint]);
    const outcome = await runUpload(page, {
      endpoint: oss.endpoint, bucket, region: 'cn-hangzhou', key: 'e2e/headers/bad.bin', pathStyle: true, signatureVersion: 'v4',
      credentials: { accessKeyId: oss.server.accessKeyId, accessKeySecret: oss.server.accessKeySecret },
      objectOptions: { metadata: { name: 'a\r\nb' } },
    });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toMatchObject({ name: 'TypeError', message: expect.stringContaining('`metadata.name`') });
    expect(await wire.settled()).toEqual([]);
  });
});
