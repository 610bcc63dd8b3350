/**
 * What one upload reports and measures as its parts move: the part board (part-board.ts) is the
 * truth; every change of it is sampled for the speed, fed to the lane control (lanes.ts), passed to
 * `onPartUpdate`, and reported through the throttled `onProgress`. It also times how long parts
 * were in flight, so the uploader learns the link's throughput for the next upload (part-size.ts).
 */
import type { UploadOptions, UploadPhase } from '../types.js';
import { createLaneControl, type LaneControl } from './lanes.js';
import { createPartBoard, type PartBoard } from './part-board.js';
import { addSample, createProgressReporter, deriveProgress } from './progress.js';

/** Settings of {@link createUploadTracker}. */
export type TrackerOptions = {
  /** Part sizes, part 1 first. */
  readonly sizes: readonly number[];
  readonly totalBytes: number;
  readonly listeners: Pick<UploadOptions, 'onProgress' | 'onPartUpdate'>;
  readonly lanes: { readonly max: number; readonly adaptive: boolean };
};

/** The tracker of one upload. */
export type UploadTracker = {
  readonly board: PartBoard;
  readonly lanes: LaneControl;
  /** From now on progress is reported, and speed measured once a part is sent (parts found on the server count, but not as speed). */
  startClock(): void;
  /** Reports `phase` (and stays in it). */
  report(phase: UploadPhase, flush?: boolean): void;
  /** Ends the upload's reporting; returns the bytes the link carried and for how long parts were in flight. */
  stop(): { readonly movedBytes: number; readonly sendingMs: number };
};

/** Creates the tracker of one upload. */
export function createUploadTracker(options: TrackerOptions): UploadTracker {
  const { sizes, totalBytes, listeners } = options;
  const reporter = createProgressReporter(listeners.onProgress);
  const samples: Array<readonly [number, number]> = [];
  const lanes = createLaneControl(options.lanes);
  let phase: UploadPhase = 'hashing';
  let clockStarted = false;
  let sendingSince: number | undefined;
  let sendingMs = 0;
  // When each part's last byte went out, to learn how long an answer takes after it (the ETA's tail).
  const fullAt = new Map<number, number>();
  let answerMs: number | undefined;

  const emit = (flush: boolean) => {
    const now = Date.now();
    const { bytes, parts } = board.totals();
    // Speed is measured from the first part sent: hashing the first parts and the first preflight are not the link's speed.
    if (clockStarted && phase !== 'hashing') addSample(samples, now, bytes);
    // After the last byte comes the last part's answer, then Complete: measured on emulated links
    // (256 kbit/s–20 Mbit/s, 40–400 ms) both together take about one part's answer time (its time from
    // the last byte sent to the acknowledgement), which includes the slack of the last chunk's report.
    const tailMs = answerMs ?? 0;
    reporter.report(deriveProgress({ phase, totalBytes, totalParts: Math.max(1, sizes.length), doneBytes: bytes, doneParts: parts, samples, now, tailMs }), flush);
  };
  const board: PartBoard = createPartBoard(sizes, (status) => {
    const now = Date.now();
    const sending = board.sending();
    if (sending && sendingSince === undefined) sendingSince = now;
    if (!sending && sendingSince !== undefined) {
      sendingMs += now - sendingSince;
      sendingSince = undefined;
    }
    if (status.state === 'sending' && phase === 'hashing') phase = 'uploading';
    if (status.state === 'sending' && status.sentBytes === status.size && !fullAt.has(status.partNumber)) fullAt.set(status.partNumber, now);
    const full = fullAt.get(status.partNumber);
    if (status.state === 'done' && !status.resumed && full !== undefined) answerMs = now - full;
    lanes.observe(now, board.movedBytes());
    listeners.onPartUpdate?.(status);
    // Parts found on the server at resume are reported together, by the first report after them.
    if (clockStarted) emit(false);
  });
  return {
    board,
    lanes,
    startClock() {
      clockStarted = true;
    },
    report(next, flush = false) {
      phase = next;
      emit(flush);
    },
    stop() {
      reporter.stop();
      if (sendingSince !== undefined) sendingMs += Date.now() - sendingSince;
      sendingSince = undefined;
      return { movedBytes: board.movedBytes(), sendingMs };
    },
  };
}
