/**
 * Offline handling: while the browser says it is offline, requests wait for the `online` event
 * instead of failing and burning their retries (Uppy waits the same way; docs/architecture.md#the-part-queue).
 */
import { raceAbort } from './abort.js';

/** Whether the platform reports being offline (`navigator.onLine === false`); never true in Node. */
export function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}

/** Resolves at once when online, else on the next `online` event; rejects with `signal.reason` on abort. */
export function waitForOnline(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (!isOffline() || typeof globalThis.addEventListener !== 'function') return Promise.resolve();
  const controller = new AbortController();
  const online = new Promise<void>((resolve) => {
    globalThis.addEventListener('online', () => resolve(), { once: true, signal: controller.signal });
  });
  return raceAbort(online, signal).finally(() => controller.abort());
}
