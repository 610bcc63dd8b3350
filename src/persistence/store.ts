/**
 * The checkpoint store contract (an interface others implement) and the memory
 * implementation Node uses. Parts are added one at a time so a 10,000-part upload never rewrites
 * the whole record per part; every method may be called concurrently.
 */
import type { JournalPart, UploadRecord } from './record.js';

/** Where upload records live. The browser default is IndexedDB (`createIndexedDbStore`). */
export interface CheckpointStore {
  /** The record with all its parts (ascending), or undefined. */
  get(id: string): Promise<UploadRecord | undefined>;
  /** Writes a record with its parts, replacing any record with the same id. */
  create(record: UploadRecord): Promise<void>;
  /** Adds (or replaces) one acknowledged part and sets `updatedAt`; ignored when the record is gone. */
  addPart(id: string, part: JournalPart, updatedAt: number): Promise<void>;
  /** Deletes a record and its parts; a missing record is not an error. */
  delete(id: string): Promise<void>;
  /** Every record, with parts. */
  list(): Promise<UploadRecord[]>;
}

/** A store in memory: for Node, tests, or apps that persist elsewhere. */
export function createMemoryStore(): CheckpointStore {
  const records = new Map<string, { header: Omit<UploadRecord, 'parts'>; parts: Map<number, JournalPart> }>();
  const assemble = (entry: { header: Omit<UploadRecord, 'parts'>; parts: Map<number, JournalPart> }): UploadRecord => ({
    ...entry.header,
    parts: [...entry.parts.values()].sort((a, b) => a.partNumber - b.partNumber),
  });
  return {
    async get(id) {
      const entry = records.get(id);
      return entry ? assemble(entry) : undefined;
    },
    async create(record) {
      const { parts, ...header } = record;
      records.set(record.id, { header, parts: new Map(parts.map((p) => [p.partNumber, p])) });
    },
    async addPart(id, part, updatedAt) {
      if (!Number.isInteger(part.partNumber) || part.partNumber < 1) throw new RangeError(`Expected a part number ≥ 1, got ${part.partNumber}`);
      const entry = records.get(id);
      if (!entry) return;
      entry.parts.set(part.partNumber, part);
      entry.header = { ...entry.header, updatedAt };
    },
    async delete(id) {
      records.delete(id);
    },
    async list() {
      return [...records.values()].map(assemble);
    },
  };
}
