/**
 * A cancellable timer: backoff waits end early, with the abort's reason, when the caller aborts.
 */
import { raceAbort } from './abort.js';

/** Waits `ms`, or rejects with `signal.reason` when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return raceAbort(new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }), signal);
}
