/**
 * Bounded, fail-fast concurrency for parts (p-queue's semantics in a few lines): at most
 * `concurrency` tasks run at once; the first failure aborts the shared signal so siblings stop,
 * and the whole run rejects with that failure. An abort by the caller rejects with its reason.
 */
import { anySignal } from './abort.js';

/** Options of {@link runConcurrently}. */
export type QueueOptions = { readonly concurrency: number; readonly signal?: AbortSignal | undefined };

/** Runs `run(task, signal)` for every task, `concurrency` at a time, in order of the list. */
export async function runConcurrently<T>(
  tasks: readonly T[],
  run: (task: T, signal: AbortSignal) => Promise<void>,
  options: QueueOptions,
): Promise<void> {
  options.signal?.throwIfAborted();
  const failed = new AbortController();
  const signal = anySignal([options.signal, failed.signal]);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < tasks.length && !signal.aborted) {
      const task = tasks[next++]!;
      try {
        await run(task, signal);
      } catch (error) {
        if (!failure && !options.signal?.aborted) {
          failure = { error };
          failed.abort(error);
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, lane));
  if (options.signal?.aborted) throw options.signal.reason;
  if (failure) throw failure.error;
}
