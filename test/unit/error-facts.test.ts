/**
 * The facts each error carries (issue 15): OssIntegrityError's check, expected and actual values;
 * OssNetworkError's init object; HashingError's kind for every way hashing can fail; the journal's
 * failures reaching `onJournalError` once per upload. Server answers are covered in
 * test/integration/error-facts.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkCrc, checkEtag } from '../../src/core/integrity.js';
import { createHasher, createMemoryStore, HashingError, OssError, OssIntegrityError, OssNetworkError, type CheckpointStore } from '../../src/index.js';
import { journalWarning, tolerantStore } from '../../src/persistence/tolerant-store.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('OssIntegrityError', () => {
  const md5 = '9e107d9d372bb6826bd81d3542a419d6';

  it('an ETag that is not the MD5 of the bytes sent: operation, part, expected MD5 and the ETag as sent', () => {
    expect(() => checkEtag({ operation: 'UploadPart', partNumber: 4 }, md5, `"${md5.toUpperCase()}"`)).not.toThrow();
    expect(() => checkEtag({ operation: 'UploadPart', partNumber: 4 }, undefined, '"whatever"')).not.toThrow();
    let error: unknown;
    try {
      checkEtag({ operation: 'UploadPart', partNumber: 4 }, md5.toUpperCase(), '"0000"');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OssIntegrityError);
    expect(error).toBeInstanceOf(OssError);
    expect(error).toMatchObject({
      name: 'OssIntegrityError', operation: 'UploadPart', partNumber: 4, check: 'md5', expected: md5, actual: '"0000"',
      message: `UploadPart #4: the server's ETag "0000" is not the MD5 of the bytes sent`,
    });
    expect(() => checkEtag({ operation: 'PutObject' }, md5, '"0000"')).toThrow(expect.objectContaining({ operation: 'PutObject', partNumber: undefined, check: 'md5' }));
  });

  it('a CRC-64 mismatch: expected is the local CRC, actual the server\'s, both unsigned decimal', () => {
    expect(() => checkCrc({ operation: 'UploadPart', partNumber: 2 }, 5n, '5', true)).not.toThrow();
    expect(() => checkCrc({ operation: 'UploadPart', partNumber: 2 }, 18446744073709551615n, '7', false)).toThrow(expect.objectContaining({
      name: 'OssIntegrityError', operation: 'UploadPart', partNumber: 2, check: 'crc64', expected: '18446744073709551615', actual: '7',
      message: 'UploadPart #2: CRC-64 mismatch, local 18446744073709551615 vs server 7',
    }));
  });

  it('an unreadable CRC-64 header fails only where it is required, with actual undefined', () => {
    expect(() => checkCrc({ operation: 'UploadPart', partNumber: 1 }, 5n, undefined, false)).not.toThrow();
    expect(() => checkCrc({ operation: 'CompleteMultipartUpload' }, 5n, undefined, true)).toThrow(expect.objectContaining({
      operation: 'CompleteMultipartUpload', partNumber: undefined, check: 'crc64', expected: '5', actual: undefined,
      message: expect.stringMatching(/^CompleteMultipartUpload: the x-oss-hash-crc64ecma header is not readable/),
    }));
    expect(() => checkCrc({ operation: 'PutObject' }, undefined, undefined, true)).not.toThrow();
  });
});

describe('OssNetworkError', () => {
  it('takes an init object; the message keeps its shape', () => {
    const cause = new TypeError('fetch failed');
    const error = new OssNetworkError({
      operation: 'UploadPart', partNumber: 3, message: 'network error: fetch failed (2 attempts in 1.0 s)', method: 'PUT',
      url: 'http://localhost:9000/demo/a.bin?partNumber=3&uploadId=U', attempts: 2, waitedMs: 1000, cause,
    });
    expect(error).toMatchObject({
      name: 'OssNetworkError', operation: 'UploadPart', partNumber: 3, method: 'PUT', url: 'http://localhost:9000/demo/a.bin?partNumber=3&uploadId=U',
      timedOut: false, attempts: 2, waitedMs: 1000, message: 'UploadPart #3 failed: network error: fetch failed (2 attempts in 1.0 s)',
    });
    expect(error.cause).toBe(cause);
    expect(new OssNetworkError({ operation: 'HeadObject', message: 'x', method: 'HEAD', url: 'u', timedOut: true })).toMatchObject({
      partNumber: undefined, timedOut: true, attempts: undefined, waitedMs: undefined, message: 'HeadObject failed: x',
    });
  });
});

/** A stand-in Worker the test drives by hand: it answers, crashes or stays silent on command. */
class ManualWorker extends EventTarget {
  static started: ManualWorker[] = [];
  posted: Array<{ id: number }> = [];
  constructor() {
    super();
    ManualWorker.started.push(this);
  }
  postMessage(message: { id: number }): void {
    this.posted.push(message);
  }
  terminate(): void {}
  reply(data: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }
  crash(message: string): void {
    const event = new Event('error', { cancelable: true });
    Object.defineProperty(event, 'message', { value: message });
    this.dispatchEvent(event);
  }
}

const manualWorker = () => new ManualWorker() as unknown as Worker;

/** Waits until `worker` received a job. */
async function jobOf(worker: () => ManualWorker | undefined): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const id = worker()?.posted.at(-1)?.id;
    if (id !== undefined) return id;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('no job was posted');
}

describe('HashingError', () => {
  it("'job': the worker reports a failed job (its text in the message)", async () => {
    ManualWorker.started = [];
    const hasher = createHasher({ workers: 1, createWorker: manualWorker });
    const digest = hasher.hash(new Blob(['x']), { md5: true, crc64: false });
    const id = await jobOf(() => ManualWorker.started[0]);
    ManualWorker.started[0]!.reply({ id, error: 'NotReadableError: gone' });
    const error = await digest.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HashingError);
    expect(error).toBeInstanceOf(OssError);
    expect(error).toMatchObject({ name: 'HashingError', kind: 'job', message: 'Hashing failed: NotReadableError: gone' });
    hasher.dispose();
  });

  it("'job' inline (no Worker): the read failure is the cause", async () => {
    const hasher = createHasher();
    expect(hasher.mode).toBe('inline');
    const cause = new DOMException('gone', 'NotReadableError');
    const unreadable = { size: 1, slice: () => ({ arrayBuffer: () => Promise.reject(cause) }) } as unknown as Blob;
    const error = await hasher.hash(unreadable, { md5: true, crc64: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HashingError', kind: 'job', message: 'Hashing failed: gone' });
    expect((error as Error).cause).toBe(cause);
    hasher.dispose();
  });

  it("'crash': the worker died mid-job; the event is the cause", async () => {
    ManualWorker.started = [];
    const hasher = createHasher({ workers: 1, createWorker: manualWorker });
    const digest = hasher.hash(new Blob(['x']), { md5: true, crc64: false });
    await jobOf(() => ManualWorker.started[0]);
    ManualWorker.started[0]!.crash('out of memory');
    const error = await digest.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HashingError', kind: 'crash', message: expect.stringMatching(/^The hash worker failed: out of memory/) });
    expect((error as Error).cause).toBeInstanceOf(Event);
    hasher.dispose();
  });

  it("'start': no worker could be created; the exception is the cause", async () => {
    const refusal = new DOMException('blocked by CSP', 'SecurityError');
    const hasher = createHasher({
      createWorker: () => {
        throw refusal;
      },
    });
    const error = await hasher.hash(new Blob(['x']), { md5: true, crc64: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HashingError', kind: 'start' });
    expect((error as Error).cause).toBe(refusal);
  });

  it("'disposed': jobs pending at dispose() and any after it", async () => {
    ManualWorker.started = [];
    const hasher = createHasher({ workers: 1, createWorker: manualWorker });
    const pending = hasher.hash(new Blob(['x']), { md5: true, crc64: false });
    hasher.dispose();
    await expect(pending).rejects.toMatchObject({ name: 'HashingError', kind: 'disposed' });
    await expect(hasher.sample(new Blob(['x']), [[0, 1]])).rejects.toMatchObject({ name: 'HashingError', kind: 'disposed' });
  });
});

describe('onJournalError (the tolerant journal of one upload)', () => {
  const failing = (inner: CheckpointStore = createMemoryStore()): CheckpointStore => ({
    get: () => Promise.reject(new Error('get failed')),
    create: () => Promise.reject(new Error('create failed')),
    addPart: () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    },
    delete: (id) => inner.delete(id),
    list: () => Promise.reject(new Error('list failed')),
  });

  it('reports the first failure only, with the record id and the key; nothing rejects, nothing warns', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const report = vi.fn();
    const store = tolerantStore(failing(), 'photos/a.jpg', report);
    await expect(store.addPart('id-1', { partNumber: 1, etag: '"E"', size: 1, md5: 'E' }, 0)).resolves.toBeUndefined();
    await expect(store.get('id-1')).resolves.toBeUndefined();
    await expect(store.list()).resolves.toEqual([]);
    expect(report).toHaveBeenCalledTimes(1);
    expect(report.mock.calls[0]![0]).toMatchObject({ name: 'QuotaExceededError' });
    expect(report.mock.calls[0]![1]).toEqual({ id: 'id-1', key: 'photos/a.jpg' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('a listener that throws is ignored; the default is one console warning', async () => {
    const store = tolerantStore(failing(), 'k', () => {
      throw new Error('listener bug');
    });
    await expect(store.get('id-2')).resolves.toBeUndefined();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const byDefault = tolerantStore(failing(), 'k');
    await byDefault.get('id-3');
    await byDefault.create({ id: 'id-3' } as never);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toBe(journalWarning);
  });
});
