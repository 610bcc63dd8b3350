/**
 * Failures driven by the server's fault injection (never by stubbing ky or the SDK): retried 503s,
 * dropped sockets, InvalidDigest, a permanent 403 that fails the upload fast, and an ambiguous
 * Complete settled by asking the server. The request log proves what was sent and how often.
 */
import { describe, expect, it } from 'vitest';
import { copyObject, OssError, OssNetworkError, OssServiceError, type CompletedPart, type UploadPhase, type UploadProgress } from '../../src/index.js';
import { aliFor, control, md5, minPart, rejectionOf, useFaultServer, storedMd5, testBytes, uniqueKey, uploaderFor, type LogEntry, type TestServer } from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;

useFaultServer((started, controller) => {
  server = started;
  ctl = controller;
});

const phaseOrder: Record<UploadPhase, number> = { hashing: 0, uploading: 1, completing: 2, done: 3 };

/** Attempts of one part in the log, as `status` (0 = socket dropped) in order. */
const attemptsOf = (log: readonly LogEntry[], partNumber: number) => log.filter((e) => e.op === 'UploadPart' && e.partNumber === partNumber);

/** Uploads `parts` parts of 100 KB (the last shorter) and records events. */
async function uploadWithEvents(key: string, partCount: number, concurrency = 3) {
  const bytes = testBytes(partCount * minPart - 333, partCount);
  const parts: CompletedPart[] = [];
  const progress: UploadProgress[] = [];
  const result = await uploaderFor(server, { partSize: minPart, concurrency }).upload(new Blob([bytes]), key, {
    onPartComplete: (p) => parts.push(p),
    onProgress: (p) => progress.push(p),
  });
  return { bytes, parts, progress, result };
}

/** Part events once per part, and progress that never went back although parts were retried. */
function expectCleanEvents(parts: readonly CompletedPart[], progress: readonly UploadProgress[], partCount: number, size: number): void {
  expect(parts.map((p) => p.partNumber).sort((a, b) => a - b)).toEqual(Array.from({ length: partCount }, (_, i) => i + 1));
  for (let i = 1; i < progress.length; i++) {
    expect(progress[i]!.transferredBytes).toBeGreaterThanOrEqual(progress[i - 1]!.transferredBytes);
    expect(progress[i]!.completedParts).toBeGreaterThanOrEqual(progress[i - 1]!.completedParts);
    expect(phaseOrder[progress[i]!.phase]).toBeGreaterThanOrEqual(phaseOrder[progress[i - 1]!.phase]);
  }
  expect(progress.at(-1)).toMatchObject({ phase: 'done', percent: 100, transferredBytes: size, completedParts: partCount });
  for (const p of progress) expect(p.transferredBytes).toBeLessThanOrEqual(size); // retries never double-count
}

describe('retried part failures', () => {
  it('503 twice on part 3: completes, part 3 was attempted 3 times', async () => {
    const key = uniqueKey('503');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 3, nth: 1, times: 2, action: 'error', status: 503, code: 'ServiceUnavailable' });
    const { bytes, parts, progress, result } = await uploadWithEvents(key, 5);
    expect(result.size).toBe(bytes.length);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    const log = await ctl.log(key);
    expect(attemptsOf(log, 3).map((e) => [e.status, e.code ?? null, e.fault ?? null])).toEqual([
      [503, 'ServiceUnavailable', 'error'], [503, 'ServiceUnavailable', 'error'], [200, null, null],
    ]);
    for (const n of [1, 2, 4, 5]) expect(attemptsOf(log, n).map((e) => e.status)).toEqual([200]);
    expectCleanEvents(parts, progress, 5, bytes.length);
  });

  it('socket dropped mid-part (after 50,000 body bytes of part 2): completes, part 2 re-sent in full', async () => {
    const key = uniqueKey('drop');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 2, action: 'drop', afterBytes: 50_000 });
    const { bytes, parts, progress } = await uploadWithEvents(key, 4);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    const attempts = attemptsOf(await ctl.log(key), 2);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ status: 0, fault: 'drop' });
    expect(attempts[0]!.bytesIn).toBeGreaterThanOrEqual(50_000);
    expect(attempts[0]!.bytesIn).toBeLessThan(minPart);
    expect(attempts[1]).toMatchObject({ status: 200, bytesIn: minPart });
    expectCleanEvents(parts, progress, 4, bytes.length);
  });

  it('InvalidDigest once on part 2: re-hashed and re-sent, completes', async () => {
    const key = uniqueKey('digest');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 2, action: 'error', status: 400, code: 'InvalidDigest' });
    const { bytes, parts, progress } = await uploadWithEvents(key, 4);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(attemptsOf(await ctl.log(key), 2).map((e) => [e.status, e.code ?? null])).toEqual([[400, 'InvalidDigest'], [200, null]]);
    expectCleanEvents(parts, progress, 4, bytes.length);
  });

  it('InvalidDigest on every attempt is not retried forever: the upload rejects with it', async () => {
    const key = uniqueKey('digest-always');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 1, times: 0, action: 'error', status: 400, code: 'InvalidDigest' });
    const error = await rejectionOf(uploadWithEvents(key, 3));
    expect(error).toBeInstanceOf(OssServiceError);
    expect(error).toMatchObject({ status: 400, code: 'InvalidDigest', operation: 'UploadPart', partNumber: 1 });
    const attempts = attemptsOf(await ctl.log(key), 1).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(4);
  });

  it('a 503 that never ends gives up after the retry limit with OssServiceError 503', async () => {
    const key = uniqueKey('503-forever');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 1, times: 0, action: 'error', status: 503 });
    const bytes = testBytes(2 * minPart, 77);
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1, retry: { limit: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    const error = await rejectionOf(uploader.upload(new Blob([bytes]), key));
    expect(error).toMatchObject({ name: 'OssServiceError', status: 503, code: 'ServiceUnavailable', operation: 'UploadPart', partNumber: 1 });
    expect(attemptsOf(await ctl.log(key), 1)).toHaveLength(3); // 1 + limit 2
  });
});

describe('retries of the other idempotent calls', () => {
  it('a single PutObject (below the multipart threshold) is retried after a 503', async () => {
    const key = uniqueKey('put-503');
    await ctl.addFaults({ op: 'PutObject', key, action: 'error', status: 503 });
    const bytes = testBytes(5000, 12);
    await uploaderFor(server).upload(new Blob([bytes]), key);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect((await ctl.log(key)).filter((e) => e.op === 'PutObject').map((e) => e.status)).toEqual([503, 200]);
  });

  it('a stalled part (the server reads and answers nothing) is given up and retried; Node allows stallTimeout plus the body time', async () => {
    const key = uniqueKey('stall');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 1, action: 'stall' });
    const bytes = testBytes(2 * minPart, 13);
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1, stallTimeout: 1000 });
    const started = Date.now();
    await uploader.upload(new Blob([bytes]), key);
    const elapsed = Date.now() - started;
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect((await ctl.faults())[0]).toMatchObject({ fired: 1, seen: 2 }); // part 1 was sent twice
    // Node reports no upload progress, so with nothing measured yet the first attempt was allowed
    // 1 s + twice the time 100 KiB take at the assumed 64 KiB/s (stall.ts): 4.125 s.
    expect(elapsed).toBeGreaterThanOrEqual(4125);
    expect(elapsed).toBeLessThan(8000);
    // (Node's fetch leaves the socket of an aborted request open, so the server's log has no end for it.)
  });

  it('a link that never moves a byte ends, after the retries, in OssNetworkError with timedOut, the part number and how long it waited', async () => {
    const key = uniqueKey('stall-forever');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 1, action: 'stall', times: 0 });
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1, stallTimeout: 1000, retry: { limit: 1, baseDelayMs: 10, maxDelayMs: 10 } });
    const error = await rejectionOf(uploader.upload(new Blob([testBytes(2 * minPart, 14)]), key));
    expect(error).toBeInstanceOf(OssNetworkError);
    expect(error).toMatchObject({ operation: 'UploadPart', partNumber: 1, timedOut: true, attempts: 2 });
    const { waitedMs, message } = error as OssNetworkError;
    expect(message).toMatch(/UploadPart #1 failed: nothing moved for [\d.]+ s .*gave up after 2 attempts in [\d.]+ s/);
    // The retry's allowance doubled (stall.ts): 4.125 s, then 1 s + 6.25 s.
    expect(waitedMs).toBeGreaterThanOrEqual(4125 + 7250);
    expect((await ctl.faults())[0]).toMatchObject({ fired: 2, seen: 2 });
  });

  it('UploadPartCopy is retried after a 503 (uploader.copy)', async () => {
    const uploader = uploaderFor(server, { partSize: minPart });
    const source = uniqueKey('copy-retry-src');
    const target = uniqueKey('copy-retry-dst');
    const bytes = testBytes(3 * minPart, 16);
    await uploader.client.putObject(source, bytes);
    await ctl.addFaults({ op: 'UploadPartCopy', key: target, partNumber: 2, action: 'error', status: 503 });
    await copyObject(uploader, source, target);
    expect(await storedMd5(server, target)).toBe(md5(bytes));
    expect((await ctl.log(target)).filter((e) => e.op === 'UploadPartCopy' && e.partNumber === 2).map((e) => e.status)).toEqual([503, 200]);
  });

  it.each([
    { op: 'ListParts', call: 'listParts' },
    { op: 'HeadObject', call: 'headObject' },
    { op: 'GetObject', call: 'getObject' },
    { op: 'AbortMultipartUpload', call: 'abortMultipartUpload' },
  ] as const)('$op is retried after a 502 and a 504', async ({ op, call }) => {
    const key = uniqueKey(`retry-${op}`);
    const client = uploaderFor(server).client;
    await client.putObject(key, 'hello');
    const { uploadId } = await client.initiateMultipartUpload(key);
    await ctl.addFaults(
      // Rules are tried in order and a request fires at most one: the 1st request gets 502, the 2nd 504.
      { op, key, action: 'error', status: 502, code: 'BadGateway' },
      { op, key, action: 'error', status: 504, code: 'GatewayTimeout' },
    );
    if (call === 'listParts' || call === 'abortMultipartUpload') await client[call](key, uploadId);
    else expect((await client[call](key)).size).toBe(5);
    expect((await ctl.log(key)).filter((e) => e.op === op).map((e) => e.status)).toEqual([502, 504, call === 'abortMultipartUpload' ? 204 : 200]);
  });
});

describe('abort during a retry', () => {
  it('an abort while a part waits for its next retry rejects at once with signal.reason', async () => {
    const key = uniqueKey('abort-backoff');
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 1, times: 0, action: 'error', status: 503 });
    // Backoff of several seconds: only an abort that reaches the retry delay ends this quickly.
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1, retry: { limit: 5, baseDelayMs: 4000, maxDelayMs: 4000 } });
    const controller = new AbortController();
    const reason = new Error('pause during backoff');
    const upload = uploader.upload(new Blob([testBytes(2 * minPart, 15)]), key, { signal: controller.signal });
    for (let i = 0; i < 100 && (await ctl.log(key)).every((e) => e.status !== 503); i++) await new Promise((r) => setTimeout(r, 10));
    const abortedAt = Date.now();
    controller.abort(reason);
    expect(await rejectionOf(upload)).toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(500);
  });
});

describe('concurrency', () => {
  it('never has more parts in flight than `concurrency`', async () => {
    const key = uniqueKey('lanes');
    const delayMs = 200;
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs });
    const bytes = testBytes(6 * minPart, 14);
    const started = Date.now();
    await uploaderFor(server, { partSize: minPart, concurrency: 2 }).upload(new Blob([bytes]), key);
    // Six parts held 200 ms each on two lanes need at least three rounds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * delayMs);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });
});

describe('a permanent failure', () => {
  it('403 on part 3 rejects with OssServiceError carrying its facts, and siblings stop', async () => {
    const key = uniqueKey('403');
    const partCount = 10;
    await ctl.addFaults(
      { op: 'UploadPart', key, partNumber: 3, times: 0, action: 'error', status: 403, code: 'AccessDenied', message: 'Injected denial.' },
      // Part 4 is still in flight when part 3 fails; the failure must not wait for it.
      { op: 'UploadPart', key, partNumber: 4, times: 0, action: 'delay', delayMs: 2500 },
    );
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 2 });
    const bytes = testBytes(partCount * minPart, 99);
    const completed: number[] = [];
    const started = Date.now();
    const error = await rejectionOf(uploader.upload(new Blob([bytes]), key, { onPartComplete: (p) => completed.push(p.partNumber) }));
    const elapsed = Date.now() - started;

    expect(error).toBeInstanceOf(OssServiceError);
    expect(error).toBeInstanceOf(OssError);
    const e = error as OssServiceError;
    expect(e).toMatchObject({ name: 'OssServiceError', status: 403, code: 'AccessDenied', operation: 'UploadPart', partNumber: 3, method: 'PUT' });
    expect(e.message).toContain('UploadPart #3 failed: 403 AccessDenied');
    expect(e.url).toContain('partNumber=3');
    const failed = attemptsOf(await ctl.log(key), 3);
    expect(failed).toHaveLength(1); // a 403 is not retried
    expect(e.requestId).toBe(failed[0]!.requestId);
    expect(e.message).toContain(failed[0]!.requestId);

    // The delayed sibling was aborted, not awaited.
    expect(elapsed).toBeLessThan(2000);
    expect(completed.every((n) => n <= 2)).toBe(true);
    // Nothing new starts after the failure: with 2 lanes, part 4 is the last that can have started.
    await new Promise((r) => setTimeout(r, 300));
    const sent = (await ctl.log(key)).filter((x) => x.op === 'UploadPart').map((x) => x.partNumber!);
    expect(sent).toContain(3);
    expect(sent.filter((n) => n > 4)).toEqual([]);
    expect((await ctl.log(key)).filter((x) => x.op === 'CompleteMultipartUpload')).toEqual([]);
  });
});

describe('an ambiguous Complete', () => {
  it('503 on Complete: the SDK checks the upload (ListParts), re-sends Complete and succeeds', async () => {
    const key = uniqueKey('complete-503');
    await ctl.addFaults({ op: 'CompleteMultipartUpload', key, action: 'error', status: 503 });
    const { bytes, result } = await uploadWithEvents(key, 3);
    expect(result.etag).toMatch(/-3"$/);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    const log = await ctl.log(key);
    const tail = log.filter((e) => e.op === 'CompleteMultipartUpload' || e.op === 'ListParts').map((e) => [e.op, e.status]);
    expect(tail).toEqual([['CompleteMultipartUpload', 503], ['ListParts', 200], ['CompleteMultipartUpload', 200]]);
  });

  /**
   * Complete reached the server but its answer was lost: simulated by a 503 on the SDK's Complete,
   * then — while the SDK's ListParts probe is held back — another actor completes the same upload.
   */
  async function completedBehindTheSdksBack(key: string, actorParts: 'all' | number) {
    await ctl.addFaults(
      { op: 'CompleteMultipartUpload', key, action: 'error', status: 503 },
      { op: 'ListParts', key, action: 'delay', delayMs: 800 },
    );
    const bytes = testBytes(3 * minPart - 10, 7);
    const uploader = uploaderFor(server, { partSize: minPart });
    const upload = uploader.upload(new Blob([bytes]), key);
    upload.catch(() => undefined);
    let refused: LogEntry | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      refused = (await ctl.log(key)).find((e) => e.op === 'CompleteMultipartUpload' && e.status === 503);
      if (!refused) await new Promise((r) => setTimeout(r, 10));
    }
    expect(refused?.uploadId).toBeDefined();
    const actor = uploaderFor(server).client;
    const parts = actorParts === 'all' ? 'all' as const : (await actor.listParts(key, refused!.uploadId!)).parts.slice(0, actorParts);
    await actor.completeMultipartUpload(key, refused!.uploadId!, parts);
    return { bytes, outcome: await upload.then((result) => ({ result }), (error: unknown) => ({ error })) };
  }

  it('Complete applied but its answer lost: NoSuchUpload from ListParts plus a matching HEAD ETag settle it as success', async () => {
    const key = uniqueKey('complete-lost');
    const { bytes, outcome } = await completedBehindTheSdksBack(key, 'all');
    expect(outcome).toHaveProperty('result');
    const { result } = outcome as { result: { etag: string; size: number } };
    const log = (await ctl.log(key)).filter((e) => ['CompleteMultipartUpload', 'ListParts', 'HeadObject'].includes(e.op));
    expect(log.map((e) => [e.op, e.status, e.code ?? null])).toEqual([
      ['CompleteMultipartUpload', 503, 'ServiceUnavailable'], // the SDK's
      ['CompleteMultipartUpload', 200, null], // the other actor's
      ['ListParts', 404, 'NoSuchUpload'], // the SDK's probe
      ['HeadObject', 200, null], // and its check of the stored object
    ]);
    const head = await aliFor(server).head(key);
    expect(result.etag).toBe(head.res.headers.etag);
    expect(result.size).toBe(bytes.length);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('Complete not settled when the stored object is not this upload (HEAD ETag differs): rejects with the Complete error', async () => {
    const key = uniqueKey('complete-other');
    const { outcome } = await completedBehindTheSdksBack(key, 2);
    expect(outcome).toHaveProperty('error');
    expect((outcome as { error: unknown }).error).toMatchObject({ name: 'OssServiceError', status: 503, operation: 'CompleteMultipartUpload' });
    expect((await ctl.log(key)).filter((e) => e.op === 'CompleteMultipartUpload').map((e) => e.status)).toEqual([503, 200]);
  });

  it('a non-ambiguous Complete error (400) is not re-sent', async () => {
    const key = uniqueKey('complete-400');
    await ctl.addFaults({ op: 'CompleteMultipartUpload', key, action: 'error', status: 400, code: 'InvalidPart' });
    const error = await rejectionOf(uploadWithEvents(key, 2));
    expect(error).toMatchObject({ status: 400, code: 'InvalidPart', operation: 'CompleteMultipartUpload' });
    expect((await ctl.log(key)).filter((e) => e.op === 'CompleteMultipartUpload')).toHaveLength(1);
  });

  it('a dropped connection on Complete (network error) is settled the same way: probe, re-send, success', async () => {
    const key = uniqueKey('complete-drop');
    await ctl.addFaults({ op: 'CompleteMultipartUpload', key, action: 'drop', afterBytes: 0 });
    const { bytes } = await uploadWithEvents(key, 2);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    const log = (await ctl.log(key)).filter((e) => e.op === 'CompleteMultipartUpload' || e.op === 'ListParts');
    expect(log.map((e) => [e.op, e.status])).toEqual([['CompleteMultipartUpload', 0], ['ListParts', 200], ['CompleteMultipartUpload', 200]]);
  });

  it('Initiate is never retried blindly: one 503 rejects the upload after one request', async () => {
    const key = uniqueKey('initiate-503');
    await ctl.addFaults({ op: 'InitiateMultipartUpload', key, action: 'error', status: 503 });
    const error = await rejectionOf(uploadWithEvents(key, 2));
    expect(error).toMatchObject({ status: 503, operation: 'InitiateMultipartUpload' });
    expect((await ctl.log(key)).filter((e) => e.op === 'InitiateMultipartUpload')).toHaveLength(1);
  });

  it('Initiate is never retried blindly: a timeout rejects with OssNetworkError after one request', async () => {
    // (A `drop` fault cannot cut Initiate: it fires when the handler reads the body, and Initiate has none.)
    const key = uniqueKey('initiate-timeout');
    await ctl.addFaults({ op: 'InitiateMultipartUpload', key, action: 'delay', delayMs: 1300 });
    const uploader = uploaderFor(server, { partSize: minPart, stallTimeout: 1000 });
    const error = await rejectionOf(uploader.upload(new Blob([testBytes(2 * minPart)]), key));
    expect(error).toBeInstanceOf(OssNetworkError);
    expect(error).toMatchObject({ name: 'OssNetworkError', operation: 'InitiateMultipartUpload', timedOut: true });
    await new Promise((r) => setTimeout(r, 500)); // let the held request finish on the server
    expect((await ctl.faults())[0]).toMatchObject({ seen: 1 });
  });
});
