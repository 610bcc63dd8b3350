/**
 * Acts on the reconciliation's part actions (resume.ts), deciding nothing itself: `send` parts are
 * sent, `verify` parts are hashed in the same pipeline and sent only when the local bytes are not
 * the journalled ones, `skip` parts are left alone. Blob slices go out as-is (the page never holds
 * their bytes), their Content-MD5 / CRC-64 come from the hashing workers a bounded window ahead,
 * each acknowledged part is journalled before it counts as done, and the first fatal failure stops
 * the siblings.
 */
import { OssServiceError } from '../errors.js';
import type { Hasher, PartDigest } from '../hashing/hasher.js';
import type { OssClient } from '../oss/client.js';
import { rehashUnchanged } from './file-read.js';
import { checkCrc, checkEtag } from './integrity.js';
import type { PartBoard } from './part-board.js';
import { runConcurrently, type QueueLimit } from '../async/run-concurrently.js';
import type { PartPlan } from './plan.js';
import type { DonePart, PartAction } from './resume.js';

/**
 * An InvalidDigest answer means the bytes changed on the way, or in the file: re-read and re-hash
 * (a file that now reads other bytes ends the upload, file-read.ts) and re-send this often.
 */
const digestRetries = 2;

/** What sending needs. */
export type SendContext = {
  readonly client: OssClient;
  readonly hasher: () => Hasher;
  readonly file: Blob;
  readonly key: string;
  readonly uploadId: string;
  readonly what: { readonly md5: boolean; readonly crc64: boolean };
  /** Most parts in flight (and how far ahead parts are hashed). */
  readonly concurrency: number;
  /** Parts in flight right now (lanes.ts). */
  readonly lanes: QueueLimit;
  /** Where each part stands (part-board.ts); sending updates it, the caller marks parts done. */
  readonly board: PartBoard;
  readonly signal: AbortSignal | undefined;
  /** Called once the server acknowledged a part (the caller journals it and marks it done). */
  readonly acknowledged: (part: PartPlan, done: DonePart) => Promise<void>;
};

/** A part to send or verify (the reconciliation's actions other than `skip`). */
type PartTask = Exclude<PartAction, { readonly action: 'skip' }>;

/** Hashes parts a bounded window ahead of the lanes (digests are small; workers hold the bytes). */
function hashAhead(ctx: SendContext, tasks: readonly PartTask[]) {
  const pending = new Map<number, Promise<PartDigest>>();
  let requested = 0;
  return (index: number, signal: AbortSignal): Promise<PartDigest> => {
    for (; requested < Math.min(tasks.length, index + ctx.concurrency + 1); requested++) {
      const { part, action } = tasks[requested]!;
      // Verifying compares MD5s, whatever `contentMd5` says.
      const what = action === 'verify' ? { md5: true, crc64: ctx.what.crc64 } : ctx.what;
      if (!what.md5 && !what.crc64) {
        pending.set(requested, Promise.resolve({}));
        continue;
      }
      // A part being verified is already counted done; its check is not shown as hashing.
      if (action === 'send') ctx.board.hashing(part.partNumber);
      const digest = ctx.hasher().hash(ctx.file.slice(part.start, part.end), what, signal);
      digest.then(() => ctx.board.hashed(part.partNumber), () => undefined); // a digest nobody takes (after a failure) must not be an unhandled rejection
      pending.set(requested, digest);
    }
    const digest = pending.get(index)!;
    pending.delete(index);
    return digest;
  };
}

/** Sends one part; `bodySent` is called once an attempt has handed its last byte to the network. */
async function sendOne(ctx: SendContext, part: PartPlan, first: PartDigest, signal: AbortSignal, bodySent: () => void): Promise<DonePart> {
  let digest = first;
  // Attempts are counted across InvalidDigest re-sends too, so the board's count is every request made.
  let before = 0;
  for (let resend = 0; ; resend++) {
    let made = 0;
    try {
      const sent = await ctx.client.uploadPart(ctx.key, ctx.uploadId, part.partNumber, ctx.file.slice(part.start, part.end), {
        contentMd5: digest.md5Base64, signal,
        onUploadProgress: ({ attempt, transferredBytes, totalBytes }) => {
          made = attempt;
          ctx.board.attempt(part.partNumber, before + attempt, transferredBytes);
          if (transferredBytes >= totalBytes && totalBytes > 0) bodySent();
        },
      });
      const checked = { operation: 'UploadPart', partNumber: part.partNumber } as const;
      checkEtag(checked, digest.md5Hex, sent.etag);
      checkCrc(checked, digest.crc64, sent.crc64, false);
      return { etag: sent.etag, size: part.size, md5: (digest.md5Hex ?? '').toUpperCase(), crc64: digest.crc64 ?? (sent.crc64 === undefined ? undefined : BigInt(sent.crc64)) };
    } catch (error) {
      if (!(error instanceof OssServiceError && error.code === 'InvalidDigest' && resend < digestRetries)) throw error;
      before += made;
      digest = await rehashUnchanged(ctx.hasher(), ctx.file.slice(part.start, part.end), ctx.what, digest, error, signal);
    }
  }
}

/** Carries out `actions`, as many parts at once as the lanes allow; rejects with the first fatal error. */
export async function sendParts(ctx: SendContext, actions: readonly PartAction[]): Promise<void> {
  const tasks = actions.filter((task): task is PartTask => task.action !== 'skip');
  const digestFor = hashAhead(ctx, tasks);
  await runConcurrently(tasks.map((task, index) => ({ task, index })), async ({ task, index }, laneSignal, release) => {
    const digest = await digestFor(index, laneSignal);
    if (task.action === 'verify' && digest.md5Hex?.toUpperCase() === task.trusted.md5.toUpperCase()) return; // the server has these very bytes
    // Its lane goes to the next part once the body is out: waiting for the answer needs no link.
    const done = await sendOne(ctx, task.part, digest, laneSignal, release);
    await ctx.acknowledged(task.part, done);
  }, { concurrency: ctx.concurrency, signal: ctx.signal, limit: ctx.lanes });
}
