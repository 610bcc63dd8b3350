/**
 * Real-Chromium proof that the local OSS server's CORS lets a page on another origin use presigned
 * URLs: ETag and x-oss-request-id are readable, preflighted x-oss-* headers pass, and error
 * responses stay readable (docs/protocol.md §4: without CORS headers on errors the browser hides
 * status and body). URLs are presigned in Node by the official ali-oss client, so nothing here
 * depends on our SDK's signing.
 *
 * Then the SDK itself against misconfigured bucket rules (issue 13): rules set through PutBucketCors
 * that hide `ETag`, or that do not allow a request header the SDK sends, make an upload from the
 * e2e upload page fail in Chromium exactly as it would on a real bucket so configured — and the
 * SDK's error says which rule is missing as far as the browser lets it know.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { createOssServer } from '../server/src/server.js';
import { startOss, type E2eOss } from './support/oss.js';
import { ossControl } from './support/oss-control.js';
import { startPageServer, type PageServer } from './support/pages.js';
import { createTestFile, type TestFile } from './support/test-file.js';
import { openUploadPage, pickFile, recordOssRequests, runUpload, type RunUploadOutcome } from './support/upload-page.js';

const accessKeyId = 'oss-local-ak';
const accessKeySecret = 'oss-local-sk';
const bucket = 'demo';

/** The slice of ali-oss 6.x used here; the package ships no type declarations. */
type AliOssClient = {
  signatureUrl(name: string, options?: Record<string, unknown>): string;
  signatureUrlV4(
    method: string,
    expiresSeconds: number,
    request?: { headers?: Record<string, string> },
    objectName?: string,
  ): Promise<string>;
  head(name: string): Promise<{ status: number; meta: Record<string, string> | null }>;
};
type AliOssConstructor = new (options: Record<string, unknown>) => AliOssClient;

// CommonJS package without types: loading it through require keeps the strict tsconfig honest.
const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as AliOssConstructor;

type PageFetchInit = { method: string; headers?: Record<string, string>; body?: number[] };
type PageFetchResult = {
  status: number;
  etag: string | null;
  requestId: string | null;
  crc64: string | null;
  bytes: number[];
};

/** Runs fetch inside the page, so the browser enforces CORS on the request and on reading the response. */
async function pageFetch(page: Page, url: string, init: PageFetchInit): Promise<PageFetchResult> {
  return page.evaluate(
    async ({ url, init }) => {
      const response = await fetch(url, {
        method: init.method,
        headers: init.headers ?? {},
        ...(init.body ? { body: new Uint8Array(init.body) } : {}),
      });
      return {
        status: response.status,
        etag: response.headers.get('ETag'),
        requestId: response.headers.get('x-oss-request-id'),
        crc64: response.headers.get('x-oss-hash-crc64ecma'),
        bytes: [...new Uint8Array(await response.arrayBuffer())],
      };
    },
    { url, init },
  );
}

function upperMd5Etag(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex').toUpperCase()}"`;
}

/** Every byte value, a few times over, so the round trip is checked byte for byte. */
function sampleBytes(seed: number): Uint8Array {
  return Uint8Array.from({ length: 4096 }, (_, index) => (index * 31 + seed) % 256);
}

let ossServer: Awaited<ReturnType<typeof createOssServer>>;
let pageServer: Server;
let pageOrigin: string;
let dataDir: string;
/** Path style, `http://localhost:PORT/demo/<key>`; ali-oss refuses IP hosts for presigning. */
let pathStyle: AliOssClient;
/** Virtual-hosted style, `http://demo.localhost:PORT/<key>`. */
let virtualHosted: AliOssClient;

test.beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'oss-resumable-cors-'));
  ossServer = await createOssServer({ port: 0, dataDir, buckets: [bucket], accessKeyId, accessKeySecret });
  const endpoint = `http://localhost:${ossServer.port}`;
  const common = { endpoint, bucket, accessKeyId, accessKeySecret, region: 'oss-cn-hangzhou' };
  pathStyle = new OSS({ ...common, sldEnable: true });
  virtualHosted = new OSS(common);

  // A second origin (different port) for the page, so every request to the OSS server is cross-origin.
  pageServer = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>CORS probe</title><p>CORS probe</p>');
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => {
    if (pageServer) {
      pageServer.close(() => resolve());
    } else {
      resolve();
    }
  });
  await ossServer?.close();
  if (dataDir) {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.beforeEach(async ({ page }) => {
  await page.goto(`${pageOrigin}/`);
});

test('presigned PUT exposes the ETag and request id, and presigned GET returns the bytes', async ({ page }) => {
  const key = 'cors/path-style.txt';
  const body = sampleBytes(1);
  const putUrl = pathStyle.signatureUrl(key, { method: 'PUT', 'Content-Type': 'text/plain', expires: 600 });
  expect(new URL(putUrl).pathname).toBe(`/${bucket}/cors/path-style.txt`);

  const put = await pageFetch(page, putUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain' },
    body: [...body],
  });
  expect(put.status).toBe(200);
  expect(put.etag).toBe(upperMd5Etag(body));
  expect(put.requestId).toBeTruthy();
  expect(put.crc64).toMatch(/^\d+$/);

  const get = await pageFetch(page, pathStyle.signatureUrl(key, { method: 'GET', expires: 600 }), { method: 'GET' });
  expect(get.status).toBe(200);
  expect(get.etag).toBe(upperMd5Etag(body));
  expect(get.crc64).toBe(put.crc64);
  expect(Buffer.from(get.bytes).equals(Buffer.from(body))).toBe(true);
});

test('an invalid signature is a readable 403 SignatureDoesNotMatch with a request id', async ({ page }) => {
  const url = new URL(pathStyle.signatureUrl('cors/anything.txt', { method: 'GET', expires: 600 }));
  const signature = url.searchParams.get('Signature') ?? '';
  // Flip one base64 character, so the signature stays well formed but wrong.
  url.searchParams.set('Signature', (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1));

  const result = await pageFetch(page, url.href, { method: 'GET' });
  expect(result.status).toBe(403);
  expect(result.requestId).toBeTruthy();
  const xml = Buffer.from(result.bytes).toString('utf8');
  expect(xml).toContain('<Code>SignatureDoesNotMatch</Code>');
  expect(xml).toContain(`<RequestId>${result.requestId}</RequestId>`);
});

test('a preflighted PUT with a custom x-oss-meta-* header passes', async ({ page }) => {
  const key = 'cors/with-meta.txt';
  const body = sampleBytes(2);
  const putUrl = pathStyle.signatureUrl(key, {
    method: 'PUT',
    'Content-Type': 'text/plain',
    'x-oss-meta-foo': 'bar',
    expires: 600,
  });

  const put = await pageFetch(page, putUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain', 'x-oss-meta-foo': 'bar' },
    body: [...body],
  });
  expect(put.status).toBe(200);
  expect(put.etag).toBe(upperMd5Etag(body));

  // The metadata header is not CORS-exposed, so read it back in Node through ali-oss.
  const head = await pathStyle.head(key);
  expect(head.status).toBe(200);
  expect(head.meta).toMatchObject({ foo: 'bar' });
});

test('virtual-hosted <bucket>.localhost URLs work from the page', async ({ page }) => {
  const key = 'cors/virtual-hosted.txt';
  const body = sampleBytes(3);
  const putUrl = virtualHosted.signatureUrl(key, { method: 'PUT', 'Content-Type': 'text/plain', expires: 600 });
  expect(new URL(putUrl).host).toBe(`${bucket}.localhost:${ossServer.port}`);

  const put = await pageFetch(page, putUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain' },
    body: [...body],
  });
  expect(put.status).toBe(200);
  expect(put.etag).toBe(upperMd5Etag(body));

  const get = await pageFetch(page, virtualHosted.signatureUrl(key, { method: 'GET', expires: 600 }), {
    method: 'GET',
  });
  expect(get.status).toBe(200);
  expect(Buffer.from(get.bytes).equals(Buffer.from(body))).toBe(true);
});

test('V4 presigned URLs work from the page', async ({ page }) => {
  const key = 'cors/v4.txt';
  const body = sampleBytes(4);
  const putUrl = await pathStyle.signatureUrlV4('PUT', 600, { headers: { 'Content-Type': 'text/plain' } }, key);

  const put = await pageFetch(page, putUrl, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain' },
    body: [...body],
  });
  expect(put.status).toBe(200);
  expect(put.etag).toBe(upperMd5Etag(body));

  const get = await pageFetch(page, await pathStyle.signatureUrlV4('GET', 600, {}, key), { method: 'GET' });
  expect(get.status).toBe(200);
  expect(Buffer.from(get.bytes).equals(Buffer.from(body))).toBe(true);
});

/** A rule as ali-oss's `putBucketCORS` takes it. */
type AliCorsRule = { allowedOrigin: string | string[]; allowedMethod: string | string[]; allowedHeader?: string | string[]; exposeHeader?: string | string[]; maxAgeSeconds?: string };
type CorsAdmin = {
  putBucketCORS(name: string, rules: AliCorsRule[]): Promise<{ res: { status: number } }>;
  listUploads(query: object): Promise<{ uploads: Array<{ name: string; uploadId: string }> | null }>;
  listParts(name: string, uploadId: string): Promise<{ parts: unknown }>;
};

/** The README's recommended rule, but for the one field each misconfigured bucket gets wrong. */
const allMethods = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
const misconfigured: Record<string, AliCorsRule> = {
  // ETag left out of ExposeHeader: every answer arrives, but the browser hides its ETag from the page.
  'no-etag': { allowedOrigin: '*', allowedMethod: allMethods, allowedHeader: '*', exposeHeader: ['x-oss-request-id', 'x-oss-hash-crc64ecma'], maxAgeSeconds: '600' },
  // AllowedHeader lists headers one by one and misses Content-MD5, which the SDK sends with every part.
  'no-md5': { allowedOrigin: '*', allowedMethod: allMethods, allowedHeader: ['authorization', 'content-type', 'x-oss-*'], exposeHeader: ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma'], maxAgeSeconds: '600' },
};

test.describe('misconfigured bucket rules fail the SDK in the browser as they do on OSS', () => {
  let oss: E2eOss;
  let pages: PageServer;
  let file: TestFile;

  test.beforeAll(async () => {
    // `faults` only for the request log, which shows what reached the server.
    oss = await startOss({ buckets: ['demo', ...Object.keys(misconfigured)], faults: true });
    pages = await startPageServer();
    file = await createTestFile(300 * 1024, 'cors-probe.bin');
    for (const [name, rule] of Object.entries(misconfigured)) {
      // Set the way an operator would on OSS: PutBucketCors through the official client.
      const put = await (oss.client(name) as unknown as CorsAdmin).putBucketCORS(name, [rule]);
      expect(put.res.status).toBe(200);
    }
  });

  test.afterAll(async () => {
    await file?.dispose();
    await pages?.close();
    await oss?.dispose();
  });

  /** Uploads the 300 KiB file in three 100 KiB parts, without retries (a CORS rejection is not transient). */
  async function upload(page: Page, bucket: string): Promise<RunUploadOutcome> {
    await openUploadPage(page, pages, oss);
    await pickFile(page, file.path);
    return runUpload(page, {
      endpoint: oss.endpoint, bucket, region: 'cn-hangzhou', pathStyle: true, signatureVersion: 'v4',
      key: `cors/${bucket}.bin`, credentials: 'backend', partSize: 100 * 1024, retry: 0,
    });
  }

  test('control: the same upload succeeds on a bucket with the README rule', async ({ page }) => {
    const outcome = await upload(page, 'demo');
    expect(outcome.ok, outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}`).toBe(true);
    expect((await oss.objectMd5('cors/demo.bin')).md5).toBe(file.md5Hex());
  });

  test('ETag not in ExposeHeader: the part is stored, the page cannot read its ETag, the SDK names the rule', async ({ page }) => {
    const parts: Array<{ status: number; etag: string | undefined }> = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (response.request().method() === 'PUT' && url.searchParams.has('partNumber')) {
        parts.push({ status: response.status(), etag: response.headers()['etag'] });
      }
    });
    const outcome = await upload(page, 'no-etag');
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.name).toBe('OssError');
    expect(outcome.error.message).toMatch(/^UploadPart #\d+ succeeded but its ETag header is not readable: is `ETag` in the bucket's CORS ExposeHeaders\?$/);
    // The server did answer 200 with an ETag (Playwright sees the wire): only the page was denied it.
    expect(parts.length).toBeGreaterThan(0);
    for (const part of parts) {
      expect(part.status).toBe(200);
      expect(part.etag).toMatch(/^"[0-9A-F]{32}"$/);
    }
  });

  test('Content-MD5 not in AllowedHeader: the part preflight is refused and no part reaches the server', async ({ page }) => {
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const control = ossControl(oss);
    const since = await control.mark();
    const failedParts: string[] = [];
    page.on('requestfailed', (request) => {
      if (request.method() === 'PUT' && new URL(request.url()).searchParams.has('partNumber')) failedParts.push(request.failure()?.errorText ?? '');
    });
    const sent = recordOssRequests(page, [oss.endpoint]);
    const outcome = await upload(page, 'no-md5');
    const requests = await sent.settled();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    // The browser reports a CORS refusal as a bare network error, with no status and no body, so
    // the SDK names the rule the request needed: its method and the headers it sent, Content-MD5 among them.
    expect(outcome.error.name).toBe('OssNetworkError');
    expect(outcome.error.message).toMatch(/the bucket's CORS rule must allow this origin, AllowedMethod PUT and AllowedHeader [^)]*\bcontent-md5\b/);
    // Initiate (no Content-MD5) went through; the parts failed in the browser and none reached the server.
    expect(requests.some((r) => r.method === 'POST' && r.url.searchParams.has('uploads'))).toBe(true);
    expect(failedParts.length).toBeGreaterThan(0);
    const admin = oss.client('no-md5') as unknown as CorsAdmin;
    const { uploads } = await admin.listUploads({ prefix: 'cors/no-md5.bin' });
    for (const { name, uploadId } of uploads ?? []) expect((await admin.listParts(name, uploadId)).parts ?? []).toEqual([]);
    // The refusal on the wire, as OSS answers it: each part's preflight got 403 AccessForbidden.
    const log = await control.log(since);
    const partPreflights = log.filter((e) => e.op === 'Options' && e.partNumber !== undefined);
    expect(partPreflights.length).toBeGreaterThan(0);
    for (const entry of partPreflights) expect([entry.status, entry.code]).toEqual([403, 'AccessForbidden']);
    expect(log.filter((e) => e.op === 'UploadPart')).toEqual([]);
    // Chromium's own report: with 403 and no CORS headers it cannot say which header was refused either.
    expect(consoleErrors.some((text) => text.includes('/no-md5/cors/no-md5.bin?partNumber=') &&
      text.includes("has been blocked by CORS policy: Response to preflight request doesn't pass access control check"))).toBe(true);
  });
});
