/**
 * The SDK in real Chromium (issue 3, "E2E in Chromium"): a vite-served page imports `createUploader`
 * from the TypeScript sources, and uploads a 64 MiB file picked through its `<input type=file>` to
 * the local OSS server with Content-MD5 on every part. The stored object is read back in Node with
 * the official ali-oss client and compared by MD5.
 *
 * Proof that hashing ran in workers, not on the page's main thread (see main-thread-probe.ts):
 * 1. Nothing on the main thread read a single byte of the picked file by any script-visible API.
 * 2. Every part's byte range was posted to a Web Worker, and the worker answered with the MD5 of
 *    exactly those bytes — the very value the UploadPart request carried as Content-MD5 (read off
 *    the wire, and recomputed in Node from the file on disk).
 * 3. The hashing code (`hash-worker.ts`, spark-md5) was never even loaded into the page: vite serves
 *    every module as its own request, and neither was requested.
 * 4. Chromium started as many dedicated workers as the SDK's default pool size for the reported
 *    `navigator.hardwareConcurrency`.
 * A control test forces the SDK's inline fallback (no `Worker`) and shows that the same probe and
 * module check do catch hashing on the main thread, so the proof can fail.
 */
import { choosePartSize } from '../src/core/part-size.js';
import { expect, test } from './support/fixtures.js';
import { installMainThreadProbe, readMainThreadProbe, type ProbeReport } from './support/main-thread-probe.js';
import { createTestFile, type TestFile } from './support/test-file.js';
import {
  openUploadPage, pickFile, recordOssRequests, runUpload, type OssRequest, type RunUploadOptions, type RunUploadOutcome,
} from './support/upload-page.js';
import type { Page, TestInfo } from '@playwright/test';

const MiB = 1024 * 1024;
const bucket = 'demo';
const region = 'cn-hangzhou';

type PartRange = { partNumber: number; start: number; end: number };

function partRanges(size: number, partSize: number): PartRange[] {
  const parts: PartRange[] = [];
  for (let start = 0, partNumber = 1; start < size; start += partSize, partNumber++) {
    parts.push({ partNumber, start, end: Math.min(start + partSize, size) });
  }
  return parts;
}

/** The SDK's documented default pool size: clamp(hardwareConcurrency − 1, 1, 4). */
function defaultWorkerCount(hardwareConcurrency: number): number {
  return Math.min(Math.max(hardwareConcurrency - 1, 1), 4);
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '').toUpperCase();

/** Module requests of the page's main thread that carry the hashing code. */
const hashingModule = /\/hash-worker\.ts(\?|$)|spark-md5/;

/** Watches which script modules the page loads and how many dedicated workers Chromium starts. */
function watchPage(page: Page) {
  const scripts: string[] = [];
  const workers: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
  });
  page.on('worker', (worker) => workers.push(worker.url()));
  return { scripts, workers };
}

async function attachJson(testInfo: TestInfo, name: string, value: unknown): Promise<void> {
  await testInfo.attach(name, { body: JSON.stringify(value, null, 2), contentType: 'application/json' });
}

async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

function expectSuccessful(outcome: RunUploadOutcome): Extract<RunUploadOutcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`The upload failed in the page: ${outcome.error.name}: ${outcome.error.message}\n${outcome.error.stack ?? ''}`);
  return outcome;
}

/** The stored object is the picked file, and the SDK's result and progress say so. */
async function expectStoredObject(
  oss: { objectMd5(key: string): Promise<{ md5: string; size: number; etag: string | undefined }> },
  file: TestFile, key: string, partSize: number, outcome: Extract<RunUploadOutcome, { ok: true }>,
): Promise<void> {
  const parts = partRanges(file.size, partSize);
  const { result, progress } = outcome;
  expect(result.key).toBe(key);
  expect(result.size).toBe(file.size);
  expect(unquote(result.etag)).toBe(file.multipartEtag(partSize));

  const stored = await oss.objectMd5(key);
  expect(stored.size).toBe(file.size);
  expect(stored.md5).toBe(file.md5Hex());
  expect(unquote(stored.etag)).toBe(file.multipartEtag(partSize));

  // onPartComplete: once per part, with the part's own MD5 as ETag.
  expect(outcome.parts.map((p) => p.partNumber).sort((a, b) => a - b)).toEqual(parts.map((p) => p.partNumber));
  for (const part of outcome.parts) {
    const range = parts[part.partNumber - 1]!;
    expect(part.size).toBe(range.end - range.start);
    expect(unquote(part.etag)).toBe(file.md5Hex(range.start, range.end).toUpperCase());
  }

  // onProgress: monotonic, ends at 'done' / 100 %.
  expect(progress.length).toBeGreaterThanOrEqual(2);
  for (let i = 1; i < progress.length; i++) {
    expect(progress[i]!.transferredBytes).toBeGreaterThanOrEqual(progress[i - 1]!.transferredBytes);
    expect(progress[i]!.percent).toBeGreaterThanOrEqual(progress[i - 1]!.percent);
    expect(progress[i]!.completedParts).toBeGreaterThanOrEqual(progress[i - 1]!.completedParts);
  }
  expect(progress.map((p) => p.phase)).toContain('uploading');
  expect(progress.at(-1)).toMatchObject({ phase: 'done', percent: 100, transferredBytes: file.size, completedParts: parts.length, totalParts: parts.length });
}

/** UploadPart requests, each with the Content-MD5 of its own slice of the file. */
function expectContentMd5OnEveryPart(requests: readonly OssRequest[], file: TestFile, partSize: number): Map<number, string> {
  const parts = partRanges(file.size, partSize);
  const uploadParts = requests.filter((r) => r.method === 'PUT' && r.url.searchParams.has('partNumber') && r.url.searchParams.has('uploadId'));
  const sent = new Map<number, string>();
  for (const request of uploadParts) {
    const partNumber = Number(request.url.searchParams.get('partNumber'));
    const range = parts[partNumber - 1];
    expect(range, `UploadPart #${partNumber} is one of the planned parts`).toBeDefined();
    const md5 = request.headers['content-md5'];
    expect(md5, `UploadPart #${partNumber} carries Content-MD5`).toBe(file.md5Base64(range!.start, range!.end));
    sent.set(partNumber, md5!);
  }
  expect([...sent.keys()].sort((a, b) => a - b)).toEqual(parts.map((p) => p.partNumber));
  return sent;
}

/** The four-point proof that every part was hashed in a worker and nothing read the file on the main thread. */
function expectHashedInWorkers(
  report: ProbeReport, watched: { scripts: readonly string[]; workers: readonly string[] }, file: TestFile, partSize: number,
  contentMd5: ReadonlyMap<number, string>, workersOption: number | undefined,
): void {
  // 1. Not one byte of the file was read by script on the main thread.
  expect(report.mainThreadReads).toEqual([]);

  // 2. Every part's exact byte range went to a worker, whose reply is the Content-MD5 that was sent.
  // (The fingerprint's sample of the first/middle/last 64 KiB is a separate job of kind 'sample',
  // also hashed in a worker: once at the start, once more before Complete to catch a changed file.)
  const sampleJobs = report.jobs.filter((job) => job.blob?.fromPickedFile === true && job.kind === 'sample');
  expect(sampleJobs.length, 'the fingerprint sample was hashed in a worker').toBeLessThanOrEqual(2);
  const fileJobs = report.jobs.filter((job) => job.blob?.fromPickedFile === true && job.kind !== 'sample');
  const parts = partRanges(file.size, partSize);
  expect(fileJobs.length).toBeGreaterThanOrEqual(parts.length);
  for (const job of fileJobs) {
    expect(parts.some((p) => p.start === job.blob!.start && p.end === job.blob!.end), `a worker job hashes one whole part, got [${job.blob!.start}, ${job.blob!.end})`).toBe(true);
  }
  for (const part of parts) {
    const jobs = fileJobs.filter((job) => job.blob!.start === part.start && job.blob!.end === part.end);
    expect(jobs.length, `part ${part.partNumber} was posted to a worker`).toBeGreaterThanOrEqual(1);
    const digests = jobs.map((job) => report.replies.find((reply) => reply.worker === job.worker && reply.id === job.id));
    for (const reply of digests) {
      expect(reply, `the worker answered the job for part ${part.partNumber}`).toBeDefined();
      expect(reply!.error).toBeUndefined();
      expect(reply!.md5Base64, `the worker's MD5 of part ${part.partNumber} is the MD5 of its bytes`).toBe(file.md5Base64(part.start, part.end));
      expect(reply!.md5Base64, `UploadPart #${part.partNumber} sent the worker's digest`).toBe(contentMd5.get(part.partNumber));
    }
  }

  // 3. The hashing code never entered the page's main thread.
  expect(watched.scripts.filter((path) => hashingModule.test(path))).toEqual([]);
  expect(watched.scripts.some((path) => path.endsWith('/src/hashing/hash-pool.ts'))).toBe(true); // the check looks at the right requests

  // 4. Real dedicated workers: as many as asked for, else the SDK's default for this machine.
  const expectedWorkers = workersOption ?? defaultWorkerCount(report.hardwareConcurrency);
  expect(report.workerApi).toBe(true);
  expect(expectedWorkers).toBeGreaterThan(0);
  expect(report.workers.length).toBe(expectedWorkers);
  for (const worker of report.workers) expect(worker.url).toMatch(/^blob:/);
  expect(watched.workers.length).toBe(report.workers.length);
  expect(new Set(fileJobs.map((job) => job.worker)).size).toBe(Math.min(expectedWorkers, parts.length));
}

test.describe('SDK upload of a picked file in Chromium', () => {
  let file: TestFile;

  test.beforeAll(async () => {
    file = await createTestFile(64 * MiB, 'video-64MiB.bin');
  });

  test.afterAll(async () => {
    await file?.dispose();
  });

  const variants = [
    { title: 'path style, STS from a backend function, V4, default worker pool', pathStyle: true, signatureVersion: 'v4', credentials: 'backend', workers: undefined },
    { title: 'virtual-hosted demo.localhost, static root keys, V1, 3 workers', pathStyle: false, signatureVersion: 'v1', credentials: 'root', workers: 3 },
  ] as const;

  for (const variant of variants) {
    test(`64 MiB with MD5 hashed in workers — ${variant.title}`, async ({ page, oss, pages }, testInfo) => {
      const partSize = choosePartSize(file.size, undefined); // `partSize: 'auto'` on an uploader that has not measured its link yet
      const key = `e2e/${variant.pathStyle ? 'path' : 'virtual'}/${variant.signatureVersion}/video 64MiB+ü.bin`;
      const watched = watchPage(page);
      await installMainThreadProbe(page);
      const session = await openUploadPage(page, pages, oss);
      await pickFile(page, file.path);
      const wire = recordOssRequests(page, [oss.endpoint, `http://${bucket}.localhost:${oss.server.port}`]);

      const options: RunUploadOptions = {
        endpoint: oss.endpoint, bucket, region, key, pathStyle: variant.pathStyle, signatureVersion: variant.signatureVersion,
        credentials: variant.credentials === 'backend' ? 'backend' : { accessKeyId: oss.server.accessKeyId, accessKeySecret: oss.server.accessKeySecret },
        ...(variant.workers === undefined ? {} : { workers: variant.workers }),
      };
      const started = Date.now();
      const outcome = expectSuccessful(await runUpload(page, options));
      const elapsed = Date.now() - started;
      const requests = await wire.settled();
      await saveScreenshot(page, testInfo, 'after-upload');
      testInfo.annotations.push({
        type: 'timing',
        description: `${file.size / MiB} MiB in ${outcome.elapsedMs} ms in the page (${elapsed} ms end to end), ` +
          `${((file.size / MiB) / (outcome.elapsedMs / 1000)).toFixed(1)} MiB/s`,
      });

      // Every request went to the addressing style asked for.
      const expectedOrigin = variant.pathStyle ? oss.endpoint : `http://${bucket}.localhost:${oss.server.port}`;
      expect(requests.length).toBeGreaterThan(0);
      for (const request of requests) {
        expect(request.url.origin).toBe(expectedOrigin);
        if (variant.pathStyle) expect(request.url.pathname.startsWith(`/${bucket}/`)).toBe(true);
      }
      if (variant.credentials === 'backend') {
        expect(session.stsCalls()).toBe(1); // cached: one backend call for the whole upload
        for (const request of requests) expect(request.headers['x-oss-security-token']).toBeTruthy();
      }

      await expectStoredObject(oss, file, key, partSize, outcome);
      const contentMd5 = expectContentMd5OnEveryPart(requests, file, partSize);
      const report = await readMainThreadProbe(page);
      await attachJson(testInfo, 'main-thread-probe.json', { report, scripts: watched.scripts, workers: watched.workers });
      expectHashedInWorkers(report, watched, file, partSize, contentMd5, variant.workers);
    });
  }

  test('control: the probe catches hashing on the main thread (SDK forced inline, no Worker)', async ({ page, oss, pages }, testInfo) => {
    const small = await createTestFile(3 * MiB + 12_345, 'small.bin');
    try {
      const partSize = 1 * MiB;
      const key = 'e2e/control/inline.bin';
      const watched = watchPage(page);
      await page.addInitScript(() => {
        delete (window as { Worker?: unknown }).Worker;
      });
      await installMainThreadProbe(page);
      await openUploadPage(page, pages, oss);
      await pickFile(page, small.path);
      const wire = recordOssRequests(page, [oss.endpoint]);
      const outcome = expectSuccessful(await runUpload(page, {
        endpoint: oss.endpoint, bucket, region, key, pathStyle: true, signatureVersion: 'v4', credentials: 'backend', partSize,
      }));
      const requests = await wire.settled();
      await saveScreenshot(page, testInfo, 'after-inline-upload');
      await expectStoredObject(oss, small, key, partSize, outcome);
      expectContentMd5OnEveryPart(requests, small, partSize);

      const report = await readMainThreadProbe(page);
      await attachJson(testInfo, 'main-thread-probe.json', { report, scripts: watched.scripts, workers: watched.workers });
      expect(report.workerApi).toBe(false);
      expect(report.workers).toEqual([]);
      expect(report.jobs).toEqual([]);
      // The probe saw the main thread read every byte of every part…
      expect(report.mainThreadReads.length).toBeGreaterThan(0);
      for (const part of partRanges(small.size, partSize)) {
        const covered = report.mainThreadReads
          .filter((read) => read.start >= part.start && read.end <= part.end)
          .reduce((bytes, read) => bytes + (read.end - read.start), 0);
        expect(covered, `main-thread reads of part ${part.partNumber}`).toBeGreaterThanOrEqual(part.end - part.start);
      }
      // …and the module check saw the hashing code come into the page.
      expect(watched.scripts.filter((path) => hashingModule.test(path)).length).toBeGreaterThan(0);
      expect(watched.workers).toEqual([]);
    } finally {
      await small.dispose();
    }
  });
});
