/**
 * The IndexedDB checkpoint store (`src/persistence/idb-store.ts`) in real Chromium: no fake
 * IndexedDB. Each test gets a fresh browser context, hence empty storage.
 * The page (`e2e/fixtures/idb-store/`) exposes the store and raw IndexedDB helpers, so the checks
 * below look at the rows really written, not only at what the store reports.
 */
import type { Page } from '@playwright/test';
import type { JournalPart } from '../src/persistence/record.js';
import type { PageServer } from './support/pages.js';
import { expect, test } from './support/fixtures.js';

async function openStorePage(page: Page, pages: PageServer): Promise<void> {
  await page.goto(pages.pageUrl('idb-store'));
  await page.waitForFunction(() => window.idbStorePage !== undefined, undefined, { timeout: 30_000 });
}

/** The same helpers as the page's, for expected values on the Node side. */
function part(partNumber: number): JournalPart {
  const md5 = partNumber.toString(16).toUpperCase().padStart(32, '0');
  return { partNumber, etag: `"${md5}"`, size: 1024 * 1024, md5 };
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test.describe('IndexedDB checkpoint store', () => {
  test.beforeEach(async ({ page, pages }) => {
    await openStorePage(page, pages);
  });

  test('round-trips a record with its parts, ascending, and keeps the header intact across addPart', async ({ page }) => {
    const { created, afterAdd } = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      // Given out of order on purpose: the store must return them by part number.
      await store.create(t.makeRecord('rt', { parts: [t.makePart(3), t.makePart(1)] }));
      const created = await store.get('rt');
      await store.addPart('rt', t.makePart(2), 1_800_000_000_000);
      await store.addPart('rt', { ...t.makePart(3), etag: '"replaced"' }, 1_800_000_000_001);
      return { created, afterAdd: await store.get('rt') };
    });
    const header = {
      version: 1, id: 'rt', fingerprint: 'fp-rt', endpoint: 'http://127.0.0.1:9000', bucket: 'demo',
      key: 'uploads/rt.bin', uploadId: 'upload-rt', partSize: 1024 * 1024, fileSize: 10_000 * 1024 * 1024,
      fileName: 'rt.bin', lastModified: 1_700_000_000_000, contentType: 'application/octet-stream',
      createdAt: 1_700_000_000_000,
    };
    expect(created).toEqual({ ...header, updatedAt: 1_700_000_000_000, parts: [part(1), part(3)] });
    expect(afterAdd).toEqual({
      ...header, updatedAt: 1_800_000_000_001, parts: [part(1), part(2), { ...part(3), etag: '"replaced"' }],
    });
    expect(await page.evaluate(() => window.idbStorePage!.store().get('missing'))).toBeUndefined();

    // One row per part plus the header under [id, 0], in the store's own database and object store.
    const rows = await page.evaluate(() => window.idbStorePage!.rawRows('oss-resumable', 'journal'));
    expect(rows.map((row) => row.key)).toEqual([['rt', 0], ['rt', 1], ['rt', 2], ['rt', 3]]);
    expect(rows[0]?.value).not.toHaveProperty('parts');
  });

  test('100 concurrent addPart calls all land, also from two stores (connections) at once', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      // A second, independent store on the same database: nothing may be cached in JS.
      const other = t.createIndexedDbStore();
      await store.create(t.makeRecord('many'));
      await Promise.all(Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? other : store).addPart('many', t.makePart(i + 1), 1_700_000_000_000 + i + 1)));
      return store.get('many');
    });
    expect(result?.parts).toEqual(range(1, 100).map(part));
    // Transactions on one object store run in the order they were created: the last call's time wins.
    expect(result?.updatedAt).toBe(1_700_000_000_100);
  });

  test('concurrent addPart calls from two tabs of the same origin all land', async ({ page, context, pages }) => {
    await page.evaluate(() => window.idbStorePage!.store().create(window.idbStorePage!.makeRecord('tabs')));
    const second = await context.newPage();
    await openStorePage(second, pages);
    const addFrom = (target: Page, first: number) => target.evaluate(async (from) => {
      const t = window.idbStorePage!;
      await Promise.all(Array.from({ length: 50 }, (_, i) => t.store().addPart('tabs', t.makePart(from + i), Date.now())));
    }, first);
    await Promise.all([addFrom(page, 1), addFrom(second, 51)]);
    const parts = await page.evaluate(async () => (await window.idbStorePage!.store().get('tabs'))?.parts);
    expect(parts).toEqual(range(1, 100).map(part));
  });

  test('addPart after delete does not resurrect the record nor leave orphan rows', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      await store.create(t.makeRecord('gone', { parts: [t.makePart(1)] }));
      await store.delete('gone');
      await store.addPart('gone', t.makePart(2), Date.now());
      const afterDelete = await store.get('gone');
      // Parts finishing while the record is deleted (Complete done, or discard): calls issued after
      // the delete must be ignored, whatever landed before it goes with it.
      await store.create(t.makeRecord('racing'));
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => store.addPart('racing', t.makePart(i + 1), Date.now())),
        store.delete('racing'),
        ...Array.from({ length: 20 }, (_, i) => store.addPart('racing', t.makePart(i + 21), Date.now())),
      ]);
      // Never created at all.
      await store.addPart('never', t.makePart(1), Date.now());
      await store.delete('never-either');
      return { afterDelete, racing: await store.get('racing'), never: await store.get('never'), list: await store.list() };
    });
    expect(result.afterDelete).toBeUndefined();
    expect(result.racing).toBeUndefined();
    expect(result.never).toBeUndefined();
    expect(result.list).toEqual([]);
    expect(await page.evaluate(() => window.idbStorePage!.rawRows())).toEqual([]);
  });

  test('create replaces a previous record with the same id, parts included', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      await store.create(t.makeRecord('again', { uploadId: 'old', parts: [1, 2, 3, 4, 5].map(t.makePart) }));
      await store.addPart('again', t.makePart(6), Date.now());
      await store.create(t.makeRecord('again', { uploadId: 'new', parts: [t.makePart(1)] }));
      await store.addPart('again', t.makePart(2), Date.now());
      return store.get('again');
    });
    expect(result?.uploadId).toBe('new');
    expect(result?.parts).toEqual([part(1), part(2)]);
    const keys = (await page.evaluate(() => window.idbStorePage!.rawRows())).map((row) => row.key);
    expect(keys).toEqual([['again', 0], ['again', 1], ['again', 2]]);
  });

  test('refuses part number 0 (the header slot) and non-integers', async ({ page }) => {
    const errors = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      await store.create(t.makeRecord('bad'));
      const attempts = [
        store.addPart('bad', t.makePart(0), Date.now()),
        store.addPart('bad', { ...t.makePart(1), partNumber: 1.5 }, Date.now()),
        store.create(t.makeRecord('bad2', { parts: [t.makePart(-1)] })),
      ];
      const settled = await Promise.allSettled(attempts);
      return settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).name : 'fulfilled'));
    });
    expect(errors).toEqual(['RangeError', 'RangeError', 'RangeError']);
    const record = await page.evaluate(() => window.idbStorePage!.store().get('bad'));
    expect(record?.id).toBe('bad');
    expect(record?.parts).toEqual([]);
  });

  test('get and list ignore records of an unknown version and unreadable rows', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      await store.create(t.makeRecord('ok', { parts: [t.makePart(1)] }));
      // A record a future SDK version wrote, with a part of its own.
      await store.create({ ...t.makeRecord('future', { parts: [t.makePart(1)] }), version: 2 } as unknown as Parameters<typeof store.create>[0]);
      // Rows no version of the SDK writes: a bare header with no fields, a string key, parts with no header.
      await t.rawPut(['junk', 0], 'not an object');
      await t.rawPut('stray', { hello: 'world' });
      await t.rawPut(['orphan', 7], t.makePart(7));
      await t.rawPut(['no-fields', 0], { version: 1 });
      return {
        future: await store.get('future'),
        junk: await store.get('junk'),
        orphan: await store.get('orphan'),
        noFields: await store.get('no-fields'),
        listed: (await store.list()).map((record) => record.id),
        ok: await store.get('ok'),
      };
    });
    expect(result.future).toBeUndefined();
    expect(result.junk).toBeUndefined();
    expect(result.orphan).toBeUndefined();
    expect(result.noFields).toBeUndefined();
    expect(result.listed).toEqual(['ok']);
    expect(result.ok?.parts).toEqual([part(1)]);
  });

  test('list returns every record with its own parts, and ranges never overlap similar ids', async ({ page }) => {
    const listed = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      // 'up' is a prefix of 'up-2' and 'up\u0000': each record must stay inside [id, 0]..[id, Infinity].
      for (const [id, count] of [['up', 3], ['up-2', 1], ['up\u0000', 2], ['b', 0], ['a', 4]] as const) {
        await store.create(t.makeRecord(id, { parts: Array.from({ length: count }, (_, i) => t.makePart(i + 1)) }));
      }
      await store.addPart('up-2', t.makePart(9), Date.now());
      await store.delete('up');
      return (await store.list()).map((record) => ({ id: record.id, parts: record.parts.map((p) => p.partNumber) }));
    });
    expect(listed).toEqual([
      { id: 'a', parts: [1, 2, 3, 4] },
      { id: 'b', parts: [] },
      { id: 'up\u0000', parts: [1, 2] },
      { id: 'up-2', parts: [1, 9] },
    ]);
  });

  test('survives a reload and is visible from a new page in the same context; defaultStore is IndexedDB', async ({ page, context, pages }) => {
    await page.evaluate(async () => {
      const t = window.idbStorePage!;
      // Written through defaultStore(): in a browser it must be this same IndexedDB database.
      const store = t.defaultStore();
      await store.create(t.makeRecord('kept', { parts: [t.makePart(1)] }));
      await store.addPart('kept', t.makePart(2), 1_800_000_000_000);
    });
    await page.reload();
    await page.waitForFunction(() => window.idbStorePage !== undefined);
    const afterReload = await page.evaluate(() => window.idbStorePage!.store().get('kept'));
    expect(afterReload?.parts).toEqual([part(1), part(2)]);
    expect(afterReload?.updatedAt).toBe(1_800_000_000_000);

    const second = await context.newPage();
    await openStorePage(second, pages);
    const fromSecond = await second.evaluate(async () => (await window.idbStorePage!.defaultStore().list()));
    expect(fromSecond).toEqual([afterReload]);
    const databases = await second.evaluate(async () => (await indexedDB.databases()).map((db) => db.name));
    expect(databases).toEqual(['oss-resumable']);
  });

  test('stores with different database names are isolated', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const a = t.createIndexedDbStore({ dbName: 'oss-resumable-test-a' });
      const b = t.createIndexedDbStore({ dbName: 'oss-resumable-test-b', storeName: 'other' });
      await a.create(t.makeRecord('same', { uploadId: 'in-a', parts: [t.makePart(1)] }));
      await b.create(t.makeRecord('same', { uploadId: 'in-b' }));
      await b.addPart('same', t.makePart(2), Date.now());
      await a.delete('same');
      return {
        a: await a.get('same'),
        b: await b.get('same'),
        aList: await a.list(),
        defaultList: await t.store().list(),
        rawB: (await t.rawRows('oss-resumable-test-b', 'other')).map((row) => row.key),
      };
    });
    expect(result.a).toBeUndefined();
    expect(result.aList).toEqual([]);
    expect(result.defaultList).toEqual([]);
    expect(result.b?.uploadId).toBe('in-b');
    expect(result.b?.parts).toEqual([part(2)]);
    expect(result.rawB).toEqual([['same', 0], ['same', 2]]);
  });

  test('a 10,000-part record: addPart ×10,000 in concurrent batches, then get and list', async ({ page }, testInfo) => {
    test.setTimeout(300_000);
    const batchSize = 100;
    const timings = await page.evaluate(async (batch) => {
      const t = window.idbStorePage!;
      const store = t.store();
      await store.create(t.makeRecord('big'));
      // A few smaller records around it, so list() has to group rows, not just return one.
      for (const id of ['big-0', 'big-1', 'small']) await store.create(t.makeRecord(id, { parts: [t.makePart(1)] }));
      const batchMs: number[] = [];
      const started = performance.now();
      for (let first = 1; first <= 10_000; first += batch) {
        const batchStarted = performance.now();
        // An uploader with `batch` parts in flight: they finish (and journal) at the same time.
        await Promise.all(Array.from({ length: batch }, (_, i) =>
          store.addPart('big', t.makePart(first + i), Date.now())));
        batchMs.push(performance.now() - batchStarted);
      }
      const addPartMs = performance.now() - started;
      let mark = performance.now();
      const record = await store.get('big');
      const getMs = performance.now() - mark;
      mark = performance.now();
      const listed = await store.list();
      const listMs = performance.now() - mark;
      const numbers = record?.parts.map((p) => p.partNumber) ?? [];
      const tenth = batchMs.length / 10;
      const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
      return {
        addPartMs, getMs, listMs,
        firstThousandMs: sum(batchMs.slice(0, tenth)),
        lastThousandMs: sum(batchMs.slice(-tenth)),
        partCount: numbers.length,
        inOrder: numbers.every((n, i) => n === i + 1),
        lastPart: record?.parts.at(-1),
        listed: listed.map((r) => ({ id: r.id, parts: r.parts.length })),
      };
    }, batchSize);
    expect(timings.partCount).toBe(10_000);
    expect(timings.inOrder).toBe(true);
    expect(timings.lastPart).toEqual(part(10_000));
    expect(timings.listed).toEqual([
      { id: 'big', parts: 10_000 }, { id: 'big-0', parts: 1 }, { id: 'big-1', parts: 1 }, { id: 'small', parts: 1 },
    ]);
    // Reported, not asserted: timing depends on the machine.
    const report = {
      batchSize,
      'addPart ×10,000 (ms)': Math.round(timings.addPartMs),
      'addPart per part (ms)': Number((timings.addPartMs / 10_000).toFixed(3)),
      'first 1,000 addPart (ms)': Math.round(timings.firstThousandMs),
      'last 1,000 addPart (ms)': Math.round(timings.lastThousandMs),
      'get of 10,000 parts (ms)': Math.round(timings.getMs),
      'list of 4 records / 10,003 parts (ms)': Math.round(timings.listMs),
    };
    console.log('IndexedDB store, 10,000 parts:', JSON.stringify(report));
    await testInfo.attach('idb-store-10000-parts-timings.json', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
  });

  test('a FileSystemFileHandle stored in the header opens its file after get, list, addPart and a reload', async ({ page }) => {
    const before = await page.evaluate(async () => {
      const t = window.idbStorePage!;
      const store = t.store();
      const fileHandle = await t.opfsFile('x', 'resume me');
      await store.create(t.makeRecord('handle', { fileName: 'x', fileHandle, parts: [t.makePart(1)] }));
      // addPart rewrites the header (updatedAt): the handle must survive that too.
      await store.addPart('handle', t.makePart(2), Date.now());
      const got = await store.get('handle');
      const listed = (await store.list()).find((record) => record.id === 'handle');
      return {
        isHandle: got?.fileHandle instanceof FileSystemFileHandle,
        text: await (await got!.fileHandle!.getFile()).text(),
        sameEntry: await got!.fileHandle!.isSameEntry(fileHandle),
        listedText: await (await listed!.fileHandle!.getFile()).text(),
        parts: got?.parts.length,
      };
    });
    expect(before).toEqual({ isHandle: true, text: 'resume me', sameEntry: true, listedText: 'resume me', parts: 2 });

    await page.reload();
    await page.waitForFunction(() => window.idbStorePage !== undefined);
    const after = await page.evaluate(async () => {
      const record = await window.idbStorePage!.store().get('handle');
      const handle = record?.fileHandle;
      const root = await navigator.storage.getDirectory();
      return {
        isHandle: handle instanceof FileSystemFileHandle,
        name: handle?.name,
        text: handle ? await (await handle.getFile()).text() : undefined,
        sameEntry: handle ? await handle.isSameEntry(await root.getFileHandle('x')) : false,
      };
    });
    expect(after).toEqual({ isHandle: true, name: 'x', text: 'resume me', sameEntry: true });
  });
});
