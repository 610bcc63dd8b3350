/**
 * Multipart upload state. Each upload is a directory with `upload.json` (written once, atomically,
 * at Initiate) and `parts.log`, a journal with one JSON line per acknowledged part, flushed before
 * UploadPart answers. A torn last line from a crash is a part that was never acknowledged, so it
 * is skipped on load. The whole state is also kept in memory for fast ListParts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import type { Encryption, ObjectAcl, StorageClass, Tag } from './object-store.js';
import { appendLine, writeFileAtomic, type FileOptions } from './files.js';
import { KeyedLock } from './keyed-lock.js';

/** What Initiate fixed for the final object. */
export type UploadInit = {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly userMeta: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly forbidOverwrite: boolean;
  /** ISO time. */
  readonly initiated: string;
  /** `x-oss-storage-class` given at Initiate; absent (uploads from before it was kept) means Standard. */
  readonly storageClass?: StorageClass;
  /** `x-oss-object-acl` given at Initiate (Complete may name another). */
  readonly acl?: ObjectAcl;
  /** Server-side encryption given at Initiate; parts and Complete answer with it. */
  readonly encryption?: Encryption;
  /** `x-oss-tagging` given at Initiate. */
  readonly tags?: readonly Tag[];
};

/** One acknowledged part. */
export type PartRecord = {
  readonly partNumber: number;
  /** Upper-case hex MD5, unquoted. */
  readonly etag: string;
  readonly size: number;
  readonly crc64: string;
  readonly lastModified: string;
  readonly blob: string;
};

/**
 * An upload in progress. Its `state` moves only through {@link UploadStore}: `active` takes parts;
 * `completing` while Complete publishes the object (parts and a second Complete are refused);
 * `gone` once completed or aborted, or `active` again when publishing failed.
 */
export type Upload = UploadInit & {
  readonly id: string;
  readonly parts: Map<number, PartRecord>;
  state: 'active' | 'completing' | 'gone';
};

/** All uploads, under `<data>/uploads/<uploadId>/`. */
export class UploadStore {
  readonly #root: string;
  readonly #files: FileOptions;
  readonly #blobs: BlobStore;
  readonly #uploads = new Map<string, Upload>();
  readonly #lock = new KeyedLock();

  constructor(root: string, files: FileOptions, blobs: BlobStore) {
    this.#root = root;
    this.#files = files;
    this.#blobs = blobs;
  }

  /** Reads every upload back from disk (start-up). */
  async load(): Promise<void> {
    for (const id of await readdir(this.#root)) {
      const dir = join(this.#root, id);
      let init: UploadInit;
      try {
        init = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as UploadInit;
      } catch {
        await rm(dir, { recursive: true, force: true }); // crashed between mkdir and publishing upload.json
        continue;
      }
      const parts = new Map<number, PartRecord>();
      const journalPath = join(dir, 'parts.log');
      const journal = await readFile(journalPath, 'utf8').catch(() => '');
      // A torn tail (crash mid-append) must be cut off, or the next append would glue a good
      // record onto it and both would be unreadable.
      if (journal !== '' && !journal.endsWith('\n')) await truncate(journalPath, Buffer.byteLength(journal.slice(0, journal.lastIndexOf('\n') + 1)));
      for (const line of journal.split('\n')) {
        try {
          const part = JSON.parse(line) as PartRecord;
          parts.set(part.partNumber, part);
        } catch {
          // torn or empty line: never acknowledged
        }
      }
      this.#uploads.set(id, { ...init, id, parts, state: 'active' });
    }
  }

  /** Starts an upload and persists it before returning its id. */
  async create(init: UploadInit): Promise<Upload> {
    const id = randomBytes(16).toString('hex').toUpperCase();
    const dir = join(this.#root, id);
    await mkdir(dir);
    await writeFileAtomic(join(dir, 'upload.json'), JSON.stringify(init), this.#files);
    const upload: Upload = { ...init, id, parts: new Map(), state: 'active' };
    this.#uploads.set(id, upload);
    return upload;
  }

  /** The active upload with this id in this bucket, or NoSuchUpload. */
  get(id: string, bucket: string, key?: string): Upload {
    const upload = this.#uploads.get(id);
    if (!upload || upload.state !== 'active' || upload.bucket !== bucket || (key !== undefined && upload.key !== key)) {
      throw errors.noSuchUpload(id);
    }
    return upload;
  }

  /** Every upload (any state), for listing and garbage collection. */
  all(): Upload[] {
    return [...this.#uploads.values()];
  }

  /** Records an acknowledged part; an overwritten part's blob is deleted. */
  async addPart(upload: Upload, part: PartRecord): Promise<void> {
    await this.#lock.run(upload.id, async () => {
      if (upload.state !== 'active') {
        await this.#blobs.remove([part.blob]);
        throw errors.noSuchUpload(upload.id);
      }
      await appendLine(join(this.#root, upload.id, 'parts.log'), JSON.stringify(part), this.#files);
      const previous = upload.parts.get(part.partNumber);
      upload.parts.set(part.partNumber, part);
      if (previous && previous.blob !== part.blob) await this.#blobs.remove([previous.blob]);
    });
  }

  /** Runs `task` with exclusive access to the upload (Complete, Abort). */
  async exclusive<T>(upload: Upload, task: () => Promise<T>): Promise<T> {
    return this.#lock.run(upload.id, task);
  }

  /**
   * Starts completing an upload (within {@link exclusive}): from now on its parts are frozen, and
   * UploadPart or another Complete gets NoSuchUpload. Throws NoSuchUpload when a Complete or Abort
   * that held the lock before has already ended it.
   */
  beginComplete(upload: Upload): void {
    if (upload.state !== 'active') throw errors.noSuchUpload(upload.id);
    upload.state = 'completing';
  }

  /** The object is published: forgets the upload, deleting the blobs of its parts except those in `keep` (the object's). */
  async finishComplete(upload: Upload, keep: ReadonlySet<string>): Promise<void> {
    await this.remove(upload, keep);
  }

  /** Completing failed before the object was published: the upload is active again, parts intact, so the client can retry. */
  abandonComplete(upload: Upload): void {
    if (upload.state === 'completing') upload.state = 'active';
  }

  /** AbortMultipartUpload: forgets the upload and deletes its parts; NoSuchUpload when a Complete or Abort ended it first. */
  async abort(upload: Upload): Promise<void> {
    await this.exclusive(upload, async () => {
      if (upload.state !== 'active') throw errors.noSuchUpload(upload.id);
      await this.remove(upload);
    });
  }

  /** Forgets an upload: removes its directory and the blobs of its parts not in `keep`. */
  async remove(upload: Upload, keep: ReadonlySet<string> = new Set()): Promise<void> {
    upload.state = 'gone';
    this.#uploads.delete(upload.id);
    await rm(join(this.#root, upload.id), { recursive: true, force: true });
    await this.#blobs.remove([...upload.parts.values()].map((p) => p.blob).filter((b) => !keep.has(b)));
  }
}
