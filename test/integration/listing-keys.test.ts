/**
 * The SDK's listing calls (`createOssClient`) against the real server, for keys XML 1.0 cannot carry
 * or that XML would mangle: control characters, CR, leading/trailing spaces, `+`, `%`, `&`. The SDK
 * asks for `encoding-type=url` and decodes, so every key comes back exactly as it was written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, startServer, testBytes, type TestServer } from './setup.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.dispose();
});

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe.each(['v4', 'v1'] as const)('ListParts / ListMultipartUploads with awkward keys (%s)', (signatureVersion) => {
  const prefix = `sdk-${signatureVersion}/ctl/`;
  const keys = [
    `${prefix}a\u0001b`, `${prefix}c\u001f d`, `${prefix}e\u007ff`, `${prefix}g\rh\ti\nj`, `${prefix} lead+trail `, `${prefix}x%2Fy&<>'"`,
  ].sort(byUtf8);
  const uploads = new Map<string, string>();

  beforeAll(async () => {
    const client = clientFor(server, { signatureVersion });
    for (const key of keys) uploads.set(key, (await client.initiateMultipartUpload(key)).uploadId);
  });

  afterAll(async () => {
    const client = clientFor(server, { signatureVersion });
    for (const [key, uploadId] of uploads) await client.abortMultipartUpload(key, uploadId);
  });

  it('listMultipartUploads reads every key back, and pages with the decoded markers', async () => {
    const client = clientFor(server, { signatureVersion });
    const all = await client.listMultipartUploads({ prefix });
    expect(all.uploads.map((u) => [u.key, u.uploadId])).toEqual(keys.map((key) => [key, uploads.get(key)]));
    expect(all.prefix).toBe(prefix);

    const paged: string[] = [];
    let keyMarker = '';
    let uploadIdMarker = '';
    for (let i = 0; i <= keys.length; i++) {
      const page = await client.listMultipartUploads({ prefix, maxUploads: 1, ...(keyMarker ? { keyMarker, uploadIdMarker } : {}) });
      paged.push(...page.uploads.map((u) => u.key));
      if (!page.isTruncated) break;
      expect(page.nextKeyMarker).toBe(page.uploads[0]!.key);
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
    expect(paged).toEqual(keys);

    const grouped = await client.listMultipartUploads({ prefix, delimiter: '\u0001' });
    expect(grouped.delimiter).toBe('\u0001');
    expect(grouped.commonPrefixes).toEqual([`${prefix}a\u0001`]);
    expect(grouped.uploads.map((u) => u.key)).toEqual(keys.filter((k) => !k.startsWith(`${prefix}a\u0001`)));
  });

  it('listParts and listAllParts name the key exactly', async () => {
    const client = clientFor(server, { signatureVersion });
    for (const key of keys) {
      const uploadId = uploads.get(key)!;
      await client.uploadPart(key, uploadId, 1, new Blob([testBytes(10, 3)]));
      const page = await client.listParts(key, uploadId);
      expect(page.key).toBe(key);
      expect(page.parts.map((p) => p.partNumber)).toEqual([1]);
      expect((await client.listAllParts(key, uploadId)).map((p) => p.size)).toEqual([10]);
    }
  });
});
