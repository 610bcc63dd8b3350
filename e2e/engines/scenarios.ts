/**
 * The scenarios of `npm run test:engines` (issue 14, point 2), written once against the
 * engine-agnostic driver (`./driver.ts`) and run in every engine: the same fixture pages
 * (`e2e/fixtures/upload-page`, `resume-page`) served by the same vite page server as the Playwright
 * specs, the same local OSS server, its request log as the witness of what was sent, and the
 * official ali-oss client reading the stored objects back.
 *
 * Engine differences are found by feature detection inside the page, never by the user agent, and
 * recorded as `facts` (printed by the runner: the README's browser support table comes from them).
 *
 * Long waits are polls of short evaluations (a WebDriver-classic driver serialises commands, so a
 * long-running evaluation in one tab would block every other tab).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { RunUploadOptions, RunUploadOutcome } from '../fixtures/upload-page/api.js';
import type { PendingSummary, RecordSummary, ResumePageConfig, RunSnapshot, RunSource, StartOptions } from '../fixtures/resume-page/api.js';
import { probeScript, type ProbeReport } from '../support/main-thread-probe.js';
import type { E2eOss } from '../support/oss.js';
import { acknowledgedCounts, aliOss, uploadParts, type OssControl, type RequestLogEntry } from '../support/oss-control.js';
import type { PageServer } from '../support/pages.js';
import { baseConfig, bucket, maxInFlight, MiB, range, region, unquote } from '../support/resume-page.js';
import { createTestFile, type TestFile } from '../support/test-file.js';
import { waitForFunction, type EngineFactory, type EnginePage, type EngineSession } from './driver.js';

/** What a scenario gets from the runner. */
export type ScenarioContext = {
  readonly engine: EngineFactory;
  /** The engine's shared browser (one profile for every scenario of the run). */
  readonly session: EngineSession;
  readonly oss: E2eOss;
  readonly control: OssControl;
  readonly pages: PageServer;
  /** Opens a tab in `session` (or another session); the runner closes it after the scenario. */
  open(url: string, session?: EngineSession): Promise<EnginePage>;
  /** Launches another browser of this engine; the runner closes it after the scenario. */
  launch(options?: Parameters<EngineFactory['launch']>[0]): Promise<EngineSession>;
  /** A line of details printed under the scenario's result. */
  note(text: string): void;
  /** What the engine did for a capability (for the README's browser support table). */
  fact(capability: string, value: string): void;
};

/** One scenario: throws (an AssertionError, usually) when the engine does not behave. */
export type Scenario = {
  readonly id: string;
  readonly title: string;
  /** Hard limit for the whole scenario, browser relaunches included. */
  readonly timeoutMs: number;
  run(ctx: ScenarioContext): Promise<void>;
};

const rootCredentials = (oss: E2eOss) => ({ accessKeyId: oss.server.accessKeyId, accessKeySecret: oss.server.accessKeySecret });

/** A run prefix per process, so scenario keys never meet objects of an earlier run on a reused server. */
const runTag = Date.now().toString(36);
const keyFor = (engine: string, scenario: string, name: string) => `engines/${runTag}/${engine}/${scenario}/${name}`;

// ---------------------------------------------------------------------------------------------
// Page-side helpers (serialised into the page: no closures over Node values).

/** Records every XMLHttpRequest and fetch the page starts: method, URL, Content-MD5, start time, status. */
function installWireRecorder(): void {
  type Entry = { method: string; url: string; contentMd5: string | undefined; at: number; status: number | undefined; via: string };
  const w = window as unknown as { __wire?: { entries(): Entry[] } };
  if (w.__wire) return;
  const entries: Entry[] = [];
  const meta = new WeakMap<XMLHttpRequest, Entry>();
  const proto = XMLHttpRequest.prototype;
  const open = proto.open;
  const setRequestHeader = proto.setRequestHeader;
  const send = proto.send;
  proto.open = function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) {
    meta.set(this, { method: method.toUpperCase(), url: String(url), contentMd5: undefined, at: 0, status: undefined, via: 'xhr' });
    return (open as (...args: unknown[]) => void).call(this, method, url, ...rest);
  } as typeof proto.open;
  proto.setRequestHeader = function (this: XMLHttpRequest, name: string, value: string) {
    const entry = meta.get(this);
    if (entry && name.toLowerCase() === 'content-md5') entry.contentMd5 = value;
    return setRequestHeader.call(this, name, value);
  };
  proto.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
    const entry = meta.get(this);
    if (entry) {
      entry.at = Date.now();
      entries.push(entry);
      this.addEventListener('loadend', () => {
        entry.status = this.status;
      });
    }
    return send.call(this, body);
  };
  const originalFetch = window.fetch;
  window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    const request = input instanceof Request ? input : undefined;
    const headers = new Headers(init?.headers ?? request?.headers);
    const entry: Entry = {
      method: (init?.method ?? request?.method ?? 'GET').toUpperCase(), url: request ? request.url : String(input),
      contentMd5: headers.get('content-md5') ?? undefined, at: Date.now(), status: undefined, via: 'fetch',
    };
    entries.push(entry);
    const answer = originalFetch.call(this, input, init);
    answer.then((response) => {
      entry.status = response.status;
    }, () => {
      entry.status = 0;
    });
    return answer;
  };
  w.__wire = { entries: () => JSON.parse(JSON.stringify(entries)) as Entry[] };
}

type WireEntry = { method: string; url: string; contentMd5: string | undefined; at: number; status: number | undefined; via: string };

const readWire = (page: EnginePage) =>
  page.evaluate(() => (window as unknown as { __wire?: { entries(): WireEntry[] } }).__wire?.entries() ?? []);

/** Counts `console.warn` calls (and keeps their text) from now on; the original still prints. */
function installWarnCounter(): void {
  const w = window as unknown as { __warnings?: string[] };
  if (w.__warnings) return;
  const warnings: string[] = [];
  w.__warnings = warnings;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : String(a))).join(' '));
    original(...args);
  };
}

const readWarnings = (page: EnginePage) => page.evaluate(() => (window as unknown as { __warnings?: string[] }).__warnings ?? []);

/** What the page can do, by feature detection (the SDK detects the same way). */
type PageFeatures = {
  webLocks: boolean; indexedDB: boolean; showOpenFilePicker: boolean; dropHandles: boolean; fileSystemFileHandle: boolean;
  worker: boolean; xhrUploadEvents: boolean; onLine: boolean; abortSignalAny: boolean; abortSignalTimeout: boolean; storagePersist: boolean;
};
function detectFeatures(): PageFeatures {
  const g = globalThis as unknown as Record<string, unknown>;
  return {
    webLocks: typeof navigator.locks?.request === 'function',
    indexedDB: typeof g['indexedDB'] === 'object' && g['indexedDB'] !== null,
    showOpenFilePicker: typeof g['showOpenFilePicker'] === 'function',
    dropHandles: typeof DataTransferItem !== 'undefined' && typeof (DataTransferItem.prototype as unknown as Record<string, unknown>)['getAsFileSystemHandle'] === 'function',
    fileSystemFileHandle: typeof g['FileSystemFileHandle'] === 'function',
    worker: typeof Worker === 'function',
    xhrUploadEvents: typeof XMLHttpRequest === 'function' && 'upload' in XMLHttpRequest.prototype,
    onLine: typeof navigator.onLine === 'boolean',
    abortSignalAny: typeof (AbortSignal as unknown as Record<string, unknown>)['any'] === 'function',
    abortSignalTimeout: typeof (AbortSignal as unknown as Record<string, unknown>)['timeout'] === 'function',
    storagePersist: typeof navigator.storage?.persist === 'function',
  };
}

// ---------------------------------------------------------------------------------------------
// The fixture pages through the driver.

async function openResumePage(ctx: ScenarioContext, session?: EngineSession): Promise<ResumeUi> {
  const page = await ctx.open(ctx.pages.pageUrl('resume-page'), session);
  await waitForFunction(page, () => window.resumePage !== undefined, undefined, { timeoutMs: 30_000, what: 'window.resumePage' });
  return resumeUi(page);
}

type ResumeUi = ReturnType<typeof resumeUi>;

function resumeUi(page: EnginePage) {
  return {
    page,
    async reload() {
      await page.reload();
      await waitForFunction(page, () => window.resumePage !== undefined, undefined, { timeoutMs: 30_000, what: 'window.resumePage after the reload' });
    },
    configure: (config: ResumePageConfig) => page.evaluate((c) => window.resumePage!.configure(c), config),
    pick: (path: string) => page.setInputFiles('#file', path),
    start: (source: RunSource, options: StartOptions = {}) => page.evaluate((a) => window.resumePage!.start(a.source, a.options), { source, options }),
    snapshot: (run: number): Promise<RunSnapshot> => page.evaluate((r) => window.resumePage!.snapshot(r), run),
    pause: (run: number) => page.evaluate((r) => window.resumePage!.pause(r), run),
    /** Polls until the run settled, then returns its final snapshot. */
    async outcome(run: number, timeoutMs = 90_000): Promise<RunSnapshot> {
      await waitForFunction(page, (r) => window.resumePage!.snapshot(r).state !== 'running', run, { timeoutMs, intervalMs: 200, what: `run ${run} to settle` });
      return page.evaluate((r) => window.resumePage!.snapshot(r), run);
    },
    /** Polls until the run has `count` acknowledged parts; throws if it failed first. */
    async waitForParts(run: number, count: number, timeoutMs = 60_000): Promise<void> {
      const state = await waitForFunction(page, (a) => {
        const s = window.resumePage!.snapshot(a.run);
        if (s.state !== 'running') return `${s.state}: ${s.error?.name ?? ''} ${s.error?.message ?? ''}`;
        return s.parts.length >= a.count ? 'ok' : '';
      }, { run, count }, { timeoutMs, intervalMs: 50, what: `${count} parts of run ${run}` });
      if (state !== 'ok') throw new Error(`run ${run} ended before ${count} parts: ${state}`);
    },
    listPending: (): Promise<PendingSummary[]> => page.evaluate(() => window.resumePage!.listPending()),
    journal: (): Promise<RecordSummary[]> => page.evaluate(() => window.resumePage!.journal()),
    fingerprint: (key: string) => page.evaluate((k) => window.resumePage!.fingerprint(k), key),
    connectivity: () => page.evaluate(() => window.resumePage!.connectivity()),
  };
}

async function openUploadPage(ctx: ScenarioContext, session?: EngineSession): Promise<EnginePage> {
  const page = await ctx.open(ctx.pages.pageUrl('upload-page'), session);
  await waitForFunction(page, () => window.uploadPage !== undefined, undefined, { timeoutMs: 30_000, what: 'window.uploadPage' });
  return page;
}

/** Starts `uploadPage.run` in the background (the evaluation returns at once). */
async function startUploadRun(page: EnginePage, options: RunUploadOptions): Promise<void> {
  await page.evaluate((o) => {
    const w = window as unknown as { __run?: { outcome: RunUploadOutcome | undefined; failure: string | undefined } };
    const state: { outcome: RunUploadOutcome | undefined; failure: string | undefined } = { outcome: undefined, failure: undefined };
    w.__run = state;
    window.uploadPage!.run(o).then((outcome) => {
      state.outcome = outcome;
    }, (error: unknown) => {
      state.failure = String(error);
    });
  }, options);
}

async function uploadRunOutcome(page: EnginePage, timeoutMs: number): Promise<RunUploadOutcome> {
  const settled = await waitForFunction(page, () => {
    const run = (window as unknown as { __run?: { outcome: RunUploadOutcome | undefined; failure: string | undefined } }).__run;
    if (!run) throw new Error('no run started');
    return run.outcome ?? (run.failure === undefined ? undefined : { failure: run.failure });
  }, undefined, { timeoutMs, intervalMs: 200, what: 'the upload page run to settle' });
  if ('failure' in settled) throw new Error(`uploadPage.run threw: ${settled.failure}`);
  return settled;
}

// ---------------------------------------------------------------------------------------------
// Node-side checks.

function expectDone(snapshot: RunSnapshot): RunSnapshot & { result: NonNullable<RunSnapshot['result']> } {
  if (snapshot.state !== 'done' || !snapshot.result) {
    throw new Error(`run ${snapshot.run} ended ${snapshot.state}: ${snapshot.error?.name}: ${snapshot.error?.message}\n${snapshot.error?.stack ?? ''}`);
  }
  return snapshot as RunSnapshot & { result: NonNullable<RunSnapshot['result']> };
}

const sortNumbers = (values: Iterable<number>) => [...values].sort((a, b) => a - b);

/** The object at `key` is the file, byte for byte (read back through ali-oss). */
async function expectStored(ctx: ScenarioContext, key: string, file: TestFile, partSize?: number): Promise<void> {
  const stored = await ctx.oss.objectMd5(key);
  assert.equal(stored.size, file.size, 'stored size');
  assert.equal(stored.md5, file.md5Hex(), 'stored MD5 (ali-oss getStream) is the file\'s MD5');
  if (partSize !== undefined) assert.equal(unquote(stored.etag), file.multipartEtag(partSize), 'multipart ETag');
}

/** Waits until the server log holds at least `count` UploadPart entries of `uploadId` (cut requests land late), or `ms` passed. */
async function settleLog(ctx: ScenarioContext, since: number, uploadId: string, count: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (uploadParts(await ctx.control.log(since), uploadId).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

// ---------------------------------------------------------------------------------------------
// The scenarios.

const features: Scenario = {
  id: 'features',
  title: 'feature detection: what the page can use (no user-agent sniffing)',
  timeoutMs: 30_000,
  async run(ctx) {
    const page = await openResumePage(ctx);
    const found = await page.page.evaluate(detectFeatures);
    ctx.fact('Web Locks (navigator.locks)', yesNo(found.webLocks));
    ctx.fact('IndexedDB', yesNo(found.indexedDB));
    ctx.fact('showOpenFilePicker', yesNo(found.showOpenFilePicker));
    ctx.fact('drop → getAsFileSystemHandle', yesNo(found.dropHandles));
    ctx.fact('FileSystemFileHandle (interface)', yesNo(found.fileSystemFileHandle));
    ctx.fact('Web Workers', yesNo(found.worker));
    ctx.fact('AbortSignal.any / timeout', `${yesNo(found.abortSignalAny)} / ${yesNo(found.abortSignalTimeout)}`);
    ctx.note(Object.entries(found).map(([name, value]) => `${name}=${value ? 'yes' : 'no'}`).join(' '));
    // What the SDK cannot work without: hashing off the main thread, XHR bodies with progress, abortable requests.
    assert.ok(found.worker, 'Worker is needed to hash off the main thread');
    assert.ok(found.xhrUploadEvents, 'XMLHttpRequest.upload is needed for upload progress');
    assert.ok(found.onLine, 'navigator.onLine is needed for the offline wait');
  },
};

const md5InWorkers: Scenario = {
  id: 'md5-workers-64mib',
  title: '64 MiB with Content-MD5 hashed in workers, byte-identical through ali-oss',
  timeoutMs: 150_000,
  async run(ctx) {
    const file = await createTestFile(64 * MiB, 'video-64MiB.bin');
    try {
      const partSize = 8 * MiB;
      const key = keyFor(ctx.session.name, 'md5', 'video 64MiB+ü.bin');
      const page = await openUploadPage(ctx);
      // Installed after the page loaded but before the uploader exists: the SDK creates its worker
      // pool and reads the file only inside run(), so the probe still sees every read and job.
      await page.evaluate(probeScript);
      await page.evaluate(installWireRecorder);
      await page.setInputFiles('#file', file.path);
      const started = Date.now();
      await startUploadRun(page, {
        endpoint: ctx.oss.endpoint, bucket, region, key, pathStyle: true, signatureVersion: 'v4',
        credentials: rootCredentials(ctx.oss), partSize,
      });
      const outcome = await uploadRunOutcome(page, 120_000);
      if (!outcome.ok) throw new Error(`upload failed in the page: ${outcome.error.name}: ${outcome.error.message}\n${outcome.error.stack ?? ''}`);
      const elapsed = Date.now() - started;
      ctx.note(`64 MiB in ${outcome.elapsedMs} ms in the page (${(64 / (outcome.elapsedMs / 1000)).toFixed(1)} MiB/s), ${elapsed} ms end to end`);

      await expectStored(ctx, key, file, partSize);
      assert.equal(unquote(outcome.result.etag), file.multipartEtag(partSize), 'the SDK\'s result ETag');
      const parts = range(1, file.size / partSize).map((n) => ({ partNumber: n, start: (n - 1) * partSize, end: n * partSize }));

      // Content-MD5 on every UploadPart, the MD5 of exactly its slice.
      const wire = (await readWire(page)).filter((e) => e.method === 'PUT' && /[?&]partNumber=/.test(e.url));
      const sent = new Map<number, string | undefined>();
      for (const entry of wire) sent.set(Number(new URL(entry.url).searchParams.get('partNumber')), entry.contentMd5);
      assert.deepEqual(sortNumbers(sent.keys()), parts.map((p) => p.partNumber), 'an UploadPart for every part');
      for (const part of parts) assert.equal(sent.get(part.partNumber), file.md5Base64(part.start, part.end), `Content-MD5 of part ${part.partNumber}`);

      // Hashed in workers: no main-thread read of the file; each part's range posted to a worker, whose answer was sent.
      const report = await page.evaluate(() => window.__mainThreadProbe!.report()) as ProbeReport;
      assert.deepEqual(report.mainThreadReads, [], 'no script on the main thread read the picked file');
      assert.ok(report.workers.length >= 1, 'the SDK started dedicated workers');
      const fileJobs = report.jobs.filter((job) => job.blob?.fromPickedFile === true && job.kind !== 'sample');
      for (const part of parts) {
        const jobs = fileJobs.filter((job) => job.blob!.start === part.start && job.blob!.end === part.end);
        assert.ok(jobs.length >= 1, `part ${part.partNumber} was posted to a worker`);
        for (const job of jobs) {
          const reply = report.replies.find((r) => r.worker === job.worker && r.id === job.id);
          assert.equal(reply?.md5Base64, file.md5Base64(part.start, part.end), `the worker's MD5 of part ${part.partNumber}`);
          assert.equal(reply?.md5Base64, sent.get(part.partNumber), `UploadPart #${part.partNumber} carried the worker's digest`);
        }
      }
      // The hashing module itself never loaded into the page (resource timing lists every module vite served it).
      const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
      assert.ok(scripts.some((p) => p.endsWith('/src/hashing/hash-pool.ts')), 'resource timing sees the SDK modules');
      assert.deepEqual(scripts.filter((p) => /\/hash-worker\.ts$|spark-md5/.test(p)), [], 'no hashing code on the main thread');
      ctx.fact('Web Workers', `yes: ${report.workers.length} hash workers, ${fileJobs.length} part jobs`);

      // XHR upload progress: progress between part boundaries means the browser reported bytes as they went.
      const within = outcome.progress.filter((p) => p.phase === 'uploading' && p.transferredBytes % partSize !== 0);
      ctx.fact('XHR upload progress', within.length > 0 ? `yes (${within.length} in-part updates)` : 'no (only per-part progress)');
      assert.ok(within.length > 0, 'upload progress inside parts (XMLHttpRequest upload events)');
    } finally {
      await file.dispose();
    }
  },
};

const reloadRepick: Scenario = {
  id: 'reload-repick',
  title: 'reload mid-upload, re-pick the file: only the missing parts are sent',
  timeoutMs: 120_000,
  async run(ctx) {
    const partSize = 4 * MiB;
    const totalParts = 10;
    const concurrency = 2;
    const file = await createTestFile(totalParts * partSize, 'reload.bin');
    try {
      const key = keyFor(ctx.session.name, 'reload', 'reload.bin');
      const logStart = await ctx.control.mark();
      const delayMs = 400;
      await ctx.control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs, times: 0 }]);
      const ui = await openResumePage(ctx);
      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency }));
      await ui.pick(file.path);
      const first = await ui.start({ kind: 'input' }, { key });
      await ui.waitForParts(first, 4);
      const before = await ui.snapshot(first);
      await ui.reload();
      await ctx.control.clearFaults();

      const journal = (await ui.journal()).filter((r) => r.key === key);
      assert.equal(journal.length, 1, 'one journal record survived the reload');
      const record = journal[0]!;
      assert.equal(record.hasFileHandle, false);
      const journalled = new Set(record.partNumbers);
      for (const part of before.parts) assert.ok(journalled.has(part.partNumber), `part ${part.partNumber} acknowledged before the reload is journalled`);
      assert.ok(journalled.size >= 4 && journalled.size < totalParts, `journalled ${journalled.size} of ${totalParts}`);
      // Requests cut by the reload land in the log after their delay; wait so the split is clean.
      const firstSent = uploadParts(await ctx.control.log(logStart), record.uploadId).length;
      await settleLog(ctx, logStart, record.uploadId, firstSent + maxInFlight(concurrency), delayMs + 1_500);
      const split = await ctx.control.mark();

      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency }));
      await ui.pick(file.path);
      const second = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      const missing = range(1, totalParts).filter((n) => !journalled.has(n));
      assert.deepEqual(second.resumes, [{ resumed: true, uploadId: record.uploadId, skippedParts: journalled.size, skippedBytes: journalled.size * partSize }]);
      assert.deepEqual(sortNumbers(second.parts.map((p) => p.partNumber)), missing, 'the resumed run acknowledged exactly the missing parts');

      const entries = await ctx.control.log(logStart);
      const mine = entries.filter((e) => e.key === key);
      assert.equal(mine.filter((e) => e.op === 'InitiateMultipartUpload').length, 1, 'one multipart upload');
      const afterReload = uploadParts(entries.slice(split - logStart), record.uploadId);
      assert.deepEqual(sortNumbers(afterReload.map((e) => e.partNumber!)), missing, 'after the reload the server got exactly the missing parts, each once');
      assert.ok(afterReload.every((e) => e.status === 200));
      for (const n of journalled) assert.equal(acknowledgedCounts(entries, record.uploadId).get(n), 1, `journalled part ${n} acknowledged once`);
      await expectStored(ctx, key, file, partSize);
      ctx.note(`${journalled.size} parts journalled at the reload, ${missing.length} sent after it`);
    } finally {
      await ctx.control.clearFaults();
      await file.dispose();
    }
  },
};

const pauseResume: Scenario = {
  id: 'pause-resume',
  title: 'pause and resume through AbortSignal',
  timeoutMs: 90_000,
  async run(ctx) {
    const partSize = 2 * MiB;
    const totalParts = 8;
    const file = await createTestFile(totalParts * partSize, 'pause.bin');
    try {
      const key = keyFor(ctx.session.name, 'pause', 'pause.bin');
      await ctx.control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 200, times: 0 }]);
      const logStart = await ctx.control.mark();
      const ui = await openResumePage(ctx);
      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency: 2 }));
      await ui.pick(file.path);
      const run = await ui.start({ kind: 'input' }, { key });
      await ui.waitForParts(run, 2);
      const pausedAt = Date.now();
      await ui.pause(run);
      const paused = await ui.outcome(run, 10_000);
      const settleMs = Date.now() - pausedAt;
      assert.equal(paused.state, 'paused', `the run settled as paused (${paused.error?.name}: ${paused.error?.message})`);
      assert.equal(paused.error?.name, 'AbortError', 'rejected with the signal\'s reason');
      assert.ok(paused.parts.length < totalParts, 'paused before the end');
      const [record] = (await ui.journal()).filter((r) => r.key === key);
      assert.ok(record, 'the paused upload is journalled');
      // Let aborted requests reach the log, then nothing more of this upload may arrive.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const mark = await ctx.control.mark();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.deepEqual((await ctx.control.log(mark)).filter((e) => e.key === key), [], 'nothing is sent while paused');
      await ctx.control.clearFaults();

      const resumed = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      const journalled = new Set(record.partNumbers);
      assert.deepEqual(resumed.resumes, [{ resumed: true, uploadId: record.uploadId, skippedParts: journalled.size, skippedBytes: journalled.size * partSize }]);
      assert.deepEqual(sortNumbers(resumed.parts.map((p) => p.partNumber)), range(1, totalParts).filter((n) => !journalled.has(n)));
      const entries = (await ctx.control.log(logStart)).filter((e) => e.key === key);
      assert.equal(entries.filter((e) => e.op === 'InitiateMultipartUpload').length, 1);
      assert.deepEqual(sortNumbers(acknowledgedCounts(entries, record.uploadId).keys()), range(1, totalParts));
      await expectStored(ctx, key, file, partSize);
      ctx.fact('AbortSignal (pause)', `yes: settled ${settleMs} ms after abort()`);
      ctx.note(`paused after ${paused.parts.length} parts (settled in ${settleMs} ms), resumed skipping ${journalled.size}`);
    } finally {
      await ctx.control.clearFaults();
      await file.dispose();
    }
  },
};

const offlineWait: Scenario = {
  id: 'offline-wait',
  title: 'offline mid-upload: the upload waits for the network and completes',
  timeoutMs: 90_000,
  async run(ctx) {
    if (!ctx.session.capabilities.canEmulateOffline) {
      await connectionsDropped(ctx);
      return;
    }
    const partSize = 2 * MiB;
    const totalParts = 12;
    const concurrency = 3;
    const file = await createTestFile(totalParts * partSize, 'offline.bin');
    try {
      const key = keyFor(ctx.session.name, 'offline', 'offline.bin');
      const logStart = await ctx.control.mark();
      await ctx.control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 300, times: 0 }]);
      const ui = await openResumePage(ctx);
      const page = ui.page;
      // Two quick retries: ~4 s of failing requests would exhaust them many times over.
      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency, retry: { limit: 2, baseDelayMs: 100, maxDelayMs: 400 } }));
      await ui.pick(file.path);
      await page.evaluate(installWireRecorder);
      const run = await ui.start({ kind: 'input' }, { key });
      await ui.waitForParts(run, 3);
      const offlineAt = Date.now();
      await page.setOffline!(true);
      await waitForFunction(page, () => !navigator.onLine, undefined, { timeoutMs: 5_000, what: 'navigator.onLine to turn false' });
      const atOffline = await ui.snapshot(run);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const after = await ui.snapshot(run);
      const onlineAt = Date.now();
      await page.setOffline!(false);
      const finished = await ui.outcome(run, 60_000);
      const wire = (await readWire(page)).filter((e) => e.method === 'PUT' && /[?&]partNumber=/.test(e.url));
      const changes = (await ui.connectivity()).slice(1).map(([, online]) => online);
      ctx.note(`offline ${onlineAt - offlineAt} ms; parts at offline ${atOffline.parts.length}, after ${after.parts.length}; connectivity events ${JSON.stringify(changes)}`);
      assert.equal(after.state, 'running', `still running after 4 s offline (${after.error?.name}: ${after.error?.message})`);
      const out = expectDone(finished);
      assert.deepEqual(changes, [false, true], 'offline then online events');
      const startedOffline = wire.filter((e) => e.at > offlineAt + 500 && e.at < onlineAt);
      assert.deepEqual(startedOffline.map((e) => e.url), [], 'no UploadPart started while offline');
      const firstBack = Math.min(...wire.filter((e) => e.at >= onlineAt).map((e) => e.at));
      assert.ok(firstBack - onlineAt < 2_000, `resumed within 2 s of the online event (${firstBack - onlineAt} ms)`);
      const entries = (await ctx.control.log(logStart)).filter((e) => e.key === key && e.op === 'UploadPart');
      const uploadId = entries[0]!.uploadId!;
      assert.deepEqual([...acknowledgedCounts(entries, uploadId)].sort(([x], [y]) => x - y), range(1, totalParts).map((n) => [n, 1]), 'each part acknowledged once');
      assert.equal(out.resumes.length, 0);
      await expectStored(ctx, key, file, partSize);
      ctx.fact('offline events (navigator.onLine)', `yes: driver-emulated offline fired ${JSON.stringify(changes)}; in-flight parts ${after.parts.length - atOffline.parts.length} finished offline`);
    } finally {
      await ctx.control.clearFaults();
      await file.dispose();
    }
  },
};

/**
 * What the offline scenario runs where the driver cannot take the browser offline: the network
 * failing under the upload without `navigator.onLine` knowing, made by the server dropping
 * connections mid-body. It exercises the SDK's recovery from failed requests (retries, each part
 * acknowledged once, identical bytes), not the offline wait itself, and says so in its note.
 */
async function connectionsDropped(ctx: ScenarioContext): Promise<void> {
  const partSize = 1 * MiB;
  const totalParts = 10;
  const file = await createTestFile(totalParts * partSize, 'dropped.bin');
  try {
    const key = keyFor(ctx.session.name, 'offline', 'dropped.bin');
    const logStart = await ctx.control.mark();
    const drops = 4;
    await ctx.control.addFaults([{ op: 'UploadPart', key, action: 'drop', afterBytes: 64 * 1024, nth: 3, times: drops }]);
    const ui = await openResumePage(ctx);
    await ui.configure(baseConfig(ctx.oss, { partSize, concurrency: 3, retry: { limit: drops + 1, baseDelayMs: 100, maxDelayMs: 400 } }));
    await ui.pick(file.path);
    const out = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key }), 60_000));
    const entries = (await ctx.control.log(logStart)).filter((e) => e.key === key && e.op === 'UploadPart');
    const dropped = entries.filter((e) => e.fault === 'drop');
    const uploadId = entries[0]!.uploadId!;
    assert.equal(dropped.length, drops, `the server dropped ${drops} connections`);
    assert.deepEqual([...acknowledgedCounts(entries, uploadId)].sort(([x], [y]) => x - y), range(1, totalParts).map((n) => [n, 1]), 'each part acknowledged once');
    assert.equal(out.resumes.length, 0);
    await expectStored(ctx, key, file, partSize);
    const why = ctx.session.capabilities.offlineNote ?? 'no reason given';
    ctx.note(`SUBSTITUTE: the ${ctx.session.name} driver cannot emulate offline (${why}); the server dropped ${drops} connections mid-body instead and the upload recovered`);
    ctx.fact('offline events (navigator.onLine)', `not testable with this driver (${why}); dropped connections recovered`);
  } finally {
    await ctx.control.clearFaults();
    await file.dispose();
  }
}

const twoTabs: Scenario = {
  id: 'two-tabs',
  title: 'two tabs, one upload: the second gets UploadLockedError',
  timeoutMs: 90_000,
  async run(ctx) {
    const partSize = 2 * MiB;
    const totalParts = 8;
    const file = await createTestFile(totalParts * partSize, 'two-tabs.bin');
    try {
      const key = keyFor(ctx.session.name, 'tabs', 'two-tabs.bin');
      const logStart = await ctx.control.mark();
      await ctx.control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 250, times: 0 }]);
      const tabs = [await openResumePage(ctx), await openResumePage(ctx)];
      for (const tab of tabs) {
        await tab.configure(baseConfig(ctx.oss, { partSize, concurrency: 2 }));
        await tab.pick(file.path);
        await tab.page.evaluate(installWireRecorder);
      }
      const locks = await tabs[0]!.page.evaluate(() => typeof navigator.locks?.request === 'function');
      const { id } = await tabs[0]!.fingerprint(key);
      const runs = [await tabs[0]!.start({ kind: 'input' }, { key }), await tabs[1]!.start({ kind: 'input' }, { key })];
      const outs = [await tabs[0]!.outcome(runs[0]!), await tabs[1]!.outcome(runs[1]!)];
      const winner = outs.findIndex((o) => o.state === 'done');
      const loser = outs.findIndex((o) => o.state !== 'done');
      assert.ok(winner >= 0 && loser >= 0, `one tab uploads, the other not: ${outs.map((o) => `${o.state} ${o.error?.name ?? ''}`).join(' / ')}`);
      const lost = outs[loser]!;
      assert.equal(lost.state, 'failed');
      assert.equal(lost.error?.name, 'UploadLockedError', `${lost.error?.name}: ${lost.error?.message}`);
      assert.equal(lost.error?.uploadRecordId, id);
      assert.match(lost.error?.message ?? '', /lock: 'wait'/);
      assert.deepEqual(lost.parts, []);
      const loserRequests = (await readWire(tabs[loser]!.page)).filter((e) => e.url.startsWith(ctx.oss.endpoint) && e.method !== 'OPTIONS');
      assert.deepEqual(loserRequests.map((e) => `${e.method} ${e.url}`), [], 'the losing tab sent nothing to the server');
      const mine = (await ctx.control.log(logStart)).filter((e) => e.key === key && e.op !== 'Options');
      assert.equal(mine.filter((e) => e.op === 'InitiateMultipartUpload').length, 1);
      await expectStored(ctx, key, file, partSize);
      ctx.fact('Web Locks (navigator.locks)', locks ? 'yes: the second tab got UploadLockedError through navigator.locks' : 'no: in-page fallback only (tabs not coordinated)');
      ctx.note(`tab ${winner + 1} uploaded in ${outs[winner]!.elapsedMs} ms; tab ${loser + 1} failed after ${lost.elapsedMs} ms (${locks ? 'Web Locks' : 'no Web Locks'})`);
    } finally {
      await ctx.control.clearFaults();
      await file.dispose();
    }
  },
};

const fileChanged: Scenario = {
  id: 'file-rewritten',
  title: 'file rewritten on disk mid-upload: ResumeMismatchError, nothing completed',
  timeoutMs: 90_000,
  async run(ctx) {
    const partSize = 100 * 1024;
    const file = await createTestFile(40 * partSize + 17, 'changing.bin');
    const key = keyFor(ctx.session.name, 'file-change', 'changing.bin');
    try {
      await ctx.control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 100, times: 0 }]);
      const page = await openUploadPage(ctx);
      await page.setInputFiles('#file', file.path);
      await startUploadRun(page, {
        endpoint: ctx.oss.endpoint, bucket, region, pathStyle: true, signatureVersion: 'v4', key,
        credentials: rootCredentials(ctx.oss), partSize, concurrency: 2,
      });
      await waitForFunction(page, () => document.querySelectorAll('#parts li').length >= 3, undefined, { timeoutMs: 30_000, intervalMs: 50, what: '3 parts' });
      await writeFile(file.path, randomBytes(file.size)); // same size, other bytes, new mtime
      const changedAt = Date.now();
      const settled = await uploadRunOutcome(page, 60_000);
      const tookMs = Date.now() - changedAt;
      const summary = settled.ok ? `completed (${settled.parts.length} parts)` : `${settled.error.name}: ${settled.error.message}`;
      ctx.note(`after the rewrite: ${summary} in ${tookMs} ms`);
      const log = (await ctx.control.log()).filter((entry) => entry.key === key);
      const head = await ctx.oss.client().head(key).then(() => 200, (error: { status?: number }) => error.status);
      assert.equal(settled.ok, false, `the upload must not complete from mixed bytes (it ${summary}; HEAD ${head})`);
      if (settled.ok) return;
      assert.equal(settled.error.name, 'ResumeMismatchError', settled.error.message);
      assert.match(settled.error.message, /the file changed while it was being uploaded/i);
      assert.ok(tookMs < 15_000, `failed at once, not after retries (${tookMs} ms)`);
      assert.equal(head, 404, 'no object');
      assert.deepEqual(log.filter((e) => e.op === 'CompleteMultipartUpload'), [], 'no Complete was sent');
      const { uploads } = await aliOss(ctx.oss).listUploads({ prefix: key });
      for (const upload of uploads ?? []) await aliOss(ctx.oss).abortMultipartUpload(upload.name, upload.uploadId);
    } finally {
      await ctx.control.clearFaults();
      await file.dispose();
    }
  },
};

const storageUnavailable: Scenario = {
  id: 'indexeddb-unavailable',
  title: 'IndexedDB unavailable: the upload completes, one warning, no resume promised',
  timeoutMs: 90_000,
  async run(ctx) {
    const partSize = 1 * MiB;
    const totalParts = 6;
    const file = await createTestFile(totalParts * partSize + 123, 'no-storage.bin');
    try {
      const key = keyFor(ctx.session.name, 'no-idb', 'no-storage.bin');
      let session = ctx.session;
      let how: string;
      if (ctx.session.capabilities.canBlockStorage) {
        // The browser's own "block all site data" setting, in a browser of its own.
        session = await ctx.launch({ storage: 'blocked' });
        how = ctx.session.capabilities.blockStorageNote ?? 'browser setting: site data blocked';
      } else {
        how = 'page fault: indexedDB.open throws SecurityError (the driver cannot block storage)';
      }
      const ui = await openResumePage(ctx, session);
      if (!ctx.session.capabilities.canBlockStorage) {
        await ui.page.evaluate(() => {
          IDBFactory.prototype.open = function () {
            throw new DOMException('The operation is insecure.', 'SecurityError');
          };
        });
      }
      const storage = await ui.page.evaluate(async () => {
        const attempt = async (what: () => unknown) => {
          try {
            await what();
            return 'works';
          } catch (error) {
            return `throws ${(error as Error).name}`;
          }
        };
        return {
          indexedDB: await attempt(() => new Promise((resolve, reject) => {
            const request = indexedDB.open('engines-probe');
            request.onsuccess = () => resolve(request.result.close());
            request.onerror = () => reject(request.error ?? new Error('open failed'));
          })),
          locks: await attempt(() => navigator.locks.request('engines-probe', () => undefined)),
        };
      });
      ctx.note(`${how}; indexedDB.open ${storage.indexedDB}, navigator.locks.request ${storage.locks}`);
      assert.notEqual(storage.indexedDB, 'works', 'IndexedDB is really unavailable in this page');
      await ui.page.evaluate(installWarnCounter);
      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency: 2 }));
      await ui.pick(file.path);
      const out = await ui.outcome(await ui.start({ kind: 'input' }, { key }), 60_000);
      const warnings = await readWarnings(ui.page);
      ctx.note(`run ${out.state}${out.error ? ` (${out.error.name}: ${out.error.message})` : ''}; warnings: ${JSON.stringify(warnings)}`);
      expectDone(out);
      await expectStored(ctx, key, file, partSize);
      assert.equal(warnings.length, 1, 'exactly one warning');
      assert.match(warnings[0]!, /cannot resume/i, 'the warning says the upload cannot resume');
      assert.deepEqual(out.resumes, [], 'nothing was resumed');
      const pending = await ui.listPending().then((list) => `listPending() → ${JSON.stringify(list)}`, (error: Error) => `listPending() rejects ${error.message}`);
      ctx.note(pending);
      assert.ok(!pending.includes(key), 'no resumable record is promised');
      ctx.fact('IndexedDB unavailable', `${how}: upload completes with one warning; indexedDB.open ${storage.indexedDB}, locks ${storage.locks}`);
    } finally {
      await file.dispose();
    }
  },
};

const noFileHandle: Scenario = {
  id: 'no-file-handle',
  title: 'no FileSystemFileHandle: resume(id) says so plainly, upload() with the re-picked file resumes',
  timeoutMs: 90_000,
  async run(ctx) {
    const partSize = 1 * MiB;
    const totalParts = 8;
    const file = await createTestFile(totalParts * partSize, 'no-handle.bin');
    try {
      const key = keyFor(ctx.session.name, 'no-handle', 'no-handle.bin');
      const ui = await openResumePage(ctx);
      const found = await ui.page.evaluate(detectFeatures);
      ctx.fact('showOpenFilePicker', yesNo(found.showOpenFilePicker));
      ctx.fact('drop → getAsFileSystemHandle', yesNo(found.dropHandles));
      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency: 2 }));
      await ui.pick(file.path);
      const paused = await ui.outcome(await ui.start({ kind: 'input' }, { key, pauseAfterParts: 2 }));
      assert.equal(paused.state, 'paused');
      await ui.reload();
      await ui.configure(baseConfig(ctx.oss, { partSize, concurrency: 2 }));
      const pending = (await ui.listPending()).filter((p) => p.key === key);
      assert.equal(pending.length, 1, 'the paused upload is pending after the reload');
      const record = pending[0]!;
      assert.equal(record.hasFileHandle, false, 'a picked file leaves no handle');

      const viaResume = await ui.outcome(await ui.start({ kind: 'resume', id: record.id }));
      assert.equal(viaResume.state, 'failed');
      assert.equal(viaResume.error?.name, 'ResumeMismatchError', `${viaResume.error?.name}: ${viaResume.error?.message}`);
      assert.match(viaResume.error?.message ?? '', /no stored file handle/i);
      assert.match(viaResume.error?.message ?? '', /select "no-handle\.bin" again and call upload\(\)/);
      ctx.note(`resume(id): ${viaResume.error?.message}`);

      await ui.pick(file.path);
      const out = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      assert.equal(out.resumes.length, 1);
      const info = out.resumes[0]!;
      assert.ok(info.resumed && info.uploadId === record.uploadId && info.skippedParts === record.partsDone, `resumed the same upload: ${JSON.stringify(info)}`);
      assert.deepEqual(sortNumbers(out.parts.map((p) => p.partNumber)).length, totalParts - record.partsDone);
      await expectStored(ctx, key, file, partSize);
      assert.deepEqual((await ui.listPending()).filter((p) => p.key === key), []);
    } finally {
      await file.dispose();
    }
  },
};

/** Every scenario, in the order the runner runs them. */
export const scenarios: readonly Scenario[] = [
  features, md5InWorkers, reloadRepick, pauseResume, offlineWait, twoTabs, fileChanged, storageUnavailable, noFileHandle,
];

/** The log entry without noise, for failure details. */
export function compactEntry(e: RequestLogEntry) {
  return { op: e.op, partNumber: e.partNumber, uploadId: e.uploadId, status: e.status, code: e.code, fault: e.fault };
}
