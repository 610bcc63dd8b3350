/**
 * Bucket CORS configurations, one JSON file per bucket under `<data>/cors/`, held in memory too:
 * every request (preflights included) looks its bucket's rules up before anything else, so the
 * lookup must not touch the disk. A deleted configuration is kept as `null`, so a restart does not
 * bring back the rules the server starts buckets with.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CorsConfiguration } from '../cors.js';
import { writeFileAtomic, type FileOptions } from './files.js';
import { KeyedLock } from './keyed-lock.js';

/** What `<data>/cors/<bucket>.json` holds. */
type CorsRecord = { readonly v: 1; readonly bucket: string; readonly configuration: CorsConfiguration | null };

/** The CORS configuration of each bucket. */
export class CorsStore {
  readonly #root: string;
  readonly #files: FileOptions;
  readonly #lock = new KeyedLock();
  readonly #records = new Map<string, CorsConfiguration | null>();

  constructor(root: string, files: FileOptions) {
    this.#root = root;
    this.#files = files;
  }

  /** Reads every stored configuration. */
  async load(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    for (const name of await readdir(this.#root)) {
      if (!name.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(this.#root, name), 'utf8')) as CorsRecord;
      this.#records.set(record.bucket, record.configuration);
    }
  }

  /** Whether the bucket has a record (a configuration, or a deleted one). */
  known(bucket: string): boolean {
    return this.#records.has(bucket);
  }

  /** The bucket's configuration; undefined when it has none. */
  get(bucket: string): CorsConfiguration | undefined {
    return this.#records.get(bucket) ?? undefined;
  }

  /** Replaces the bucket's configuration (PutBucketCors overwrites all rules); `null` deletes it. */
  async put(bucket: string, configuration: CorsConfiguration | null): Promise<void> {
    await this.#lock.run(bucket, async () => {
      const record: CorsRecord = { v: 1, bucket, configuration };
      await writeFileAtomic(join(this.#root, `${bucket}.json`), JSON.stringify(record), this.#files);
      this.#records.set(bucket, configuration);
    });
  }
}
