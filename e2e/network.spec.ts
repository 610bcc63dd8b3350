/**
 * Real networks (issue 12): uploads with the SDK's defaults on emulated slow and distant uplinks
 * (Chromium's `Network.emulateNetworkConditions`: upload rate and latency, per page), and the
 * failures such links bring, from the server's fault injection: a stalled request, a socket dropped
 * mid-part, a reload mid-upload. The server's request log is the witness of what was sent and how
 * often, and how long each request lasted; the official ali-oss client reads the objects back.
 *
 * Each upload runs in its own browser context (its own page, and so its own emulated link), and the
 * four link profiles run at once: the time is the links', not the CPU's.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect, test } from './support/fixtures.js';
import type { E2eOss } from './support/oss.js';
import { ossControl, uploadParts, type RequestLogEntry } from './support/oss-control.js';
import { bytesForSeconds, e2eLinks, emulateLink, linkEfficiency, linkProfile, type CdpSend, type LinkProfile } from './support/network.js';
import type { PageServer } from './support/pages.js';
import {
  attachJson, baseConfig, expectDone, MiB, openResumePage, range, resumePage, saveScreenshot, waitForResumePage,
  type ResumePageConfig, type RunSnapshot,
} from './support/resume-page.js';
import { createTestFile } from './support/test-file.js';

test.use({ ossOptions: { faults: true } });

/** One page in a context of its own, on an emulated link applied once the page has loaded. */
async function pageOnLink(browser: Browser, pages: PageServer, oss: E2eOss, config: Partial<ResumePageConfig> = {}) {
  const context: BrowserContext = await browser.newContext();
  const page: Page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const send: CdpSend = (method, params) => cdp.send(method as never, params as never);
  await openResumePage(page, pages);
  const ui = resumePage(page);
  await ui.configure(baseConfig(oss, config));
  return { context, page, ui, link: (link: LinkProfile | undefined) => emulateLink(send, link) };
}

/** The request log's entries that carried bytes of `key` (UploadPart, PutObject). */
function bodyRequests(entries: readonly RequestLogEntry[], key: string): RequestLogEntry[] {
  return entries.filter((e) => e.key === key && (e.op === 'UploadPart' || e.op === 'PutObject'));
}

/** How often each part (PutObject: part 1) was sent. */
function sendsPerPart(entries: readonly RequestLogEntry[]): Map<number, RequestLogEntry[]> {
  const byPart = new Map<number, RequestLogEntry[]>();
  for (const entry of entries) byPart.set(entry.partNumber ?? 1, [...(byPart.get(entry.partNumber ?? 1) ?? []), entry]);
  return byPart;
}

/** The progress of a run from its first byte on: the longest wait for a larger byte count, and the ETA error after 10 s. */
function progressQuality(run: RunSnapshot, totalBytes: number) {
  const { progress, progressAtMs } = run;
  const first = progress.findIndex((p) => p.phase === 'uploading' && p.transferredBytes > 0);
  const last = progress.findIndex((p) => p.transferredBytes >= totalBytes);
  let longestGapMs = 0;
  let previousAt = progressAtMs[first]!;
  let previousBytes = progress[first]!.transferredBytes;
  for (let i = first + 1; i <= last; i++) {
    if (progress[i]!.transferredBytes <= previousBytes) continue;
    longestGapMs = Math.max(longestGapMs, progressAtMs[i]! - previousAt);
    previousAt = progressAtMs[i]!;
    previousBytes = progress[i]!.transferredBytes;
  }
  // The ETA against what really followed, from 10 s after the first byte while at least 5 s were
  // left (below that, whole seconds and the final Complete round trip dominate the ratio).
  const endMs = run.elapsedMs;
  const etaErrors: number[] = [];
  const etaTrace: Array<[number, number, number, number, number]> = [];
  for (let i = first; i < progress.length; i++) {
    const at = progressAtMs[i]!;
    const eta = progress[i]!.etaSeconds;
    const real = (endMs - at) / 1000;
    if (at < progressAtMs[first]! + 10_000 || real < 5 || eta === undefined) continue;
    etaErrors.push((eta - real) / real);
    etaTrace.push([at, eta, Number(real.toFixed(1)), progress[i]!.transferredBytes, progress[i]!.bytesPerSecond]);
  }
  return { firstByteAtMs: progressAtMs[first]!, longestGapMs, etaErrors, etaTrace };
}

test.describe('uploads on slow and distant links (emulated in Chromium)', () => {
  test.beforeEach(async ({ oss }) => {
    await ossControl(oss).clearFaults();
  });

  test('with defaults, a file worth ~50 s of link time completes byte-identical on 256 kbit/s·400 ms, 1 Mbit/s·300 ms, 4 Mbit/s·150 ms and 20 Mbit/s·40 ms; progress moves at least every 2 s, the ETA holds ±20 % after 10 s, no attempt is cut', async ({ browser, oss, pages }, testInfo) => {
    test.setTimeout(240_000);
    const control = ossControl(oss);
    const logStart = await control.mark();
    const report = await Promise.all(e2eLinks.map(async (link) => {
      const file = await createTestFile(bytesForSeconds(link, 50), `${link.id}.bin`);
      const key = `e2e/network/${link.id}.bin`;
      const { context, page, ui, link: applyLink } = await pageOnLink(browser, pages, oss);
      try {
        await ui.pick(file.path);
        await applyLink(link);
        const run = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
        await applyLink(undefined);
        if (link.id === '1mbit-300ms') await saveScreenshot(page, testInfo, `done-${link.id}`);
        const stored = await oss.objectMd5(key);
        return { link, file, key, run, stored, quality: progressQuality(run, file.size) };
      } finally {
        await context.close();
        await file.dispose();
      }
    }));
    const entries = await control.log(logStart);
    const summary = report.map(({ link, file, key, run, quality }) => {
      const sends = bodyRequests(entries, key);
      return {
        link: link.id, bytes: file.size, parts: run.progress.at(-1)?.totalParts, elapsedMs: run.elapsedMs,
        efficiency: Number(linkEfficiency(link, file.size, run.elapsedMs).toFixed(3)),
        firstByteAtMs: quality.firstByteAtMs, longestProgressGapMs: quality.longestGapMs,
        worstEtaError: Number(Math.max(0, ...quality.etaErrors.map(Math.abs)).toFixed(3)),
        meanEtaError: Number((quality.etaErrors.reduce((sum, e) => sum + e, 0) / Math.max(1, quality.etaErrors.length)).toFixed(3)),
        mostInFlight: Math.max(0, ...run.partEvents.map((e) => e.inFlight)),
        etaTrace: quality.etaTrace, partEvents: run.partEvents,
        requests: sends.map((e) => [e.partNumber ?? 1, e.status, e.ms]),
      };
    });
    await attachJson(testInfo, 'links.json', summary);
    for (const { link, file, key, run, stored, quality } of report) {
      const name = link.id;
      expect(stored, `${name}: the stored object is the file`).toMatchObject({ md5: file.md5Hex(), size: file.size });
      expect(run.result.size).toBe(file.size);
      expect(quality.longestGapMs, `${name}: a larger byte count at least every 2 s`).toBeLessThanOrEqual(2000);
      expect(quality.etaErrors.length, `${name}: ETA samples after 10 s`).toBeGreaterThan(10);
      for (const error of quality.etaErrors) expect(Math.abs(error), `${name}: ETA within ±20 % after 10 s`).toBeLessThanOrEqual(0.2);
      // Every part went out once, and the server saw no attempt end without an answer (status 0).
      const sends = bodyRequests(entries, key);
      for (const [part, attempts] of sendsPerPart(sends)) {
        expect(attempts.map((e) => [e.status, e.fault ?? null]), `${name}: part ${part} sent once, answered`).toEqual([[200, null]]);
      }
      expect(run.partEvents.every((e) => e.attempts <= 1), `${name}: no retried part`).toBe(true);
    }
  });

  test('a stalled request (the server reads and answers nothing) is given up within stallTimeout + 5 s after its last byte moved, retried, and the upload completes', async ({ browser, oss, pages }) => {
    test.setTimeout(120_000);
    const link = linkProfile('4mbit-150ms');
    const file = await createTestFile(6 * MiB, 'stall.bin');
    const key = 'e2e/network/stall.bin';
    const stallTimeout = 10_000;
    const control = ossControl(oss);
    const logStart = await control.mark();
    await control.addFaults([{ op: 'UploadPart', key, partNumber: 3, action: 'stall', holdMs: 60_000 }]);
    const { context, ui, link: applyLink } = await pageOnLink(browser, pages, oss, { stallTimeout });
    try {
      await ui.pick(file.path);
      await applyLink(link);
      const run = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      expect(await oss.objectMd5(key)).toMatchObject({ md5: file.md5Hex(), size: file.size });
      expect((await control.faults())[0]).toMatchObject({ fired: 1, seen: 2 }); // part 3 was sent twice
      // (The server logs the stalled request only when its hold ends: it never reads the client's close.)
      const sends = sendsPerPart(bodyRequests(await control.log(logStart), key));
      expect(sends.get(3)!.map((e) => e.status)).toEqual([200]);
      for (const n of [1, 2, 4, 5, 6]) expect(sends.get(n)!.map((e) => e.status), `part ${n} sent once`).toEqual([200]);
      // The page saw the stalled attempt's bytes go out (into socket buffers the server never read),
      // then nothing; its second attempt started within stallTimeout + 5 s of the last byte moving.
      const retry = run.partEvents.find((e) => e.partNumber === 3 && e.attempts === 2)!;
      expect(retry.lastGrowthAtMs).toBeDefined();
      const waited = retry.atMs - retry.lastGrowthAtMs!;
      expect(waited).toBeGreaterThanOrEqual(stallTimeout);
      expect(waited).toBeLessThanOrEqual(stallTimeout + 5000);
      expect(run.partEvents.filter((e) => e.attempts > 1).map((e) => e.partNumber)).toEqual([3, 3]);
    } finally {
      await context.close();
      await file.dispose();
    }
  });

  test('on 1 Mbit/s, a socket dropped halfway through a part: only that part is sent again', async ({ browser, oss, pages }) => {
    test.setTimeout(120_000);
    const link = linkProfile('1mbit-300ms');
    const file = await createTestFile(3 * MiB, 'drop.bin');
    const key = 'e2e/network/drop.bin';
    const partSize = 1 * MiB; // 'auto' on a link not yet measured
    const control = ossControl(oss);
    const logStart = await control.mark();
    await control.addFaults([{ op: 'UploadPart', key, partNumber: 2, action: 'drop', afterBytes: partSize / 2 }]);
    const { context, ui, link: applyLink } = await pageOnLink(browser, pages, oss);
    try {
      await ui.pick(file.path);
      await applyLink(link);
      const run = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      expect(await oss.objectMd5(key)).toMatchObject({ md5: file.md5Hex(), size: file.size });
      const sends = sendsPerPart(bodyRequests(await control.log(logStart), key));
      expect([...sends.keys()].sort()).toEqual([1, 2, 3]);
      expect(sends.get(2)!.map((e) => [e.status, e.fault ?? null])).toEqual([[0, 'drop'], [200, null]]);
      expect(sends.get(2)![0]!.bytesIn).toBeGreaterThanOrEqual(partSize / 2);
      for (const n of [1, 3]) expect(sends.get(n)!.map((e) => e.status), `part ${n} sent once`).toEqual([200]);
      const bytesOnWire = [...sends.values()].flat().reduce((sum, e) => sum + e.bytesIn, 0);
      expect(bytesOnWire - file.size, 'bytes sent again: half a part').toBeLessThanOrEqual(partSize / 2 + 64 * 1024);
      // The retried attempt started from zero, yet progress never went back.
      for (let i = 1; i < run.progress.length; i++) expect(run.progress[i]!.transferredBytes).toBeGreaterThanOrEqual(run.progress[i - 1]!.transferredBytes);
    } finally {
      await context.close();
      await file.dispose();
    }
  });

  test('on 1 Mbit/s, the next upload of the same uploader sizes its parts from the throughput the first one measured (about 10 s of link time each)', async ({ browser, oss, pages }) => {
    test.setTimeout(120_000);
    const link = linkProfile('1mbit-300ms');
    const first = await createTestFile(768 * 1024, 'first.bin');
    const second = await createTestFile(3 * MiB, 'second.bin');
    const control = ossControl(oss);
    const logStart = await control.mark();
    const { context, ui, link: applyLink } = await pageOnLink(browser, pages, oss);
    try {
      await applyLink(link);
      await ui.pick(first.path);
      expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key: 'e2e/network/measure-first.bin' })));
      await ui.pick(second.path);
      const run = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key: 'e2e/network/measure-second.bin' })));
      expect(await oss.objectMd5('e2e/network/measure-second.bin')).toMatchObject({ md5: second.md5Hex(), size: second.size });
      // Unmeasured, 3 MiB would go as parts of 1 MiB; at the 115–125 KB/s the first upload measured,
      // a part is 10 s of that, rounded up to 64 KiB: 1.125–1.25 MiB.
      const sizes = bodyRequests(await control.log(logStart), 'e2e/network/measure-second.bin').map((e) => e.bytesIn);
      expect(run.progress.at(-1)!.totalParts).toBe(sizes.length);
      expect(Math.max(...sizes)).toBeGreaterThanOrEqual(1.125 * MiB);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1.25 * MiB);
      expect(Math.max(...sizes) % (64 * 1024)).toBe(0);
    } finally {
      await context.close();
      await first.dispose();
      await second.dispose();
    }
  });

  test('reload mid-upload on 1 Mbit/s, re-pick the file: only the missing parts are sent', async ({ browser, oss, pages }, testInfo) => {
    test.setTimeout(150_000);
    const link = linkProfile('1mbit-300ms');
    const file = await createTestFile(4 * MiB, 'reload.bin');
    const key = 'e2e/network/reload.bin';
    const control = ossControl(oss);
    const logStart = await control.mark();
    const { context, page, ui, link: applyLink } = await pageOnLink(browser, pages, oss);
    try {
      await ui.pick(file.path);
      await applyLink(link);
      const first = await ui.start({ kind: 'input' }, { key });
      await ui.waitForParts(first, 2, 90_000);
      await saveScreenshot(page, testInfo, 'reload-before');
      // The page goes away mid-upload, as a user's reload does (still on the slow link: lifting the
      // emulation first would let the parts in flight finish at once).
      await page.reload();
      await waitForResumePage(page);
      await applyLink(undefined);
      const journal = await ui.journal();
      expect(journal).toHaveLength(1);
      const journalled = new Set(journal[0]!.partNumbers);
      const uploadId = journal[0]!.uploadId;
      expect(journalled.size).toBeGreaterThanOrEqual(2);
      // Requests cut by the reload end on the server when their sockets close; wait for them, so
      // everything logged from the split on is the second session's.
      await expect.poll(async () => uploadParts(await control.log(logStart), uploadId).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(journalled.size);
      const split = await control.mark();
      await ui.configure(baseConfig(oss));
      await ui.pick(file.path);
      await applyLink(link);
      const second = expectDone(await ui.outcome(await ui.start({ kind: 'input' }, { key })));
      await applyLink(undefined);
      await saveScreenshot(page, testInfo, 'reload-after');
      expect(await oss.objectMd5(key)).toMatchObject({ md5: file.md5Hex(), size: file.size });
      const totalParts = second.progress.at(-1)!.totalParts;
      const missing = range(1, totalParts).filter((n) => !journalled.has(n));
      expect(second.resumes).toEqual([expect.objectContaining({ resumed: true, uploadId, skippedParts: journalled.size })]);
      const after = uploadParts(await control.log(split), uploadId);
      expect(after.map((e) => e.partNumber).sort((a, b) => a! - b!), 'after the reload, exactly the missing parts, once each').toEqual(missing);
      expect(after.every((e) => e.status === 200)).toBe(true);
      // The part map after the reload starts with what the server already had.
      const resumedEvents = second.partEvents.filter((e) => e.resumed);
      expect(resumedEvents.map((e) => e.partNumber).sort((a, b) => a - b)).toEqual([...journalled].sort((a, b) => a - b));
    } finally {
      await context.close();
      await file.dispose();
    }
  });
});
