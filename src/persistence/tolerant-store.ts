/**
 * The journal as one upload uses it. A browser may refuse storage outright (Firefox with "block
 * cookies and site data" throws SecurityError from `indexedDB.open`), or a write may fail (quota):
 * the upload must still go through, since only resuming after a reload is at stake. Every failure
 * is absorbed here and reported once per upload to the uploader's `onJournalError`, whose default is
 * a console warning (the only channel an app that never asked about journals will see); reads that
 * fail count as "nothing journalled".
 */
import type { CheckpointStore } from './store.js';

/** The text of the one warning an upload gives when its journal fails. */
export const journalWarning = 'oss-resumable: the upload journal is not available (IndexedDB blocked or failing); this upload cannot resume after a reload';

/** Which upload's journal failed, as `onJournalError` is told. */
export type JournalErrorContext = {
  /** The upload's record id (as `listPending()` lists it); undefined when listing the journal failed. */
  readonly id: string | undefined;
  /** The object key the upload writes. */
  readonly key: string;
};

/** Receives the first journal failure of an upload (see `UploaderOptions.onJournalError`). */
export type JournalErrorListener = (error: unknown, upload: JournalErrorContext) => void;

/** The default {@link JournalErrorListener}: one console warning. */
export const warnJournalError: JournalErrorListener = (error) => console.warn(journalWarning, error);

/** Wraps `store` for the upload of `key`: no method rejects; the first failure goes to `report`. */
export function tolerantStore(store: CheckpointStore, key: string, report: JournalErrorListener = warnJournalError): CheckpointStore {
  let reported = false;
  const absorb = (error: unknown, id: string | undefined): undefined => {
    if (reported) return undefined;
    reported = true;
    try {
      report(error, { id, key });
    } catch {
      // A throwing listener must not fail the upload any more than the journal itself may.
    }
    return undefined;
  };
  // `async` + `await` also turn a synchronous throw (idb-keyval opening a blocked database) into an absorbed failure.
  return {
    async get(id) {
      try {
        return await store.get(id);
      } catch (error) {
        return absorb(error, id);
      }
    },
    async create(record) {
      try {
        await store.create(record);
      } catch (error) {
        absorb(error, record.id);
      }
    },
    async addPart(id, part, updatedAt) {
      try {
        await store.addPart(id, part, updatedAt);
      } catch (error) {
        absorb(error, id);
      }
    },
    async delete(id) {
      try {
        await store.delete(id);
      } catch (error) {
        absorb(error, id);
      }
    },
    async list() {
      try {
        return await store.list();
      } catch (error) {
        absorb(error, undefined);
        return [];
      }
    },
  };
}
