/**
 * Files to pick in the browser: random bytes written to a temporary directory, with the digests a
 * spec compares against (whole file, any byte range, the OSS multipart ETag).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A random file on disk. Its bytes are kept in memory too: the sizes e2e uses are at most tens of MiB. */
export type TestFile = {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly bytes: Buffer;
  /** Lower-case hex MD5 of `[start, end)`, the whole file by default. */
  md5Hex(start?: number, end?: number): string;
  /** Base64 of the raw MD5 of `[start, end)`: the `Content-MD5` header value. */
  md5Base64(start?: number, end?: number): string;
  /** The multipart ETag OSS gives these parts: upper-case MD5 of the part MD5s, `-<count>`, unquoted. */
  multipartEtag(partSize: number): string;
  dispose(): Promise<void>;
};

/** Writes `size` random bytes to `<tmp>/<name>`, 8 MiB at a time. */
export async function createTestFile(size: number, name = 'picked.bin'): Promise<TestFile> {
  const dir = await mkdtemp(join(tmpdir(), 'oss-resumable-e2e-file-'));
  const path = join(dir, name);
  const bytes = randomBytes(size);
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < size; at += 8 * 1024 * 1024) {
      await handle.write(bytes, at, Math.min(8 * 1024 * 1024, size - at));
    }
  } finally {
    await handle.close();
  }
  const md5 = (start = 0, end = size) => createHash('md5').update(bytes.subarray(start, end)).digest();
  return {
    path, name, size, bytes,
    md5Hex: (start, end) => md5(start, end).toString('hex'),
    md5Base64: (start, end) => md5(start, end).toString('base64'),
    multipartEtag(partSize) {
      const parts: Buffer[] = [];
      for (let at = 0; at < size; at += partSize) parts.push(md5(at, Math.min(at + partSize, size)));
      return `${createHash('md5').update(Buffer.concat(parts)).digest('hex').toUpperCase()}-${parts.length}`;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
