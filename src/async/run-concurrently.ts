/**
 * Bounded, fail-fast concurrency (p-queue's semantics in a few lines), used for an upload's parts
 * and for ListParts pages: at most `concurrency` tasks hold a lane at once — fewer while `limit`
 * says so (the engine's core/lanes.ts) — the first failure aborts the shared signal so siblings
 * stop, and the whole run rejects with that failure. An abort by the caller rejects with its reason.
 *
 * A task may give its lane back before it ends (`release`): a part whose last byte has gone out
 * only waits for its answer, and the link should carry the next part meanwhile rather than idle
 * for a round trip. At most as many tasks as there are lanes may be waiting so, which bounds the
 * parts in flight (and the work a dropped connection can cost) at twice the lanes (measured on a 4 Mbit/s · 150 ms link: 0.966 of the link's time with lanes held
 * until the answer, when two parts ended together and both lanes waited at once).
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

/** Runs `run(task, signal, release)` for every task, `concurrency` at a time, in order of the list. */
export async function runConcurrently<T>(
  tasks: readonly T[],
  run: (task: T, signal: AbortSignal, release: () => void) => Promise<void>,
  options: QueueOptions,
): Promise<void> {
  options.signal?.throwIfAborted();
  const failed = new AbortController();
  const signal = anySignal([options.signal, failed.signal]);
  const { limit } = options;
  const capacity = () => Math.min(options.concurrency, limit?.target() ?? options.concurrency);
  let held = 0;
  let awaiting = 0;
  let failure: { error: unknown } | undefined;
  // The dispatcher waits here while every lane is held; any change (a lane given back, the limit
  // moving, an abort) wakes it to look again.
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
  const running = new Set<Promise<void>>();
  try {
    for (let next = 0; next < tasks.length && !signal.aborted;) {
      // Parts that only await their answer are bounded too (as many as lanes): a server that
      // stops answering must not collect every part of the file, all lost at once on a drop.
      if (held >= capacity() || held + awaiting >= 2 * capacity()) {
        await park();
        continue;
      }
      const task = tasks[next++]!;
      held++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        held--;
        awaiting++;
        poke();
      };
      const done: Promise<void> = run(task, signal, release).catch((error: unknown) => {
        if (!failure && !options.signal?.aborted) {
          failure = { error };
          failed.abort(error);
        }
      }).finally(() => {
        release();
        awaiting--;
        poke();
        running.delete(done);
      });
      running.add(done);
    }
    await Promise.all(running);
  } finally {
    unsubscribe?.();
    signal.removeEventListener('abort', poke);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  if (failure) throw failure.error;
}
