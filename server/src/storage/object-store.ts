/**
 * Object records: one JSON file per object naming the blobs that hold its bytes. File names are a
 * hash of the key, so no key — `..`, absolute paths, NUL, percent tricks — can address a path
 * outside the data dir; the key itself lives only inside the record.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore, Segment } from './blob-store.js';
import { writeFileAtomic, type FileOptions } from './files.js';
import { KeyedLock } from './keyed-lock.js';

/** The stored description of one object. */
export type ObjectRecord = {
  readonly v: 1;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** Upper-case hex, unquoted: an MD5 for Normal objects, `MD5-N` for multipart ones. */
  readonly etag: string;
  readonly contentType: string;
  /** Base64 MD5 of the content (Normal objects only). */
  readonly contentMd5: string | undefined;
  /** Unsigned decimal CRC-64. */
  readonly crc64: string;
  /** ISO time. */
  readonly lastModified: string;
  /** `x-oss-meta-*` values by lower-case suffix. */
  readonly userMeta: Readonly<Record<string, string>>;
  /** Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires, as given. */
  readonly headers: Readonly<Record<string, string>>;
  readonly type: 'Normal' | 'Multipart';
  /** The multipart upload that produced it. */
  readonly uploadId: string | undefined;
  readonly segments: readonly Segment[];
  /** `x-oss-storage-class`; absent (records from before it was kept) means Standard. */
  readonly storageClass?: StorageClass;
  /** `x-oss-object-acl`; absent means `default` (the bucket's ACL). */
  readonly acl?: ObjectAcl;
  /** Server-side encryption asked for when the object was written. */
  readonly encryption?: Encryption;
  /** Object tags in the order given; absent means none. */
  readonly tags?: readonly Tag[];
};

/** OSS storage classes. */
export type StorageClass = 'Standard' | 'IA' | 'Archive' | 'ColdArchive' | 'DeepColdArchive';
/** Object ACLs; `default` inherits the bucket's. */
export type ObjectAcl = 'default' | 'private' | 'public-read' | 'public-read-write';
/** Server-side encryption: the algorithm, and for KMS the data algorithm and the key id when given. */
export type Encryption = {
  readonly algorithm: 'AES256' | 'KMS' | 'SM4';
  readonly dataAlgorithm?: 'SM4';
  readonly keyId?: string;
};
/** One object tag: key and value. */
export type Tag = readonly [key: string, value: string];

/** The storage class of an object or upload; records written before it was kept are Standard. */
export function storageClassOf(item: { readonly storageClass?: StorageClass | undefined }): StorageClass {
  return item.storageClass ?? 'Standard';
}

/** Object records of all buckets, under `<data>/buckets/<bucket>/`. */
export class ObjectStore {
  readonly #root: string;
  readonly #files: FileOptions;
  readonly #blobs: BlobStore;
  readonly #lock = new KeyedLock();

  constructor(root: string, files: FileOptions, blobs: BlobStore) {
    this.#root = root;
    this.#files = files;
    this.#blobs = blobs;
  }

  #path(bucket: string, key: string): string {
    return join(this.#root, bucket, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  /** Creates the bucket directory. */
  async createBucket(bucket: string): Promise<void> {
    await mkdir(join(this.#root, bucket), { recursive: true });
  }

  /** Names of existing buckets. */
  async buckets(): Promise<string[]> {
    return (await readdir(this.#root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  }

  /** The record of an object, or undefined. */
  async get(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.#path(bucket, key), 'utf8')) as ObjectRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * The record of an object with its blobs pinned (see {@link BlobStore.pin}) until `release` is
   * called, for readers that stream its bytes; undefined when there is no such object. Read under
   * the key's lock, so no overwrite can delete the blobs between reading the record and pinning them.
   */
  async open(bucket: string, key: string): Promise<{ record: ObjectRecord; release: () => void } | undefined> {
    return this.#lock.run(`${bucket}/${key}`, async () => {
      const record = await this.get(bucket, key);
      return record && { record, release: this.#blobs.pin(record.segments.map((s) => s.blob)) };
    });
  }

  /**
   * Publishes a record atomically. `check` runs under the key's lock first (e.g. forbid-overwrite).
   * Blobs of the replaced version that the new one does not use are deleted afterwards.
   */
  async put(record: ObjectRecord, check?: (existing: ObjectRecord | undefined) => void): Promise<void> {
    await this.#lock.run(`${record.bucket}/${record.key}`, async () => {
      const existing = await this.get(record.bucket, record.key);
      check?.(existing);
      await writeFileAtomic(this.#path(record.bucket, record.key), JSON.stringify(record), this.#files);
      if (existing) await this.#blobs.remove(unusedBlobs(existing, record));
    });
  }

  /**
   * Rewrites the record of an existing object under the key's lock, keeping its bytes (PutObjectAcl,
   * PutObjectTagging: neither changes the ETag or Last-Modified). Undefined when there is no such object.
   */
  async update(bucket: string, key: string, change: (record: ObjectRecord) => ObjectRecord): Promise<ObjectRecord | undefined> {
    return this.#lock.run(`${bucket}/${key}`, async () => {
      const existing = await this.get(bucket, key);
      if (!existing) return undefined;
      const next = change(existing);
      await writeFileAtomic(this.#path(bucket, key), JSON.stringify(next), this.#files);
      return next;
    });
  }

  /** Deletes an object and its blobs; a missing object is not an error (DeleteObject answers 204). */
  async delete(bucket: string, key: string): Promise<void> {
    await this.#lock.run(`${bucket}/${key}`, async () => {
      const existing = await this.get(bucket, key);
      if (!existing) return;
      await rm(this.#path(bucket, key), { force: true });
      await this.#blobs.remove(existing.segments.map((s) => s.blob));
    });
  }

  /** Every record of a bucket (unordered). */
  async *list(bucket: string): AsyncGenerator<ObjectRecord> {
    const dir = join(this.#root, bucket);
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        yield JSON.parse(await readFile(join(dir, name), 'utf8')) as ObjectRecord;
      } catch {
        // A record deleted between readdir and readFile is simply gone.
      }
    }
  }
}

function unusedBlobs(previous: ObjectRecord, next: ObjectRecord): string[] {
  const kept = new Set(next.segments.map((s) => s.blob));
  return previous.segments.map((s) => s.blob).filter((b) => !kept.has(b));
}
