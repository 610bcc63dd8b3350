/**
 * One writer per upload across tabs: a Web Lock (`navigator.locks`) named after the record, held
 * for the whole upload, so two tabs never drive the same uploadId (docs/architecture.md#the-upload-lock). Where Web
 * Locks are missing (Node) or refused (SecurityError: site data blocked), an in-process lock gives
 * the same guarantee within the process.
 */
import { raceAbort } from '../async/abort.js';
import { UploadLockedError } from '../errors.js';

/** What to do when another tab holds the lock. */
export type LockMode = 'fail' | 'wait';

const localHolders = new Map<string, Promise<unknown>>();

function lockName(id: string): string {
  return `oss-resumable:${id}`;
}

/** Runs `task` while holding the upload's lock. */
export async function withUploadLock<T>(id: string, mode: LockMode, signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks) {
    let entered = false;
    try {
      if (mode === 'wait') {
        return await locks.request(lockName(id), signal ? { signal } : {}, () => {
          entered = true;
          return task();
        });
      }
      return await locks.request(lockName(id), { ifAvailable: true }, (lock) => {
        entered = true;
        if (!lock) throw new UploadLockedError(id);
        return task();
      });
    } catch (error) {
      // Firefox with site data blocked has `navigator.locks` but refuses every request with a
      // SecurityError: such a page shares no storage with other tabs either, so the in-process
      // lock below is all the coordination there is to have.
      if (entered || (error as { name?: unknown } | null)?.name !== 'SecurityError') throw error;
    }
  }
  for (let holder = localHolders.get(id); holder; holder = localHolders.get(id)) {
    if (mode === 'fail') throw new UploadLockedError(id);
    await raceAbort(holder.catch(() => undefined), signal);
  }
  const running = task();
  localHolders.set(id, running);
  try {
    return await running;
  } finally {
    localHolders.delete(id);
  }
}
