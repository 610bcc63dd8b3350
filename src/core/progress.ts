/**
 * Progress (pure derivation plus a throttle). Figures are derived from the set of acknowledged
 * parts every time, never kept as running counters, so retries and resumes cannot double-count
 * (house style rule 32); the reporter also refuses to move backwards.
 */
import type { UploadPhase, UploadProgress } from '../types.js';

/** What progress is derived from. */
export type ProgressInput = {
  readonly phase: UploadPhase;
  readonly totalBytes: number;
  readonly totalParts: number;
  /** Bytes and count of acknowledged parts (including parts found on the server at resume). */
  readonly doneBytes: number;
  readonly doneParts: number;
  /** (time ms, doneBytes) samples of this session, oldest first, for the speed. */
  readonly samples: ReadonlyArray<readonly [time: number, bytes: number]>;
  readonly now: number;
};

/** Speed over the last `windowMs` of samples (bytes of parts acknowledged in this session only). */
export function bytesPerSecond(samples: ProgressInput['samples'], now: number, windowMs = 10_000): number {
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
    etaSeconds: speed > 0 ? Math.ceil(remaining / speed) : (remaining === 0 ? 0 : undefined),
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
    // Monotonic guard: never report fewer bytes, parts or an earlier phase than before.
    if (last && (progress.transferredBytes < last.transferredBytes || phaseOrder[progress.phase] < phaseOrder[last.phase])) {
      progress = { ...progress, transferredBytes: last.transferredBytes, completedParts: last.completedParts, percent: last.percent, phase: phaseOrder[progress.phase] < phaseOrder[last.phase] ? last.phase : progress.phase };
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
