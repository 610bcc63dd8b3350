/**
 * The browser's checkpoint store: IndexedDB through an idb-keyval custom store in a database of its
 * own, so the SDK never touches, upgrades or blocks the app's databases.
 *
 * Layout: one object store, array keys. A record's header (everything but `parts`) lives under
 * `[id, 0]` and each acknowledged part under `[id, partNumber]`. IndexedDB orders array keys element
 * by element, so one record is the contiguous key range `[id, 0]..[id, Infinity]` with the header
 * first and the parts ascending. `addPart` therefore writes one small part row and the header's
 * `updatedAt` instead of rewriting a growing array: part 10,000 costs what part 1 cost.
 *
 * Every method is a single transaction and nothing is cached in JS, so concurrent calls (several
 * parts finishing at once, or two tabs) serialise in IndexedDB itself and no update is lost.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { migrateRecord, type JournalPart, type RecordHeader, type UploadRecord } from './record.js';
import { createMemoryStore, type CheckpointStore } from './store.js';

/** Options of {@link createIndexedDbStore}. */
export type IndexedDbStoreOptions = {
  /**
   * IndexedDB database name. idb-keyval keeps exactly one object store per database, so two stores
   * with different `storeName`s must also have different `dbName`s.
   * @default 'oss-resumable'
   */
  readonly dbName?: string;
  /**
   * Object store name inside that database.
   * @default 'journal'
   */
  readonly storeName?: string;
};

/** Database and object store names used when {@link IndexedDbStoreOptions} leaves them out. */
export const indexedDbStoreDefaults = { dbName: 'oss-resumable', storeName: 'journal' } as const;

/** The key slot of a record's header; parts use their part number (≥ 1), so they never collide. */
const headerSlot = 0;

type RowKey = [id: string, slot: number];

const headerKey = (id: string): RowKey => [id, headerSlot];
/** Every row of one record: the header and all its parts. */
const recordRange = (id: string) => IDBKeyRange.bound([id, headerSlot], [id, Infinity]);
/** Only the part rows of one record. */
const partRange = (id: string) => IDBKeyRange.bound([id, headerSlot + 1], [id, Infinity]);

/** A part number that could not be a row of its own (0 would overwrite the header). */
function checkPartNumber(part: JournalPart): void {
  if (!Number.isInteger(part.partNumber) || part.partNumber < 1) {
    throw new RangeError(`partNumber must be an integer ≥ 1, got ${String(part.partNumber)}`);
  }
}

function isRowKey(key: IDBValidKey): key is RowKey {
  return Array.isArray(key) && key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'number';
}

/** Joins a header with its parts; anything unreadable or from an unknown version becomes undefined. */
function assemble(header: unknown, parts: readonly unknown[]): UploadRecord | undefined {
  if (header === null || typeof header !== 'object') return undefined;
  return migrateRecord({ ...header, parts });
}

/**
 * A {@link CheckpointStore} in IndexedDB: one small row per acknowledged part, one transaction per
 * call. The database is opened lazily on first use, so creating a store costs nothing.
 *
 * Records may hold a `FileSystemFileHandle`: IndexedDB structured-clones it, and it still opens the
 * file after a reload or a browser restart (subject to the user's permission).
 */
export function createIndexedDbStore(options: IndexedDbStoreOptions = {}): CheckpointStore {
  const useStore: UseStore = createStore(
    options.dbName ?? indexedDbStoreDefaults.dbName,
    options.storeName ?? indexedDbStoreDefaults.storeName,
  );
  // idb-keyval resolves a write only once its transaction has committed. Chromium commits with
  // relaxed durability by default: an OS crash may lose the last rows, which only means those parts
  // are sent again, because on resume ListParts is the truth (docs/architecture.md#resume-reconciliation).
  const write = (body: (store: IDBObjectStore) => void) =>
    useStore('readwrite', (store) => {
      body(store);
      return promisifyRequest(store.transaction);
    });

  return {
    get(id) {
      return useStore('readonly', async (store) => {
        // Both requests are issued before anything awaits, so they share one snapshot.
        const [header, parts] = await Promise.all([
          promisifyRequest<unknown>(store.get(headerKey(id))),
          promisifyRequest<unknown[]>(store.getAll(partRange(id))),
        ]);
        return assemble(header, parts);
      });
    },

    async create(record) {
      const { parts, ...header } = record;
      parts.forEach(checkPartNumber);
      await write((store) => {
        // Requests in one transaction run in order: the old record (and any leftover parts) goes
        // first, so a new upload of the same file never inherits parts of the previous uploadId.
        store.delete(recordRange(record.id));
        store.put(header satisfies RecordHeader, headerKey(record.id));
        for (const part of parts) store.put(part, [record.id, part.partNumber]);
      });
    },

    async addPart(id, part, updatedAt) {
      checkPartNumber(part);
      await write((store) => {
        const request = store.get(headerKey(id));
        // Checked inside the same transaction: a part that lands after `delete` (or after Complete)
        // must not leave an orphan row, nor bring the record back.
        request.onsuccess = () => {
          const header = request.result as RecordHeader | undefined;
          if (header === undefined) return;
          store.put(part, [id, part.partNumber]);
          store.put({ ...header, updatedAt }, headerKey(id));
        };
      });
    },

    async delete(id) {
      await write((store) => store.delete(recordRange(id)));
    },

    list() {
      return useStore('readonly', async (store) => {
        // getAll and getAllKeys walk the same key order in the same snapshot, so index i of one
        // is index i of the other; rows of one record are contiguous and its header comes first.
        const [keys, values] = await Promise.all([
          promisifyRequest(store.getAllKeys()),
          promisifyRequest<unknown[]>(store.getAll()),
        ]);
        const records: UploadRecord[] = [];
        let current: { id: string; header: unknown; parts: unknown[] } | undefined;
        const flush = () => {
          const record = current && assemble(current.header, current.parts);
          if (record) records.push(record);
        };
        keys.forEach((key, index) => {
          if (!isRowKey(key)) return;
          const [id, slot] = key;
          if (current?.id !== id) {
            flush();
            current = { id, header: undefined, parts: [] };
          }
          if (slot === headerSlot) current.header = values[index];
          else current.parts.push(values[index]);
        });
        flush();
        return records;
      });
    },
  };
}

let shared: CheckpointStore | undefined;

/**
 * The store an uploader uses when none is given: IndexedDB where the runtime has it (browsers,
 * workers), memory elsewhere (Node). One instance per JavaScript realm, shared by every uploader,
 * so they all see the same records (as they would through IndexedDB) over one connection.
 */
export function defaultStore(): CheckpointStore {
  if (shared) return shared;
  if ('indexedDB' in globalThis && globalThis.indexedDB !== undefined) {
    shared = createIndexedDbStore();
  } else {
    // A browser can lack IndexedDB altogether (WebKit with its IndexedDB feature turned off, some
    // embedded web views): uploads still work and can pause and resume within the page, but not
    // after a reload. Say so once, as a failing IndexedDB does; Node (no document, no worker scope)
    // has no reload to survive and stays quiet.
    const inBrowser = typeof document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
    if (inBrowser) console.warn(noIndexedDbWarning);
    shared = createMemoryStore();
  }
  return shared;
}

/** The one warning of a browser without IndexedDB (journals then live in memory). */
export const noIndexedDbWarning = 'oss-resumable: no IndexedDB in this browser; uploads cannot resume after a reload';
