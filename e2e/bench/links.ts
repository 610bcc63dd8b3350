/**
 * `npm run bench -- --link <profile>` / `--links all` (issue 12): uploads on emulated slow and
 * distant links, every contender on the same link in ONE run, each in a fresh browser context whose
 * page gets the link through Chromium's `Network.emulateNetworkConditions` (per page; see
 * e2e/support/network.ts for the profiles):
 *   ceiling   one plain fetch PUT of the whole file to a presigned PutObject URL: the link's limit;
 *   sdk       oss-resumable with its defaults;
 *   ali       ali-oss `multipartUpload` with its defaults (1 MiB parts, 5 parallel, 60 s timeout);
 *   ali-8x4   ali-oss `multipartUpload` with 8 MiB parts, 4 parallel.
 * Per upload: link efficiency (the link's time for the bytes ÷ the wall time), time to the first
 * progress report with bytes, the longest wait for a progress report with more bytes, the bytes
 * sent again (request bytes the server received beyond the file), and the outcome. An upload that
 * does not finish within 3 × its link time + 60 s is stopped and reported so. `--runs N` repeats
 * every contender (order rotated per run); the targets use the median link efficiency.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchLinks, bytesForSeconds, emulateLink, linkEfficiency, linkProfile, type LinkProfile } from '../support/network.js';
import { launchChromium, startBenchPages } from './browser.js';
import { writeRandomFile } from './files.js';
import type { UploadMeasure } from './page/api.js';
import { accessKeyId, accessKeySecret, bucket, region, startServerChild, type ServerChild } from './server.js';

type ContenderId = 'ceiling' | 'sdk' | 'ali' | 'ali-8x4';
const contenders: ReadonlyArray<{ id: ContenderId; label: string; mode: 'raw' | 'sdk' | 'ali' }> = [
  { id: 'ceiling', label: 'link ceiling (one fetch PUT)', mode: 'raw' },
  { id: 'sdk', label: 'oss-resumable defaults', mode: 'sdk' },
  { id: 'ali', label: 'ali-oss defaults (1 MiB × 5)', mode: 'ali' },
  { id: 'ali-8x4', label: 'ali-oss 8 MiB × 4', mode: 'ali' },
];

/** One upload on one link. */
export type LinkMeasurement = {
  readonly link: string;
  readonly run: number;
  readonly contender: ContenderId;
  readonly bytes: number;
  readonly outcome: 'ok' | string;
  readonly elapsedMs: number | undefined;
  readonly efficiency: number | undefined;
  readonly firstProgressMs: number | undefined;
  readonly longestProgressGapMs: number | undefined;
  readonly bytesSentAgain: number;
};

const MiB = 1024 * 1024;
const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** First progress with bytes, and the longest wait for more bytes until the last one. */
function progressFigures(progress: UploadMeasure['progress']): { first: number | undefined; gap: number | undefined } {
  if (!progress) return { first: undefined, gap: undefined };
  const moving = progress.filter(([, bytes], i) => bytes > 0 && (i === 0 || bytes > progress[i - 1]![1]));
  if (moving.length === 0) return { first: undefined, gap: undefined };
  let gap = 0;
  for (let i = 1; i < moving.length; i++) gap = Math.max(gap, moving[i]![0] - moving[i - 1]![0]);
  return { first: moving[0]![0], gap };
}

async function measure(env: { server: ServerChild; chromium: Awaited<ReturnType<typeof launchChromium>>; pages: Awaited<ReturnType<typeof startBenchPages>> },
  link: LinkProfile, contender: (typeof contenders)[number], file: { path: string; size: number; md5: string }, seconds: number, run: number): Promise<LinkMeasurement> {
  const { server } = env;
  const key = `bench/link-${link.id}-${contender.id}-${randomBytes(4).toString('hex')}.bin`;
  const page = await env.chromium.open(env.pages.pageUrl(contender.mode), file.path);
  const logStart = (await server.log()).length;
  const limitMs = (3 * seconds + 60) * 1000;
  let outcome = 'ok';
  let result: UploadMeasure | undefined;
  try {
    await emulateLink((method, params) => page.send(method, params), link);
    const target = { endpoint: server.endpoint, bucket, region, accessKeyId, accessKeySecret, key };
    const ali = { ...target, region: `oss-${region}`, recordProgress: true };
    const call = (): Promise<UploadMeasure> => {
      switch (contender.id) {
        // The page sends the Content-Type it was signed with (a picked .bin File would carry its own).
        case 'ceiling': return page.call('put', { url: server.client.signatureUrl(key, { method: 'PUT', expires: 7200, 'Content-Type': 'application/octet-stream' }) });
        case 'sdk': return page.call('sdk', { ...target, recordProgress: true });
        case 'ali': return page.call('ali', ali);
        case 'ali-8x4': return page.call('ali', { ...ali, partSize: 8 * MiB, parallel: 4 });
      }
    };
    let timer: NodeJS.Timeout | undefined;
    result = await Promise.race([
      call(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not finish within ${limitMs / 1000} s`)), limitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const stored = await server.objectMd5(key);
    if (stored.md5 !== file.md5 || stored.size !== file.size) outcome = `stored object differs (${stored.size} bytes, MD5 ${stored.md5})`;
  } catch (error) {
    outcome = (error instanceof Error ? error.message : String(error)).replace(/^In the page: /, '').split('\n')[0]!.slice(0, 160);
  } finally {
    await page.close();
  }
  // Let requests cut by closing the page reach the log before it is read.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const received = (await server.log(logStart)).filter((e) => e.key === key && (e.op === 'UploadPart' || e.op === 'PutObject'));
  const bytesIn = received.reduce((sum, e) => sum + e.bytesIn, 0);
  await server.client.delete(key).catch(() => undefined);
  const { first, gap } = progressFigures(result?.progress);
  const ok = outcome === 'ok' && result !== undefined;
  return {
    link: link.id, run, contender: contender.id, bytes: file.size, outcome,
    elapsedMs: result ? Math.round(result.elapsedMs) : undefined,
    efficiency: ok ? round(linkEfficiency(link, file.size, result!.elapsedMs), 3) : undefined,
    firstProgressMs: first === undefined ? undefined : Math.round(first),
    longestProgressGapMs: gap === undefined ? undefined : Math.round(gap),
    bytesSentAgain: ok ? Math.max(0, bytesIn - file.size) : bytesIn,
  };
}

/** Markdown: one table row per upload, then the targets. */
function report(rows: readonly LinkMeasurement[], seconds: number, chromium: string): string {
  const s = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(1));
  const lines = [
    `Files worth ${seconds} s of link time · Chromium ${chromium} (headless), DevTools network emulation (upload rate + latency per request) · local OSS server`,
    '',
    '| Link | Contender | Run | Outcome | Link efficiency | Wall s | First progress s | Longest progress gap s | Bytes sent again |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const label = contenders.find((c) => c.id === r.contender)!.label;
    lines.push(`| ${r.link} | ${label} | ${r.run} | ${r.outcome} | ${r.efficiency?.toFixed(3) ?? '–'} | ${s(r.elapsedMs)} | ${s(r.firstProgressMs)} | ${s(r.longestProgressGapMs)} | ${r.bytesSentAgain} |`);
  }
  lines.push('', 'Targets, from the median link efficiency of each contender over the runs (an upload that failed counts as 0):', '',
    '| Link | oss-resumable ÷ ceiling (≥ 0.9) | oss-resumable ÷ best ali-oss that completed (≥ 1) |', '|---|---|---|');
  for (const link of [...new Set(rows.map((r) => r.link))]) {
    const of = (id: ContenderId) => {
      const mine = rows.filter((r) => r.link === link && r.contender === id);
      if (mine.length === 0 || mine.every((r) => r.efficiency === undefined)) return undefined;
      return median(mine.map((r) => r.efficiency ?? 0));
    };
    const sdk = of('sdk');
    const ceiling = of('ceiling');
    const alis = [of('ali'), of('ali-8x4')].filter((e): e is number => e !== undefined && e > 0);
    const vsCeiling = sdk !== undefined && ceiling !== undefined ? round(sdk / ceiling, 3) : undefined;
    const vsAli = sdk !== undefined && alis.length > 0 ? round(sdk / Math.max(...alis), 3) : undefined;
    const mark = (value: number | undefined, target: number) => (value === undefined ? 'n/a' : `${value.toFixed(3)} ${value >= target ? 'PASS' : 'MISS'}`);
    lines.push(`| ${link} | ${mark(vsCeiling, 0.9)} | ${alis.length === 0 ? 'no ali-oss run completed' : mark(vsAli, 1)} |`);
  }
  return lines.join('\n');
}

/** Runs the link benchmark for `linkIds` ('all' for every profile). */
export async function runLinkBench(options: { linkIds: readonly string[]; seconds: number; runs: number; only: readonly string[] | undefined; json: string | undefined }): Promise<void> {
  const links = options.linkIds.includes('all') ? benchLinks : options.linkIds.map(linkProfile);
  const chosen = options.only ? contenders.filter((c) => options.only!.includes(c.id)) : contenders;
  const tmp = await mkdtemp(join(tmpdir(), 'oss-resumable-link-bench-'));
  const server = await startServerChild({ dataDir: join(tmp, 'oss-data'), fsync: false });
  const pages = await startBenchPages();
  const chromium = await launchChromium();
  const rows: LinkMeasurement[] = [];
  try {
    for (const link of links) {
      const size = bytesForSeconds(link, options.seconds);
      const path = join(tmp, `${link.id}.bin`);
      const file = { path, size, md5: await writeRandomFile(path, size) };
      for (let run = 1; run <= options.runs; run++) {
        // Contender order rotates per run, so none always goes first on a fresh server and browser.
        const shift = (run - 1) % chosen.length;
        for (const contender of [...chosen.slice(shift), ...chosen.slice(0, shift)]) {
          const row = await measure({ server, chromium, pages }, link, contender, file, options.seconds, run);
          rows.push(row);
          log(`${link.id} · run ${run} · ${contender.id.padEnd(8)} ${row.outcome === 'ok' ? `efficiency ${row.efficiency}` : row.outcome} · wall ${row.elapsedMs} ms · first progress ${row.firstProgressMs ?? '–'} ms · longest gap ${row.longestProgressGapMs ?? '–'} ms · sent again ${row.bytesSentAgain} B`);
        }
      }
      await rm(path, { force: true });
    }
    console.log(report(rows, options.seconds, chromium.version));
    if (options.json) await writeFile(options.json, `${JSON.stringify({ date: new Date().toISOString(), seconds: options.seconds, runs: options.runs, chromium: chromium.version, rows }, null, 2)}\n`);
  } finally {
    await chromium.close();
    await pages.close();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
