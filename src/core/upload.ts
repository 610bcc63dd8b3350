/**
 * Runs ONE upload: plan → (single PutObject | Initiate → part queue → Complete) → checks. Parts
 * are Blob slices sent as-is (the page never holds their bytes); their Content-MD5 / CRC-64 come
 * from the hashing workers, requested a few parts ahead so hashing overlaps the uploads.
 */
import { crc64Combine, formatCrc64 } from '../hashing/crc64.js';
import type { Hasher, PartDigest } from '../hashing/hash-pool.js';
import { OssIntegrityError, OssNetworkError, OssServiceError } from '../errors.js';
import type { CompleteResult, OssClient } from '../oss/client.js';
import { etagMatchesMd5, normalizeEtag } from '../oss/etag.js';
import type { UploadOptions, UploadPhase, UploadResult } from '../types.js';
import { sleep } from './abort.js';
import { runConcurrently } from './part-queue.js';
import { effectivePartSize, planParts, type PartPlan } from './plan.js';
import { createProgressReporter, deriveProgress } from './progress.js';
import { backoffDelay, fullJitter, type ResolvedRetry } from './retry.js';

/** Settled uploader settings the engine runs with. */
export type EngineSettings = {
  readonly partSize: number;
  readonly concurrency: number;
  readonly contentMd5: boolean;
  readonly crc64: boolean;
  readonly multipartThreshold: number;
  readonly retry: ResolvedRetry;
};

/** What the engine needs from the uploader. */
export type EngineDeps = { readonly client: OssClient; readonly hasher: () => Hasher; readonly settings: EngineSettings };

type DonePart = { readonly etag: string; readonly size: number; readonly crc64: bigint | undefined };

/** An InvalidDigest answer means the bytes changed on the way: re-read, re-hash and re-send this often. */
const digestRetries = 2;

function checkCrc(what: string, local: bigint | undefined, remote: string | undefined, required: boolean): void {
  if (local === undefined) return;
  if (remote === undefined) {
    if (required) throw new OssIntegrityError(`${what}: the x-oss-hash-crc64ecma header is not readable; is it in the bucket's CORS ExposeHeaders?`);
    return;
  }
  if (BigInt(remote) !== local) throw new OssIntegrityError(`${what}: CRC-64 mismatch, local ${formatCrc64(local)} vs server ${remote}`);
}

/** Hashes parts a bounded window ahead of the upload lanes (digests are small; workers hold the bytes). */
function hashAhead(file: Blob, plan: readonly PartPlan[], hasher: () => Hasher, what: { md5: boolean; crc64: boolean }, window: number) {
  const pending = new Map<number, Promise<PartDigest>>();
  let requested = 0;
  return (index: number, signal: AbortSignal): Promise<PartDigest> => {
    if (!what.md5 && !what.crc64) return Promise.resolve({});
    for (; requested < Math.min(plan.length, index + window + 1); requested++) {
      const part = plan[requested]!;
      const digest = hasher().hash(file.slice(part.start, part.end), what, signal);
      digest.catch(() => undefined); // a digest nobody takes (after a failure) must not be an unhandled rejection
      pending.set(requested, digest);
    }
    const digest = pending.get(index)!;
    pending.delete(index);
    return digest;
  };
}

/** Uploads `file` to `key`. */
export async function runUpload(deps: EngineDeps, file: Blob, key: string, options: UploadOptions): Promise<UploadResult> {
  const { client, settings } = deps;
  const { signal } = options;
  signal?.throwIfAborted();
  const size = file.size;
  const partSize = effectivePartSize(size, settings.partSize);
  const contentType = options.contentType ?? (file.type || 'application/octet-stream');
  const what = { md5: settings.contentMd5, crc64: settings.crc64 };
  const reporter = createProgressReporter(options.onProgress);
  const plan = size <= settings.multipartThreshold ? [] : planParts(size, partSize);
  const totalParts = Math.max(1, plan.length);
  const done = new Map<number, DonePart>();
  const samples: Array<readonly [number, number]> = [];
  let doneBytes = 0;
  const report = (phase: UploadPhase, flush = false) => {
    reporter.report(deriveProgress({ phase, totalBytes: size, totalParts, doneBytes, doneParts: done.size, samples, now: Date.now() }), flush);
  };
  const write = { contentType, metadata: options.metadata, forbidOverwrite: options.forbidOverwrite, signal };
  try {
    report('hashing', true);
    if (plan.length === 0) {
      const digest = what.md5 || what.crc64 ? await deps.hasher().hash(file, what, signal) : {};
      report('uploading', true);
      const put = await client.putObject(key, file, { ...write, contentMd5: digest.md5Base64, callback: options.callback });
      if (digest.md5Hex && !etagMatchesMd5(put.etag, digest.md5Hex)) throw new OssIntegrityError(`PutObject: the server's ETag ${put.etag} is not the MD5 of the bytes sent`);
      checkCrc('PutObject', digest.crc64, put.crc64, settings.crc64);
      done.set(1, { etag: put.etag, size, crc64: digest.crc64 });
      doneBytes = size;
      report('done', true);
      return { key, etag: put.etag, size, requestId: put.requestId, ...(put.crc64 ? { crc64: put.crc64 } : {}), ...('callbackResult' in put ? { callbackResult: put.callbackResult } : {}) };
    }

    const { uploadId } = await client.initiateMultipartUpload(key, write);
    const digestFor = hashAhead(file, plan, deps.hasher, what, settings.concurrency);
    const sendPart = async (part: PartPlan, laneSignal: AbortSignal): Promise<DonePart> => {
      for (let attempt = 0; ; attempt++) {
        const digest = attempt === 0 ? await digestFor(part.partNumber - 1, laneSignal) : await deps.hasher().hash(file.slice(part.start, part.end), what, laneSignal);
        report('uploading');
        try {
          const sent = await client.uploadPart(key, uploadId, part.partNumber, file.slice(part.start, part.end), { contentMd5: digest.md5Base64, signal: laneSignal });
          if (digest.md5Hex && !etagMatchesMd5(sent.etag, digest.md5Hex)) {
            throw new OssIntegrityError(`UploadPart #${part.partNumber}: the server's ETag ${sent.etag} is not the MD5 of the bytes sent`);
          }
          checkCrc(`UploadPart #${part.partNumber}`, digest.crc64, sent.crc64, false);
          return { etag: sent.etag, size: part.size, crc64: digest.crc64 };
        } catch (error) {
          if (error instanceof OssServiceError && error.code === 'InvalidDigest' && attempt < digestRetries) continue;
          throw error;
        }
      }
    };
    samples.push([Date.now(), 0]);
    await runConcurrently(plan, async (part, laneSignal) => {
      const result = await sendPart(part, laneSignal);
      done.set(part.partNumber, result);
      doneBytes += part.size;
      samples.push([Date.now(), doneBytes]);
      if (samples.length > 64) samples.splice(0, samples.length - 64);
      report('uploading');
      options.onPartComplete?.({ partNumber: part.partNumber, etag: result.etag, size: part.size });
    }, { concurrency: settings.concurrency, signal });

    report('completing', true);
    const parts = plan.map((p) => ({ partNumber: p.partNumber, etag: done.get(p.partNumber)!.etag }));
    const completed = await completeSettled(deps, key, uploadId, parts, options);
    if (settings.crc64) {
      const combined = plan.reduce((acc, p) => crc64Combine(acc, done.get(p.partNumber)!.crc64 ?? 0n, p.size), 0n);
      checkCrc('CompleteMultipartUpload', combined, completed.crc64, true);
    }
    report('done', true);
    return {
      key, etag: completed.etag, size, requestId: completed.requestId,
      ...(completed.crc64 ? { crc64: completed.crc64 } : {}),
      ...('callbackResult' in completed ? { callbackResult: completed.callbackResult } : {}),
    };
  } finally {
    reporter.stop();
  }
}

/** MD5-of-part-MD5s `-N`, the multipart ETag formula (oss-protocol.md §7), hashed off the main thread. */
async function expectedMultipartEtag(hasher: Hasher, etags: readonly string[], signal: AbortSignal | undefined): Promise<string> {
  const bytes = new Uint8Array(etags.length * 16);
  etags.forEach((etag, i) => {
    const hex = normalizeEtag(etag);
    for (let b = 0; b < 16; b++) bytes[i * 16 + b] = Number.parseInt(hex.slice(b * 2, b * 2 + 2), 16);
  });
  const digest = await hasher.hash(new Blob([bytes]), { md5: true, crc64: false }, signal);
  return `${digest.md5Hex!.toUpperCase()}-${etags.length}`;
}

/**
 * Complete, never retried blindly (house style rule 35): after an ambiguous failure (network,
 * timeout, 5xx) the server is asked — an upload still listed was not completed, so Complete is sent
 * again; NoSuchUpload plus an object whose ETag is the expected multipart ETag means it was.
 */
async function completeSettled(
  deps: EngineDeps, key: string, uploadId: string, parts: ReadonlyArray<{ partNumber: number; etag: string }>, options: UploadOptions,
): Promise<CompleteResult> {
  const { client, settings } = deps;
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.completeMultipartUpload(key, uploadId, parts, { callback: options.callback, forbidOverwrite: options.forbidOverwrite, signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const ambiguous = error instanceof OssNetworkError || (error instanceof OssServiceError && error.status >= 500);
      if (!ambiguous || attempt > settings.retry.limit) throw error;
      try {
        await client.listParts(key, uploadId, { maxParts: 1, signal });
      } catch (probe) {
        if (!(probe instanceof OssServiceError) || probe.code !== 'NoSuchUpload') throw error;
        const head = await client.headObject(key, { signal });
        const expected = await expectedMultipartEtag(deps.hasher(), parts.map((p) => p.etag), signal);
        if (normalizeEtag(head.etag) === expected) return { etag: head.etag, location: undefined, requestId: head.requestId, crc64: head.crc64 };
        throw error;
      }
      await sleep(fullJitter(backoffDelay(attempt, settings.retry)), signal);
    }
  }
}
