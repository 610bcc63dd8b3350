/**
 * Sends the missing parts: Blob slices go out as-is (the page never holds their bytes), their
 * Content-MD5 / CRC-64 come from the hashing workers a bounded window ahead, each acknowledged part
 * is journalled before it counts as done, and the first fatal failure stops the siblings.
 */
import { OssIntegrityError, OssServiceError } from '../errors.js';
import type { Hasher, PartDigest } from '../hashing/hasher.js';
import { formatCrc64 } from '../hashing/crc64.js';
import type { OssClient } from '../oss/client.js';
import { etagMatchesMd5 } from '../oss/etag.js';
import { runConcurrently } from './part-queue.js';
import type { PartPlan } from './plan.js';
import type { DonePart } from './session.js';

/** An InvalidDigest answer means the bytes changed on the way: re-read, re-hash and re-send this often. */
const digestRetries = 2;

/** What sending needs. */
export type SendContext = {
  readonly client: OssClient;
  readonly hasher: () => Hasher;
  readonly file: Blob;
  readonly key: string;
  readonly uploadId: string;
  readonly what: { readonly md5: boolean; readonly crc64: boolean };
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
  /** Called once the server acknowledged a part (and before it counts as done). */
  readonly acknowledged: (part: PartPlan, done: DonePart) => Promise<void>;
  /** Called when a lane starts sending (for the progress phase). */
  readonly sending: () => void;
};

/** Throws OssIntegrityError when a CRC-64 differs (or is unreadable and `required`). */
export function checkCrc(what: string, local: bigint | undefined, remote: string | undefined, required: boolean): void {
  if (local === undefined) return;
  if (remote === undefined) {
    if (required) throw new OssIntegrityError(`${what}: the x-oss-hash-crc64ecma header is not readable; is it in the bucket's CORS ExposeHeaders?`);
    return;
  }
  if (BigInt(remote) !== local) throw new OssIntegrityError(`${what}: CRC-64 mismatch, local ${formatCrc64(local)} vs server ${remote}`);
}

/** Hashes parts a bounded window ahead of the lanes (digests are small; workers hold the bytes). */
function hashAhead(ctx: SendContext, parts: readonly PartPlan[]) {
  const pending = new Map<number, Promise<PartDigest>>();
  let requested = 0;
  return (index: number, signal: AbortSignal): Promise<PartDigest> => {
    if (!ctx.what.md5 && !ctx.what.crc64) return Promise.resolve({});
    for (; requested < Math.min(parts.length, index + ctx.concurrency + 1); requested++) {
      const part = parts[requested]!;
      const digest = ctx.hasher().hash(ctx.file.slice(part.start, part.end), ctx.what, signal);
      digest.catch(() => undefined); // a digest nobody takes (after a failure) must not be an unhandled rejection
      pending.set(requested, digest);
    }
    const digest = pending.get(index)!;
    pending.delete(index);
    return digest;
  };
}

async function sendOne(ctx: SendContext, part: PartPlan, first: Promise<PartDigest>, signal: AbortSignal): Promise<DonePart> {
  let digest = await first;
  for (let attempt = 0; ; attempt++) {
    ctx.sending();
    try {
      const sent = await ctx.client.uploadPart(ctx.key, ctx.uploadId, part.partNumber, ctx.file.slice(part.start, part.end), { contentMd5: digest.md5Base64, signal });
      if (digest.md5Hex && !etagMatchesMd5(sent.etag, digest.md5Hex)) {
        throw new OssIntegrityError(`UploadPart #${part.partNumber}: the server's ETag ${sent.etag} is not the MD5 of the bytes sent`);
      }
      checkCrc(`UploadPart #${part.partNumber}`, digest.crc64, sent.crc64, false);
      return { etag: sent.etag, size: part.size, md5: (digest.md5Hex ?? '').toUpperCase(), crc64: digest.crc64 ?? (sent.crc64 === undefined ? undefined : BigInt(sent.crc64)) };
    } catch (error) {
      if (!(error instanceof OssServiceError && error.code === 'InvalidDigest' && attempt < digestRetries)) throw error;
      digest = await ctx.hasher().hash(ctx.file.slice(part.start, part.end), ctx.what, signal);
    }
  }
}

/** Uploads `parts` with bounded concurrency; rejects with the first fatal error. */
export async function sendParts(ctx: SendContext, parts: readonly PartPlan[]): Promise<void> {
  const digestFor = hashAhead(ctx, parts);
  const tasks = parts.map((part, index) => ({ part, index }));
  await runConcurrently(tasks, async ({ part, index }, laneSignal) => {
    const done = await sendOne(ctx, part, digestFor(index, laneSignal), laneSignal);
    await ctx.acknowledged(part, done);
  }, { concurrency: ctx.concurrency, signal: ctx.signal });
}
