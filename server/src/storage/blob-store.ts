/**
 * Content files ("blobs"): part and object bytes, streamed to disk while MD5 and CRC-64 are
 * computed in the same pass, so memory stays flat whatever the size. Objects and uploads refer to
 * blobs by name; a blob is published (renamed into blobs/) only once complete.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Crc64 } from '../crc64.js';
import { errors } from '../errors.js';
import { syncDir, uniqueName, type FileOptions } from './files.js';

/** What was written: the blob's name, its length and its digests. */
export type BlobInfo = {
  readonly blob: string;
  readonly size: number;
  readonly md5: Buffer;
  readonly crc64: bigint;
  readonly sha256: Buffer | undefined;
};

/** One blob (or a leading slice of it) making up an object. */
export type Segment = { readonly blob: string; readonly size: number };

/** Options of one streamed write. */
export type BlobWriteOptions = {
  /** Larger bodies are refused with EntityTooLarge. */
  readonly maxBytes: number;
  /** Also compute SHA-256 (V4 requests that sign their payload). */
  readonly sha256?: boolean;
  /** Called with the running byte count after each chunk (fault injection drops sockets mid-body). */
  readonly onProgress?: (receivedBytes: number) => void;
};

/** The directory of published blobs. */
export class BlobStore {
  readonly #dir: string;
  readonly #files: FileOptions;
  /** Blobs being streamed to a reader, with their reader counts. */
  readonly #pins = new Map<string, number>();
  /** Pinned blobs whose object went away meanwhile: deleted when the last reader lets go. */
  readonly #doomed = new Set<string>();

  constructor(dir: string, files: FileOptions) {
    this.#dir = dir;
    this.#files = files;
  }

  /** Absolute path of a blob. */
  path(blob: string): string {
    return join(this.#dir, blob);
  }

  /** Streams `source` into a new blob; on any failure nothing is published. */
  async write(source: AsyncIterable<Uint8Array>, options: BlobWriteOptions): Promise<BlobInfo> {
    const name = uniqueName();
    const tmp = join(this.#files.tmpDir, name);
    const md5 = createHash('md5');
    const sha: Hash | undefined = options.sha256 ? createHash('sha256') : undefined;
    const crc = new Crc64();
    let size = 0;
    const handle = await open(tmp, 'w');
    try {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > options.maxBytes) throw errors.entityTooLarge(options.maxBytes);
        md5.update(chunk);
        sha?.update(chunk);
        crc.update(chunk);
        await handle.write(chunk);
        options.onProgress?.(size);
      }
      if (this.#files.fsync) await handle.sync();
      await handle.close();
      await rename(tmp, this.path(name));
      if (this.#files.fsync) await syncDir(this.#dir);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw error;
    }
    return { blob: name, size, md5: md5.digest(), crc64: crc.digest(), sha256: sha?.digest() };
  }

  /**
   * Deletes blobs; missing ones are ignored. A blob a reader has pinned is deleted when the last
   * reader releases it (a crash in between leaves an orphan that start-up garbage collection drops).
   */
  async remove(blobs: Iterable<string>): Promise<void> {
    const now: string[] = [];
    for (const blob of blobs) {
      if (this.#pins.has(blob)) this.#doomed.add(blob);
      else now.push(blob);
    }
    await Promise.all(now.map((blob) => rm(this.path(blob), { force: true })));
  }

  /**
   * Keeps blobs from being deleted while they are read (a GetObject or copy racing an overwrite or
   * DeleteObject of the same key reads the version it started with, as OSS does). Returns the release.
   */
  pin(blobs: Iterable<string>): () => void {
    const pinned = [...blobs];
    for (const blob of pinned) this.#pins.set(blob, (this.#pins.get(blob) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const blob of pinned) {
        const left = (this.#pins.get(blob) ?? 1) - 1;
        if (left > 0) {
          this.#pins.set(blob, left);
          continue;
        }
        this.#pins.delete(blob);
        if (this.#doomed.delete(blob)) void rm(this.path(blob), { force: true }).catch(() => undefined);
      }
    };
  }

  /** Names of every published blob (for garbage collection at start-up). */
  async list(): Promise<string[]> {
    return readdir(this.#dir);
  }

  /** Streams bytes `[start, end)` of the concatenation of `segments`. */
  async *read(segments: readonly Segment[], start: number, end: number): AsyncGenerator<Buffer> {
    let offset = 0;
    for (const segment of segments) {
      const segStart = offset;
      offset += segment.size;
      if (offset <= start || segStart >= end || segment.size === 0) continue;
      const from = Math.max(start, segStart) - segStart;
      const to = Math.min(end, offset) - segStart;
      yield* createReadStream(this.path(segment.blob), { start: from, end: to - 1, highWaterMark: 256 * 1024 });
    }
  }
}
