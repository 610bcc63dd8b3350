/**
 * The low-level client (`createOssClient`) called directly against the real server: multipart
 * calls, ListParts paging by hand and across more than 1,000 parts, ListMultipartUploads by prefix,
 * single-object calls, service errors with their request ids, and presigned URLs fetched with the
 * global fetch.
 */
import { describe, expect, it } from 'vitest';
import { OssError, OssNetworkError, OssServiceError } from '../../src/index.js';
import { clientFor, control, md5, minPart, rejectionOf, useFaultServer, startServer, storedMd5, testBytes, uniqueKey, type TestServer } from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;

useFaultServer((started, controller) => {
  server = started;
  ctl = controller;
});

/** Runs `fn` for 1..count, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, fn: (n: number) => Promise<void>): Promise<void> {
  let next = 1;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next <= count) await fn(next++);
  }));
}

describe.each(['v4', 'v1'] as const)('multipart calls (%s)', (signatureVersion) => {
  it('initiate, uploadPart, listParts, complete: the object is the parts in order', async () => {
    const client = clientFor(server, { signatureVersion });
    const key = uniqueKey(`client-${signatureVersion}`);
    const { uploadId, requestId } = await client.initiateMultipartUpload(key, { contentType: 'text/csv', metadata: { owner: 'x' } });
    expect(uploadId).toMatch(/^\S+$/);
    expect(requestId).toMatch(/\S/);
    const chunks = [testBytes(minPart, 1), testBytes(minPart + 10, 2), testBytes(7, 3)];
    // Uploaded out of order; Complete lists them in part-number order.
    const etags: Array<{ partNumber: number; etag: string }> = [];
    for (const i of [2, 0, 1]) {
      const sent = await client.uploadPart(key, uploadId, i + 1, new Blob([chunks[i]!]));
      expect(sent.etag.replaceAll('"', '').toUpperCase()).toBe(md5(chunks[i]!));
      etags.push({ partNumber: i + 1, etag: sent.etag });
    }
    const page = await client.listParts(key, uploadId);
    expect(page.parts.map((p) => [p.partNumber, p.size, p.etag])).toEqual(
      [1, 2, 3].map((n) => [n, chunks[n - 1]!.length, etags.find((e) => e.partNumber === n)!.etag]),
    );
    expect(page.isTruncated).toBe(false);
    const done = await client.completeMultipartUpload(key, uploadId, etags);
    expect(done.etag).toMatch(/-3"$/);
    expect(await storedMd5(server, key)).toBe(md5(Buffer.concat(chunks)));
    expect(await client.headObject(key)).toMatchObject({ contentType: 'text/csv', metadata: { owner: 'x' }, size: 2 * minPart + 17 });
  });
});

describe('ListParts paging', () => {
  it('maxParts 2 with partNumberMarker pages through the parts', async () => {
    const client = clientFor(server);
    const key = uniqueKey('paging');
    const { uploadId } = await client.initiateMultipartUpload(key);
    for (let n = 1; n <= 5; n++) await client.uploadPart(key, uploadId, n, new Blob([testBytes(3, n)]));
    const first = await client.listParts(key, uploadId, { maxParts: 2 });
    expect(first.parts.map((p) => p.partNumber)).toEqual([1, 2]);
    expect(first).toMatchObject({ isTruncated: true, nextPartNumberMarker: 2, maxParts: 2, uploadId, key });
    const second = await client.listParts(key, uploadId, { maxParts: 2, partNumberMarker: first.nextPartNumberMarker });
    expect(second.parts.map((p) => p.partNumber)).toEqual([3, 4]);
    expect(second).toMatchObject({ isTruncated: true, nextPartNumberMarker: 4, partNumberMarker: 2 });
    const last = await client.listParts(key, uploadId, { maxParts: 2, partNumberMarker: 4 });
    expect(last.parts.map((p) => p.partNumber)).toEqual([5]);
    expect(last.isTruncated).toBe(false);
    await client.abortMultipartUpload(key, uploadId);
  });

  it('listAllParts returns every part in order across pages of 1,000, fetched in parallel with expectedParts', { timeout: 30_000 }, async () => {
    const client = clientFor(server);
    const key = uniqueKey('many-parts');
    // 1..1100 without 700 (a gap makes page 0 reach into page 1's range), plus 2500 (beyond any hint).
    const numbers = [...Array.from({ length: 1100 }, (_, i) => i + 1).filter((n) => n !== 700), 2500];
    const { uploadId } = await client.initiateMultipartUpload(key);
    // Parts may be tiny until Complete; this upload is never completed.
    await inParallel(numbers.length, 16, async (i) => {
      const n = numbers[i - 1]!;
      await client.uploadPart(key, uploadId, n, new Blob([new Uint8Array([n & 0xff])]));
    });
    const sequential = await client.listAllParts(key, uploadId);
    expect(sequential.map((p) => p.partNumber)).toEqual(numbers);
    expect(sequential.every((p) => p.size === 1)).toBe(true);
    expect((await ctl.log(key)).filter((e) => e.op === 'ListParts')).toHaveLength(2);
    for (const expectedParts of [1, 999, 1100, 2000, 3000, 10_000]) {
      expect((await client.listAllParts(key, uploadId, { expectedParts })).map((p) => p.partNumber), `expectedParts ${expectedParts}`).toEqual(numbers);
    }
    // With a hint of 10,000 the ten pages (markers 0 … 9,000) went out together, not one after another.
    const log = (await ctl.log(key)).filter((e) => e.op === 'ListParts');
    expect(log).toHaveLength(2 + 2 + 2 + 2 + 2 + 3 + 10);
    // Each ListParts held 1 s by the server: 8 pages one after another would take 8 s, 4 at a time 2 s.
    await ctl.addFaults({ op: 'ListParts', key, times: 0, action: 'delay', delayMs: 1000 });
    const started = Date.now();
    expect(await client.listAllParts(key, uploadId, { expectedParts: 8000 })).toHaveLength(numbers.length);
    expect(Date.now() - started).toBeLessThan(5000);
    await ctl.clearFaults();
    await client.abortMultipartUpload(key, uploadId);
    expect(await rejectionOf(client.listAllParts(key, uploadId, { expectedParts: 3000 }))).toMatchObject({ status: 404, code: 'NoSuchUpload', operation: 'ListParts' });
  });
});

describe('ListMultipartUploads', () => {
  it('lists the uploads under a prefix only, and abort removes them', async () => {
    const client = clientFor(server);
    const prefix = `it/lmu-${Date.now().toString(36)}/`;
    const inside = [`${prefix}a.bin`, `${prefix}b/c.bin`, `${prefix}a.bin`];
    const outside = `${prefix.slice(0, -1)}-other/d.bin`;
    const ids = [];
    for (const key of inside) ids.push({ key, uploadId: (await client.initiateMultipartUpload(key)).uploadId });
    const other = await client.initiateMultipartUpload(outside);
    const listed = await client.listMultipartUploads({ prefix });
    expect(listed.uploads.map((u) => [u.key, u.uploadId]).sort()).toEqual(ids.map((u) => [u.key, u.uploadId]).sort());
    expect(listed.prefix).toBe(prefix);
    const byDelimiter = await client.listMultipartUploads({ prefix, delimiter: '/' });
    expect(byDelimiter.commonPrefixes).toEqual([`${prefix}b/`]);
    expect(byDelimiter.uploads.map((u) => u.key)).toEqual([`${prefix}a.bin`, `${prefix}a.bin`]);
    for (const u of ids) await client.abortMultipartUpload(u.key, u.uploadId);
    expect((await client.listMultipartUploads({ prefix })).uploads).toEqual([]);
    await client.abortMultipartUpload(outside, other.uploadId);
  });
});

describe('single-object calls and errors', () => {
  it('putObject, getObject (whole and a range), deleteObject', async () => {
    const client = clientFor(server);
    const key = uniqueKey('object');
    const bytes = testBytes(5000, 81);
    const put = await client.putObject(key, bytes, { contentType: 'application/x-test', metadata: { owner: 'x' } });
    expect(put.etag.replaceAll('"', '').toUpperCase()).toBe(md5(bytes));
    const got = await client.getObject(key);
    expect(md5(await got.body.arrayBuffer())).toBe(md5(bytes));
    expect(got).toMatchObject({ contentType: 'application/x-test', metadata: { owner: 'x' }, etag: put.etag });
    const range = await client.getObject(key, { range: { start: 100, end: 300 } });
    expect(md5(await range.body.arrayBuffer())).toBe(md5(bytes.subarray(100, 300)));
    await client.deleteObject(key);
    expect(await rejectionOf(client.headObject(key))).toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('headObject of a missing key: OssServiceError 404 NoSuchKey with the request id', async () => {
    const client = clientFor(server);
    const key = uniqueKey('missing');
    const error = await rejectionOf(client.headObject(key));
    expect(error).toBeInstanceOf(OssServiceError);
    const e = error as OssServiceError;
    expect(e).toMatchObject({ name: 'OssServiceError', status: 404, code: 'NoSuchKey', operation: 'HeadObject', method: 'HEAD' });
    const logged = (await ctl.log(key)).filter((x) => x.op === 'HeadObject');
    expect(logged).toHaveLength(1); // a 404 is not retried
    expect(e.requestId).toBe(logged[0]!.requestId);
    expect(e.message).toContain(logged[0]!.requestId);
  });

  it('getObject of a missing key says NoSuchKey, with the request id of the <Error> document', async () => {
    const error = await rejectionOf(clientFor(server).getObject(uniqueKey('missing-get')));
    expect(error).toMatchObject({ status: 404, code: 'NoSuchKey', operation: 'GetObject' });
    expect((error as OssServiceError).requestId).toMatch(/^[0-9A-F]{24}$/);
  });

  it('a wrong secret is SignatureDoesNotMatch, not retried', async () => {
    const client = clientFor(server, { credentials: { accessKeyId: server.accessKeyId, accessKeySecret: 'wrong' } });
    const key = uniqueKey('bad-sig');
    expect(await rejectionOf(client.putObject(key, 'x'))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', operation: 'PutObject' });
    expect(await ctl.log(key)).toHaveLength(1);
  });

  it('no server at the endpoint: OssNetworkError with the cause, after the retries', async () => {
    const gone = await startServer();
    const client = clientFor(gone, { retry: { limit: 2, baseDelayMs: 5, maxDelayMs: 10 } });
    await gone.dispose();
    const error = await rejectionOf(client.headObject('anything'));
    expect(error).toBeInstanceOf(OssNetworkError);
    expect(error).toBeInstanceOf(OssError);
    expect(error).toMatchObject({ name: 'OssNetworkError', operation: 'HeadObject', timedOut: false });
    expect((error as Error).cause).toBeDefined();
    expect((error as Error).message).toMatch(/^HeadObject failed: network error/);
  });

  it.each(['v4', 'v1'] as const)('presignUrl GET (%s) is fetched with the global fetch', async (signatureVersion) => {
    const client = clientFor(server, { signatureVersion });
    const key = `it/presign ${signatureVersion} ünï+%~.bin`;
    const bytes = testBytes(2048, 82);
    await client.putObject(key, bytes);
    const url = await client.presignUrl(key, { expires: 600 });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(md5(new Uint8Array(await response.arrayBuffer()))).toBe(md5(bytes));
    // A tampered URL is refused.
    const tampered = url.replace(/(Signature=|x-oss-signature=)(.)/i, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
    expect(tampered).not.toBe(url);
    expect((await fetch(tampered)).status).toBe(403);
  });
});
