/**
 * The checkpoint store contract, through the memory store Node uses (create replaces, addPart after
 * delete is ignored, list, concurrent calls), and `migrateRecord`, which every store reads through.
 */
import { describe, expect, it } from 'vitest';
import { migrateRecord, recordVersion, type JournalPart, type UploadRecord } from '../../src/persistence/record.js';
import { createMemoryStore } from '../../src/persistence/store.js';

function record(id: string, overrides: Partial<UploadRecord> = {}): UploadRecord {
  return {
    version: recordVersion, id, fingerprint: `fp-${id}`, endpoint: 'http://localhost:9000', bucket: 'demo', key: `k/${id}.bin`,
    uploadId: `upload-${id}`, partSize: 102_400, fileSize: 1_000_000, fileName: `${id}.bin`, lastModified: 1_700_000_000_000,
    contentType: 'application/octet-stream', parts: [], createdAt: 1000, updatedAt: 1000, ...overrides,
  };
}

function part(partNumber: number, size = 102_400): JournalPart {
  const md5 = partNumber.toString(16).toUpperCase().padStart(32, '0');
  return { partNumber, etag: `"${md5}"`, size, md5 };
}

describe('createMemoryStore', () => {
  it('get of an unknown id is undefined; delete of an unknown id is not an error; list of an empty store is []', async () => {
    const store = createMemoryStore();
    expect(await store.get('nope')).toBeUndefined();
    await expect(store.delete('nope')).resolves.toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('create then get returns the record with its parts ascending', async () => {
    const store = createMemoryStore();
    const r = record('a', { parts: [part(3), part(1), part(2)] });
    await store.create(r);
    expect(await store.get('a')).toEqual({ ...r, parts: [part(1), part(2), part(3)] });
  });

  it('create replaces a record with the same id, parts included (a new uploadId inherits nothing)', async () => {
    const store = createMemoryStore();
    await store.create(record('a', { parts: [part(1), part(2)] }));
    await store.addPart('a', part(3), 2000);
    const fresh = record('a', { uploadId: 'upload-new', createdAt: 3000, updatedAt: 3000 });
    await store.create(fresh);
    expect(await store.get('a')).toEqual(fresh);
    expect(await store.list()).toHaveLength(1);
  });

  it('addPart adds a part, replaces one with the same number and sets updatedAt', async () => {
    const store = createMemoryStore();
    await store.create(record('a'));
    await store.addPart('a', part(2), 2000);
    await store.addPart('a', part(1), 2500);
    const replacement = { ...part(2), etag: '"FF"', md5: 'FF' };
    await store.addPart('a', replacement, 3000);
    const got = await store.get('a');
    expect(got?.parts).toEqual([part(1), replacement]);
    expect(got?.updatedAt).toBe(3000);
    expect(got?.createdAt).toBe(1000);
  });

  it('addPart after delete (or for an unknown id) is ignored and does not bring the record back', async () => {
    const store = createMemoryStore();
    await store.create(record('a', { parts: [part(1)] }));
    await store.delete('a');
    await store.addPart('a', part(2), 2000);
    await store.addPart('never', part(1), 2000);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('never')).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('list returns every record with its parts', async () => {
    const store = createMemoryStore();
    await store.create(record('a', { parts: [part(2)] }));
    await store.create(record('b'));
    await store.addPart('a', part(1), 5000);
    await store.addPart('b', part(7, 10), 6000);
    const listed = await store.list();
    expect(listed.map((r) => r.id).sort()).toEqual(['a', 'b']);
    expect(listed.find((r) => r.id === 'a')).toMatchObject({ parts: [part(1), part(2)], updatedAt: 5000 });
    expect(listed.find((r) => r.id === 'b')).toMatchObject({ parts: [part(7, 10)], updatedAt: 6000 });
  });

  it('loses no part when many addPart calls on several records run at once', async () => {
    const store = createMemoryStore();
    await Promise.all(['a', 'b', 'c'].map((id) => store.create(record(id))));
    const numbers = Array.from({ length: 500 }, (_, i) => i + 1);
    await Promise.all(['a', 'b', 'c'].flatMap((id) => [
      ...numbers.map((n) => store.addPart(id, part(n), 1000 + n)),
      store.get(id), store.list(), // reads interleaved with the writes
    ]));
    for (const id of ['a', 'b', 'c']) {
      const got = await store.get(id);
      expect(got?.parts.map((p) => p.partNumber)).toEqual(numbers);
    }
  });

  it('a get taken before later writes is a snapshot of that moment', async () => {
    const store = createMemoryStore();
    await store.create(record('a'));
    await store.addPart('a', part(1), 2000);
    const before = store.get('a');
    await store.addPart('a', part(2), 3000);
    expect((await before)?.parts).toEqual([part(1)]);
    expect((await before)?.updatedAt).toBe(2000);
  });

  it('concurrent create and delete of one id end in a consistent state', async () => {
    const store = createMemoryStore();
    await Promise.all([store.create(record('a', { parts: [part(1)] })), store.addPart('a', part(2), 2000), store.delete('a')]);
    expect(await store.get('a')).toBeUndefined();
    await Promise.all([store.delete('a'), store.create(record('a')), store.addPart('a', part(9), 2000)]);
    expect((await store.get('a'))?.parts).toEqual([part(9)]);
  });
});

describe('migrateRecord', () => {
  it('returns a current record unchanged', () => {
    const r = record('a', { parts: [part(1), part(2)] });
    expect(migrateRecord(r)).toEqual(r);
    expect(migrateRecord(structuredClone(r))).toEqual(r);
  });

  it.each([
    ['null', null], ['a string', 'x'], ['a number', 1], ['an array', []], ['undefined', undefined],
  ])('ignores %s', (_name, raw) => {
    expect(migrateRecord(raw)).toBeUndefined();
  });

  it.each([0, 2, '1', undefined, null, 1.5])('ignores version %s', (version) => {
    expect(migrateRecord({ ...record('a'), version })).toBeUndefined();
  });

  it.each(['id', 'fingerprint', 'endpoint', 'bucket', 'key', 'uploadId'] as const)('ignores a record whose %s is missing, empty or not a string', (field) => {
    const { [field]: _dropped, ...rest } = record('a');
    expect(migrateRecord(rest)).toBeUndefined();
    expect(migrateRecord({ ...record('a'), [field]: '' })).toBeUndefined();
    expect(migrateRecord({ ...record('a'), [field]: 42 })).toBeUndefined();
  });

  it.each([
    ['partSize missing', { partSize: undefined }], ['partSize fractional', { partSize: 1.5 }], ['fileSize a string', { fileSize: '10' }],
    ['parts missing', { parts: undefined }], ['parts an object', { parts: { 0: part(1) } }],
  ])('ignores a record with %s', (_name, overrides) => {
    expect(migrateRecord({ ...record('a'), ...overrides })).toBeUndefined();
  });

  it('drops damaged part entries (they are sent again) and keeps the good ones', () => {
    const good = [part(1), part(4)];
    const damaged = [
      null, 'part', 7, { ...part(2), md5: undefined }, { ...part(3), size: '102400' }, { ...part(5), partNumber: 5.5 },
      { ...part(6), etag: null }, { partNumber: 8 },
    ];
    const migrated = migrateRecord({ ...record('a'), parts: [good[0], ...damaged, good[1]] });
    expect(migrated).toBeDefined();
    expect(migrated!.parts).toEqual(good);
    expect(migrated!.uploadId).toBe('upload-a');
  });
});
