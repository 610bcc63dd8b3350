/**
 * `uploader.upload()` and `copyObject(uploader)` against the real local OSS server over HTTP: sizes from
 * 0 B to 64 MiB with V4 and V1 signatures, metadata, Content-Type and CRC-64 round trips, progress
 * and part events, pause by AbortSignal, server-side copy and upload callbacks. Every object is read
 * back with the official ali-oss client and compared by MD5.
 */
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../server/src/crc64.js';
import { copyObject, crc64 as crc64Check, OssError, OssServiceError, type CompletedPart, type UploadPhase, type UploadProgress } from '../../src/index.js';
import {
  aliFor, control, md5, MiB, minPart, rejectionOf, startFaultServer, storedMd5, testBytes, uniqueKey, uploaderFor, type TestServer,
} from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;
let tmp: string;

beforeAll(async () => {
  server = await startFaultServer();
  ctl = control(server);
  tmp = await mkdtemp(join(tmpdir(), 'oss-it-upload-'));
});
afterAll(async () => {
  await server?.dispose();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await ctl.clearFaults();
});

const phaseOrder: Record<UploadPhase, number> = { hashing: 0, uploading: 1, completing: 2, done: 3 };

/** Asserts that no figure of a progress sequence ever moves backwards, and that it ends at 100 %. */
function expectMonotonicToDone(events: readonly UploadProgress[], totalBytes: number, totalParts: number): void {
  expect(events.length).toBeGreaterThan(0);
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1]!, events[i]!];
    expect(phaseOrder[b.phase], `phase at event ${i}`).toBeGreaterThanOrEqual(phaseOrder[a.phase]);
    expect(b.transferredBytes, `transferredBytes at event ${i}`).toBeGreaterThanOrEqual(a.transferredBytes);
    expect(b.completedParts, `completedParts at event ${i}`).toBeGreaterThanOrEqual(a.completedParts);
    expect(b.percent, `percent at event ${i}`).toBeGreaterThanOrEqual(a.percent);
  }
  for (const e of events) {
    expect(e.totalBytes).toBe(totalBytes);
    expect(e.totalParts).toBe(totalParts);
    expect(e.percent).toBeGreaterThanOrEqual(0);
    expect(e.percent).toBeLessThanOrEqual(100);
  }
  const last = events.at(-1)!;
  expect(last).toMatchObject({ phase: 'done', percent: 100, transferredBytes: totalBytes, completedParts: totalParts });
}

describe.each(['v4', 'v1'] as const)('upload sizes with signature %s, read back by MD5', (signatureVersion) => {
  const cases = [
    { name: '0 B', size: 0, partSize: undefined, parts: 0 },
    { name: '1 B', size: 1, partSize: undefined, parts: 0 },
    { name: '100 KB − 1 (102399 B)', size: minPart - 1, partSize: minPart, parts: 0 },
    { name: 'an exact multiple of the part size (3 × 102400 B)', size: 3 * minPart, partSize: minPart, parts: 3 },
  ];
  it.each(cases)('$name', async ({ size, partSize, parts }) => {
    const uploader = uploaderFor(server, { signatureVersion, ...(partSize ? { partSize } : {}) });
    const bytes = testBytes(size, size + 7);
    const key = uniqueKey(`size-${signatureVersion}-${size}`);
    const seen: CompletedPart[] = [];
    const result = await uploader.upload(new Blob([bytes]), key, { onPartComplete: (p) => seen.push(p) });
    expect(result).toMatchObject({ key, size });
    expect(result.requestId).toMatch(/\S/);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    // The SDK reads it back identically.
    const got = await uploader.client.getObject(key);
    expect(got.size).toBe(size);
    expect(md5(await got.body.arrayBuffer())).toBe(md5(bytes));
    expect(got.etag).toBe(result.etag);

    const log = await ctl.log(key);
    const uploads = log.filter((e) => e.op === 'UploadPart');
    if (parts === 0) {
      // Below the multipart threshold: one PutObject (the ETag is the plain MD5).
      expect(log.filter((e) => e.op === 'PutObject').map((e) => e.status)).toEqual([200]);
      expect(uploads).toHaveLength(0);
      expect(result.etag.replaceAll('"', '').toUpperCase()).toBe(md5(bytes));
    } else {
      expect(uploads.map((e) => e.partNumber).sort((a, b) => a! - b!)).toEqual([1, 2, 3]);
      expect(uploads.every((e) => e.status === 200 && e.bytesIn === minPart)).toBe(true);
      expect(seen.map((p) => p.size)).toEqual([minPart, minPart, minPart]); // no empty 4th part
      expect(result.etag).toMatch(/-3"$/);
    }
  });

  it('multipartThreshold 0: a 1-byte file goes multipart as one part; a 0-byte file still uses PutObject', async () => {
    const uploader = uploaderFor(server, { signatureVersion, multipartThreshold: 0 });
    const one = uniqueKey(`threshold-${signatureVersion}-1`);
    const result = await uploader.upload(new Blob([Uint8Array.of(42)]), one);
    expect(result.etag).toMatch(/-1"$/);
    expect(await storedMd5(server, one)).toBe(md5(Uint8Array.of(42)));
    const empty = uniqueKey(`threshold-${signatureVersion}-0`);
    await uploader.upload(new Blob([]), empty);
    expect((await ctl.log(empty)).map((e) => e.op)).toContain('PutObject');
    expect(await storedMd5(server, empty)).toBe(md5(new Uint8Array(0)));
  });

  it('64 MiB with the automatic part size: an uploader that has not measured its link yet cuts it into 16 parts of 4 MiB', { timeout: 60_000 }, async () => {
    const uploader = uploaderFor(server, { signatureVersion });
    const bytes = randomBytes(64 * MiB);
    const key = uniqueKey(`size-${signatureVersion}-64MiB`);
    let file: Blob = new Blob([bytes]);
    if (signatureVersion === 'v1') {
      // Node's file-backed Blob, as apps would pass from disk.
      const path = join(tmp, 'big.bin');
      await writeFile(path, bytes);
      file = await openAsBlob(path);
    }
    const parts: CompletedPart[] = [];
    const result = await uploader.upload(file, key, { onPartComplete: (p) => parts.push(p) });
    expect(result).toMatchObject({ key, size: 64 * MiB });
    expect(result.etag).toMatch(/-16"$/);
    expect(parts.map((p) => p.partNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(parts.every((p) => p.size === 4 * MiB)).toBe(true);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});

describe.each(['v4', 'v1'] as const)('awkward keys with signature %s', (signatureVersion) => {
  it.each([
    'it/unicode 文件 ünï.bin', 'it/plus+and%percent~tilde.bin', "it/sym !$&'()*,;=@.bin", `it/${'long-'.repeat(150)}.bin`,
  ])('%s (multipart), and uploader.copy from it', async (key) => {
    const uploader = uploaderFor(server, { signatureVersion, partSize: minPart });
    const bytes = testBytes(2 * minPart + 3, key.length);
    await uploader.upload(new Blob([bytes]), key);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    const copy = `${key}.copy`;
    await copyObject(uploader, key, copy);
    expect(await storedMd5(server, copy)).toBe(md5(bytes));
  });
});

describe('object attributes', () => {
  it.each([
    { path: 'multipart', size: 2 * minPart + 5 },
    { path: 'single PutObject', size: 1000 },
  ])('metadata and Content-Type round-trip ($path)', async ({ size }) => {
    const uploader = uploaderFor(server, { partSize: minPart });
    const bytes = testBytes(size, 3);
    const key = uniqueKey('meta');
    await uploader.upload(new Blob([bytes]), key, { contentType: 'video/mp4', metadata: { owner: 'x', 'team-name': 'uploads' } });
    const head = await uploader.client.headObject(key);
    expect(head.contentType).toBe('video/mp4');
    expect(head.metadata).toEqual({ owner: 'x', 'team-name': 'uploads' });
    expect(head.size).toBe(size);
    // The official client sees the same.
    const ali = await aliFor(server).head(key);
    expect(ali.meta).toEqual({ owner: 'x', 'team-name': 'uploads' });
    expect(ali.res.headers['content-type']).toBe('video/mp4');
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it.each([
    { path: 'multipart', size: 2 * minPart },
    { path: 'single PutObject', size: 10 },
  ])('forbidOverwrite refuses to replace an existing object with 409 FileAlreadyExists ($path)', async ({ size }) => {
    const uploader = uploaderFor(server, { partSize: minPart });
    const key = uniqueKey('forbid');
    const first = testBytes(size, 1);
    await uploader.upload(new Blob([first]), key, { forbidOverwrite: true });
    const error = await rejectionOf(uploader.upload(new Blob([testBytes(size, 2)]), key, { forbidOverwrite: true }));
    expect(error).toBeInstanceOf(OssServiceError);
    expect(error).toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    expect(await storedMd5(server, key)).toBe(md5(first));
  });

  it.each([
    { path: 'multipart', size: 3 * minPart + 1 },
    { path: 'single PutObject', size: 99 },
  ])('contentMd5: false uploads without hashing ($path)', async ({ size }) => {
    const uploader = uploaderFor(server, { partSize: minPart, contentMd5: false });
    const key = uniqueKey('no-md5');
    const bytes = testBytes(size, 17);
    const result = await uploader.upload(new Blob([bytes]), key);
    expect(result.size).toBe(size);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('takes the Content-Type from a File when none is given', async () => {
    const uploader = uploaderFor(server, { partSize: minPart });
    const key = uniqueKey('file-type');
    await uploader.upload(new File([testBytes(3 * minPart, 9)], 'notes.txt', { type: 'text/plain' }), key);
    expect((await uploader.client.headObject(key)).contentType).toBe('text/plain');
  });

  it.each([
    { path: 'multipart', size: 3 * minPart + 17 },
    { path: 'single PutObject', size: 4321 },
  ])('CRC-64 on returns the object CRC the server reports ($path)', async ({ size }) => {
    const uploader = uploaderFor(server, { partSize: minPart, crc64: crc64Check });
    const bytes = testBytes(size, 11);
    const key = uniqueKey('crc');
    const result = await uploader.upload(new Blob([bytes]), key);
    const ali = await aliFor(server).head(key);
    expect(result.crc64).toBeDefined();
    expect(result.crc64).toBe(ali.res.headers['x-oss-hash-crc64ecma']);
    expect(result.crc64).toBe(crc64(bytes).toString()); // and the CRC-64/XZ of the bytes
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});

describe('progress and part events', () => {
  it('is monotonic, reaches done at 100 %, shows every part and is throttled to ~10/s', async () => {
    const partCount = 6;
    const size = partCount * minPart - 1000;
    const key = uniqueKey('progress');
    // Slow every part down (150 ms > the 100 ms throttle) so each part must show up on its own.
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 150 });
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1 });
    const events: Array<UploadProgress & { at: number }> = [];
    const parts: CompletedPart[] = [];
    const bytes = testBytes(size, 5);
    const started = Date.now();
    await uploader.upload(new Blob([bytes]), key, {
      onProgress: (p) => events.push({ ...p, at: Date.now() }),
      onPartComplete: (p) => parts.push(p),
    });
    const elapsed = Date.now() - started;
    expect(await storedMd5(server, key)).toBe(md5(bytes));

    expectMonotonicToDone(events, size, partCount);
    expect(events.map((e) => e.phase).filter((p, i, all) => p !== all[i - 1])).toEqual(['hashing', 'uploading', 'completing', 'done']);
    // At least once per part: every count of completed parts was reported.
    expect([...new Set(events.map((e) => e.completedParts))]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(events.some((e) => e.phase === 'uploading' && e.completedParts === 3 && e.transferredBytes === 3 * minPart)).toBe(true);
    // At most every 100 ms (phase changes are delivered at once; the rest is throttled).
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.phase === events[i - 1]!.phase) expect(events[i]!.at - events[i - 1]!.at, `gap before event ${i}`).toBeGreaterThanOrEqual(95);
    }
    expect(events.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 4);
    // Speed and ETA become measurable once parts are acknowledged; nothing is left at the end.
    expect(events.some((e) => e.phase === 'uploading' && e.completedParts >= 2 && e.bytesPerSecond > 0 && e.etaSeconds !== undefined && e.etaSeconds > 0)).toBe(true);
    expect(events.at(-1)!.etaSeconds).toBe(0);

    // onPartComplete: once per part, with its size and an ETag that is the MD5 of its bytes.
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6]);
    parts.forEach((p, i) => {
      const slice = bytes.subarray(i * minPart, Math.min(size, (i + 1) * minPart));
      expect(p.size).toBe(slice.length);
      expect(p.etag.replaceAll('"', '').toUpperCase()).toBe(md5(slice));
    });
  });

  it('reports a 0-byte upload as one part, done at 100 %', async () => {
    const events: UploadProgress[] = [];
    const key = uniqueKey('progress-empty');
    await uploaderFor(server).upload(new Blob([]), key, { onProgress: (p) => events.push(p) });
    expectMonotonicToDone(events, 0, 1);
  });
});

describe('pause by AbortSignal', () => {
  it('rejects with exactly signal.reason, keeps the multipart upload on the server, and abortMultipartUpload removes it', async () => {
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 2 });
    const key = uniqueKey('pause');
    const controller = new AbortController();
    const bytes = testBytes(10 * minPart, 21);
    const error = await rejectionOf(uploader.upload(new Blob([bytes]), key, {
      signal: controller.signal,
      onPartComplete: (p) => {
        if (p.partNumber === 2) controller.abort();
      },
    }));
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');

    const listed = await uploader.client.listMultipartUploads({ prefix: key });
    expect(listed.uploads.map((u) => u.key)).toEqual([key]);
    const uploadId = listed.uploads[0]!.uploadId;
    const kept = await uploader.client.listAllParts(key, uploadId);
    expect(kept.map((p) => p.partNumber)).toContain(2);
    expect(kept.length).toBeLessThan(10);
    // The object was not created.
    expect(await rejectionOf(uploader.client.headObject(key))).toMatchObject({ status: 404, code: 'NoSuchKey' });

    await uploader.client.abortMultipartUpload(key, uploadId);
    expect((await uploader.client.listMultipartUploads({ prefix: key })).uploads).toEqual([]);
    expect(await rejectionOf(uploader.client.listParts(key, uploadId))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
  });

  it('an already aborted signal rejects with its reason before any request', async () => {
    const uploader = uploaderFor(server, { partSize: minPart });
    const key = uniqueKey('pre-aborted');
    const reason = new Error('not now');
    await expect(uploader.upload(new Blob([testBytes(3 * minPart)]), key, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(await ctl.log(key)).toEqual([]);
  });

  it('cancelling one upload does not affect another running on the same uploader', async () => {
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 2 });
    const keyA = uniqueKey('cancel-a');
    const keyB = uniqueKey('cancel-b');
    // Both are slow enough to overlap.
    await ctl.addFaults(
      { op: 'UploadPart', key: keyA, times: 0, action: 'delay', delayMs: 100 },
      { op: 'UploadPart', key: keyB, times: 0, action: 'delay', delayMs: 60 },
    );
    const bytesA = testBytes(8 * minPart, 31);
    const bytesB = testBytes(8 * minPart + 99, 32);
    const controller = new AbortController();
    const reason = new Error('user cancelled A');
    const partsB: number[] = [];
    let bDoneWhenAAborted: number | undefined;
    const a = uploader.upload(new Blob([bytesA]), keyA, {
      signal: controller.signal,
      onPartComplete: (p) => {
        if (p.partNumber === 1) {
          bDoneWhenAAborted = partsB.length;
          controller.abort(reason);
        }
      },
    });
    const b = uploader.upload(new Blob([bytesB]), keyB, { onPartComplete: (p) => partsB.push(p.partNumber) });
    expect(await rejectionOf(a)).toBe(reason);
    const resultB = await b;
    expect(bDoneWhenAAborted).toBeLessThan(9); // B was still running when A stopped
    expect(resultB.size).toBe(bytesB.length);
    expect(partsB.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await storedMd5(server, keyB)).toBe(md5(bytesB));
    expect(await rejectionOf(uploader.client.headObject(keyA))).toMatchObject({ status: 404 });
  });
});

describe('server-side copy', () => {
  it('uploader.copy of a multi-part object gives equal bytes, Content-Type and metadata', async () => {
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 3 });
    const source = uniqueKey('copy-src');
    const target = uniqueKey('copy-dst');
    const bytes = testBytes(3 * minPart + 12_345, 41);
    await uploader.upload(new Blob([bytes]), source, { contentType: 'image/png', metadata: { owner: 'x' } });
    const events: UploadProgress[] = [];
    const result = await copyObject(uploader, source, target, { onProgress: (p) => events.push(p) });
    expect(result).toMatchObject({ key: target, size: bytes.length });
    expect(result.etag).toMatch(/-4"$/);
    expect(await storedMd5(server, target)).toBe(md5(bytes));
    const head = await uploader.client.headObject(target);
    expect(head).toMatchObject({ contentType: 'image/png', metadata: { owner: 'x' }, size: bytes.length });
    const copies = (await ctl.log(target)).filter((e) => e.op === 'UploadPartCopy');
    expect(copies.map((e) => e.partNumber).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4]);
    expect(copies.every((e) => e.bytesIn === 0)).toBe(true); // no bytes went through the client
    expectMonotonicToDone(events, bytes.length, 4);
  });

  it('uploader.copy of a 0-byte object', async () => {
    const uploader = uploaderFor(server);
    const source = uniqueKey('copy-empty-src');
    const target = uniqueKey('copy-empty-dst');
    await uploader.upload(new Blob([]), source, { contentType: 'text/plain' });
    const result = await copyObject(uploader, source, target);
    expect(result.size).toBe(0);
    const head = await uploader.client.headObject(target);
    expect(head).toMatchObject({ size: 0, contentType: 'text/plain' });
  });

  it('aborting uploader.copy rejects with signal.reason and removes its multipart upload', async () => {
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1 });
    const source = uniqueKey('copy-abort-src');
    const target = uniqueKey('copy-abort-dst');
    await uploader.client.putObject(source, testBytes(6 * minPart, 44));
    await ctl.addFaults({ op: 'UploadPartCopy', key: target, times: 0, action: 'delay', delayMs: 120 });
    const controller = new AbortController();
    const reason = new Error('stop copying');
    const error = await rejectionOf(copyObject(uploader, source, target, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.completedParts >= 1) controller.abort(reason);
      },
    }));
    expect(error).toBe(reason);
    expect((await uploader.client.listMultipartUploads({ prefix: target })).uploads).toEqual([]);
    expect(await rejectionOf(uploader.client.headObject(target))).toMatchObject({ status: 404 });
  });

  it('client.uploadPartCopy with explicit ranges, then Complete, stores exactly those ranges', async () => {
    const uploader = uploaderFor(server, { partSize: minPart });
    const { client } = uploader;
    const source = uniqueKey('range-src');
    const target = uniqueKey('range-dst');
    const bytes = testBytes(300_000, 43);
    await client.putObject(source, bytes);
    const { uploadId } = await client.initiateMultipartUpload(target);
    // Every part but the last must be ≥ 100 KB; ranges may overlap and come in any order.
    const ranges = [{ start: 10_000, end: 160_000 }, { start: 150_000, end: 300_000 }, { start: 0, end: 1 }];
    const parts = [];
    for (const [i, range] of ranges.entries()) {
      const copied = await client.uploadPartCopy(target, uploadId, i + 1, { sourceKey: source, range });
      expect(copied.etag.replaceAll('"', '').toUpperCase()).toBe(md5(bytes.subarray(range.start, range.end)));
      parts.push({ partNumber: i + 1, etag: copied.etag });
    }
    await client.completeMultipartUpload(target, uploadId, parts);
    const expected = Buffer.concat(ranges.map((r) => bytes.subarray(r.start, r.end)));
    expect(await storedMd5(server, target)).toBe(md5(expected));
    expect((await client.headObject(target)).size).toBe(150_000 + 150_000 + 1);
  });
});

describe('upload callback', () => {
  type Received = { body: string; contentType: string | undefined };
  let callbackServer: Server;
  let callbackUrl: string;
  const received: Received[] = [];
  let answer: (res: ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    callbackServer = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), contentType: req.headers['content-type'] });
        answer(res);
      });
    });
    await new Promise<void>((done) => callbackServer.listen(0, '127.0.0.1', done));
    callbackUrl = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/uploaded`;
  });
  afterAll(async () => {
    await new Promise((done) => callbackServer?.close(done));
  });

  const json = (status: number, value: unknown) => (res: ServerResponse) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  it.each([
    { path: 'multipart (Complete)', size: 2 * minPart + 3 },
    { path: 'single PutObject', size: 777 },
  ])('success: callbackResult is the callback server JSON, which got object, size and the custom var ($path)', async ({ size }) => {
    const reply = { ok: true, id: 42, note: 'stored by app' };
    answer = json(200, reply);
    received.length = 0;
    const uploader = uploaderFor(server, { partSize: minPart });
    const key = uniqueKey('callback');
    const bytes = testBytes(size, 51);
    const result = await uploader.upload(new Blob([bytes]), key, {
      callback: { url: callbackUrl, body: 'bucket=${bucket}&object=${object}&size=${size}&owner=${x:owner}', customVars: { owner: 'team-x' } },
    });
    expect(result.callbackResult).toEqual(reply);
    expect(result.size).toBe(size);
    expect(received).toHaveLength(1);
    const form = new URLSearchParams(received[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ bucket: 'demo', object: key, size: String(size), owner: 'team-x' });
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('a callback server answering 500 rejects with 203 CallbackFailed, and the object is stored', async () => {
    answer = json(500, { error: 'boom' });
    received.length = 0;
    const uploader = uploaderFor(server, { partSize: minPart });
    const key = uniqueKey('callback-fail');
    const bytes = testBytes(2 * minPart + 9, 52);
    const error = await rejectionOf(uploader.upload(new Blob([bytes]), key, {
      callback: { url: callbackUrl, body: '{"object":${object}}', bodyType: 'application/json' },
    }));
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]!.body)).toEqual({ object: key });
    expect(error).toBeInstanceOf(OssServiceError);
    expect(error).toMatchObject({ status: 203, code: 'CallbackFailed', operation: 'CompleteMultipartUpload' });
    expect((error as OssServiceError).requestId).toMatch(/\S/);
    expect((error as Error).message).toMatch(/stored/i); // the error says the object was stored
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('the single-PutObject path also reports CallbackFailed as an error', async () => {
    answer = json(500, { error: 'boom' });
    const uploader = uploaderFor(server);
    const key = uniqueKey('callback-fail-put');
    const bytes = testBytes(500, 53);
    const error = await rejectionOf(uploader.upload(new Blob([bytes]), key, { callback: { url: callbackUrl, body: 'object=${object}' } }));
    expect(error).toBeInstanceOf(OssError);
    expect(error).toMatchObject({ status: 203, code: 'CallbackFailed', operation: 'PutObject' });
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});
