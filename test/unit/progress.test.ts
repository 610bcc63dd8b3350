import { afterEach, describe, expect, it, vi } from 'vitest';
import { bytesPerSecond, createProgressReporter, deriveProgress, type ProgressInput } from '../../src/core/progress.js';
import type { UploadProgress } from '../../src/types.js';

const base: ProgressInput = { phase: 'uploading', totalBytes: 1000, totalParts: 10, doneBytes: 0, doneParts: 0, samples: [], now: 0 };

describe('deriveProgress', () => {
  it('derives bytes, parts, percent from acknowledged parts', () => {
    const p = deriveProgress({ ...base, doneBytes: 300, doneParts: 3 });
    expect(p).toMatchObject({ transferredBytes: 300, totalBytes: 1000, percent: 30, completedParts: 3, totalParts: 10 });
  });

  it('computes speed over the recent window and an ETA', () => {
    const p = deriveProgress({ ...base, doneBytes: 400, doneParts: 4, samples: [[0, 0], [1000, 200], [2000, 400]], now: 2000 });
    expect(p.bytesPerSecond).toBe(200);
    expect(p.etaSeconds).toBe(3);
  });

  it('has no ETA before any speed is known, and 100 % for a finished empty file', () => {
    expect(deriveProgress(base).etaSeconds).toBeUndefined();
    expect(deriveProgress({ ...base, totalBytes: 0, totalParts: 1, phase: 'done' }).percent).toBe(100);
  });

  it('ignores samples older than the window', () => {
    const samples: ProgressInput['samples'] = [[0, 0], [1000, 900], [40_000, 1000], [41_000, 1100]];
    expect(bytesPerSecond(samples, 41_000)).toBe(100);
  });
});

describe('createProgressReporter', () => {
  afterEach(() => vi.useRealTimers());

  it('emits at most every 100 ms, with a trailing call carrying the latest state', () => {
    vi.useFakeTimers();
    const seen: UploadProgress[] = [];
    const reporter = createProgressReporter((p) => seen.push(p));
    for (let i = 1; i <= 5; i++) reporter.report(deriveProgress({ ...base, doneBytes: i * 100, doneParts: i }));
    expect(seen.map((p) => p.completedParts)).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(seen.map((p) => p.completedParts)).toEqual([1, 5]);
  });

  it('never moves backwards, not in bytes nor in phase', () => {
    const seen: UploadProgress[] = [];
    const reporter = createProgressReporter((p) => seen.push(p));
    reporter.report(deriveProgress({ ...base, doneBytes: 500, doneParts: 5, phase: 'completing' }), true);
    reporter.report(deriveProgress({ ...base, doneBytes: 200, doneParts: 2, phase: 'uploading' }), true);
    expect(seen[1]).toMatchObject({ transferredBytes: 500, completedParts: 5, phase: 'completing' });
  });

  it('flushes immediately and cancels the pending trailing call', () => {
    vi.useFakeTimers();
    const seen: UploadProgress[] = [];
    const reporter = createProgressReporter((p) => seen.push(p));
    reporter.report(deriveProgress({ ...base, doneBytes: 100, doneParts: 1 }));
    reporter.report(deriveProgress({ ...base, doneBytes: 200, doneParts: 2 }));
    reporter.report(deriveProgress({ ...base, doneBytes: 1000, doneParts: 10, phase: 'done' }), true);
    vi.advanceTimersByTime(500);
    expect(seen.map((p) => p.phase)).toEqual(['uploading', 'done']);
  });
});
