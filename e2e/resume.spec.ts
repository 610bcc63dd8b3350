/**
 * Resumable uploads in real Chromium (issue 4, "E2E it must have" 1 and 3–7): the resume page
 * (`e2e/fixtures/resume-page/`) uploads through the SDK with its default IndexedDB journal to the
 * local OSS server; the server's request log (`/_local/log`) is the witness of which parts were
 * sent how often, and the official ali-oss client reads the stored object back (MD5) or acts
 * behind the SDK's back (AbortMultipartUpload). Browser restarts (item 2) are in
 * `resume-restart.spec.ts`.
 */
import { randomBytes } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './support/fixtures.js';
import type { E2eOss } from './support/oss.js';
import { acknowledgedCounts, aliOss, ossControl, rawOss, uploadParts, type RequestLogEntry } from './support/oss-control.js';
import type { PageServer } from './support/pages.js';
import {
  attachJson, baseConfig, expectDone, maxInFlight, MiB, openResumePage, range, resumePage, saveScreenshot, unquote, waitForResumePage,
} from './support/resume-page.js';
import { createTestFile, type TestFile } from './support/test-file.js';

test.use({ ossOptions: { faults: true } });

test.describe('resumable uploads in Chromium', () => {
  test.beforeEach(async ({ oss }) => {
    await ossControl(oss).clearFaults();
  });

  test.afterEach(async ({ oss }) => {
    await ossControl(oss).clearFaults();
  });

  test.describe('page reload', () => {
    let file: TestFile;
    test.beforeAll(async () => {
      file = await createTestFile(128 * MiB, 'video-128MiB.bin');
    });
    test.afterAll(async () => {
      await file?.dispose();
    });

    test('1 · 128 MiB, reload at half, re-select the same file: only the missing parts are sent, object MD5 matches', async ({ page, oss, pages }, testInfo) => {
      const partSize = 8 * MiB;
      const concurrency = 4;
      const totalParts = file.size / partSize;
      const key = 'e2e/resume/reload/video-128MiB.bin';
      const control = ossControl(oss);
      const logStart = await control.mark();
      // Slow every part down so the reload lands mid-upload (the delay is before the server reads the body).
      const delayMs = 600;
      await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs, times: 0 }]);

      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency }));
      await ui.pick(file.path);
      const sent: number[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (request.method() === 'PUT' && url.searchParams.has('partNumber')) sent.push(Number(url.searchParams.get('partNumber')));
      });
      const started = Date.now();
      const first = await ui.start({ kind: 'input' }, { key });
      await ui.waitForParts(first, 4);
      await saveScreenshot(page, testInfo, '1-mid-upload');
      await ui.waitForParts(first, totalParts / 2);
      const beforeReload = await ui.snapshot(first);
      await page.reload();
      const reloadedAt = Date.now();
      const sentBeforeReload = [...sent];
      await waitForResumePage(page);
      await control.clearFaults();

      // The journal survived the reload: exactly the parts the page saw acknowledged (and maybe a few
      // acknowledged in the instant between the snapshot and the reload).
      const journal = await ui.journal();
      expect(journal).toHaveLength(1);
      const record = journal[0]!;
      const journalled = new Set(record.partNumbers);
      expect(record).toMatchObject({ key, fileName: file.name, fileSize: file.size, partSize, bucket: 'demo', hasFileHandle: false });
      for (const part of beforeReload.parts) expect(journalled.has(part.partNumber), `part ${part.partNumber} acknowledged before the reload is journalled`).toBe(true);
      expect(journalled.size).toBeGreaterThanOrEqual(totalParts / 2);
      expect(journalled.size).toBeLessThan(totalParts);

      // Let the requests cut by the reload reach the server's log (each is logged once the delay
      // fault has passed), so everything logged from here on belongs to the second session.
      // (A request cut before it reached the server is never logged: then the timeout alone is enough.)
      await expect.poll(async () => uploadParts(await control.log(logStart), record.uploadId).length, { timeout: delayMs + 3_000 })
        .toBeGreaterThanOrEqual(sentBeforeReload.length).catch(() => undefined);
      const split = await control.mark();

      // After the reload: the user selects the same file again and uploads it again.
      await ui.configure(baseConfig(oss, { partSize, concurrency }));
      const pending = await ui.listPending();
      expect(pending).toEqual([expect.objectContaining({
        id: record.id, key, uploadId: record.uploadId, fileName: file.name, fileSize: file.size,
        partsDone: journalled.size, bytesDone: journalled.size * partSize, hasFileHandle: false,
      })]);
      await ui.pick(file.path);
      const second = await ui.start({ kind: 'input' }, { key });
      const outcome = expectDone(await ui.outcome(second));
      const finishedAt = Date.now();
      await saveScreenshot(page, testInfo, '1-after-resume');

      expect(outcome.resumes).toEqual([{ resumed: true, uploadId: record.uploadId, skippedParts: journalled.size, skippedBytes: journalled.size * partSize }]);
      expect(outcome.parts.map((p) => p.partNumber).sort((a, b) => a - b)).toEqual(range(1, totalParts).filter((n) => !journalled.has(n)));
      // Progress after the resume starts from the bytes already on the server (never 0 % then a jump) and never goes back.
      expect(outcome.progress.length).toBeGreaterThan(0);
      expect(outcome.progress[0]).toMatchObject({ transferredBytes: journalled.size * partSize, completedParts: journalled.size, totalParts });
      for (let i = 1; i < outcome.progress.length; i++) {
        expect(outcome.progress[i]!.transferredBytes).toBeGreaterThanOrEqual(outcome.progress[i - 1]!.transferredBytes);
      }
      expect(outcome.progress.at(-1)).toMatchObject({ phase: 'done', percent: 100, transferredBytes: file.size });
      expect(unquote(outcome.result.etag)).toBe(file.multipartEtag(partSize));
      expect(await ui.listPending()).toEqual([]);

      // The server's request log: one multipart upload, and no acknowledged part sent twice except
      // those in flight at the reload (at most maxInFlight).
      const entries = await control.log(logStart);
      const mine = entries.filter((e) => e.key === key);
      expect(mine.filter((e) => e.op === 'InitiateMultipartUpload')).toHaveLength(1);
      const firstSession = uploadParts(entries.slice(0, split - logStart), record.uploadId);
      const secondSession = uploadParts(entries.slice(split - logStart), record.uploadId);
      const secondParts = secondSession.map((e) => e.partNumber!).sort((a, b) => a - b);
      expect(secondParts, 'after the reload, exactly the parts the journal lacked were sent, each once').toEqual(range(1, totalParts).filter((n) => !journalled.has(n)));
      expect(secondSession.every((e) => e.status === 200)).toBe(true);
      const acknowledged = acknowledgedCounts(entries, record.uploadId);
      expect([...acknowledged.keys()].sort((a, b) => a - b)).toEqual(range(1, totalParts));
      const repeated = [...acknowledged].filter(([, count]) => count > 1).map(([n]) => n);
      const inFlightAtReload = new Set(firstSession.filter((e) => !journalled.has(e.partNumber!)).map((e) => e.partNumber!));
      expect(repeated.length).toBeLessThanOrEqual(maxInFlight(concurrency));
      for (const n of repeated) {
        expect(journalled.has(n), `repeated part ${n} was not journalled`).toBe(false);
        expect(inFlightAtReload.has(n), `repeated part ${n} was in flight at the reload`).toBe(true);
      }
      expect(inFlightAtReload.size).toBeLessThanOrEqual(maxInFlight(concurrency));
      for (const n of journalled) expect(acknowledged.get(n), `journalled part ${n} was acknowledged once`).toBe(1);
      const complete = mine.filter((e) => e.op === 'CompleteMultipartUpload');
      expect(complete.map((e) => [e.uploadId, e.status])).toEqual([[record.uploadId, 200]]);

      const stored = await oss.objectMd5(key);
      expect(stored).toMatchObject({ size: file.size, md5: file.md5Hex() });

      const summary = {
        journalledAtReload: [...journalled].sort((a, b) => a - b),
        acknowledgedBeforeSnapshot: beforeReload.parts.map((p) => p.partNumber),
        inFlightAtReload: [...inFlightAtReload].sort((a, b) => a - b),
        cutByReload: firstSession.filter((e) => e.status !== 200).map((e) => ({ partNumber: e.partNumber, status: e.status })),
        repeatedAcknowledgedParts: repeated,
        sentAfterReload: secondParts,
        firstSessionMs: reloadedAt - started,
        resumeRunMs: outcome.elapsedMs,
        reconcileMs: outcome.onResumeAtMs,
        totalMs: finishedAt - started,
      };
      await attachJson(testInfo, '1-reload-summary.json', { ...summary, log: mine.map(compactEntry) });
      testInfo.annotations.push({ type: 'timing', description: `reload after ${summary.firstSessionMs} ms; resumed run ${summary.resumeRunMs} ms (onResume at ${summary.reconcileMs} ms); ${journalled.size} parts skipped, ${secondParts.length} sent, ${repeated.length} acknowledged twice` });
    });
  });

  test.describe('two tabs, one upload', () => {
    let file: TestFile;
    const partSize = 4 * MiB;
    const totalParts = 12;
    const concurrency = 3;
    test.beforeAll(async () => {
      file = await createTestFile(totalParts * partSize, 'two-tabs.bin');
    });
    test.afterAll(async () => {
      await file?.dispose();
    });

    /** Opens the page in `page`, configured, with the file picked; counts the page's requests to the OSS server. */
    async function openTab(page: Page, pages: PageServer, oss: E2eOss) {
      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency }));
      await ui.pick(file.path);
      const requests: Array<{ method: string; url: string; at: number }> = [];
      page.on('request', (request) => {
        if (request.url().startsWith(oss.endpoint) && request.method() !== 'OPTIONS') requests.push({ method: request.method(), url: request.url(), at: Date.now() });
      });
      return { ui, requests };
    }

    test('3 · two tabs start the same file to the same key: one uploads, the other rejects with UploadLockedError', async ({ page, context, oss, pages }, testInfo) => {
      const key = 'e2e/resume/tabs/fail.bin';
      const control = ossControl(oss);
      const logStart = await control.mark();
      await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 250, times: 0 }]);
      const a = await openTab(page, pages, oss);
      const b = await openTab(await context.newPage(), pages, oss);
      const { id } = await a.ui.fingerprint(key);

      // Both tabs start at once; whichever takes the Web Lock first uploads.
      const [runA, runB] = await Promise.all([a.ui.start({ kind: 'input' }, { key }), b.ui.start({ kind: 'input' }, { key })]);
      const [outA, outB] = await Promise.all([a.ui.outcome(runA), b.ui.outcome(runB)]);
      const tabs = [{ tab: a, out: outA }, { tab: b, out: outB }];
      const winner = tabs.find((t) => t.out.state === 'done');
      const loser = tabs.find((t) => t.out.state !== 'done');
      expect(winner, 'one tab uploaded').toBeDefined();
      expect(loser, 'the other tab did not').toBeDefined();
      expectDone(winner!.out);
      expect(loser!.out.state).toBe('failed');
      expect(loser!.out.error).toMatchObject({ name: 'UploadLockedError', uploadRecordId: id });
      expect(loser!.out.error!.message).toContain("lock: 'wait'");
      // The loser gave up at once, while the winner was still uploading, and never touched the server.
      expect(loser!.out.elapsedMs).toBeLessThan(winner!.out.elapsedMs);
      expect(loser!.out.parts).toEqual([]);
      expect(loser!.tab.requests).toEqual([]);
      await saveScreenshot(winner === tabs[0] ? page : context.pages()[1]!, testInfo, '3-winner');
      await saveScreenshot(loser === tabs[0] ? page : context.pages()[1]!, testInfo, '3-loser');

      const mine = (await control.log(logStart)).filter((e) => e.key === key && e.op !== 'Options');
      expect(mine.filter((e) => e.op === 'InitiateMultipartUpload')).toHaveLength(1);
      const uploadId = mine.find((e) => e.op === 'UploadPart')!.uploadId!;
      expect([...acknowledgedCounts(mine, uploadId)].sort(([x], [y]) => x - y)).toEqual(range(1, totalParts).map((n) => [n, 1]));
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      expect(unquote(winner!.out.result!.etag)).toBe(file.multipartEtag(partSize));
    });

    test("3 · lock: 'wait' waits while the other tab uploads, then takes over the paused upload and sends only the rest", async ({ page, context, oss, pages }, testInfo) => {
      const key = 'e2e/resume/tabs/wait-pause.bin';
      const control = ossControl(oss);
      const logStart = await control.mark();
      // Slow enough that A is still mid-upload when the spec pauses it (after a screenshot).
      await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 700, times: 0 }]);
      const a = await openTab(page, pages, oss);
      const pageB = await context.newPage();
      const b = await openTab(pageB, pages, oss);

      const runA = await a.ui.start({ kind: 'input' }, { key });
      await a.ui.waitForParts(runA, 3);
      const runB = await b.ui.start({ kind: 'input' }, { key, lock: 'wait' });
      // B waits: no session, no part, no request, while A keeps uploading.
      await a.ui.waitForParts(runA, 6);
      const waiting = await b.ui.snapshot(runB);
      expect(waiting.state).toBe('running');
      expect(waiting.resumes).toEqual([]);
      expect(waiting.parts).toEqual([]);
      expect(b.requests).toEqual([]);
      await saveScreenshot(pageB, testInfo, '3-wait-waiting');

      // A pauses (the user pressed pause, or the tab is being closed): B gets the lock and resumes A's upload.
      await a.ui.pause(runA);
      const pausedA = await a.ui.outcome(runA);
      expect(pausedA.state).toBe('paused');
      const outB = expectDone(await b.ui.outcome(runB));
      await saveScreenshot(pageB, testInfo, '3-wait-done');
      const entries = (await control.log(logStart)).filter((e) => e.key === key && e.op !== 'Options');
      expect(entries.filter((e) => e.op === 'InitiateMultipartUpload')).toHaveLength(1);
      const uploadId = entries.find((e) => e.op === 'UploadPart')!.uploadId!;
      expect(outB.resumes).toHaveLength(1);
      const info = outB.resumes[0]!;
      expect(info).toMatchObject({ resumed: true, uploadId });
      const skipped = info.resumed ? info.skippedParts : -1;
      expect(skipped).toBeGreaterThanOrEqual(pausedA.parts.length);
      expect(outB.parts.length).toBe(totalParts - skipped);
      // A's acknowledged parts were never sent by B.
      const sentByB = new Set(outB.parts.map((p) => p.partNumber));
      for (const part of pausedA.parts) expect(sentByB.has(part.partNumber), `part ${part.partNumber} of A is not re-sent`).toBe(false);
      const acknowledged = acknowledgedCounts(entries, uploadId);
      expect([...acknowledged.keys()].sort((x, y) => x - y)).toEqual(range(1, totalParts));
      // Only parts A had sent but not yet seen answered at the pause may repeat (at most maxInFlight).
      const repeated = [...acknowledged].filter(([, n]) => n > 1).map(([part]) => part);
      const requestedByA = new Set(a.requests.filter((r) => r.method === 'PUT').map((r) => Number(new URL(r.url).searchParams.get('partNumber'))));
      const acknowledgedToA = new Set(pausedA.parts.map((p) => p.partNumber));
      for (const part of repeated) expect(requestedByA.has(part) && !acknowledgedToA.has(part), `part ${part} repeated: A had it in flight`).toBe(true);
      expect(repeated.length).toBeLessThanOrEqual(maxInFlight(concurrency));
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      await attachJson(testInfo, '3-wait-pause.json', { repeated, partsOfA: pausedA.parts.map((p) => p.partNumber), resumeOfB: info, partsOfB: outB.parts.map((p) => p.partNumber) });
    });

    test("3 · lock: 'wait' waits for the other tab's upload to finish, then returns its result without uploading again", async ({ page, context, oss, pages }, testInfo) => {
      const key = 'e2e/resume/tabs/wait-finish.bin';
      const control = ossControl(oss);
      const logStart = await control.mark();
      // Each part takes at least 1 s, so A is still uploading (two rounds of parts to go) when B
      // starts. With 150 ms, A once finished before B began: A's tab is in the background by
      // then, and seeing its second part and starting B took 0.9 s in a full CI run.
      await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 1000, times: 0 }]);
      const a = await openTab(page, pages, oss);
      const pageB = await context.newPage();
      const b = await openTab(pageB, pages, oss);

      const runA = await a.ui.start({ kind: 'input' }, { key });
      await a.ui.waitForParts(runA, 2);
      const runB = await b.ui.start({ kind: 'input' }, { key, lock: 'wait' });
      const outA = expectDone(await a.ui.outcome(runA));
      const outB = expectDone(await b.ui.outcome(runB));
      await saveScreenshot(pageB, testInfo, '3-wait-finish');

      // B returns A's upload (same ETag, same request id of A's Complete), flagged as completed elsewhere.
      expect(outA.result.completedElsewhere).toBeUndefined();
      expect(outB.result).toEqual({ ...outA.result, completedElsewhere: true });
      expect(outB.resumes).toEqual([]);
      expect(outB.parts).toEqual([]);
      const entries = (await control.log(logStart)).filter((e) => e.key === key && e.op !== 'Options');
      expect(entries.filter((e) => e.op === 'InitiateMultipartUpload')).toHaveLength(1);
      const completes = entries.filter((e) => e.op === 'CompleteMultipartUpload');
      expect(completes.map((e) => e.status)).toEqual([200]);
      const uploadId = completes[0]!.uploadId!;
      expect([...acknowledgedCounts(entries, uploadId)].sort(([x], [y]) => x - y)).toEqual(range(1, totalParts).map((n) => [n, 1]));
      // The server saw one thing after A's Complete: B's HeadObject checking the object is still A's. B sent nothing else.
      expect(entries.slice(entries.indexOf(completes[0]!) + 1).map((e) => `${e.op} ${e.status}`)).toEqual(['HeadObject 200']);
      expect(b.requests.map((r) => r.method)).toEqual(['HEAD']);
      expect(b.requests[0]!.at).toBeGreaterThanOrEqual(Date.parse(completes[0]!.time));
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      expect(unquote(outA.result.etag)).toBe(file.multipartEtag(partSize));
      // The journal keeps only the completed marker, which is not a pending upload.
      expect(await b.ui.listPending()).toEqual([]);
      const journal = await b.ui.journal();
      expect(journal.map((r) => ({ key: r.key, uploadId: r.uploadId, partNumbers: r.partNumbers, etag: r.completed?.etag }))).toEqual([
        { key, uploadId, partNumbers: [], etag: outA.result.etag },
      ]);
      await attachJson(testInfo, '3-wait-finish.json', { requestsOfB: b.requests, resultOfA: outA.result, resultOfB: outB.result, waitedMs: outB.elapsedMs });
    });
  });

  test('4 · the upload is aborted on the server behind the SDK\'s back: resume reports NoSuchUpload and uploads afresh', async ({ page, oss, pages }, testInfo) => {
    const partSize = 4 * MiB;
    const totalParts = 8;
    const file = await createTestFile(totalParts * partSize, 'aborted-behind.bin');
    try {
      const key = 'e2e/resume/no-such-upload/aborted-behind.bin';
      const control = ossControl(oss);
      const logStart = await control.mark();
      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency: 2 }));
      await ui.pick(file.path);
      const first = await ui.outcome(await ui.start({ kind: 'input' }, { key, pauseAfterParts: 3 }));
      expect(first.state).toBe('paused');
      const [record] = await ui.journal();
      expect(record?.partNumbers.length).toBeGreaterThanOrEqual(3);
      const oldUploadId = record!.uploadId;

      // Another client (the official ali-oss SDK, from Node) aborts the multipart upload.
      const ali = aliOss(oss);
      expect((await ali.listUploads({ prefix: key })).uploads?.map((u) => u.uploadId)).toContain(oldUploadId);
      expect((await ali.abortMultipartUpload(key, oldUploadId)).res.status).toBe(204);
      expect((await ali.listUploads({ prefix: key })).uploads ?? []).toEqual([]);

      const mark = await control.mark();
      const second = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      await saveScreenshot(page, testInfo, '4-fresh-upload');
      expect(second.resumes).toEqual([{ resumed: false, reason: 'NoSuchUpload', uploadId: oldUploadId }]);
      expect(second.parts.map((p) => p.partNumber).sort((x, y) => x - y)).toEqual(range(1, totalParts));
      expect(second.progress[0]?.transferredBytes, 'a fresh upload starts from 0 bytes: nothing of the aborted upload counts').toBe(0);
      expect(await ui.listPending()).toEqual([]);

      const after = (await control.log(mark)).filter((e) => e.key === key && e.op !== 'Options');
      expect(after.find((e) => e.op === 'ListParts')).toMatchObject({ uploadId: oldUploadId, status: 404, code: 'NoSuchUpload' });
      const initiate = after.filter((e) => e.op === 'InitiateMultipartUpload');
      expect(initiate).toHaveLength(1);
      const newUploadId = after.find((e) => e.op === 'UploadPart')!.uploadId!;
      expect(newUploadId).not.toBe(oldUploadId);
      expect(after.filter((e) => e.op === 'UploadPart').every((e) => e.uploadId === newUploadId && e.status === 200)).toBe(true);
      expect([...acknowledgedCounts(after, newUploadId)].sort(([x], [y]) => x - y)).toEqual(range(1, totalParts).map((n) => [n, 1]));
      expect(after.filter((e) => e.op === 'CompleteMultipartUpload').map((e) => [e.uploadId, e.status])).toEqual([[newUploadId, 200]]);
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      expect(unquote(second.result.etag)).toBe(file.multipartEtag(partSize));
      await attachJson(testInfo, '4-log.json', (await control.log(logStart)).filter((e) => e.key === key));
    } finally {
      await file.dispose();
    }
  });

  test.describe('offline', () => {
    const partSize = 4 * MiB;
    const totalParts = 16;
    const concurrency = 4;
    /** Two quick retries: 5 s of failing requests would exhaust them many times over. */
    const retry = { limit: 2, baseDelayMs: 100, maxDelayMs: 400 };
    let file: TestFile;
    test.beforeAll(async () => {
      file = await createTestFile(totalParts * partSize, 'offline.bin');
    });
    test.afterAll(async () => {
      await file?.dispose();
    });

    type Sent = { at: number; part: number; status?: number };

    /** Starts an upload, goes offline for 5 s after 4 parts, comes back; returns what happened. */
    async function offlineFor5s(page: Page, context: BrowserContext, oss: E2eOss, pages: PageServer, key: string) {
      const control = ossControl(oss);
      const logStart = await control.mark();
      await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 300, times: 0 }]);
      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency, retry }));
      await ui.pick(file.path);
      // Every UploadPart the page started, and the status of those that got an answer.
      const requests: Sent[] = [];
      const track = new Map<object, Sent>();
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (request.method() !== 'PUT' || !url.searchParams.has('partNumber')) return;
        const entry: Sent = { at: Date.now(), part: Number(url.searchParams.get('partNumber')) };
        requests.push(entry);
        track.set(request, entry);
      });
      page.on('response', (response) => {
        const entry = track.get(response.request());
        if (entry) entry.status = response.status();
      });

      const run = await ui.start({ kind: 'input' }, { key });
      await ui.waitForParts(run, 4);
      const offlineAt = Date.now();
      await context.setOffline(true);
      await page.waitForFunction(() => !navigator.onLine || document.documentElement.dataset['forcedOnline'] === 'yes');
      const atOffline = await ui.snapshot(run);
      // 5 s offline (or less, if the upload fails before: then there is nothing left to wait for).
      await page.waitForFunction((r) => window.resumePage!.snapshot(r).state !== 'running', run, { timeout: 5_000 }).catch(() => undefined);
      const after5s = await ui.snapshot(run);
      const onlineAt = Date.now();
      await context.setOffline(false);
      const finished = await ui.outcome(run);
      const entries = (await control.log(logStart)).filter((e) => e.key === key && e.op === 'UploadPart');
      return { ui, finished, atOffline, after5s, offlineAt, onlineAt, requests, entries };
    }

    test('5 · offline for 5 s mid-upload: the upload waits for the network and completes without spending its retries', async ({ page, context, oss, pages }, testInfo) => {
      const key = 'e2e/resume/offline/offline.bin';
      const { ui, finished, atOffline, after5s, offlineAt, onlineAt, requests, entries } = await offlineFor5s(page, context, oss, pages, key);
      await saveScreenshot(page, testInfo, '5-back-online');
      await attachJson(testInfo, '5-offline.json', {
        offlineMs: onlineAt - offlineAt, partsAtOffline: atOffline.parts.length, partsAfter5sOffline: after5s.parts.length,
        connectivity: (await ui.connectivity()).map(([at, online]) => [at - offlineAt, online]),
        requests: requests.map((r) => ({ ...r, at: r.at - offlineAt })), serverLog: entries.map(compactEntry), error: finished.error,
      });
      const out = expectDone(finished);

      expect(after5s.state, 'the upload was still running after 5 s offline').toBe('running');
      expect(out.resumes).toEqual([]);
      expect(out.parts.map((p) => p.partNumber).sort((x, y) => x - y)).toEqual(range(1, totalParts));
      // The page really was offline: navigator.onLine went false, then true again.
      const changes = (await ui.connectivity()).slice(1); // [0] is the state at load; the rest are online/offline events
      expect(changes.map(([, online]) => online)).toEqual([false, true]);

      // While offline the SDK held its requests: none started until the network was back (in-flight
      // ones may finish; Chromium's offline emulation does not cut them), and at most the parts in
      // flight (maxInFlight) went unanswered. With 2 retries at 100 ms, 5 s of failing attempts would have failed the upload.
      const startedWhileOffline = requests.filter((r) => r.at > offlineAt + 500 && r.at < onlineAt);
      expect(startedWhileOffline).toEqual([]);
      expect(requests.filter((r) => r.status === undefined).length).toBeLessThanOrEqual(maxInFlight(concurrency));
      expect(after5s.parts.length - atOffline.parts.length, 'only in-flight parts finished while offline').toBeLessThanOrEqual(maxInFlight(concurrency));
      // Back online, it went on at once (on the `online` event, not after some long backoff).
      const firstBackOnline = Math.min(...requests.filter((r) => r.at >= onlineAt).map((r) => r.at));
      expect(firstBackOnline - onlineAt).toBeLessThan(2_000);

      // The server saw every part acknowledged exactly once, and no failed attempt beyond in-flight ones.
      const uploadId = entries[0]!.uploadId!;
      expect([...acknowledgedCounts(entries, uploadId)].sort(([x], [y]) => x - y)).toEqual(range(1, totalParts).map((n) => [n, 1]));
      expect(entries.filter((e) => e.status !== 200).length).toBeLessThanOrEqual(maxInFlight(concurrency));
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      testInfo.annotations.push({ type: 'timing', description: `offline ${onlineAt - offlineAt} ms; ${after5s.parts.length - atOffline.parts.length} in-flight parts finished while offline; upload ${out.elapsedMs} ms` });
    });

    test('5 · control: an SDK that cannot see it is offline burns its 2 retries and fails while the network is down', async ({ page, context, oss, pages }, testInfo) => {
      // navigator.onLine pinned to true (as if the platform did not report offline): the same 5 s now fail the upload.
      await page.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => true });
        document.addEventListener('DOMContentLoaded', () => {
          document.documentElement.dataset['forcedOnline'] = 'yes';
        });
      });
      const key = 'e2e/resume/offline/control.bin';
      const { finished, after5s, offlineAt, onlineAt, requests } = await offlineFor5s(page, context, oss, pages, key);
      await saveScreenshot(page, testInfo, '5-control-failed');
      // It failed while the network was still down, long before the 5 s were over…
      expect(after5s.state).toBe('failed');
      expect(finished.error).toMatchObject({ name: 'OssNetworkError' });
      const lastAttempt = Math.max(...requests.map((r) => r.at));
      expect(lastAttempt).toBeGreaterThanOrEqual(offlineAt);
      expect(lastAttempt).toBeLessThan(onlineAt);
      // …after a burst of unanswered attempts: a part's first try and its 2 retries at least.
      expect(requests.filter((r) => r.status === undefined).length, 'failed attempts: first tries plus 2 retries').toBeGreaterThanOrEqual(3);
    });
  });

  test.describe('same name, same size, different content', () => {
    const partSize = 4 * MiB;
    const totalParts = 6;
    let oldFile: TestFile;
    let newFile: TestFile;
    test.beforeAll(async () => {
      // Two real files with the same name, size and modification time; only the bytes differ.
      oldFile = await createTestFile(totalParts * partSize, 'quarterly-report.bin');
      newFile = await createTestFile(totalParts * partSize, 'quarterly-report.bin');
      const mtime = new Date('2026-01-15T09:30:00.000Z');
      await utimes(oldFile.path, mtime, mtime);
      await utimes(newFile.path, mtime, mtime);
    });
    test.afterAll(async () => {
      await oldFile?.dispose();
      await newFile?.dispose();
    });

    test('6 · after a partial upload, the other file is never spliced onto the old parts; the old record stays separate', async ({ page, oss, pages }, testInfo) => {
      expect(newFile.path).not.toBe(oldFile.path);
      const key = 'e2e/resume/same-name/quarterly-report.bin';
      const control = ossControl(oss);
      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency: 2 }));

      await ui.pick(oldFile.path);
      const oldInput = await ui.inputFile();
      const oldId = await ui.fingerprint(key);
      const paused = await ui.outcome(await ui.start({ kind: 'input' }, { key, pauseAfterParts: 2 }));
      expect(paused.state).toBe('paused');
      const [oldRecord] = await ui.journal();
      expect(oldRecord).toMatchObject({ id: oldId.id, key, fileName: 'quarterly-report.bin', fileSize: oldFile.size });

      // The user picks the other file: same name, same size, same lastModified, same type.
      await ui.pick(newFile.path);
      const newInput = await ui.inputFile();
      expect(newInput).toEqual(oldInput);
      expect(newInput?.lastModified).toBe(Date.parse('2026-01-15T09:30:00.000Z'));
      const newId = await ui.fingerprint(key);
      expect(newId.id).not.toBe(oldId.id);

      const mark = await control.mark();
      const out = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      await saveScreenshot(page, testInfo, '6-new-file-uploaded');
      expect(out.resumes, 'nothing to resume for the new file').toEqual([]);
      expect(out.parts.map((p) => p.partNumber).sort((x, y) => x - y)).toEqual(range(1, totalParts));
      const stored = await oss.objectMd5(key);
      expect(stored).toMatchObject({ size: newFile.size, md5: newFile.md5Hex() });
      expect(stored.md5).not.toBe(oldFile.md5Hex());
      expect(unquote(out.result.etag)).toBe(newFile.multipartEtag(partSize));

      // The server: a new multipart upload; the old one untouched (no ListParts, part or Complete on it).
      const after = (await control.log(mark)).filter((e) => e.key === key && e.op !== 'Options');
      const newUploadId = after.find((e) => e.op === 'UploadPart')!.uploadId!;
      expect(newUploadId).not.toBe(oldRecord!.uploadId);
      expect(after.filter((e) => e.uploadId === oldRecord!.uploadId)).toEqual([]);
      expect(after.filter((e) => e.op === 'InitiateMultipartUpload')).toHaveLength(1);

      // The old record is still there, separate, with its own upload and parts: reported, not merged.
      const pending = await ui.listPending();
      expect(pending).toEqual([expect.objectContaining({ id: oldId.id, uploadId: oldRecord!.uploadId, partsDone: oldRecord!.partNumbers.length })]);
      // (the server may hold one more part per lane: those in flight when the pause came)
      const oldOnServer = (await aliOss(oss).listParts(key, oldRecord!.uploadId)).parts?.map((p) => Number(p.PartNumber)) ?? [];
      expect(oldOnServer).toEqual(expect.arrayContaining([...oldRecord!.partNumbers]));
      expect(oldOnServer.length).toBeLessThanOrEqual(oldRecord!.partNumbers.length + 2);

      // discard(id) aborts it on the server and forgets it.
      const beforeDiscard = await control.mark();
      await ui.discard(oldId.id);
      expect(await ui.listPending()).toEqual([]);
      expect((await control.log(beforeDiscard)).filter((e) => e.op === 'AbortMultipartUpload').map((e) => [e.uploadId, e.status])).toEqual([[oldRecord!.uploadId, 204]]);
      expect((await aliOss(oss).listUploads({ prefix: key })).uploads ?? []).toEqual([]);
      expect(await oss.objectMd5(key)).toMatchObject({ md5: newFile.md5Hex() });
    });
  });

  test('management · sweep() discards stale records (aborting their uploads) and, with a prefix, orphans no record knows', async ({ page, oss, pages }, testInfo) => {
    const partSize = 1 * MiB;
    const file = await createTestFile(8 * partSize, 'stale.bin');
    const raw = rawOss(oss);
    try {
      const prefix = 'e2e/resume/sweep/';
      const key = `${prefix}stale.bin`;
      const control = ossControl(oss);
      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency: 1 }));
      await ui.pick(file.path);
      expect((await ui.outcome(await ui.start({ kind: 'input' }, { key, pauseAfterParts: 2 }))).state).toBe('paused');
      const [record] = await ui.journal();
      // An upload another client started and forgot: on the server, in no journal.
      const orphanKey = `${prefix}orphan.bin`;
      const orphanId = await raw.initiate(orphanKey);

      // Nothing is older than an hour: nothing goes.
      expect(await ui.sweep({ olderThan: 3_600_000, prefix })).toEqual({ discarded: [], aborted: [] });
      expect(await ui.listPending()).toHaveLength(1);

      await page.waitForTimeout(5);
      const mark = await control.mark();
      const swept = await ui.sweep({ olderThan: 0, prefix });
      expect(swept).toEqual({ discarded: [record!.id], aborted: [{ key: orphanKey, uploadId: orphanId }] });
      expect(await ui.listPending()).toEqual([]);
      expect(await ui.journal()).toEqual([]);
      const aborts = (await control.log(mark)).filter((e) => e.op === 'AbortMultipartUpload').map((e) => [e.key, e.uploadId, e.status]);
      expect(aborts.sort()).toEqual([[key, record!.uploadId, 204], [orphanKey, orphanId, 204]].sort());
      expect((await aliOss(oss).listUploads({ prefix })).uploads ?? []).toEqual([]);
      await saveScreenshot(page, testInfo, 'sweep-done');
    } finally {
      raw.close();
      await file.dispose();
    }
  });

  test.describe('a 10,000-part journal', () => {
    /** The smallest part the SDK accepts (OSS: 100 KB for every part but the last), so 10,000 parts ≈ 977 MiB. */
    const partSize = 102_400;
    const totalParts = 10_000;
    let file: TestFile;
    test.beforeAll(async () => {
      test.setTimeout(120_000);
      file = await createTestFile(totalParts * partSize, 'journal-10k.bin');
    });
    test.afterAll(async () => {
      await file?.dispose();
    });

    test('7 · a seeded 10,000-part journal reconciles against 10 pages of ListParts: only the parts the server lacks or disagrees on are sent', async ({ page, oss, pages }, testInfo) => {
      test.setTimeout(180_000);
      const key = 'e2e/resume/journal-10k/journal-10k.bin';
      const control = ossControl(oss);
      const partMd5 = range(1, totalParts).map((n) => file.md5Hex((n - 1) * partSize, n * partSize).toUpperCase());
      // Where journal and server disagree (every other part is on the server and in the journal, identical):
      const serverLacks = [1234, 5000, 9999, 10_000]; // journalled, but not on the server
      const journalLacks = [1, 6000, 8888]; // on the server, but not journalled
      const otherBytesOnServer = [2500, 7500]; // the server's ETag is not the journal's MD5
      const otherSizeOnServer = [4242]; // the server's part is 50 KB
      const expectedSent = [...serverLacks, ...journalLacks, ...otherBytesOnServer, ...otherSizeOnServer].sort((x, y) => x - y);

      // Server side, from Node: one multipart upload with 9,996 parts (raw V1 requests, 16 at a time).
      const seedStarted = Date.now();
      const raw = rawOss(oss);
      let uploadId: string;
      try {
        uploadId = await raw.initiate(key);
        const bodies: Array<readonly [number, Uint8Array]> = [];
        for (const n of range(1, totalParts)) {
          if (serverLacks.includes(n)) continue;
          const slice = file.bytes.subarray((n - 1) * partSize, n * partSize);
          bodies.push([n, otherBytesOnServer.includes(n) ? randomBytes(partSize) : otherSizeOnServer.includes(n) ? slice.subarray(0, partSize / 2) : slice]);
        }
        await raw.uploadParts(key, uploadId, bodies, 16);
      } finally {
        raw.close();
      }
      const seedMs = Date.now() - seedStarted;

      // Browser side: the user picks the file; the journal gets a record for it (its id is the SDK's
      // own fingerprint of that file) with 9,997 parts, as if an earlier session had written them.
      const ui = resumePage(page);
      await openResumePage(page, pages);
      await ui.configure(baseConfig(oss, { partSize, concurrency: 4 }));
      await ui.pick(file.path);
      const journalParts = range(1, totalParts).filter((n) => !journalLacks.includes(n))
        .map((n) => ({ partNumber: n, etag: `"${partMd5[n - 1]!}"`, size: partSize, md5: partMd5[n - 1]! }));
      const seeded = await ui.seedRecord({ key, uploadId, partSize, parts: journalParts });
      expect(await ui.listPending()).toEqual([expect.objectContaining({ id: seeded.id, uploadId, partsDone: totalParts - journalLacks.length })]);

      const mark = await control.mark();
      const out = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      await saveScreenshot(page, testInfo, '7-journal-10k-done');
      const skippedParts = totalParts - expectedSent.length;
      expect(out.resumes).toEqual([{ resumed: true, uploadId, skippedParts, skippedBytes: skippedParts * partSize }]);
      expect(out.parts.map((p) => p.partNumber).sort((x, y) => x - y)).toEqual(expectedSent);
      expect(out.progress[0]).toMatchObject({ transferredBytes: skippedParts * partSize, completedParts: skippedParts, totalParts });
      expect(out.progress.at(-1)).toMatchObject({ phase: 'done', transferredBytes: file.size, completedParts: totalParts });

      // The log: ListParts walked all 10 pages, exactly the disputed parts were sent, once each, then Complete.
      const after = (await control.log(mark)).filter((e) => e.key === key && e.op !== 'Options');
      const listParts = after.filter((e) => e.op === 'ListParts');
      expect(listParts.map((e) => [e.uploadId, e.status])).toEqual(Array.from({ length: 10 }, () => [uploadId, 200]));
      expect(uploadParts(after, uploadId).map((e) => [e.partNumber, e.status]).sort(([x], [y]) => x! - y!)).toEqual(expectedSent.map((n) => [n, 200]));
      expect(after.filter((e) => e.op === 'InitiateMultipartUpload')).toEqual([]);
      expect(after.filter((e) => e.op === 'CompleteMultipartUpload').map((e) => [e.uploadId, e.status])).toEqual([[uploadId, 200]]);
      expect(unquote(out.result.etag)).toBe(file.multipartEtag(partSize));
      const checkStarted = Date.now();
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      const md5CheckMs = Date.now() - checkStarted;
      expect(await ui.listPending()).toEqual([]);
      await aliOss(oss).delete(key); // ~1 GB: free the disk for the next specs

      const timing = {
        serverSeedMs: seedMs, journalWriteMs: seeded.writeMs,
        reconcileMs: out.onResumeAtMs, // upload() → onResume: fingerprint, Web Lock, journal read (9,997 rows), 10 × ListParts, reconcile
        uploadRunMs: out.elapsedMs, // + hashing and sending 10 parts, Complete of 10,000 parts
        objectMd5CheckMs: md5CheckMs,
      };
      console.log(`[resume 10k] reconcile of a 10,000-part journal: ${timing.reconcileMs} ms (whole resumed upload ${timing.uploadRunMs} ms; seeding ${seedMs} ms)`);
      await attachJson(testInfo, '7-journal-10k.json', { timing, expectedSent, sent: out.parts.map((p) => p.partNumber), resume: out.resumes[0] });
      testInfo.annotations.push({ type: 'timing', description: `reconcile (upload() → onResume) ${timing.reconcileMs} ms; resumed upload ${timing.uploadRunMs} ms; server seeding ${seedMs} ms; journal write ${seeded.writeMs} ms` });
    });
  });
});

/** A log entry without the noise, for attachments. */
function compactEntry(e: RequestLogEntry) {
  return { op: e.op, partNumber: e.partNumber, uploadId: e.uploadId, status: e.status, code: e.code, bytesIn: e.bytesIn, fault: e.fault, time: e.time };
}
