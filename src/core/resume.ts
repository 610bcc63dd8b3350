/**
 * Resume reconciliation (pure): the server is the truth (docs/architecture.md#resume-reconciliation).
 * A journalled part counts as done only when ListParts still shows it with the planned size and an
 * ETag equal to the MD5 the journal recorded; everything else is sent (again).
 */
import { normalizeEtag } from '../oss/etag.js';
import type { ListedPart } from '../oss/xml.js';
import type { JournalPart } from '../persistence/record.js';
import type { PartPlan } from './plan.js';

/** Outcome of comparing the journal with the server. */
export type Reconciliation = {
  /** Parts to trust, by part number. */
  readonly done: ReadonlyMap<number, JournalPart>;
  /** Parts still to send, in order. */
  readonly missing: readonly PartPlan[];
  readonly skippedParts: number;
  readonly skippedBytes: number;
};

/** Decides which planned parts the server really has. */
export function reconcile(plan: readonly PartPlan[], journal: readonly JournalPart[], listed: readonly ListedPart[]): Reconciliation {
  const journalled = new Map(journal.map((p) => [p.partNumber, p]));
  const onServer = new Map(listed.map((p) => [p.partNumber, p]));
  const done = new Map<number, JournalPart>();
  const missing: PartPlan[] = [];
  let skippedBytes = 0;
  for (const part of plan) {
    const mine = journalled.get(part.partNumber);
    const theirs = onServer.get(part.partNumber);
    const trusted = mine !== undefined && theirs !== undefined && theirs.size === part.size && mine.size === part.size &&
      normalizeEtag(theirs.etag) === mine.md5.toUpperCase();
    if (trusted) {
      done.set(part.partNumber, { ...mine, etag: theirs.etag });
      skippedBytes += part.size;
    } else {
      missing.push(part);
    }
  }
  return { done, missing, skippedParts: done.size, skippedBytes };
}
