/**
 * The journal as one upload uses it. A browser may refuse storage outright (Firefox with "block
 * cookies and site data" throws SecurityError from `indexedDB.open`), or a write may fail (quota):
 * the upload must still go through, since only resuming after a reload is at stake. Every failure
 * is absorbed here and reported once per upload by a console warning (the only channel an app
 * that never asked about journals will see); reads that fail count as "nothing journalled".
 */
import type { CheckpointStore } from './store.js';

/** The text of the one warning an upload gives when its journal fails. */
export const journalWarning = 'oss-resumable: the upload journal is not available (IndexedDB blocked or failing); this upload cannot resume after a reload';

/** Wraps `store` for one upload: no method rejects; the first failure warns. */
export function tolerantStore(store: CheckpointStore): CheckpointStore {
  let warned = false;
  const absorb = (error: unknown): undefined => {
    if (!warned) console.warn(journalWarning, error);
    warned = true;
    return undefined;
  };
  // `async` + `await` also turn a synchronous throw (idb-keyval opening a blocked database) into an absorbed failure.
  return {
    async get(id) {
      try {
        return await store.get(id);
      } catch (error) {
        return absorb(error);
      }
    },
    async create(record) {
      try {
        await store.create(record);
      } catch (error) {
        absorb(error);
      }
    },
    async addPart(id, part, updatedAt) {
      try {
        await store.addPart(id, part, updatedAt);
      } catch (error) {
        absorb(error);
      }
    },
    async delete(id) {
      try {
        await store.delete(id);
      } catch (error) {
        absorb(error);
      }
    },
    async list() {
      try {
        return await store.list();
      } catch (error) {
        absorb(error);
        return [];
      }
    },
  };
}
