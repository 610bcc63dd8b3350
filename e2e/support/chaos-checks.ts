/**
 * What the chaos spec proves from the server's request log (pure functions of the log and of what
 * the spec saw in the page): parts once journalled are never sent again, any part the server
 * acknowledged twice was in flight at a reload or kill, and the injected faults really fired.
 */
import { acknowledgedCounts, type RequestLogEntry } from './oss-control.js';

/**
 * The page's journal at one moment and the request log's length right after it: every UploadPart
 * at an index ≥ `mark` was sent after these parts were journalled.
 */
export type JournalObservation = {
  readonly label: string;
  readonly journal: readonly number[];
  readonly mark: number;
};

/**
 * A reload, a kill or the offline window: the journal that survived it, the log's length at it, and
 * the parts in flight (sent by the page in its session and not journalled). A request cut on the
 * browser's side may still have been stored and acknowledged by the server (its body was already
 * in the socket buffers), so such a part may be acknowledged twice; no other part may.
 */
export type Interruption = JournalObservation & {
  readonly kind: 'reload' | 'kill' | 'offline';
  readonly inFlight: readonly number[];
};

/** A logged UploadPart for a part that was already journalled when it was sent. */
export type Resend = { readonly partNumber: number; readonly index: number; readonly status: number; readonly time: string; readonly journalledBy: string };

function partEntries(entries: readonly RequestLogEntry[], uploadId: string): Array<{ entry: RequestLogEntry; index: number }> {
  return entries.flatMap((entry, index) => (entry.op === 'UploadPart' && entry.uploadId === uploadId && entry.partNumber !== undefined ? [{ entry, index }] : []));
}

/** UploadPart requests (any answer) for parts that an earlier observation had already seen journalled. */
export function resendsOfJournalledParts(entries: readonly RequestLogEntry[], uploadId: string, observations: readonly JournalObservation[]): Resend[] {
  const found = new Map<number, Resend>();
  const parts = partEntries(entries, uploadId);
  for (const observation of observations) {
    const journalled = new Set(observation.journal);
    for (const { entry, index } of parts) {
      if (index >= observation.mark && journalled.has(entry.partNumber!) && !found.has(index)) {
        found.set(index, { partNumber: entry.partNumber!, index, status: entry.status, time: entry.time, journalledBy: observation.label });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.index - b.index);
}

/** Parts acknowledged more often than once plus the number of interruptions that caught them in flight. */
export function unexplainedRepeats(entries: readonly RequestLogEntry[], uploadId: string, interruptions: readonly Interruption[]) {
  return [...acknowledgedCounts(entries, uploadId)].flatMap(([partNumber, acks]) => {
    const inFlightAt = interruptions.filter((i) => i.inFlight.includes(partNumber)).map((i) => i.label);
    return acks - 1 > inFlightAt.length ? [{ partNumber, acks, inFlightAt }] : [];
  });
}

/** Injected faults that fired on the upload's UploadPart requests, by kind, and how many such requests were answered. */
export function firedFaults(entries: readonly RequestLogEntry[], uploadId: string) {
  const parts = partEntries(entries, uploadId).map(({ entry }) => entry);
  return {
    partRequests: parts.length,
    error500: parts.filter((e) => e.fault === 'error' && e.status === 500).length,
    error503: parts.filter((e) => e.fault === 'error' && e.status === 503).length,
    dropped: parts.filter((e) => e.fault === 'drop' && e.status === 0).length,
    delayed: parts.filter((e) => e.fault === 'delay').length,
    tokenExpired: parts.filter((e) => e.code === 'SecurityTokenExpired').length,
  };
}

/** Log indices of SecurityTokenExpired answers (any operation) from `since` on. */
export function tokenRefusals(entries: readonly RequestLogEntry[], since: number): number[] {
  return entries.flatMap((entry, index) => (index >= since && entry.code === 'SecurityTokenExpired' ? [index] : []));
}
