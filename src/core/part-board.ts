/**
 * The part board: where each part of one upload (or copy) stands. It is the single source of
 * progress: the progress bytes are the sum of every part's contribution — its whole size once the
 * server has it, and while it is in flight the most bytes any of its attempts has sent — so a
 * failed attempt that starts again from zero never makes the total go back, and a part is never
 * counted twice. That sum (and the count of parts done) is updated in the one place a part changes,
 * by the difference between its contribution after and before, instead of walking 10,000 parts on
 * every progress event; nothing else adds to it. `movedBytes` is not progress: it counts what the
 * link carried, re-sent bytes included, for the lane control and the link memory.
 */
import type { PartUpdate } from '../types.js';

type Part = { -readonly [K in keyof PartUpdate]: PartUpdate[K] } & { attemptSent: number };

/** The board of one upload. */
export type PartBoard = {
  /** Bytes counted in progress and parts the server has (see the module comment). */
  totals(): { readonly bytes: number; readonly parts: number };
  /** Bytes sent by every attempt of this session, re-sent bytes included: what the link carried. */
  movedBytes(): number;
  /** Whether any part is being sent right now. */
  sending(): boolean;
  hashing(partNumber: number): void;
  /** The part's digest is ready; it waits for a lane (no change if it is already further). */
  hashed(partNumber: number): void;
  /** Attempt `attempt` of the part has sent `sentBytes` of its body (0 when it starts). */
  attempt(partNumber: number, attempt: number, sentBytes: number): void;
  /** The server has the part: acknowledged now, or found there on resume (`resumed`). */
  done(partNumber: number, resumed?: boolean): void;
};

/** Creates the board for parts of these sizes (part `n` is `sizes[n - 1]`); `onUpdate` hears every change. */
export function createPartBoard(sizes: readonly number[], onUpdate?: (status: PartUpdate) => void): PartBoard {
  const parts: Part[] = sizes.map((size, index) => ({
    partNumber: index + 1, size, state: 'waiting', sentBytes: 0, attempts: 0, resumed: false, attemptSent: 0,
  }));
  let bytes = 0;
  let doneParts = 0;
  let moved = 0;
  let inFlight = 0;
  const at = (partNumber: number) => {
    const part = parts[partNumber - 1];
    if (!part) throw new RangeError(`No part ${partNumber} on the board`);
    return part;
  };
  const contribution = (part: Part) => (part.state === 'done' ? part.size : part.sentBytes);
  const change = (part: Part, apply: () => void) => {
    const before = contribution(part);
    const wasSending = part.state === 'sending';
    const wasDone = part.state === 'done';
    apply();
    bytes += contribution(part) - before;
    inFlight += Number(part.state === 'sending') - Number(wasSending);
    doneParts += Number(part.state === 'done') - Number(wasDone);
    if (onUpdate) {
      const { attemptSent: _, ...status } = part;
      onUpdate(status);
    }
  };
  return {
    totals: () => ({ bytes, parts: doneParts }),
    movedBytes: () => moved,
    sending: () => inFlight > 0,
    hashing(partNumber) {
      const part = at(partNumber);
      if (part.state === 'waiting') change(part, () => void (part.state = 'hashing'));
    },
    hashed(partNumber) {
      const part = at(partNumber);
      if (part.state === 'hashing') change(part, () => void (part.state = 'waiting'));
    },
    attempt(partNumber, attempt, sentBytes) {
      const part = at(partNumber);
      change(part, () => {
        if (attempt > part.attempts) {
          part.attempts = attempt;
          part.attemptSent = 0;
        }
        const sent = Math.min(sentBytes, part.size);
        moved += Math.max(0, sent - part.attemptSent);
        part.attemptSent = Math.max(part.attemptSent, sent);
        part.sentBytes = Math.max(part.sentBytes, sent);
        // A verified part whose local bytes differ is sent again; it stays counted in full.
        part.state = 'sending';
      });
    },
    done(partNumber, resumed = false) {
      const part = at(partNumber);
      change(part, () => {
        // Where the platform reports no upload progress (Node), the whole body moves at the acknowledgement.
        if (!resumed) moved += part.size - part.attemptSent;
        part.attemptSent = part.size;
        part.sentBytes = part.size;
        part.state = 'done';
        part.resumed = resumed;
      });
    },
  };
}
