/**
 * Progress (pure derivation plus a throttle). The byte and part counts come from the part board
 * (part-board.ts: parts on the server plus what parts in flight have sent, each part counted once),
 * so retries and resumes cannot double-count; speed is a moving average of those bytes over the
 * last 20 s; the reporter also refuses to move backwards.
 */
import type { UploadPhase, UploadProgress } from '../types.js';

/** What progress is derived from. */
export type ProgressInput = {
  readonly phase: UploadPhase;
  readonly totalBytes: number;
  readonly totalParts: number;
  /** Bytes counted by the part board: parts on the server (found at resume too) and what parts in flight have sent. */
  readonly doneBytes: number;
  /** Parts on the server. */
  readonly doneParts: number;
  /** (time ms, doneBytes) samples of this session, oldest first, for the speed. */
  readonly samples: ReadonlyArray<readonly [time: number, bytes: number]>;
  readonly now: number;
  /**
   * Time the upload needs after its last byte is sent, whatever the speed: the last part's answer
   * and Complete. On a 400 ms link that is over a second, a fifth of the last 5 s. @default 0
   */
  readonly tailMs?: number;
};

/**
 * Speed window: long enough to smooth a link's bursts (on 256 kbit/s a progress event carries 16 KiB
 * every half second, and a part's end briefly slows the others), short enough to follow a change
 * within seconds. 10 s put the ETA of a 256 kbit/s upload 25 % off around part ends; 20 s, within 20 %.
 */
export const speedWindowMs = 20_000;

/**
 * Adds a (time, bytes) sample, at most one per 100 ms (a flood of progress events adds nothing),
 * and forgets samples the speed window no longer needs (it keeps one older sample to measure from).
 */
export function addSample(samples: Array<readonly [number, number]>, now: number, bytes: number): void {
  const last = samples[samples.length - 1];
  if (last && now - last[0] < 100) {
    samples[samples.length - 1] = [last[0], Math.max(last[1], bytes)];
    return;
  }
  samples.push([now, bytes]);
  let stale = 0;
  while (stale + 1 < samples.length && samples[stale + 1]![0] < now - speedWindowMs) stale++;
  if (stale > 0) samples.splice(0, stale);
}

/** Speed over the last `windowMs` of samples (bytes moved in this session only). */
export function bytesPerSecond(samples: ProgressInput['samples'], now: number, windowMs = speedWindowMs): number {
  if (samples.length < 2) return 0;
  const recent = samples.filter(([time]) => time >= now - windowMs);
  // With fewer than two samples in the window (slow parts), measure from the one before the last.
  const from = recent.length >= 2 ? recent[0]! : samples[samples.length - 2]!;
  const to = samples[samples.length - 1]!;
  const elapsed = (now - from[0]) / 1000;
  return elapsed > 0 ? Math.max(0, (to[1] - from[1]) / elapsed) : 0;
}

/** Derives the public progress record. */
export function deriveProgress(input: ProgressInput): UploadProgress {
  const speed = bytesPerSecond(input.samples, input.now);
  const remaining = input.totalBytes - input.doneBytes;
  const percent = input.totalBytes === 0 ? (input.phase === 'done' ? 100 : 0) : (input.doneBytes / input.totalBytes) * 100;
  return {
    phase: input.phase,
    transferredBytes: input.doneBytes,
    totalBytes: input.totalBytes,
    percent: Math.min(100, Math.round(percent * 100) / 100),
    completedParts: input.doneParts,
    totalParts: input.totalParts,
    bytesPerSecond: Math.round(speed),
    // Tenths of a second: whole seconds rounded up would be 20 % off with 5 s left.
    etaSeconds: speed > 0
      ? (remaining > 0 ? Math.max(0.1, Math.round((remaining / speed + (input.tailMs ?? 0) / 1000) * 10) / 10) : 0)
      : (remaining === 0 ? 0 : undefined),
  };
}

const phaseOrder: Readonly<Record<UploadPhase, number>> = { hashing: 0, uploading: 1, completing: 2, done: 3 };

/**
 * Calls `listener` at most every `intervalMs`; a change inside the interval is delivered by a
 * trailing call, so every part shows up. `flush` delivers immediately (phase changes, the end).
 */
export function createProgressReporter(listener: ((progress: UploadProgress) => void) | undefined, intervalMs = 100) {
  let lastAt = -Infinity;
  let last: UploadProgress | undefined;
  let pending: UploadProgress | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const emit = (progress: UploadProgress) => {
    if (last) {
      // Monotonic guard, per figure: e.g. a resumed part whose local bytes changed is sent again, so
      // it leaves the server's count for a moment, yet the bar never shows it.
      progress = {
        ...progress,
        transferredBytes: Math.max(progress.transferredBytes, last.transferredBytes),
        completedParts: Math.max(progress.completedParts, last.completedParts),
        percent: Math.max(progress.percent, last.percent),
        phase: phaseOrder[progress.phase] < phaseOrder[last.phase] ? last.phase : progress.phase,
      };
    }
    last = progress;
    lastAt = Date.now();
    listener?.(progress);
  };
  return {
    report(progress: UploadProgress, flush = false): void {
      if (!listener) return;
      const now = Date.now();
      if (flush || now - lastAt >= intervalMs) {
        clearTimeout(timer);
        timer = undefined;
        pending = undefined;
        emit(progress);
        return;
      }
      pending = progress;
      timer ??= setTimeout(() => {
        timer = undefined;
        if (pending) emit(pending);
        pending = undefined;
      }, intervalMs - (now - lastAt));
    },
    /** The upload ended (done, failed or paused): deliver a pending trailing call now, then stop. */
    stop(): void {
      clearTimeout(timer);
      timer = undefined;
      if (pending) emit(pending);
      pending = undefined;
    },
  };
}
