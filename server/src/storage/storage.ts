/**
 * The data directory: `blobs/` (bytes), `buckets/<name>/` (object records), `uploads/<id>/`
 * (multipart state), `cors/<bucket>.json` (bucket CORS rules), `tmp/` (writes in progress).
 * Opening it recovers from a crash: half-written temporaries are dropped, uploads whose Complete
 * had already published the object are finished off, and blobs nothing refers to are deleted.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BlobStore } from './blob-store.js';
import { CorsStore } from './cors-store.js';
import type { FileOptions } from './files.js';
import { ObjectStore } from './object-store.js';
import { UploadStore } from './upload-store.js';

/** The server's persistent state. */
export type Storage = {
  readonly dataDir: string;
  readonly blobs: BlobStore;
  readonly objects: ObjectStore;
  readonly uploads: UploadStore;
  /** Bucket CORS configurations (PutBucketCors). */
  readonly cors: CorsStore;
};

/** Opens (creating when needed) a data directory and the given buckets. */
export async function openStorage(dataDir: string, options: { fsync: boolean; buckets: readonly string[] }): Promise<Storage> {
  const root = resolve(dataDir);
  const tmpDir = join(root, 'tmp');
  await rm(tmpDir, { recursive: true, force: true });
  for (const dir of ['blobs', 'buckets', 'uploads', 'tmp']) await mkdir(join(root, dir), { recursive: true });
  const files: FileOptions = { tmpDir, fsync: options.fsync };
  const blobs = new BlobStore(join(root, 'blobs'), files);
  const objects = new ObjectStore(join(root, 'buckets'), files, blobs);
  const uploads = new UploadStore(join(root, 'uploads'), files, blobs);
  const cors = new CorsStore(join(root, 'cors'), files);
  await cors.load();
  for (const bucket of options.buckets) await objects.createBucket(bucket);
  await uploads.load();
  await collectGarbage(objects, uploads, blobs);
  return { dataDir: root, blobs, objects, uploads, cors };
}

async function collectGarbage(objects: ObjectStore, uploads: UploadStore, blobs: BlobStore): Promise<void> {
  const referenced = new Set<string>();
  const completedUploads = new Set<string>();
  for (const bucket of await objects.buckets()) {
    for await (const record of objects.list(bucket)) {
      for (const segment of record.segments) referenced.add(segment.blob);
      if (record.uploadId) completedUploads.add(record.uploadId);
    }
  }
  for (const upload of uploads.all()) {
    // Complete published the object but was killed before it could drop the upload.
    if (completedUploads.has(upload.id)) await uploads.remove(upload, referenced);
    else for (const part of upload.parts.values()) referenced.add(part.blob);
  }
  await blobs.remove((await blobs.list()).filter((blob) => !referenced.has(blob)));
}
