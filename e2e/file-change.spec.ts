/**
 * A picked file that changes on disk while Chromium uploads it (issue 7, "SDK input"): the File is a
 * snapshot, so every later read fails — in the hash worker as NotReadableError, in fetch as a bare
 * "Failed to fetch" (net::ERR_UPLOAD_FILE_CHANGED). The SDK must reject with its typed
 * ResumeMismatchError and never complete an object from the mixed bytes. The Node side of the same
 * story (fs.openAsBlob, truncation, growth, PutObject) is in test/integration/input.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { expect, test } from './support/fixtures.js';
import { aliOss, ossControl } from './support/oss-control.js';
import { createTestFile } from './support/test-file.js';
import { openUploadPage, pickFile, runUpload } from './support/upload-page.js';

test.use({ ossOptions: { faults: true } });

test('a picked file rewritten on disk mid-upload rejects with ResumeMismatchError and completes nothing', async ({ page, pages, oss }) => {
  const partSize = 100 * 1024;
  const file = await createTestFile(40 * partSize + 17, 'changing.bin');
  const control = ossControl(oss);
  const key = `file-change/${Date.now().toString(36)}.bin`;
  try {
    // Slow parts (concurrency 2), so most of the file is still unread when it changes.
    await control.addFaults([{ op: 'UploadPart', key, action: 'delay', delayMs: 100, times: 0 }]);
    await openUploadPage(page, pages, oss);
    await pickFile(page, file.path);
    const outcome = runUpload(page, {
      endpoint: oss.endpoint, bucket: 'demo', region: 'cn-hangzhou', pathStyle: true, signatureVersion: 'v4', key,
      credentials: 'backend', partSize, concurrency: 2,
    });
    await expect.poll(() => page.locator('#parts li').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await writeFile(file.path, randomBytes(file.size)); // same size, other bytes, new mtime
    const changedAt = Date.now();

    const settled = await outcome;
    // At once, not after the retries (29–58 s by default): a changed file is not a network error.
    expect(Date.now() - changedAt).toBeLessThan(15_000);
    expect(settled.ok).toBe(false);
    if (settled.ok) return;
    expect(settled.error.name, settled.error.message).toBe('ResumeMismatchError');
    expect(settled.error.message).toMatch(/the file changed while it was being uploaded/i);
    expect(settled.parts.length).toBeGreaterThanOrEqual(3);
    expect(settled.parts.length).toBeLessThan(41);

    // Nothing completed: HEAD is 404, no Complete was ever sent; the multipart upload is left like a paused one.
    const head = await oss.client().head(key).then(() => undefined, (error: { status?: number }) => error);
    expect(head?.status).toBe(404);
    const log = (await control.log()).filter((entry) => entry.key === key);
    expect(log.filter((entry) => entry.op === 'CompleteMultipartUpload')).toEqual([]);
    const { uploads } = await aliOss(oss).listUploads({ prefix: key });
    expect((uploads ?? []).map((upload) => upload.name)).toEqual([key]);
    await aliOss(oss).abortMultipartUpload(key, uploads![0]!.uploadId);
  } finally {
    await control.clearFaults();
    await file.dispose();
  }
});
