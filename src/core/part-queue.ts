/**
 * Bounded, fail-fast concurrency for parts (p-queue's semantics in a few lines): at most
 * `concurrency` tasks run at once — fewer while `limit` says so (lanes.ts) — the first failure
 * aborts the shared signal so siblings stop, and the whole run rejects with that failure. An abort
 * by the caller rejects with its reason.
 */
import { anySignal } from './abort.js';

/** A lane count that may change while the queue runs. */
export type QueueLimit = { target(): number; onChange(listener: () => void): () => void };

/** Options of {@link runConcurrently}. */
export type QueueOptions = {
  readonly concurrency: number;
  readonly signal?: AbortSignal | undefined;
  /** Runs at most `limit.target()` tasks at once (never more than `concurrency`). */
  readonly limit?: QueueLimit | undefined;
};

/** Runs `run(task, signal)` for every task, `concurrency` at a time, in order of the list. */
export async function runConcurrently<T>(
  tasks: readonly T[],
  run: (task: T, signal: AbortSignal) => Promise<void>,
  options: QueueOptions,
): Promise<void> {
  options.signal?.throwIfAborted();
  const failed = new AbortController();
  const signal = anySignal([options.signal, failed.signal]);
  const { limit } = options;
  let next = 0;
  let active = 0;
  let failure: { error: unknown } | undefined;
  // Lanes over the limit park here; any change (a task ends, the limit moves, an abort) wakes them to look again.
  let wake: () => void = () => undefined;
  let parked: Promise<void> | undefined;
  const poke = () => wake();
  const park = () => (parked ??= new Promise<void>((resolve) => {
    wake = () => {
      parked = undefined;
      resolve();
    };
  }));
  const unsubscribe = limit?.onChange(poke);
  signal.addEventListener('abort', poke, { once: true });
  const lane = async (): Promise<void> => {
    while (next < tasks.length && !signal.aborted) {
      if (limit && active >= limit.target()) {
        await park();
        continue;
      }
      const task = tasks[next++]!;
      active++;
      try {
        await run(task, signal);
      } catch (error) {
        if (!failure && !options.signal?.aborted) {
          failure = { error };
          failed.abort(error);
        }
        return;
      } finally {
        active--;
        poke();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, lane));
  } finally {
    unsubscribe?.();
    signal.removeEventListener('abort', poke);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  if (failure) throw failure.error;
}
