/**
 * Two fallbacks the WebKit runs of `npm run test:engines` needed (issue 14), checked in Node:
 * - `watchFile`: WebKit reads a picked File's `lastModified` from disk on every access, and once the
 *   file changed it lets a request whose body is a slice of it hang; the watch turns the moved
 *   modification time into an abort with ResumeMismatchError. Other engines (and Node) keep the
 *   value of the pick, so there the watch never fires.
 * - `defaultStore` in a browser without IndexedDB (WebKit with the feature off): one warning that
 *   uploads cannot resume after a reload; none in Node.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchFile } from '../../src/core/file-read.js';
import { ResumeMismatchError } from '../../src/errors.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.resetModules();
});

/** A File whose `lastModified` is read live, as WebKit reads a picked file's from disk. */
class LiveMtimeFile extends File {
  mtime = 1_700_000_000_000;
  override get lastModified(): number {
    return this.mtime;
  }
}

const aborted = (signal: AbortSignal, ms: number) => new Promise<boolean>((resolve) => {
  if (signal.aborted) return resolve(true);
  const timer = setTimeout(() => resolve(false), ms);
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    resolve(true);
  }, { once: true });
});

describe('watchFile', () => {
  it('aborts with ResumeMismatchError within an interval of lastModified moving', async () => {
    const file = new LiveMtimeFile(['abc'], 'watched.bin');
    const watch = watchFile(file, 50);
    try {
      expect(await aborted(watch.signal, 200), 'no abort while lastModified stays').toBe(false);
      file.mtime += 1000;
      expect(await aborted(watch.signal, 500), 'aborted after the change').toBe(true);
      expect(watch.signal.reason).toBeInstanceOf(ResumeMismatchError);
      expect((watch.signal.reason as Error).message).toMatch(/the file changed while it was being uploaded/i);
    } finally {
      watch.stop();
    }
  });

  it('never aborts once stopped, nor for a File or Blob whose lastModified is fixed (Chromium, Firefox, Node)', async () => {
    const file = new LiveMtimeFile(['abc'], 'stopped.bin');
    const stopped = watchFile(file, 50);
    stopped.stop();
    const fixed = watchFile(new File(['abc'], 'fixed.bin'), 50);
    const blob = watchFile(new Blob(['abc']), 50);
    try {
      file.mtime += 1000;
      expect(await aborted(stopped.signal, 300)).toBe(false);
      expect(await aborted(fixed.signal, 300)).toBe(false);
      expect(await aborted(blob.signal, 300)).toBe(false);
    } finally {
      fixed.stop();
      blob.stop();
    }
  });
});

describe('defaultStore without IndexedDB', () => {
  it('in a browser (a document, no indexedDB): a memory store and one warning that uploads cannot resume after a reload', async () => {
    vi.stubGlobal('document', {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { defaultStore, noIndexedDbWarning } = await import('../../src/persistence/idb-store.js');
    const store = defaultStore();
    expect(defaultStore()).toBe(store);
    expect(await store.list()).toEqual([]);
    expect(warn.mock.calls).toEqual([[noIndexedDbWarning]]);
    expect(noIndexedDbWarning).toMatch(/cannot resume after a reload/);
  });

  it('in Node: a memory store, no warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { defaultStore } = await import('../../src/persistence/idb-store.js');
    expect(await defaultStore().list()).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });
});
