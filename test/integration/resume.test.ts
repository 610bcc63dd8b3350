/**
 * Resumable uploads against the real local OSS server (fault injection on): the part journal, a
 * "reload" (a NEW uploader over the same checkpoint store, as a new page load would read the same
 * IndexedDB), ListParts reconciliation, NoSuchUpload and mismatch restarts, the fingerprint, the
 * per-upload lock, and the management API (listPending, discard, sweep, resume). The server's
 * request log proves which parts were sent and how often; objects are read back with ali-oss.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { discardPending, listPending, resumeAllPending, resumePending, sweepPending,
  createMemoryStore, ResumeMismatchError, UploadLockedError,
  type CheckpointStore, type CompletedPart, type ResumeInfo, type Uploader, type UploadOptions, type UploadProgress, type UploadRecord,
} from '../../src/index.js';
import {
  type LogEntry, md5, minPart, rejectionOf, storedMd5, testBytes, uniqueKey, uploaderFor, useFaultServer, type control, type TestServer,
} from './setup.js';
import { completedMarkerMs } from '../../src/persistence/record.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;
useFaultServer((s, c) => {
  server = s;
  ctl = c;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const lastModified = 1_700_000_000_000;
/** 20 full parts of 100 KiB and a 777-byte tail. */
const fileSize = 20 * minPart + 777;
const partCount = 21;

/** A File as a file picker would return it (a fresh object each call, as after a reload). */
function pick(bytes: Uint8Array<ArrayBuffer>, name = 'video.bin', modified = lastModified): File {
  return new File([bytes], name, { lastModified: modified });
}

/** An uploader with 100 KiB parts over `store`. */
function page(store: CheckpointStore, overrides: Parameters<typeof uploaderFor>[1] = {}): Uploader {
  return uploaderFor(server, { partSize: minPart, concurrency: 3, store, ...overrides });
}

/**
 * Starts an upload through `run` (which passes `onStart` on) and waits until it holds the upload's
 * lock: `onStart` comes under the lock, after Initiate or a resume's ListParts. A call made after
 * this is surely the second: two calls started together race for the lock, and under load (a full
 * CI run) either may win.
 */
async function holdingLock<T>(run: (onStart: () => void) => Promise<T>): Promise<{ done: Promise<T> }> {
  let started!: () => void;
  const holding = new Promise<void>((resolve) => (started = resolve));
  const done = run(started);
  await Promise.race([holding, done.then(() => undefined, () => undefined)]);
  return { done };
}

/** Uploads until `after` parts were acknowledged, then pauses (aborts); returns every part acknowledged. */
async function pauseAfter(uploader: Uploader, file: Blob, key: string, after: number, options: UploadOptions = {}): Promise<CompletedPart[]> {
  const controller = new AbortController();
  const acked: CompletedPart[] = [];
  const error = await rejectionOf(uploader.upload(file, key, {
    ...options,
    signal: controller.signal,
    onPartComplete: (part) => {
      acked.push(part);
      if (acked.length === after) controller.abort();
    },
  }));
  expect(error).toBe(controller.signal.reason);
  expect(acked.length).toBeGreaterThanOrEqual(after);
  return acked;
}

/** The store's record of `key` (exactly one). */
async function recordOf(store: CheckpointStore, key: string): Promise<UploadRecord> {
  const records = (await store.list()).filter((r) => r.key === key);
  expect(records).toHaveLength(1);
  return records[0]!;
}

/** Records of unfinished uploads: a completed upload leaves only its completed marker behind. */
async function unfinished(store: CheckpointStore): Promise<UploadRecord[]> {
  return (await store.list()).filter((r) => !r.completed);
}

/** How many UploadPart requests (any outcome) the server saw per part number. */
function sendsPerPart(log: readonly LogEntry[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const e of log) if (e.op === 'UploadPart') counts.set(e.partNumber!, (counts.get(e.partNumber!) ?? 0) + 1);
  return counts;
}

const ops = (log: readonly LogEntry[], op: string) => log.filter((e) => e.op === op);
const sorted = (numbers: Iterable<number>) => [...numbers].sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/**
 * Requests logged since entry `before`, without UploadPart: parts in flight at a pause may still be
 * logged (the server finishes storing a body the client had already sent, then logs it).
 */
async function requestsSince(before: number): Promise<string[]> {
  return (await ctl.log()).slice(before).filter((e) => e.op !== 'UploadPart').map((e) => `${e.op} ${e.key ?? ''}`);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pause, then a reload (new uploader, same store) resumes', () => {
  it('skips the acknowledged parts, reports them, starts progress there, sends each acknowledged part once, and forgets the record after Complete', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume');
    const bytes = testBytes(fileSize, 101);
    const concurrency = 3;

    const acked = await pauseAfter(page(store, { concurrency }), pick(bytes), key, 8);
    const record = await recordOf(store, key);
    // The journal holds exactly the acknowledged parts, with the MD5 of their bytes.
    expect(record.parts.map((p) => p.partNumber)).toEqual(sorted(acked.map((p) => p.partNumber)));
    for (const p of record.parts) {
      expect(p.size).toBe(minPart);
      expect(p.md5).toBe(md5(bytes.subarray((p.partNumber - 1) * minPart, p.partNumber * minPart)));
    }
    expect(record).toMatchObject({ key, fileName: 'video.bin', fileSize, partSize: minPart, lastModified, bucket: 'demo' });

    const infos: ResumeInfo[] = [];
    const events: UploadProgress[] = [];
    const resent: CompletedPart[] = [];
    const result = await page(store, { concurrency }).upload(pick(bytes), key, {
      onResume: (info) => infos.push(info),
      onProgress: (p) => events.push(p),
      onPartComplete: (p) => resent.push(p),
    });
    expect(result).toMatchObject({ key, size: fileSize });
    expect(result.etag).toMatch(new RegExp(`-${partCount}"$`));

    const skippedBytes = record.parts.reduce((n, p) => n + p.size, 0);
    expect(infos).toEqual([{ resumed: true, uploadId: record.uploadId, skippedParts: record.parts.length, skippedBytes }]);

    // Progress starts from the bytes already on the server (the very first event) and never dips below them.
    expect(events[0]).toMatchObject({ phase: 'hashing', transferredBytes: skippedBytes, completedParts: record.parts.length, totalParts: partCount });
    for (const event of events) expect(event.transferredBytes).toBeGreaterThanOrEqual(skippedBytes);
    for (let i = 1; i < events.length; i++) expect(events[i]!.transferredBytes).toBeGreaterThanOrEqual(events[i - 1]!.transferredBytes);
    expect(events.at(-1)).toMatchObject({ phase: 'done', transferredBytes: fileSize, percent: 100, completedParts: partCount });

    // The second session sent exactly the parts the journal did not have.
    const journalled = new Set(record.parts.map((p) => p.partNumber));
    expect(sorted(resent.map((p) => p.partNumber))).toEqual(range(1, partCount).filter((n) => !journalled.has(n)));

    const log = await ctl.log(key);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(1);
    expect(ops(log, 'ListParts').map((e) => [e.uploadId, e.status])).toEqual([[record.uploadId, 200]]);
    const sends = sendsPerPart(log);
    expect(sorted(sends.keys())).toEqual(range(1, partCount));
    for (const n of journalled) expect(sends.get(n), `acknowledged part ${n}`).toBe(1);
    const repeated = [...sends].filter(([, count]) => count > 1).map(([n]) => n);
    expect(repeated.length).toBeLessThanOrEqual(concurrency); // only parts in flight at the pause
    expect(repeated.every((n) => !journalled.has(n))).toBe(true);
    expect([...sends.values()].every((count) => count <= 2)).toBe(true);
    expect(ops(log, 'CompleteMultipartUpload').map((e) => e.status)).toEqual([200]);

    expect(await storedMd5(server, key)).toBe(md5(bytes));
    // The record became the completed marker (the result, no parts), which listPending never shows.
    expect(await store.list()).toEqual([{ ...record, parts: [], updatedAt: expect.any(Number), completed: result }]);
    expect(await listPending(page(store))).toEqual([]);
    expect((await page(store).client.listMultipartUploads({ prefix: key })).uploads).toEqual([]);
  });

  it('the first progress event of a resumed upload already counts the bytes on the server (never below skippedBytes)', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume-progress');
    const bytes = testBytes(fileSize, 102);
    await pauseAfter(page(store), pick(bytes), key, 6);
    const infos: ResumeInfo[] = [];
    const events: UploadProgress[] = [];
    await page(store).upload(pick(bytes), key, { onResume: (i) => infos.push(i), onProgress: (p) => events.push(p) });
    const info = infos[0];
    expect(info?.resumed).toBe(true);
    const skippedBytes = info?.resumed ? info.skippedBytes : NaN;
    expect(skippedBytes).toBeGreaterThanOrEqual(6 * minPart);
    expect(events[0]!.transferredBytes, `first event ${JSON.stringify(events[0])}`).toBeGreaterThanOrEqual(skippedBytes);
    for (const e of events) expect(e.transferredBytes).toBeGreaterThanOrEqual(skippedBytes);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('a failed Complete leaves every part journalled: the resume sends no part, only ListParts and Complete', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume-complete');
    const bytes = testBytes(5 * minPart + 10, 103);
    await ctl.addFaults({ op: 'CompleteMultipartUpload', key, action: 'error', status: 400, code: 'InvalidRequest', message: 'injected' });
    expect(await rejectionOf(page(store).upload(pick(bytes), key))).toMatchObject({ status: 400, code: 'InvalidRequest' });
    const record = await recordOf(store, key);
    expect(record.parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6]);
    const before = (await ctl.log(key)).length;

    const infos: ResumeInfo[] = [];
    const events: UploadProgress[] = [];
    await page(store).upload(pick(bytes), key, { onResume: (i) => infos.push(i), onProgress: (p) => events.push(p) });
    expect(infos).toEqual([{ resumed: true, uploadId: record.uploadId, skippedParts: 6, skippedBytes: bytes.length }]);
    expect((await ctl.log(key)).slice(before).map((e) => `${e.op} ${e.status}`)).toEqual(['ListParts 200', 'CompleteMultipartUpload 200']);
    expect(events[0]).toMatchObject({ transferredBytes: bytes.length, percent: 100 });
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(await unfinished(store)).toEqual([]);
  });
});

describe('the journal', () => {
  it('has every acknowledged part before onPartComplete fires, with concurrency 8, and loses none', async () => {
    const inner = createMemoryStore();
    const written = new Set<number>();
    // Delegates to the memory store and notes when each addPart has resolved.
    const store: CheckpointStore = {
      get: (id) => inner.get(id), create: (r) => inner.create(r), delete: (id) => inner.delete(id), list: () => inner.list(),
      addPart: async (id, part, updatedAt) => {
        await inner.addPart(id, part, updatedAt);
        written.add(part.partNumber);
      },
    };
    const key = uniqueKey('journal-c8');
    const bytes = testBytes(24 * minPart, 104);
    // Parts finish close together: a small delay each, 8 at a time.
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 30 });
    await ctl.addFaults({ op: 'CompleteMultipartUpload', key, action: 'delay', delayMs: 50 });
    const notJournalled: number[] = [];
    const reads: Array<Promise<boolean>> = [];
    let atComplete: Promise<UploadRecord | undefined> | undefined;
    await page(store, { concurrency: 8 }).upload(pick(bytes), key, {
      onPartComplete: (p) => {
        if (!written.has(p.partNumber)) notJournalled.push(p.partNumber);
        // Read the store itself, as an app would after a reload.
        reads.push(inner.list().then((all) => all.some((r) => r.key === key && r.parts.some((j) => j.partNumber === p.partNumber && j.etag === p.etag))));
      },
      onProgress: (p) => {
        if (p.phase === 'completing' && !atComplete) atComplete = inner.list().then((all) => all.find((r) => r.key === key));
      },
    });
    expect(notJournalled).toEqual([]);
    expect(await Promise.all(reads)).toEqual(Array(24).fill(true));
    const record = await atComplete;
    expect(record?.parts.map((p) => p.partNumber)).toEqual(range(1, 24));
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(await unfinished(inner)).toEqual([]);
  });

  it('a store whose addPart throws does not fail the upload; it warns once', async () => {
    const inner = createMemoryStore();
    const failing: CheckpointStore = {
      get: (id) => inner.get(id), create: (r) => inner.create(r), delete: (id) => inner.delete(id), list: () => inner.list(),
      addPart: async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const key = uniqueKey('journal-throws');
    const bytes = testBytes(6 * minPart + 1, 105);
    const parts: number[] = [];
    const result = await page(failing).upload(pick(bytes), key, { onPartComplete: (p) => parts.push(p.partNumber) });
    expect(result.size).toBe(bytes.length);
    expect(sorted(parts)).toEqual(range(1, 7));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/journal/);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(await unfinished(inner)).toEqual([]);
  });

  it('after a pause with a failing journal, the resume trusts no part (listed but not journalled) and re-sends all', async () => {
    const inner = createMemoryStore();
    const failing: CheckpointStore = {
      get: (id) => inner.get(id), create: (r) => inner.create(r), delete: (id) => inner.delete(id), list: () => inner.list(),
      addPart: async () => {
        throw new Error('disk full');
      },
    };
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const key = uniqueKey('journal-throws-resume');
    const bytes = testBytes(8 * minPart, 106);
    const acked = await pauseAfter(page(failing, { concurrency: 2 }), pick(bytes), key, 3);
    const record = await recordOf(inner, key);
    expect(record.parts).toEqual([]);
    const listed = await page(inner).client.listAllParts(key, record.uploadId);
    expect(listed.length).toBeGreaterThanOrEqual(acked.length);

    const infos: ResumeInfo[] = [];
    const resent: number[] = [];
    await page(inner).upload(pick(bytes), key, { onResume: (i) => infos.push(i), onPartComplete: (p) => resent.push(p.partNumber) });
    expect(infos).toEqual([{ resumed: true, uploadId: record.uploadId, skippedParts: 0, skippedBytes: 0 }]);
    expect(sorted(resent)).toEqual(range(1, 8));
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});

describe('the server is the truth', () => {
  it('re-sends a journalled part the server now holds with other bytes, and a journalled part the server lacks', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume-overwritten');
    const bytes = testBytes(fileSize, 107);
    const first = page(store, { concurrency: 2 });
    await pauseAfter(first, pick(bytes), key, 6);
    const record = await recordOf(store, key);
    const victim = record.parts[1]!.partNumber;

    // Another client replaces the victim part with different bytes of the same size.
    const other = testBytes(minPart, 999);
    const replaced = await first.client.uploadPart(key, record.uploadId, victim, new Blob([other]));
    expect(replaced.etag.replaceAll('"', '').toUpperCase()).toBe(md5(other));
    // And the journal claims a part the server never received (correct size and MD5 for the file).
    const onServer = new Set((await first.client.listAllParts(key, record.uploadId)).map((p) => p.partNumber));
    const phantom = range(10, 20).find((n) => !onServer.has(n))!;
    expect(phantom).toBeDefined();
    const phantomMd5 = md5(bytes.subarray((phantom - 1) * minPart, phantom * minPart));
    await store.addPart(record.id, { partNumber: phantom, etag: `"${phantomMd5}"`, size: minPart, md5: phantomMd5 }, Date.now());
    const before = (await ctl.log(key)).length;

    const infos: ResumeInfo[] = [];
    const resent: number[] = [];
    await page(store).upload(pick(bytes), key, { onResume: (i) => infos.push(i), onPartComplete: (p) => resent.push(p.partNumber) });
    const trusted = record.parts.filter((p) => p.partNumber !== victim);
    expect(infos).toEqual([{ resumed: true, uploadId: record.uploadId, skippedParts: trusted.length, skippedBytes: trusted.length * minPart }]);
    expect(resent).toContain(victim);
    expect(resent).toContain(phantom);
    const sends = sendsPerPart((await ctl.log(key)).slice(before));
    expect(sends.get(victim)).toBe(1);
    expect(sends.get(phantom)).toBe(1);
    for (const p of trusted) expect(sends.get(p.partNumber)).toBeUndefined();
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('NoSuchUpload (aborted behind the SDK\'s back): reports resumed false, starts afresh, stores the right bytes', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume-nosuchupload');
    const bytes = testBytes(fileSize, 108);
    const first = page(store);
    await pauseAfter(first, pick(bytes), key, 5);
    const record = await recordOf(store, key);
    await first.client.abortMultipartUpload(key, record.uploadId);

    const infos: ResumeInfo[] = [];
    const sent: number[] = [];
    await page(store).upload(pick(bytes), key, { onResume: (i) => infos.push(i), onPartComplete: (p) => sent.push(p.partNumber) });
    expect(infos).toEqual([{ resumed: false, reason: 'NoSuchUpload', uploadId: record.uploadId }]);
    expect(sorted(sent)).toEqual(range(1, partCount));
    const log = await ctl.log(key);
    const initiates = ops(log, 'InitiateMultipartUpload');
    expect(initiates).toHaveLength(2);
    expect(ops(log, 'ListParts').at(-1)).toMatchObject({ uploadId: record.uploadId, status: 404, code: 'NoSuchUpload' });
    const fresh = ops(log, 'CompleteMultipartUpload')[0]!.uploadId;
    expect(fresh).not.toBe(record.uploadId);
    expect(ops(log, 'UploadPart').filter((e) => e.uploadId === fresh && e.status === 200)).toHaveLength(partCount);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(await unfinished(store)).toEqual([]);
  });

  it('mismatch (the same file with another part size): reports resumed false and uploads a correct object', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume-mismatch');
    const bytes = testBytes(fileSize, 109);
    await pauseAfter(page(store), pick(bytes), key, 4);
    const record = await recordOf(store, key);

    const infos: ResumeInfo[] = [];
    const sent: CompletedPart[] = [];
    const result = await page(store, { partSize: 2 * minPart }).upload(pick(bytes), key, {
      onResume: (i) => infos.push(i), onPartComplete: (p) => sent.push(p),
    });
    expect(infos).toEqual([{ resumed: false, reason: 'mismatch', uploadId: record.uploadId }]);
    expect(result.etag).toMatch(/-11"$/);
    expect(sent.filter((p) => p.size === 2 * minPart)).toHaveLength(10);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(await unfinished(store)).toEqual([]);
    // The old multipart upload is no longer known to any record (clean up here; see the report on orphans).
    await page(store).client.abortMultipartUpload(key, record.uploadId).catch(() => undefined);
  });

  it('different content with the same name, size and lastModified: a new fingerprint, no resume, the new bytes stored, the old record kept', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('resume-other-content');
    const oldBytes = testBytes(fileSize, 110);
    const newBytes = testBytes(fileSize, 111);
    await pauseAfter(page(store), pick(oldBytes), key, 5);
    const old = await recordOf(store, key);

    const infos: ResumeInfo[] = [];
    const sent: number[] = [];
    await page(store).upload(pick(newBytes), key, { onResume: (i) => infos.push(i), onPartComplete: (p) => sent.push(p.partNumber) });
    expect(infos).toEqual([]);
    expect(sorted(sent)).toEqual(range(1, partCount));
    expect(await storedMd5(server, key)).toBe(md5(newBytes));
    const log = await ctl.log(key);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(2);
    expect(ops(log, 'ListParts')).toHaveLength(0); // the old upload was never consulted

    const pending = await listPending(page(store));
    expect(pending.map((p) => [p.id, p.uploadId])).toEqual([[old.id, old.uploadId]]);
    await discardPending(page(store), old.id);
  });
});

describe('one writer per upload', () => {
  it("a second upload() of the same file and key rejects with UploadLockedError before sending anything (lock: 'fail')", async () => {
    const store = createMemoryStore();
    const uploader = page(store, { concurrency: 2 });
    const key = uniqueKey('lock-fail');
    const bytes = testBytes(6 * minPart, 112);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 80 });
    const firstParts: number[] = [];
    const { done: first } = await holdingLock((onStart) => uploader.upload(pick(bytes), key, { onStart, onPartComplete: (p) => firstParts.push(p.partNumber) }));
    const secondParts: number[] = [];
    const second = await rejectionOf(uploader.upload(pick(bytes), key, { onPartComplete: (p) => secondParts.push(p.partNumber) }));
    const partsWhenRefused = firstParts.length;
    // Another "tab" (another uploader in this process) is refused too.
    const third = await rejectionOf(page(createMemoryStore()).upload(pick(bytes), key));
    const done = await first;

    expect(second).toBeInstanceOf(UploadLockedError);
    expect(third).toBeInstanceOf(UploadLockedError);
    expect(partsWhenRefused).toBeLessThan(6);
    expect(secondParts).toEqual([]);
    const log = await ctl.log(key);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(1);
    expect([...sendsPerPart(log).values()]).toEqual(Array(6).fill(1));
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    // The error names the record (the first upload's id), which is a completed marker after Complete.
    const { uploadRecordId } = second as UploadLockedError;
    expect(uploadRecordId).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.get(uploadRecordId)).toMatchObject({ parts: [], completed: done });
    expect(await listPending(uploader)).toEqual([]);
  });

  it("lock: 'wait' behind an upload that completes: the waiter returns its result (completedElsewhere) after one HeadObject, sending nothing else", async () => {
    const store = createMemoryStore();
    // Two uploaders over one store: two tabs of one browser profile (one IndexedDB, one lock space).
    const tabA = page(store, { concurrency: 2 });
    const tabB = page(store, { concurrency: 2 });
    const key = uniqueKey('lock-wait-done');
    const bytes = testBytes(4 * minPart + 5, 113);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 40 });
    const order: string[] = [];
    const infos: ResumeInfo[] = [];
    const partsOfB: number[] = [];
    const startsOfB: string[] = [];
    const first = (await holdingLock((onStart) => tabA.upload(pick(bytes), key, { onStart }))).done.then((r) => (order.push('first'), r));
    const second = tabB.upload(pick(bytes), key, {
      lock: 'wait', onResume: (i) => infos.push(i), onPartComplete: (p) => partsOfB.push(p.partNumber), onStart: (i) => startsOfB.push(i.uploadId),
    }).then((r) => (order.push('second'), r));
    const [a, b] = await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(a.completedElsewhere).toBeUndefined();
    expect(b).toEqual({ ...a, completedElsewhere: true });
    expect(infos).toEqual([]);
    expect(partsOfB).toEqual([]);
    expect(startsOfB).toEqual([]);

    const log = await ctl.log(key);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(1);
    const completes = ops(log, 'CompleteMultipartUpload');
    expect(completes.map((e) => e.status)).toEqual([200]);
    expect([...sendsPerPart(log).values()]).toEqual(Array(5).fill(1));
    // After the Complete, the only request for this key is the waiter's check that the object is still A's.
    expect(log.slice(log.indexOf(completes[0]!) + 1).map((e) => `${e.op} ${e.status}`)).toEqual(['HeadObject 200']);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(await unfinished(store)).toEqual([]);
    expect(await listPending(tabB)).toEqual([]);
  });

  it("a call that began while the other upload ran gets its result even when reading the file outlasted that upload (a slow disk)", async () => {
    const store = createMemoryStore();
    const key = uniqueKey('lock-wait-slow-read');
    const bytes = testBytes(3 * minPart, 124);
    // A disk that takes 400 ms per read: B is still reading its fingerprint samples when A
    // completes, so B reaches the lock after the marker was written, yet it began before.
    let slowReads = 0;
    class SlowDiskFile extends File {
      override slice(start?: number, end?: number, type?: string): Blob {
        const part = super.slice(start, end, type);
        const read = part.arrayBuffer.bind(part);
        part.arrayBuffer = async () => {
          slowReads++;
          await new Promise((resolve) => setTimeout(resolve, 400));
          return read();
        };
        return part;
      }
    }
    const partsOfB: number[] = [];
    const a = page(store).upload(pick(bytes), key);
    const b = page(store).upload(new SlowDiskFile([bytes], 'video.bin', { lastModified }), key, {
      lock: 'wait', onPartComplete: (p) => partsOfB.push(p.partNumber),
    });
    const [resultA, resultB] = await Promise.all([a, b]);
    expect(slowReads).toBeGreaterThan(0);
    expect(resultB).toEqual({ ...resultA, completedElsewhere: true });
    expect(partsOfB).toEqual([]);
    const log = await ctl.log(key);
    const completes = ops(log, 'CompleteMultipartUpload');
    expect(completes.map((e) => e.status)).toEqual([200]);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(1);
    // A's Complete came before B asked for the lock: the slow read really outlasted A's upload.
    expect(log.slice(log.indexOf(completes[0]!) + 1).map((e) => `${e.op} ${e.status}`)).toEqual(['HeadObject 200']);
  });

  it("lock: 'wait' behind an upload that completes, the object deleted before the waiter looks: the waiter uploads the file again", async () => {
    const inner = createMemoryStore();
    const key = uniqueKey('lock-wait-deleted');
    const admin = page(inner).client;
    // The marker is written under the lock, so deleting the object right before it lands is the
    // earliest a waiting tab could see: the object is really gone from the server.
    let deletions = 0;
    const store: CheckpointStore = {
      get: (id) => inner.get(id), addPart: (id, part, at) => inner.addPart(id, part, at), delete: (id) => inner.delete(id), list: () => inner.list(),
      create: async (r) => {
        if (r.completed && deletions++ === 0) await admin.deleteObject(key);
        await inner.create(r);
      },
    };
    const bytes = testBytes(3 * minPart, 118);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 40 });
    const { done: first } = await holdingLock((onStart) => page(store).upload(pick(bytes), key, { onStart }));
    const second = page(store).upload(pick(bytes), key, { lock: 'wait' });
    const [a, b] = await Promise.all([first, second]);
    expect(b.completedElsewhere).toBeUndefined();
    expect(b.etag).toBe(a.etag);
    expect(deletions).toBe(2);
    const log = await ctl.log(key);
    expect(ops(log, 'HeadObject').map((e) => e.status)).toEqual([404]);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(2);
    expect(ops(log, 'CompleteMultipartUpload').map((e) => e.status)).toEqual([200, 200]);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it("lock: 'wait' with upload-only credentials (HeadObject is AccessDenied): the waiter still returns the completed result", async () => {
    const store = createMemoryStore();
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObject'], Resource: 'acs:oss:*:*:demo/*' }] };
    const tab = () => page(store, { credentials: () => server.assumeRole(policy) });
    const key = uniqueKey('lock-wait-put-only');
    const bytes = testBytes(3 * minPart, 119);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 40 });
    const { done: first } = await holdingLock((onStart) => tab().upload(pick(bytes), key, { onStart }));
    const [a, b] = await Promise.all([first, tab().upload(pick(bytes), key, { lock: 'wait' })]);
    expect(b).toEqual({ ...a, completedElsewhere: true });
    const log = await ctl.log(key);
    expect(ops(log, 'HeadObject').map((e) => [e.status, e.code])).toEqual([[403, 'AccessDenied']]);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(1);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('an upload of the same file started after the last one completed uploads again (the marker answers only calls that waited)', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('marker-not-a-cache');
    const bytes = testBytes(3 * minPart, 122);
    const a = await page(store).upload(pick(bytes), key);
    const b = await page(store).upload(pick(bytes), key, { lock: 'wait', metadata: { second: 'yes' } });
    expect(b.completedElsewhere).toBeUndefined();
    expect(b.requestId).not.toBe(a.requestId);
    const log = await ctl.log(key);
    expect(ops(log, 'CompleteMultipartUpload').map((e) => e.status)).toEqual([200, 200]);
    expect(ops(log, 'HeadObject')).toEqual([]);
    expect((await page(store).client.headObject(key)).metadata).toEqual({ second: 'yes' });
    // One marker per file and key: the second upload's replaced the first's.
    expect((await store.list()).map((r) => r.completed)).toEqual([b]);
  });

  it("lock: 'wait' behind an upload that pauses: the waiter resumes it", async () => {
    const store = createMemoryStore();
    const uploader = page(store, { concurrency: 1 });
    const key = uniqueKey('lock-wait-pause');
    const bytes = testBytes(8 * minPart, 114);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 20 });
    const infos: ResumeInfo[] = [];
    const { done: paused } = await holdingLock((onStart) => pauseAfter(uploader, pick(bytes), key, 3, { onStart }));
    const waiter = uploader.upload(pick(bytes), key, { lock: 'wait', onResume: (i) => infos.push(i) });
    const acked = await paused;
    await waiter;
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ resumed: true, skippedParts: acked.length, skippedBytes: acked.length * minPart });
    const log = await ctl.log(key);
    expect(ops(log, 'InitiateMultipartUpload')).toHaveLength(1);
    expect(sorted(sendsPerPart(log).keys())).toEqual(range(1, 8));
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it("lock: 'wait' can be paused while waiting: it rejects with signal.reason at once, not when the holder finishes", async () => {
    const store = createMemoryStore();
    const uploader = page(store, { concurrency: 1 });
    const key = uniqueKey('lock-wait-abort');
    const bytes = testBytes(6 * minPart, 116);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 150 });
    const { done: first } = await holdingLock((onStart) => uploader.upload(pick(bytes), key, { onStart }));
    const controller = new AbortController();
    const reason = new Error('user paused the queued upload');
    let settledAt: number | undefined;
    const waiter = rejectionOf(uploader.upload(pick(bytes), key, { lock: 'wait', signal: controller.signal })).finally(() => {
      settledAt = Date.now();
    });
    await sleep(100);
    const abortedAt = Date.now();
    controller.abort(reason);
    const firstDone = await first.then(() => Date.now());
    expect(await waiter).toBe(reason);
    expect(settledAt! - abortedAt, `the waiter settled ${settledAt! - abortedAt} ms after its abort, ${firstDone - settledAt!} ms before the holder finished`).toBeLessThan(100);
    expect(ops(await ctl.log(key), 'InitiateMultipartUpload')).toHaveLength(1);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('discard() of a running upload rejects with UploadLockedError and leaves it running', async () => {
    const store = createMemoryStore();
    const uploader = page(store, { concurrency: 1 });
    const key = uniqueKey('lock-discard');
    const bytes = testBytes(4 * minPart, 115);
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 40 });
    let refusal: Promise<unknown> | undefined;
    await uploader.upload(pick(bytes), key, {
      onPartComplete: (p) => {
        if (p.partNumber === 1) refusal = store.list().then((all) => rejectionOf(discardPending(uploader, all.find((r) => r.key === key)!.id)));
      },
    });
    expect(await refusal).toBeInstanceOf(UploadLockedError);
    expect(ops(await ctl.log(key), 'AbortMultipartUpload')).toEqual([]);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});

describe('management: listPending, discard, sweep, resume', () => {
  it('listPending describes a paused upload for a UI, newest first, and only for its endpoint and bucket', async () => {
    const store = createMemoryStore();
    const keyA = uniqueKey('pending-a');
    const keyB = uniqueKey('pending-b');
    const started = Date.now();
    const ackedA = await pauseAfter(page(store), new File([testBytes(fileSize, 116)], 'clip.mp4', { type: 'video/mp4', lastModified }), keyA, 4);
    await sleep(5);
    const ackedB = await pauseAfter(page(store), new Blob([testBytes(10 * minPart, 117)]), keyB, 2);
    const a = await recordOf(store, keyA);
    const uploader = page(store);

    const pending = await listPending(uploader);
    expect(pending.map((p) => p.key)).toEqual([keyB, keyA]);
    const item = pending[1]!;
    expect(item).toMatchObject({
      id: a.id, key: keyA, uploadId: a.uploadId, fileName: 'clip.mp4', fileSize, contentType: 'video/mp4',
      bytesDone: ackedA.reduce((n, p) => n + p.size, 0), partsDone: ackedA.length, hasFileHandle: false,
    });
    expect(item.ageMs).toBeGreaterThanOrEqual(0);
    expect(item.ageMs).toBeLessThan(10_000);
    expect(item.createdAt.getTime()).toBeGreaterThanOrEqual(started);
    expect(item.updatedAt.getTime()).toBeGreaterThanOrEqual(item.createdAt.getTime());
    expect(pending[0]).toMatchObject({ fileName: '', fileSize: 10 * minPart, partsDone: ackedB.length, contentType: 'application/octet-stream', hasFileHandle: false });
    // The uploadId is the server's.
    expect((await uploader.client.listMultipartUploads({ prefix: keyA })).uploads.map((u) => u.uploadId)).toEqual([a.uploadId]);
    // Another endpoint over the same store sees none of them.
    expect(await listPending(uploaderFor(server, { store, endpoint: `http://127.0.0.1:${server.port}` }))).toEqual([]);

    for (const p of pending) await discardPending(uploader, p.id);
    expect(await listPending(uploader)).toEqual([]);
  });

  it('discard(id) aborts the multipart upload on the server and removes the record; an unknown id is a no-op', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('discard');
    const uploader = page(store);
    await pauseAfter(uploader, pick(testBytes(fileSize, 118)), key, 3);
    const record = await recordOf(store, key);
    expect((await uploader.client.listMultipartUploads({ prefix: key })).uploads).toHaveLength(1);

    await discardPending(uploader, record.id);
    expect((await uploader.client.listMultipartUploads({ prefix: key })).uploads).toEqual([]);
    expect(await rejectionOf(uploader.client.listParts(key, record.uploadId))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
    expect(await store.get(record.id)).toBeUndefined();
    expect(ops(await ctl.log(key), 'AbortMultipartUpload').map((e) => [e.uploadId, e.status])).toEqual([[record.uploadId, 204]]);

    const before = (await ctl.log()).length;
    await expect(discardPending(uploader, record.id)).resolves.toBeUndefined();
    await expect(discardPending(uploader, '0123456789abcdef0123456789abcdef')).resolves.toBeUndefined();
    expect(await requestsSince(before)).toEqual([]); // no request at all
  });

  it('discard(id) of a record whose upload the server already forgot still removes the record', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('discard-gone');
    const uploader = page(store);
    await pauseAfter(uploader, pick(testBytes(fileSize, 119)), key, 2);
    const record = await recordOf(store, key);
    await uploader.client.abortMultipartUpload(key, record.uploadId);
    await discardPending(uploader, record.id);
    expect(await store.list()).toEqual([]);
  });

  it('completed markers: never pending, not resumable, dropped by listPending and sweep once older than completedMarkerMs, discard sends nothing', async () => {
    const store = createMemoryStore();
    const uploader = page(store);
    const oldKey = uniqueKey('marker-old');
    const newKey = uniqueKey('marker-new');
    await uploader.upload(pick(testBytes(3 * minPart, 123)), oldKey);
    await uploader.upload(pick(testBytes(3 * minPart, 124)), newKey);
    const markers = await store.list();
    expect(markers.map((r) => [r.key, r.parts.length, r.completed?.key])).toEqual([[oldKey, 0, oldKey], [newKey, 0, newKey]]);
    const [old, fresh] = markers as [UploadRecord, UploadRecord];
    expect(await listPending(uploader)).toEqual([]);
    expect(await rejectionOf(resumePending(uploader, fresh.id))).toBeInstanceOf(ResumeMismatchError);

    // Age one marker past its time, as a page opened eleven minutes later would find it.
    await store.create({ ...old, updatedAt: Date.now() - completedMarkerMs - 60_000 });
    expect(await listPending(uploader)).toEqual([]);
    expect((await store.list()).map((r) => r.id)).toEqual([fresh.id]);
    await store.create({ ...old, updatedAt: Date.now() - completedMarkerMs - 60_000 });
    expect(await sweepPending(uploader, { olderThan: 3_600_000 })).toEqual({ discarded: [], aborted: [] });
    expect((await store.list()).map((r) => r.id)).toEqual([fresh.id]);

    const before = (await ctl.log()).length;
    await discardPending(uploader, fresh.id);
    expect(await store.list()).toEqual([]);
    expect(await requestsSince(before)).toEqual([]); // no AbortMultipartUpload for a completed upload
  });

  it('sweep({ olderThan }) discards only records idle for longer, aborting their server uploads', async () => {
    const store = createMemoryStore();
    const uploader = page(store);
    const staleKey = uniqueKey('sweep-stale');
    const freshKey = uniqueKey('sweep-fresh');
    await pauseAfter(uploader, pick(testBytes(fileSize, 120)), staleKey, 2);
    const stale = await recordOf(store, staleKey);

    expect(await sweepPending(uploader, { olderThan: 3_600_000 })).toEqual({ discarded: [], aborted: [] });
    expect(await store.list()).toHaveLength(1);

    await sleep(400);
    await pauseAfter(uploader, pick(testBytes(fileSize, 121)), freshKey, 2);
    const fresh = await recordOf(store, freshKey);
    const swept = await sweepPending(uploader, { olderThan: 200 });
    expect(swept).toEqual({ discarded: [stale.id], aborted: [] });
    expect((await store.list()).map((r) => r.id)).toEqual([fresh.id]);
    expect((await uploader.client.listMultipartUploads({ prefix: staleKey })).uploads).toEqual([]);
    expect((await uploader.client.listMultipartUploads({ prefix: freshKey })).uploads.map((u) => u.uploadId)).toEqual([fresh.uploadId]);

    await sleep(5);
    expect(await sweepPending(uploader, { olderThan: 0 })).toEqual({ discarded: [fresh.id], aborted: [] });
    expect(await store.list()).toEqual([]);
    expect((await uploader.client.listMultipartUploads({ prefix: freshKey })).uploads).toEqual([]);
    await expect(sweepPending(uploader, { olderThan: -1 })).rejects.toBeInstanceOf(RangeError);
  });

  it('sweep({ olderThan, prefix }) also aborts old server uploads no record knows, and leaves fresh records and new uploads alone', async () => {
    const store = createMemoryStore();
    const uploader = page(store, { concurrency: 1 });
    const { client } = uploader;
    const prefix = `${uniqueKey('sweep-prefix')}/`;
    const orphanKey = `${prefix}orphan.bin`;
    const elsewhereKey = uniqueKey('sweep-elsewhere');
    const orphan = await client.initiateMultipartUpload(orphanKey);
    await client.uploadPart(orphanKey, orphan.uploadId, 1, new Blob([testBytes(1000, 122)]));
    const elsewhere = await client.initiateMultipartUpload(elsewhereKey);
    await sleep(400);
    // A record whose server upload is old by now but whose journal was written just before the sweep.
    const recordKey = `${prefix}kept.bin`;
    await ctl.addFaults({ op: 'UploadPart', key: recordKey, times: 0, action: 'delay', delayMs: 400 });
    await pauseAfter(uploader, pick(testBytes(fileSize, 123)), recordKey, 1);
    const kept = await recordOf(store, recordKey);
    // A server upload started just now, known to no record.
    const youngKey = `${prefix}young.bin`;
    const young = await client.initiateMultipartUpload(youngKey);

    const swept = await sweepPending(uploader, { olderThan: 300, prefix });
    expect(swept).toEqual({ discarded: [], aborted: [{ key: orphanKey, uploadId: orphan.uploadId }] });
    const left = (await client.listMultipartUploads({ prefix })).uploads.map((u) => u.uploadId).sort();
    expect(left).toEqual([kept.uploadId, young.uploadId].sort());
    expect(await store.get(kept.id)).toBeDefined();
    expect((await client.listMultipartUploads({ prefix: elsewhereKey })).uploads.map((u) => u.uploadId)).toEqual([elsewhere.uploadId]);

    await discardPending(uploader, kept.id);
    await client.abortMultipartUpload(youngKey, young.uploadId);
    await client.abortMultipartUpload(elsewhereKey, elsewhere.uploadId);
  });

  it('resume(id) without a stored file handle rejects with ResumeMismatchError asking to re-select the file; resumeAll skips such records', async () => {
    const store = createMemoryStore();
    const uploader = page(store);
    const key = uniqueKey('resume-no-handle');
    await pauseAfter(uploader, pick(testBytes(fileSize, 124), 'holiday.mov'), key, 2);
    const record = await recordOf(store, key);
    const before = (await ctl.log()).length;

    const error = await rejectionOf(resumePending(page(store), record.id));
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect((error as Error).message).toMatch(/select "holiday\.mov" again/);
    expect(await rejectionOf(resumePending(page(store), '0123456789abcdef0123456789abcdef'))).toBeInstanceOf(ResumeMismatchError);
    expect(await resumeAllPending(page(store))).toEqual([]);
    expect(await requestsSince(before)).toEqual([]);
    expect(await store.get(record.id)).toBeDefined();
    await discardPending(uploader, record.id);
  });
});

describe('onStart and the last progress on a pause', () => {
  it('onStart gives the record id listPending knows, and a pause still delivers the last progress', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('on-start');
    const bytes = testBytes(6 * minPart + 3, 211);
    const starts: Array<{ id: string; uploadId: string; key: string }> = [];
    const events: UploadProgress[] = [];
    const controller = new AbortController();
    const pause = new Error('pause');
    const upload = page(store, { concurrency: 1 }).upload(pick(bytes), key, {
      signal: controller.signal,
      onStart: (info) => starts.push(info),
      onProgress: (p) => events.push(p),
      onPartComplete: (p) => {
        if (p.partNumber === 2) controller.abort(pause);
      },
    });
    expect(await rejectionOf(upload)).toBe(pause);
    const pending = await listPending(page(store));
    expect(starts).toEqual([{ id: pending[0]!.id, uploadId: pending[0]!.uploadId, key }]);
    // The part acknowledged just before the pause shows up even though it fell inside the 100 ms throttle.
    expect(events.at(-1)!.completedParts).toBe(pending[0]!.partsDone);
    await discardPending(page(store), pending[0]!.id);
  });
});

describe('a change the fingerprint cannot see', () => {
  it('bytes changed only outside the sampled 64 KiB regions are re-sent on resume, never spliced', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('splice');
    const original = testBytes(20 * minPart + 777, 301);
    const controller = new AbortController();
    const pause = new Error('pause');
    await rejectionOf(page(store, { concurrency: 1 }).upload(pick(original), key, {
      signal: controller.signal,
      onPartComplete: (p) => {
        if (p.partNumber === 6) controller.abort(pause);
      },
    }));
    // Same name, size, lastModified and type; only bytes inside part 3 differ (far from the first,
    // middle and last 64 KiB that the fingerprint samples).
    const changed = new Uint8Array(original);
    for (let i = 2 * minPart + 1000; i < 2 * minPart + 2000; i++) changed[i] = changed[i]! ^ 0xff;
    const infos: ResumeInfo[] = [];
    const before = (await ctl.log(key)).length;
    await page(store).upload(pick(changed), key, { onResume: (i) => infos.push(i) });
    expect(infos[0]).toMatchObject({ resumed: true });
    const sent = (await ctl.log(key)).slice(before).filter((e) => e.op === 'UploadPart' && e.status === 200).map((e) => e.partNumber);
    expect(sent).toContain(3);
    expect(sent).not.toContain(1);
    expect(await storedMd5(server, key)).toBe(md5(changed));
  });

  it('with verifyResumedParts: false the trusted parts are skipped: neither hashed nor sent, so such a change goes unseen', async () => {
    const store = createMemoryStore();
    const key = uniqueKey('splice-unverified');
    const original = testBytes(20 * minPart + 777, 302);
    const controller = new AbortController();
    await rejectionOf(page(store, { concurrency: 1 }).upload(pick(original), key, {
      signal: controller.signal,
      onPartComplete: (p) => {
        if (p.partNumber === 6) controller.abort(new Error('pause'));
      },
    }));
    const record = await recordOf(store, key);
    expect(record.parts.map((p) => p.partNumber)).toEqual(range(1, 6));
    const changed = new Uint8Array(original);
    for (let i = 2 * minPart + 1000; i < 2 * minPart + 2000; i++) changed[i] = changed[i]! ^ 0xff;
    const infos: ResumeInfo[] = [];
    const events: UploadProgress[] = [];
    const before = (await ctl.log(key)).length;
    await page(store, { verifyResumedParts: false }).upload(pick(changed), key, { onResume: (i) => infos.push(i), onProgress: (p) => events.push(p) });
    expect(infos).toEqual([{ resumed: true, uploadId: record.uploadId, skippedParts: 6, skippedBytes: 6 * minPart }]);
    expect(events[0]).toMatchObject({ transferredBytes: 6 * minPart, completedParts: 6 });
    const sent = (await ctl.log(key)).slice(before).filter((e) => e.op === 'UploadPart').map((e) => e.partNumber!);
    // (part 7 may also be logged late by the first session: its body could be out at the pause)
    expect(sorted(new Set(sent))).toEqual(range(7, partCount));
    // What the option trades away: part 3 stays as the journal recorded it.
    expect(await storedMd5(server, key)).toBe(md5(original));
  });
});
