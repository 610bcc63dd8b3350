/**
 * Resume reconciliation (pure), the one place that decides what happens to each planned part
 * (docs/architecture.md#resume-reconciliation). The server is the truth: a journalled part counts
 * as on the server only when ListParts still shows it with the planned size and an ETag equal to
 * the MD5 the journal recorded; every other part is sent (again).
 *
 * A part on the server is skipped, or — with `verify` (`verifyResumedParts`) — its local bytes are
 * hashed again and it is sent again when their MD5 is not the journalled one: the sampled
 * fingerprint cannot see a change in the middle of a part, and a file must never be spliced onto
 * another file's parts.
 */
import { normalizeEtag } from '../oss/etag.js';
import type { ListedPart } from '../oss/xml.js';
import type { JournalPart } from '../persistence/record.js';
import type { PartPlan } from './plan.js';

/** A part known to be on the server: what Complete and the CRC-64 check need of it. */
export type DonePart = { readonly etag: string; readonly size: number; readonly md5: string; readonly crc64: bigint | undefined };

/** A part the server has and the journal vouches for (its ETag as the server lists it). */
export type TrustedPart = JournalPart & DonePart;

/**
 * What to do with one planned part: `send` it; `skip` it (the server has it and it is trusted);
 * or `verify` it (the server has it, and it is sent again only if the local bytes' MD5 differs).
 */
export type PartAction =
  | { readonly action: 'send'; readonly part: PartPlan }
  | { readonly action: 'skip' | 'verify'; readonly part: PartPlan; readonly trusted: TrustedPart };

/** Outcome of comparing the journal with the server. */
export type Reconciliation = {
  /** Every planned part with what to do with it, in plan order. */
  readonly actions: readonly PartAction[];
  /** Parts the server has (skipped or verified), by part number. */
  readonly done: ReadonlyMap<number, TrustedPart>;
  /** Parts to send, in plan order (the `send` actions). */
  readonly missing: readonly PartPlan[];
  readonly skippedParts: number;
  readonly skippedBytes: number;
};

/**
 * Decides, for each planned part, whether it is sent, skipped or verified. A new upload is the same
 * decision with neither journal nor listed parts: every part is sent.
 */
export function reconcile(
  plan: readonly PartPlan[], journal: readonly JournalPart[], listed: readonly ListedPart[], options: { readonly verify?: boolean } = {},
): Reconciliation {
  const journalled = new Map(journal.map((p) => [p.partNumber, p]));
  const onServer = new Map(listed.map((p) => [p.partNumber, p]));
  const actions: PartAction[] = [];
  const done = new Map<number, TrustedPart>();
  const missing: PartPlan[] = [];
  let skippedBytes = 0;
  for (const part of plan) {
    const mine = journalled.get(part.partNumber);
    const theirs = onServer.get(part.partNumber);
    if (mine !== undefined && theirs !== undefined && theirs.size === part.size && mine.size === part.size &&
      normalizeEtag(theirs.etag) === mine.md5.toUpperCase()) {
      const trusted = { ...mine, etag: theirs.etag, crc64: theirs.crc64 === undefined ? undefined : BigInt(theirs.crc64) };
      actions.push({ action: options.verify ? 'verify' : 'skip', part, trusted });
      done.set(part.partNumber, trusted);
      skippedBytes += part.size;
    } else {
      actions.push({ action: 'send', part });
      missing.push(part);
    }
  }
  return { actions, done, missing, skippedParts: done.size, skippedBytes };
}
