/**
 * The file to upload: random bytes written to disk 8 MiB at a time (never whole in memory), its MD5
 * computed on the way.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';

const chunkBytes = 8 * 1024 * 1024;

/** Writes `size` random bytes to `path`; resolves with the lower-case hex MD5. */
export async function writeRandomFile(path: string, size: number): Promise<string> {
  const buffer = Buffer.allocUnsafe(chunkBytes);
  const hash = createHash('md5');
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += chunkBytes) {
      const chunk = buffer.subarray(0, Math.min(chunkBytes, size - at));
      randomFillSync(chunk);
      hash.update(chunk);
      await handle.write(chunk, 0, chunk.length, at);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
