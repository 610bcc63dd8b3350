/**
 * Resume after closing the whole browser (issue 4, "E2E it must have" 2): a persistent Chromium
 * profile, a file dropped from disk (a genuine `FileSystemFileHandle`, kept in the IndexedDB
 * journal), the browser closed mid-upload and launched again on the same profile; `resume(id)` /
 * `resumeAll()` reopen the file from the stored handle without any picker. How the handle is made
 * and how its permission survives the restart: support/resume-page.ts (`dropFile`) and
 * support/persistent-chromium.ts.
 */
import { rm, stat } from 'node:fs/promises';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './support/fixtures.js';
import { acknowledgedCounts, ossControl, uploadParts } from './support/oss-control.js';
import { createProfile, grantOnEveryVisit, launchProfile } from './support/persistent-chromium.js';
import {
  attachJson, baseConfig, dropFile, expectDone, maxInFlight, MiB, openResumePage, range, resumePage, saveScreenshot, unquote,
} from './support/resume-page.js';
import { createTestFile } from './support/test-file.js';

test.use({ ossOptions: { faults: true } });

async function firstPage(context: BrowserContext): Promise<Page> {
  return context.pages()[0] ?? context.newPage();
}

test.describe('resume after a browser restart (persistent profile, stored file handle)', () => {
  test.beforeEach(async ({ oss }) => {
    await ossControl(oss).clearFaults();
  });
  test.afterEach(async ({ oss }) => {
    await ossControl(oss).clearFaults();
  });

  test('2 · close the whole browser mid-upload, relaunch, resume(id) from the stored handle: no re-pick, only the missing parts, identical bytes', async ({ oss, pages }, testInfo) => {
    test.setTimeout(120_000);
    const partSize = 8 * MiB;
    const totalParts = 8;
    const concurrency = 2;
    const file = await createTestFile(totalParts * partSize, 'camera-roll.mov');
    const profile = await createProfile();
    const contexts: BrowserContext[] = [];
    try {
      const key = 'e2e/resume/restart/camera-roll.mov';
      const control = ossControl(oss);
      const logStart = await control.mark();
      const delayMs = 500;
      await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs, times: 0 }]);
      await grantOnEveryVisit(profile, pages.url);

      // Session 1: the user drops the file; the upload starts from its handle.
      const first = await launchProfile(profile, testInfo);
      contexts.push(first);
      let sentBeforeClose = 0;
      first.on('request', (request) => {
        if (request.method() === 'PUT' && request.url().includes('partNumber=')) sentBeforeClose += 1;
      });
      const page1 = await firstPage(first);
      const ui1 = resumePage(page1);
      await openResumePage(page1, pages);
      await ui1.configure(baseConfig(oss, { partSize, concurrency }));
      await dropFile(first, page1, file.path);
      const dropped = await ui1.droppedFile();
      const onDisk = await stat(file.path);
      expect(dropped).toEqual({ name: file.name, size: file.size, lastModified: Math.floor(onDisk.mtimeMs), permission: 'granted', isHandle: true });
      const run1 = await ui1.start({ kind: 'dropped-handle' }, { key });
      await ui1.waitForParts(run1, totalParts / 2);
      const [record] = await ui1.journal();
      expect(record).toMatchObject({ key, fileName: file.name, fileSize: file.size, partSize, hasFileHandle: true });
      await saveScreenshot(page1, testInfo, '2-before-close');
      await first.close(); // the whole browser: a persistent context owns it
      contexts.pop();
      // Let the requests cut by the close reach the server's log (a request cut before it reached the
      // server is never logged: then the timeout alone is enough), so what follows is session 2's.
      await expect.poll(async () => uploadParts(await control.log(logStart), record!.uploadId).length, { timeout: delayMs + 3_000 })
        .toBeGreaterThanOrEqual(sentBeforeClose).catch(() => undefined);
      await control.clearFaults();
      const split = await control.mark();

      // Session 2: a new browser process on the same profile. No picker, no input, no drop.
      const second = await launchProfile(profile, testInfo);
      contexts.push(second);
      const page2 = await firstPage(second);
      const ui2 = resumePage(page2);
      await openResumePage(page2, pages);
      await ui2.configure(baseConfig(oss, { partSize, concurrency }));
      expect(await ui2.inputFile()).toBeUndefined();
      expect(await ui2.droppedFile()).toBeUndefined();
      const pending = await ui2.listPending();
      expect(pending).toHaveLength(1);
      const item = pending[0]!;
      expect(item).toMatchObject({ id: record!.id, key, uploadId: record!.uploadId, fileName: file.name, fileSize: file.size, hasFileHandle: true });
      const journalled = new Set((await ui2.journal())[0]!.partNumbers);
      expect(item.partsDone).toBe(journalled.size);
      expect(journalled.size).toBeGreaterThanOrEqual(totalParts / 2);
      expect(journalled.size).toBeLessThan(totalParts);
      // The restored handle already has read permission ("Allow on every visit"): resume needs no prompt.
      expect(await ui2.storedHandlePermission(item.id)).toBe('granted');
      await saveScreenshot(page2, testInfo, '2-after-restart-pending');

      const out = expectDone(await ui2.outcome(await ui2.start({ kind: 'resume', id: item.id })));
      await saveScreenshot(page2, testInfo, '2-resumed');
      expect(out.resumes).toEqual([{ resumed: true, uploadId: record!.uploadId, skippedParts: journalled.size, skippedBytes: journalled.size * partSize }]);
      const missing = range(1, totalParts).filter((n) => !journalled.has(n));
      expect(out.parts.map((p) => p.partNumber).sort((x, y) => x - y)).toEqual(missing);
      expect(out.progress[0]).toMatchObject({ transferredBytes: journalled.size * partSize });
      expect(unquote(out.result.etag)).toBe(file.multipartEtag(partSize));
      expect(out.result.key).toBe(key);
      expect(await ui2.listPending()).toEqual([]);

      // The log: after the restart only the missing parts went out, once each; repeats only of parts in
      // flight at the close (at most maxInFlight).
      const entries = await control.log(logStart);
      const afterRestart = uploadParts(entries.slice(split - logStart), record!.uploadId);
      expect(afterRestart.map((e) => [e.partNumber, e.status]).sort(([x], [y]) => x! - y!)).toEqual(missing.map((n) => [n, 200]));
      const acknowledged = acknowledgedCounts(entries, record!.uploadId);
      expect([...acknowledged.keys()].sort((x, y) => x - y)).toEqual(range(1, totalParts));
      const repeated = [...acknowledged].filter(([, count]) => count > 1).map(([n]) => n);
      expect(repeated.length).toBeLessThanOrEqual(maxInFlight(concurrency));
      for (const n of repeated) expect(journalled.has(n)).toBe(false);
      expect(entries.filter((e) => e.key === key && e.op === 'InitiateMultipartUpload')).toHaveLength(1);
      expect(await oss.objectMd5(key)).toMatchObject({ size: file.size, md5: file.md5Hex() });
      await attachJson(testInfo, '2-restart.json', {
        journalledAtClose: [...journalled].sort((a, b) => a - b), sentAfterRestart: afterRestart.map((e) => e.partNumber), repeated,
        resumeRunMs: out.elapsedMs, reconcileMs: out.onResumeAtMs,
      });
    } finally {
      for (const context of contexts) await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
      await file.dispose();
    }
  });

  test('2 · after a restart, resumeAll() resumes every upload with a stored handle; one without a handle waits for the user to re-select its file', async ({ oss, pages }, testInfo) => {
    test.setTimeout(120_000);
    const partSize = 1 * MiB;
    const totalParts = 8;
    const withHandle = await createTestFile(totalParts * partSize, 'dropped.bin');
    const withoutHandle = await createTestFile(totalParts * partSize, 'picked.bin');
    const profile = await createProfile();
    const contexts: BrowserContext[] = [];
    try {
      const keys = { dropped: 'e2e/resume/restart-all/dropped.bin', picked: 'e2e/resume/restart-all/picked.bin' };
      await grantOnEveryVisit(profile, pages.url);
      const first = await launchProfile(profile, testInfo);
      contexts.push(first);
      const page1 = await firstPage(first);
      const ui1 = resumePage(page1);
      await openResumePage(page1, pages);
      await ui1.configure(baseConfig(oss, { partSize, concurrency: 1 }));
      await dropFile(first, page1, withHandle.path);
      await ui1.pick(withoutHandle.path);
      expect((await ui1.outcome(await ui1.start({ kind: 'dropped-handle' }, { key: keys.dropped, pauseAfterParts: 3 }))).state).toBe('paused');
      expect((await ui1.outcome(await ui1.start({ kind: 'input' }, { key: keys.picked, pauseAfterParts: 2 }))).state).toBe('paused');
      await first.close();
      contexts.pop();

      const second = await launchProfile(profile, testInfo);
      contexts.push(second);
      const page2 = await firstPage(second);
      const ui2 = resumePage(page2);
      await openResumePage(page2, pages);
      await ui2.configure(baseConfig(oss, { partSize, concurrency: 2 }));
      const pending = await ui2.listPending();
      expect(pending.map((p) => [p.key, p.hasFileHandle]).sort()).toEqual([[keys.dropped, true], [keys.picked, false]]);
      const dropped = pending.find((p) => p.key === keys.dropped)!;
      const picked = pending.find((p) => p.key === keys.picked)!;

      const outcomes = await ui2.resumeAll();
      await saveScreenshot(page2, testInfo, '2-resume-all');
      expect(outcomes).toEqual([{ id: dropped.id, result: expect.objectContaining({ key: keys.dropped, size: withHandle.size }) }]);
      expect(unquote(outcomes[0]!.result!.etag)).toBe(withHandle.multipartEtag(partSize));
      expect(await oss.objectMd5(keys.dropped)).toMatchObject({ md5: withHandle.md5Hex() });
      // The one without a handle is still pending: the app asks the user to select it again…
      expect((await ui2.listPending()).map((p) => p.id)).toEqual([picked.id]);
      // …and when they do, its fingerprint matches and it resumes.
      await ui2.pick(withoutHandle.path);
      const out = expectDone(await ui2.outcome(await ui2.start({ kind: 'input' }, { key: keys.picked })));
      expect(out.resumes).toEqual([expect.objectContaining({ resumed: true, uploadId: picked.uploadId, skippedParts: picked.partsDone })]);
      expect(await oss.objectMd5(keys.picked)).toMatchObject({ md5: withoutHandle.md5Hex() });
      expect(await ui2.listPending()).toEqual([]);
      await saveScreenshot(page2, testInfo, '2-re-selected');
    } finally {
      for (const context of contexts) await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
      await withHandle.dispose();
      await withoutHandle.dispose();
    }
  });
});
