/**
 * Durable file primitives: a file becomes visible under its final name only after its bytes are
 * written and flushed, via rename, so a crash (even SIGKILL mid-write) never leaves a torn record.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where temporary files go and whether writes are fsync'd before they are published. */
export type FileOptions = { readonly tmpDir: string; readonly fsync: boolean };

/**
 * A fresh unique name for temporary and blob files. The time prefix only spreads names out; it is
 * no timestamp anyone reads, so it comes from the process clock, not the server's `now`.
 */
export function uniqueName(): string {
  return `${Date.now().toString(36)}-${randomBytes(12).toString('hex')}`;
}

/** Flushes a directory entry (a rename is durable across power loss only once its directory is). */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a temporary file, flushes it, and renames it over `target`. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: FileOptions): Promise<void> {
  const tmp = join(options.tmpDir, uniqueName());
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    if (options.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  if (options.fsync) await syncDir(dirname(target));
}

/** Appends one line to a journal file and flushes it before returning. */
export async function appendLine(target: string, line: string, options: FileOptions): Promise<void> {
  const handle = await open(target, 'a');
  try {
    await handle.write(`${line}\n`);
    if (options.fsync) await handle.datasync();
  } finally {
    await handle.close();
  }
}
