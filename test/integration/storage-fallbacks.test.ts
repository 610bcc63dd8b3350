/**
 * What the SDK does where a browser lacks what Chromium gives it (issue 14, found by the Firefox
 * runs of `npm run test:engines`), reproduced in Node against the real local server:
 * - a journal that refuses every call, as IndexedDB does in Firefox with site data blocked
 *   (`indexedDB.open` throws SecurityError): the upload completes, with one warning;
 * - a LockManager that refuses every request with SecurityError (same setting): the in-process
 *   lock takes over instead of the upload failing;
 * - a file whose reads return its new bytes after it changed, as a picked File does in Firefox
 *   (Chromium fails the read instead): ResumeMismatchError before Complete, nothing stored.
 * The browser side of each is in e2e/engines/scenarios.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, ResumeMismatchError, type CheckpointStore } from '../../src/index.js';
import { aliFor, md5, minPart, rejectionOf, storedMd5, testBytes, uniqueKey, uploaderFor, useFaultServer, type control, type TestServer } from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;
useFaultServer((s, c) => {
  server = s;
  ctl = c;
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

/** A store that throws on every call, synchronously, like idb-keyval over a blocked IndexedDB. */
function refusingStore(): CheckpointStore {
  const refuse = (): never => {
    throw new DOMException('IDBFactory.open: The operation is insecure', 'SecurityError');
  };
  return { get: refuse, create: refuse, addPart: refuse, delete: refuse, list: refuse };
}

describe('storage refused by the browser', () => {
  it('a journal refusing every call: the upload completes, with exactly one warning that it cannot resume', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const key = uniqueKey('journal-refused');
    const bytes = testBytes(5 * minPart + 11, 301);
    const result = await uploaderFor(server, { partSize: minPart, concurrency: 2, store: refusingStore() })
      .upload(new File([bytes], 'refused.bin'), key);
    expect(result.size).toBe(bytes.length);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/cannot resume after a reload/);
  });

  it('navigator.locks refusing every request with SecurityError: the upload runs under the in-process lock', async () => {
    const requests: string[] = [];
    vi.stubGlobal('navigator', {
      locks: {
        request: (name: string) => {
          requests.push(name);
          return Promise.reject(new DOMException('LockManager.request: request() is not allowed in this context', 'SecurityError'));
        },
      },
    });
    const key = uniqueKey('locks-refused');
    const bytes = testBytes(3 * minPart, 302);
    const store = createMemoryStore();
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 2, store });
    // Two calls for the same file at once: the fallback still lets only one of them drive the upload.
    const outcomes = await Promise.allSettled([
      uploader.upload(new File([bytes], 'locks.bin', { lastModified: 1 }), key),
      uploader.upload(new File([bytes], 'locks.bin', { lastModified: 1 }), key),
    ]);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    // Either call may reach the lock first (usually the first; under load not always): one uploads,
    // the other is refused.
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { name: 'UploadLockedError' } });
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});

describe('a file that changes under a reader that does not notice', () => {
  /** A File whose slices read the CURRENT bytes of `live`, as Firefox's picked files do after a change on disk. */
  class LiveFile extends File {
    readonly #live: Uint8Array<ArrayBuffer>;
    constructor(live: Uint8Array<ArrayBuffer>, name: string) {
      super([live], name, { lastModified: 2 });
      this.#live = live;
    }
    override slice(start = 0, end = this.size): Blob {
      return new Blob([this.#live.slice(start, end)]);
    }
    // Sent whole (PutObject), the File itself is the body: it streams its current bytes too.
    override stream() {
      return new Blob([this.#live.slice()]).stream();
    }
    override arrayBuffer() {
      return new Blob([this.#live.slice()]).arrayBuffer();
    }
  }

  /** An `onPartComplete` that rewrites `live` (same size, other bytes) once the second part is on the server. */
  const rewriteAfterTwoParts = (live: Uint8Array<ArrayBuffer>, seed: number) => {
    let parts = 0;
    return () => {
      parts += 1;
      if (parts === 2) live.set(testBytes(live.length, seed));
    };
  };

  /** The server's log of `key` since `mark`, as `op status code` lines. */
  const trail = async (mark: number, key: string) =>
    (await ctl.log()).slice(mark).filter((e) => e.key === key && e.op !== 'Options').map((e) => `${e.op}${e.partNumber ? ` #${e.partNumber}` : ''} ${e.status}${e.code ? ` ${e.code}` : ''}`);

  it('rewritten after some parts, no Content-MD5: every part goes, ResumeMismatchError before Complete, no object', async () => {
    const key = uniqueKey('live-file');
    const live = testBytes(8 * minPart, 303);
    const file = new LiveFile(live, 'live.bin');
    const mark = (await ctl.log()).length;
    // Without Content-MD5 the server takes whatever bytes come: only the check before Complete can tell.
    const error = await rejectionOf(uploaderFor(server, { partSize: minPart, concurrency: 1, contentMd5: false }).upload(file, key, {
      onPartComplete: rewriteAfterTwoParts(live, 304),
    }));
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect((error as Error).message).toMatch(/the file changed while it was being uploaded/i);
    const log = (await ctl.log()).slice(mark).filter((e) => e.key === key);
    expect(log.filter((e) => e.op === 'CompleteMultipartUpload')).toEqual([]);
    expect(log.filter((e) => e.op === 'UploadPart' && e.status === 200).length).toBe(8);
  });

  it('rewritten after some parts, with Content-MD5: the first refused digest ends the upload, nothing more is sent', async () => {
    const key = uniqueKey('live-file-md5');
    const live = testBytes(8 * minPart, 306);
    const file = new LiveFile(live, 'live-md5.bin');
    const mark = (await ctl.log()).length;
    // Part 3 was hashed (one part ahead) from the old bytes; it is sent from the new ones.
    const error = await rejectionOf(uploaderFor(server, { partSize: minPart, concurrency: 1 }).upload(file, key, {
      onPartComplete: rewriteAfterTwoParts(live, 307),
    }));
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect((error as Error).message).toMatch(/the file changed while it was being uploaded/i);
    expect((error as Error).cause).toMatchObject({ name: 'OssServiceError', code: 'InvalidDigest' });
    // Re-reading part 3 gave other bytes than it was hashed from: no re-send, no part 4.
    expect(await trail(mark, key)).toEqual([
      'InitiateMultipartUpload 200', 'UploadPart #1 200', 'UploadPart #2 200', 'UploadPart #3 400 InvalidDigest',
    ]);
  });

  it('a part failing after the file changed (a hung body cut by RequestTimeout) is reported as the change', async () => {
    const key = uniqueKey('live-file-timeout');
    const live = testBytes(6 * minPart, 308);
    const mark = (await ctl.log()).length;
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 3, action: 'error', status: 400, code: 'RequestTimeout' });
    const error = await rejectionOf(uploaderFor(server, { partSize: minPart, concurrency: 1, contentMd5: false }).upload(new LiveFile(live, 'timeout.bin'), key, {
      onPartComplete: rewriteAfterTwoParts(live, 309),
    }));
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect((error as Error).cause).toMatchObject({ name: 'OssServiceError', code: 'RequestTimeout' });
    expect(await trail(mark, key)).toEqual([
      'InitiateMultipartUpload 200', 'UploadPart #1 200', 'UploadPart #2 200', 'UploadPart #3 400 RequestTimeout',
    ]);
  });

  it('the same failure with the file unchanged stays the server\'s answer (control)', async () => {
    const key = uniqueKey('live-file-timeout-same');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 3, action: 'error', status: 400, code: 'RequestTimeout' });
    const error = await rejectionOf(uploaderFor(server, { partSize: minPart, concurrency: 1 }).upload(new LiveFile(testBytes(6 * minPart, 310), 'same-timeout.bin'), key));
    expect(error).toMatchObject({ name: 'OssServiceError', code: 'RequestTimeout' });
  });

  it('one PutObject: a file that reads other bytes than it was hashed from is ResumeMismatchError, a damaged body stays InvalidDigest', async () => {
    const key = uniqueKey('live-put');
    const live = testBytes(minPart - 5, 311);
    const error = await rejectionOf(uploaderFor(server, { partSize: minPart }).upload(new LiveFile(live, 'put.bin'), key, {
      onProgress: ({ phase }) => {
        if (phase === 'uploading') live.set(testBytes(live.length, 312));
      },
    }));
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect((error as Error).cause).toMatchObject({ code: 'InvalidDigest' });
    await expect(aliFor(server).head(key)).rejects.toMatchObject({ status: 404 });

    const same = uniqueKey('live-put-same');
    await ctl.addFaults({ op: 'PutObject', key: same, action: 'error', status: 400, code: 'InvalidDigest' });
    const damaged = await rejectionOf(uploaderFor(server, { partSize: minPart }).upload(new LiveFile(testBytes(minPart - 5, 313), 'same.bin'), same));
    expect(damaged).toMatchObject({ name: 'OssServiceError', code: 'InvalidDigest' });
  });

  it('unchanged: the same LiveFile uploads normally (the check costs no request)', async () => {
    const key = uniqueKey('live-file-same');
    const live = testBytes(4 * minPart, 305);
    const result = await uploaderFor(server, { partSize: minPart, concurrency: 2 }).upload(new LiveFile(live, 'same.bin'), key);
    expect(result.size).toBe(live.length);
    expect(await storedMd5(server, key)).toBe(md5(live));
  });
});
