/**
 * Load (issue 7): eight uploads at once against one server process — three from each of two
 * Chromium browser contexts (each its own page with the SDK, one uploader per upload) and two from
 * the SDK in Node — with different sizes and part sizes (256 KiB … 8 MiB parts, 2 … 29 parts). All
 * complete, every stored object is read back in Node and compared by MD5 (and by its multipart
 * ETag), and the server's resident memory, sampled from /proc/<pid>/status during the run, grows by
 * at most 64 MiB over its warmed-up baseline: the server streams bodies to disk, it never buffers
 * a part, let alone an object. The eight run twice (new keys), so a leak would show as a second step.
 */
import { openAsBlob } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { createMemoryStore, createUploader, type UploadResult } from '../src/index.js';
import type { LoadConnection, LoadJob, LoadOutcome } from './fixtures/load-page/api.js';
import { expect, test } from './support/fixtures.js';
import type { PageServer } from './support/pages.js';
import { readRss, resetPeakRss, rootKeys, sampleRss, startServerProcess, type ServerProcess } from './support/server-process.js';
import { createTestFile, type TestFile } from './support/test-file.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The allowed growth of the server's RSS over its baseline while the eight uploads run. */
const maxGrowth = 64 * MiB;

type Who = 'context A' | 'context B' | 'node';
type Plan = { readonly who: Who; readonly name: string; readonly size: number; readonly partSize: number };

/** 116 MiB in all; part counts 2 … 29, last parts short and full. */
const plans: readonly Plan[] = [
  { who: 'context A', name: 'a1-12MiB-1MiB.bin', size: 12 * MiB, partSize: 1 * MiB },
  { who: 'context A', name: 'a2-20MiB-5MiB.bin', size: 20 * MiB, partSize: 5 * MiB },
  { who: 'context A', name: 'a3-9MiB-8MiB.bin', size: 9 * MiB, partSize: 8 * MiB },
  { who: 'context B', name: 'b1-16MiB-2MiB.bin', size: 16 * MiB + 12_345, partSize: 2 * MiB },
  { who: 'context B', name: 'b2-7MiB-256KiB.bin', size: 7 * MiB + 1, partSize: 256 * KiB },
  { who: 'context B', name: 'b3-24MiB-6MiB.bin', size: 24 * MiB, partSize: 6 * MiB },
  { who: 'node', name: 'n1-18MiB-3MiB.bin', size: 18 * MiB - 7, partSize: 3 * MiB },
  { who: 'node', name: 'n2-10MiB-512KiB.bin', size: 10 * MiB, partSize: 512 * KiB },
];

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '').toUpperCase();
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A browser context with the load page open and every file of `who` picked in its `#files`. */
async function openLoadPage(browser: Browser, pages: PageServer, files: ReadonlyMap<Plan, TestFile>, who: Who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pages.pageUrl('load-page'));
  await page.waitForFunction(() => window.loadPage !== undefined, undefined, { timeout: 30_000 });
  await page.locator('#files').setInputFiles([...files].filter(([plan]) => plan.who === who).map(([, file]) => file.path));
  return { context, page };
}

function runInPage(page: Page, connection: LoadConnection, jobs: readonly LoadJob[]): Promise<LoadOutcome[]> {
  return page.evaluate(({ connection, jobs }) => window.loadPage!.run(connection, jobs), { connection, jobs });
}

/** The same as the page does, with the SDK in this Node process (files through `fs.openAsBlob`). */
async function runInNode(server: ServerProcess, jobs: ReadonlyArray<LoadJob & { path: string }>): Promise<LoadOutcome[]> {
  return Promise.all(jobs.map(async (job): Promise<LoadOutcome> => {
    const file = await openAsBlob(job.path);
    const uploader = createUploader({
      endpoint: server.endpoint, bucket: 'demo', region: 'cn-hangzhou', pathStyle: true, credentials: rootKeys,
      partSize: job.partSize, store: createMemoryStore(),
    });
    let partsAcknowledged = 0;
    let lastPercent = 0;
    const startedAt = Date.now();
    const common = () => ({ key: job.key, fileSize: file.size, startedAt, finishedAt: Date.now(), partsAcknowledged, lastPercent });
    try {
      const result: UploadResult = await uploader.upload(file, job.key, {
        onProgress: (p) => { lastPercent = p.percent; },
        onPartComplete: () => { partsAcknowledged += 1; },
      });
      return { ...common(), ok: true, result };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return { ...common(), ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
    } finally {
      uploader.dispose();
    }
  }));
}

test('eight uploads at once from two browser contexts and Node: all verify, server memory stays flat', async ({ browser, pages }, testInfo) => {
  test.setTimeout(120_000);
  const server = await startServerProcess();
  const files = new Map<Plan, TestFile>();
  const contexts: Array<{ context: { close(): Promise<void> } }> = [];
  try {
    for (const [plan, file] of await Promise.all(plans.map(async (plan) => [plan, await createTestFile(plan.size, plan.name)] as const))) files.set(plan, file);
    const connection: LoadConnection = { endpoint: server.endpoint, bucket: 'demo', region: 'cn-hangzhou', ...rootKeys };
    const run = `load-${Date.now().toString(36)}`;
    const keyOf = (plan: Plan, round: number) => `${run}/round-${round}/${plan.who.replace(' ', '-')}/${plan.name}`;
    const planOf = (key: string) => plans.find((p) => key.endsWith(`/${p.who.replace(' ', '-')}/${p.name}`))!;
    const jobsOf = (who: Who, round: number) =>
      plans.filter((p) => p.who === who).map((p) => ({ fileName: p.name, key: keyOf(p, round), partSize: p.partSize, path: files.get(p)!.path }));

    const a = await openLoadPage(browser, pages, files, 'context A');
    contexts.push(a);
    const b = await openLoadPage(browser, pages, files, 'context B');
    contexts.push(b);

    // Warm-up: every code path of the server (PutObject, Initiate, UploadPart, Complete, GET) runs
    // once, so the baseline is a warmed-up server and not one still compiling its modules.
    const warm = createUploader({ endpoint: server.endpoint, bucket: 'demo', region: 'cn-hangzhou', pathStyle: true, credentials: rootKeys, partSize: 100 * KiB, store: createMemoryStore() });
    for (const size of [64 * KiB, 300 * KiB]) {
      const key = `${run}/warm-up-${size}.bin`;
      await warm.upload(new Blob([new Uint8Array(size).fill(7)]), key);
      expect((await server.objectMd5(key)).size).toBe(size);
    }
    warm.dispose();
    await sleep(500);
    const baselineSamples: number[] = [];
    for (let i = 0; i < 10; i++) {
      baselineSamples.push((await readRss(server.pid)).rss);
      await sleep(50);
    }
    const baseline = median(baselineSamples);
    const hwmReset = await resetPeakRss(server.pid);

    // All eight at once; then all eight again (new keys), so a leak would show as a second step up.
    const sampler = sampleRss(server.pid, 50);
    const rounds: Array<{ outcomes: LoadOutcome[]; started: number; elapsedMs: number; peak: number }> = [];
    for (const round of [1, 2]) {
      const started = Date.now();
      const results = await Promise.all([
        runInPage(a.page, connection, jobsOf('context A', round)),
        runInPage(b.page, connection, jobsOf('context B', round)),
        runInNode(server, jobsOf('node', round)),
      ]);
      const ended = Date.now();
      const during = sampler.samples.filter((sample) => sample.at >= started && sample.at <= ended).map((sample) => sample.rss);
      rounds.push({ outcomes: results.flat(), started, elapsedMs: ended - started, peak: Math.max(0, ...during) });
    }
    const memory = await sampler.stop();
    await sleep(300);
    const after = (await readRss(server.pid)).rss;
    const peak = hwmReset ? Math.max(memory.peak, memory.hwm) : memory.peak;

    const figures = {
      rounds: rounds.map(({ outcomes, started, elapsedMs, peak: roundPeak }) => ({
        elapsedMs,
        sampledPeak: mib(roundPeak),
        uploads: outcomes.map((o) => {
          const plan = planOf(o.key);
          return { who: plan.who, file: plan.name, size: o.fileSize, partSize: plan.partSize, ok: o.ok, ms: o.finishedAt - o.startedAt, startedAfterMs: o.startedAt - started };
        }),
      })),
      bytesPerRound: plans.reduce((sum, p) => sum + p.size, 0),
      serverRss: {
        baseline: mib(baseline), peak: mib(peak), afterRuns: mib(after), growth: mib(peak - baseline), limit: mib(maxGrowth),
        samples: memory.samples.length, peakFrom: hwmReset ? 'max(VmHWM after reset, sampled VmRSS)' : 'sampled VmRSS',
      },
    };
    console.log(`load: 2 rounds of 8 uploads (${mib(figures.bytesPerRound)} each) took ${rounds.map((r) => `${(r.elapsedMs / 1000).toFixed(1)} s`).join(' and ')}; ` +
      `server RSS baseline ${figures.serverRss.baseline}, peak ${figures.serverRss.peak} (+${figures.serverRss.growth}, limit +${figures.serverRss.limit}; ` +
      `round peaks ${rounds.map((r) => mib(r.peak)).join(', ')}), after ${figures.serverRss.afterRuns}, ${memory.samples.length} samples`);
    await testInfo.attach('load-figures.json', { body: JSON.stringify(figures, null, 2), contentType: 'application/json' });

    for (const [index, { outcomes }] of rounds.entries()) {
      const round = index + 1;
      // All complete…
      expect(outcomes).toHaveLength(8);
      for (const outcome of outcomes) {
        expect(outcome.ok, `round ${round}, ${outcome.key}: ${outcome.ok ? '' : `${outcome.error.name}: ${outcome.error.message}\n${outcome.error.stack ?? ''}`}`).toBe(true);
      }
      // …really at once: every upload started before the first one finished…
      expect(Math.max(...outcomes.map((o) => o.startedAt)), `round ${round}`).toBeLessThan(Math.min(...outcomes.map((o) => o.finishedAt)));
      // …and each stored object is its file: MD5 streamed back in Node, the multipart ETag of its own part size.
      for (const outcome of outcomes) {
        if (!outcome.ok) continue;
        const plan = planOf(outcome.key);
        const file = files.get(plan)!;
        const what = `round ${round}, ${plan.name}`;
        expect(outcome.result.size, what).toBe(plan.size);
        expect(outcome.partsAcknowledged, what).toBe(Math.ceil(plan.size / plan.partSize));
        expect(outcome.lastPercent, what).toBe(100);
        expect(unquote(outcome.result.etag), what).toBe(file.multipartEtag(plan.partSize));
        const stored = await server.objectMd5(outcome.key);
        expect(stored.size, what).toBe(plan.size);
        expect(stored.md5, `${what}: MD5 of the stored object`).toBe(file.md5Hex());
        expect(unquote(stored.etag), what).toBe(file.multipartEtag(plan.partSize));
      }
    }

    // The server's memory stayed flat.
    expect(peak - baseline, `server RSS growth (baseline ${mib(baseline)}, peak ${mib(peak)})`).toBeLessThanOrEqual(maxGrowth);
    expect(server.output()).not.toMatch(/\b(Error|TypeError|RangeError)\b.*\n\s+at /);
  } finally {
    for (const { context } of contexts) await context.close().catch(() => undefined);
    await server.stop();
    await Promise.all([...files.values()].map((file) => file.dispose()));
  }
});
