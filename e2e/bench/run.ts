/**
 * `npm run bench`: throughput, main-thread time and memory of oss-resumable against raw fetch and
 * the official ali-oss browser SDK, side by side in ONE run (issue 6).
 *
 *   node --import tsx e2e/bench/run.ts [--size-mib 1024] [--runs 3] [--part-mib 8] [--concurrency 4]
 *     [--json out.json] [--memory-sizes 1024,4096] [--skip-memory] [--skip-reconcile]
 *     [--fsync] [--workers N] [--only raw,md5,nomd5,ali,ali-same] [--profile DIR] [--trace DIR] [--reconcile-parts 10000]
 *     [--calm-wait SECONDS] [--server-nice N] [--playwright-pages] [--sdk-src DIR] [--server-root DIR]
 *
 * What happens: a random file is written to a temporary directory (streamed), the local OSS server
 * starts as a child process on a free port, Chromium starts, and for each run every contender
 * uploads the file picked through the page's `<input type=file>`, in an order rotated per run
 * (run 1: A B C D E, run 2: B C D E A, …), each in a fresh browser context (its own renderer):
 *   raw      plain fetch PUTs of `file.slice()`s to UploadPart URLs presigned in Node (Initiate and
 *            Complete in Node with ali-oss): no hashing, no SDK — the limit of this machine;
 *   md5      oss-resumable with `--part-mib` parts and up to `--concurrency` in flight (Content-MD5 on,
 *            hashed in Web Workers, IndexedDB journal; the rest its defaults);
 *   nomd5    oss-resumable with `contentMd5: false`;
 *   ali      ali-oss `multipartUpload` with its defaults (1 MiB parts, 5 parallel);
 *   ali-same ali-oss `multipartUpload` with our part size and parallelism.
 * Every stored object is streamed back in Node and its MD5 compared with the file's: any mismatch or
 * failed upload makes the bench exit 1. Missed targets are reported (MISS) but exit 0.
 *
 * Measured per upload: MiB/s; `longtask` entries and a 10 ms heartbeat's longest gap in the page;
 * the renderer's peak RSS (/proc/PID/status, sampled every 100 ms and VmHWM after `clear_refs`) and
 * peak JS heap (CDP Performance.getMetrics); the server child's peak RSS; CPU seconds per process
 * and thread (/proc/PID/task/*). Then a 10,000-part resume reconciliation in the page, and the peak
 * renderer memory of a 1 GiB vs a 4 GiB upload with the SDK defaults.
 *
 * Choices:
 * - The pages are driven over a plain CDP session, not as Playwright pages (browser.ts says why:
 *   Playwright's network instrumentation ships every ArrayBuffer request body over the protocol,
 *   which cuts ali-oss to ~12 MiB/s while Blob bodies are unaffected). `--playwright-pages` shows it.
 * - The server runs without fsync: fsync is a property of the server's disk, and it does not cost
 *   every contender the same (measured once, 1 GiB: raw −16 %, MD5 on −10 %, MD5 off −5 %).
 *   `--fsync` turns it on.
 * - The server shares the 2 cores with Chromium, as nothing else would on a user's machine; its
 *   CPU is reported separately, and `--server-nice 19` makes it yield to the browser.
 * - Other processes on the machine disturb everything: each upload reports the CPU the rest of the
 *   machine used meanwhile ("other load"), and `--calm-wait S` waits for a calm moment first.
 *
 * Profiling: `--profile DIR` writes a CPU profile of the page's main thread per upload (CDP
 * Profiler) and of the server (`--cpu-prof`); `--trace DIR` writes a Chromium trace per upload and
 * lists each long main-thread task with the CPU time the thread really got (see trace-tasks.ts);
 * the CPU table (per process and thread, from /proc) says which thread was busy.
 */
import { randomBytes, createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { cpus, release, setPriority, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchPage } from './browser.js';
import { launchChromium, startBenchPages } from './browser.js';
import { writeRandomFile } from './files.js';
import { runLinkBench } from './links.js';
import { memoryOf, resetPeak, startSampler, systemCpu, trackCpu, type CpuSnapshot } from './proc.js';
import { accessKeyId, accessKeySecret, bucket, region, startServerChild, type ServerChild } from './server.js';
import type { ReconcileTiming, UploadMeasure } from './page/api.js';
import { longTasksInTrace, type TraceTask } from './trace-tasks.js';

const MiB = 1024 * 1024;

// ---- options -----------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    // 3 for the loopback benchmark, 1 for `--link` (set below: the defaults differ by mode).
    runs: { type: 'string' },
    'part-mib': { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '4' },
    json: { type: 'string' },
    'memory-sizes': { type: 'string', default: '1024,4096' },
    'skip-memory': { type: 'boolean', default: false },
    'skip-reconcile': { type: 'boolean', default: false },
    'reconcile-parts': { type: 'string', default: '10000' },
    fsync: { type: 'boolean', default: false },
    workers: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'string' },
    trace: { type: 'string' },
    'playwright-pages': { type: 'boolean', default: false },
    'calm-wait': { type: 'string', default: '0' },
    'server-nice': { type: 'string', default: '0' },
    // Profiling experiments: run the SDK / the server from another copy of the repository.
    'sdk-src': { type: 'string' },
    'server-root': { type: 'string' },
    // Emulated links (links.ts): `--link 1mbit-300ms` (repeatable) or `--links all`.
    link: { type: 'string', multiple: true },
    links: { type: 'string' },
    seconds: { type: 'string', default: '40' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (flags.help) {
  console.log(`Usage: npm run bench -- [--size-mib 1024] [--runs 3] [--part-mib 8] [--concurrency 4] [--json FILE]
  [--memory-sizes 1024,4096] [--skip-memory] [--skip-reconcile] [--reconcile-parts 10000]
  [--fsync] [--workers N] [--only raw,md5,nomd5,ali,ali-same] [--profile DIR] [--trace DIR]
  [--calm-wait SECONDS]                 (before each upload, wait up to this long for the machine to be idle)
  [--server-nice N]                     (run the OSS server at nice N, e.g. 19: as if it were on another machine)
  [--playwright-pages]                  (pages managed by Playwright, as in the e2e tests: its network
                                         instrumentation slows Buffer/ArrayBuffer bodies, i.e. ali-oss)
  [--sdk-src DIR] [--server-root DIR]   (experiments: the SDK's src/ or the server from another copy)

Emulated slow and distant links (links.ts) instead:
  --link <id> (repeatable) | --links all|<id,id>   profiles: 256kbit-400ms, 1mbit-300ms, 4mbit-150ms, 20mbit-40ms, 100mbit-20ms
  [--seconds 40]                        (file size: this much of the link's time)
  [--runs 1]                            (repeats; the targets use medians)
  [--only ceiling,sdk,ali,ali-8x4] [--json FILE]`);
  process.exit(0);
}

function positiveInt(name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got ${value}`);
    process.exit(2);
  }
  return n;
}

const sizeMib = positiveInt('size-mib', flags['size-mib']);
const runs = positiveInt('runs', flags.runs ?? '3', 0); // 0: only the reconcile and memory parts
const partMib = positiveInt('part-mib', flags['part-mib']);
const concurrency = positiveInt('concurrency', flags.concurrency);
const reconcileParts = positiveInt('reconcile-parts', flags['reconcile-parts']);
const workers = flags.workers === undefined ? undefined : positiveInt('workers', flags.workers);
const memorySizes = flags['skip-memory'] ? [] : (flags['memory-sizes'] ?? '').split(',').filter(Boolean).map((v) => positiveInt('memory-sizes', v));
const partSize = partMib * MiB;
const calmWaitSeconds = positiveInt('calm-wait', flags['calm-wait'], 0);
const serverNice = positiveInt('server-nice', flags['server-nice'], 0);

type ContenderId = 'raw' | 'md5' | 'nomd5' | 'ali' | 'ali-same';
type Contender = { readonly id: ContenderId; readonly label: string; readonly mode: 'raw' | 'sdk' | 'ali' };
const allContenders: readonly Contender[] = [
  { id: 'raw', label: '1 · raw fetch PUTs (limit)', mode: 'raw' },
  { id: 'md5', label: `2 · oss-resumable, Content-MD5 on (${partMib} MiB parts, ≤ ${concurrency} in flight)`, mode: 'sdk' },
  { id: 'nomd5', label: '3 · oss-resumable `contentMd5: false`', mode: 'sdk' },
  { id: 'ali', label: '4a · ali-oss multipartUpload, defaults (1 MiB × 5)', mode: 'ali' },
  { id: 'ali-same', label: `4b · ali-oss multipartUpload, ${partMib} MiB × ${concurrency}`, mode: 'ali' },
];
const only = flags.only?.split(',').map((s) => s.trim());
const linkIds = [...(flags.link ?? []), ...(flags.links?.split(',').map((s) => s.trim()) ?? [])];
const unknown = linkIds.length > 0 ? [] : only?.filter((id) => !allContenders.some((c) => c.id === id)) ?? [];
if (unknown.length > 0) {
  console.error(`--only: unknown contender(s) ${unknown.join(', ')}; known: ${allContenders.map((c) => c.id).join(', ')}`);
  process.exit(2);
}
const contenders = only ? allContenders.filter((c) => only.includes(c.id)) : allContenders;

// ---- measurement -------------------------------------------------------------------------------

type CpuReport = Record<string, CpuSnapshot>;

/** One upload, as measured. */
type Measurement = {
  readonly contender: ContenderId;
  readonly run: number;
  readonly position: number;
  readonly sizeBytes: number;
  readonly elapsedMs: number;
  readonly mibPerSecond: number;
  readonly longTaskMaxMs: number;
  readonly longTaskTotalMs: number;
  readonly longTaskCount: number;
  readonly heartbeatMaxGapMs: number;
  readonly renderer: { pid: number; baselineRssMiB: number; peakRssMiB: number; baselineJsHeapMiB: number; peakJsHeapMiB: number; hwmReset: boolean };
  readonly server: { baselineRssMiB: number; peakRssMiB: number };
  readonly cpuSeconds: CpuReport;
  readonly requests: Record<string, number>;
  readonly hashWorkers?: number;
  readonly verified: { md5: string; size: number };
  /** With `--trace`: the long main-thread tasks, wall vs the CPU time the thread got. */
  readonly traceTasks?: readonly TraceTask[];
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const toMiB = (bytes: number) => round(bytes / MiB, 1);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type Env = {
  readonly server: ServerChild;
  readonly chromium: Awaited<ReturnType<typeof launchChromium>>;
  readonly pages: Awaited<ReturnType<typeof startBenchPages>>;
  readonly profileDir: string | undefined;
  readonly traceDir: string | undefined;
};

const connection = (server: ServerChild) => ({ endpoint: server.endpoint, bucket, region, accessKeyId, accessKeySecret });

/**
 * On a shared machine, waits (up to `--calm-wait` seconds) until other processes use less than 10 %
 * of the CPU over one second, so an upload does not start in the middle of someone else's burst.
 * Whatever still happens during the upload is reported as "other load".
 */
async function waitForCalm(): Promise<void> {
  const deadline = Date.now() + calmWaitSeconds * 1000;
  while (Date.now() < deadline) {
    const before = systemCpu().busy;
    const mine = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const spent = process.cpuUsage(mine);
    const own = (spent.user + spent.system) / 1e6;
    if ((systemCpu().busy - before - own) / cpus().length < 0.1) return;
  }
}

/** Runs one contender's upload of `file` in a fresh page and measures it. */
async function measureUpload(env: Env, contender: Contender, file: { path: string; size: number; md5: string }, run: number, position: number,
  sdkOverrides: { workers?: number | undefined } = {}): Promise<Measurement> {
  const { server, chromium, pages } = env;
  const key = `bench/${contender.id}-run${run}-${randomBytes(4).toString('hex')}.bin`;
  const bench: BenchPage = await chromium.open(pages.pageUrl(contender.mode), file.path, flags['playwright-pages']);
  try {
    // Node-side preparation of the raw contender (not timed: it is the app's backend's work).
    let rawUpload: { uploadId: string; urls: string[] } | undefined;
    if (contender.id === 'raw') {
      const { uploadId } = await server.client.initMultipartUpload(key);
      const urls: string[] = [];
      for (let n = 1; n <= Math.ceil(file.size / partSize); n++) {
        urls.push(server.client.signatureUrl(key, { method: 'PUT', expires: 7200, subResource: { partNumber: n, uploadId } }));
      }
      rawUpload = { uploadId, urls };
    }
    const logBefore = (await server.log()).length;
    // Settle, then take baselines.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await waitForCalm();
    const renderer = bench.rendererPid;
    const hwmReset = resetPeak(renderer);
    resetPeak(server.pid);
    const rendererBase = memoryOf(renderer)?.rss ?? NaN;
    const serverBase = memoryOf(server.pid)?.rss ?? NaN;
    const heapBase = await bench.jsHeapUsed();
    const pids: Record<string, number> = { renderer, server: server.pid, ...bench.otherPids, bench: process.pid };
    const cpu = trackCpu(pids);
    const rssSampler = startSampler(() => memoryOf(renderer)?.rss);
    const heapSampler = startSampler(() => bench.jsHeapUsed());
    const serverSampler = startSampler(() => memoryOf(server.pid)?.rss);
    if (env.profileDir) {
      await bench.send('Profiler.enable');
      await bench.send('Profiler.setSamplingInterval', { interval: 500 });
      await bench.send('Profiler.start');
    }
    const tracePath = env.traceDir ? join(env.traceDir, `trace-${contender.id}-run${run}.json`) : undefined;
    if (tracePath) {
      await chromium.browser.startTracing(undefined, {
        path: tracePath, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'toplevel'],
      });
    }
    let outcome: UploadMeasure;
    let cpuSeconds: CpuReport;
    let peaks: { rss: number; heap: number; server: number };
    try {
      const conn = connection(server);
      const pool = sdkOverrides.workers ?? workers;
      const sdk = { ...conn, key, partSize, concurrency, ...(pool === undefined ? {} : { workers: pool }) };
      const ali = { ...conn, region: `oss-${conn.region}`, key, timeout: 600_000 };
      switch (contender.id) {
        case 'raw': outcome = await bench.call<UploadMeasure>('raw', { urls: rawUpload!.urls, partSize, concurrency }); break;
        case 'md5': outcome = await bench.call<UploadMeasure>('sdk', sdk); break;
        case 'nomd5': outcome = await bench.call<UploadMeasure>('sdk', { ...sdk, contentMd5: false }); break;
        case 'ali': outcome = await bench.call<UploadMeasure>('ali', ali); break;
        case 'ali-same': outcome = await bench.call<UploadMeasure>('ali', { ...ali, partSize, parallel: concurrency }); break;
      }
    } finally {
      cpuSeconds = cpu.stop();
      peaks = { rss: (await rssSampler.stop()).peak, heap: (await heapSampler.stop()).peak, server: (await serverSampler.stop()).peak };
      if (tracePath) await chromium.browser.stopTracing();
      if (env.profileDir) {
        const { profile } = await bench.send<{ profile: unknown }>('Profiler.stop');
        await writeFile(join(env.profileDir, `page-${contender.id}-run${run}.cpuprofile`), JSON.stringify(profile));
      }
    }
    const traceTasks = tracePath ? await longTasksInTrace(tracePath, 50, renderer) : undefined;
    const rendererHwm = hwmReset ? (memoryOf(renderer)?.hwm ?? 0) : 0;
    const serverHwm = memoryOf(server.pid)?.hwm ?? 0;
    if (rawUpload) {
      const parts = outcome.etags!.map((etag, index) => ({ number: index + 1, etag }));
      await server.client.completeMultipartUpload(key, rawUpload.uploadId, parts);
    }
    const entries = (await server.log(logBefore)).filter((e) => e.key === key);
    const requests: Record<string, number> = {};
    for (const entry of entries) {
      const name = entry.status < 300 ? entry.op : `${entry.op} ${entry.status}`;
      requests[name] = (requests[name] ?? 0) + 1;
    }
    const stored = await server.objectMd5(key);
    if (stored.md5 !== file.md5 || stored.size !== file.size) {
      throw new Error(`${contender.id}: the stored object ${key} is ${stored.size} bytes with MD5 ${stored.md5}; the file is ${file.size} bytes with MD5 ${file.md5}`);
    }
    await server.client.delete(key);
    return {
      contender: contender.id, run, position, sizeBytes: file.size, elapsedMs: round(outcome.elapsedMs, 0),
      mibPerSecond: round(file.size / MiB / (outcome.elapsedMs / 1000), 1),
      longTaskMaxMs: round(outcome.probe.longTasks.maxMs, 0), longTaskTotalMs: round(outcome.probe.longTasks.totalMs, 0),
      longTaskCount: outcome.probe.longTasks.count, heartbeatMaxGapMs: round(outcome.probe.heartbeat.maxGapMs, 0),
      renderer: {
        pid: renderer, baselineRssMiB: toMiB(rendererBase), peakRssMiB: toMiB(Math.max(peaks.rss, rendererHwm)),
        baselineJsHeapMiB: toMiB(heapBase), peakJsHeapMiB: toMiB(peaks.heap), hwmReset,
      },
      server: { baselineRssMiB: toMiB(serverBase), peakRssMiB: toMiB(Math.max(peaks.server, serverHwm)) },
      cpuSeconds, requests,
      ...(outcome.workers === undefined ? {} : { hashWorkers: outcome.workers }),
      verified: stored,
      ...(traceTasks ? { traceTasks } : {}),
    };
  } finally {
    await bench.close();
  }
}

// ---- 10,000-part reconciliation ------------------------------------------------------------------

type ReconcileReport = {
  readonly parts: number;
  readonly seedSeconds: number;
  readonly cold: ReconcileTiming;
  readonly warmMedian: { journalReadMs: number; listMs: number; reconcileMs: number };
  readonly all: readonly ReconcileTiming[];
};

async function measureReconcile(env: Env, parts: number): Promise<ReconcileReport> {
  const { server } = env;
  const key = `bench/reconcile-${randomBytes(4).toString('hex')}.bin`;
  const seedStart = performance.now();
  const { uploadId } = await server.client.initMultipartUpload(key);
  const md5s: string[] = [];
  let next = 1;
  // Raw presigned PUTs of one byte each, 32 at a time (the server does not enforce minimum part
  // sizes before Complete, as OSS does not).
  const lane = async () => {
    while (next <= parts) {
      const partNumber = next++;
      const byte = Buffer.from([partNumber % 251]);
      md5s[partNumber - 1] = createHash('md5').update(byte).digest('hex').toUpperCase();
      const url = server.client.signatureUrl(key, { method: 'PUT', expires: 3600, subResource: { partNumber, uploadId } });
      const response = await fetch(url, { method: 'PUT', body: byte });
      if (!response.ok) throw new Error(`Seeding part ${partNumber} answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 32 }, lane));
  const seedSeconds = round((performance.now() - seedStart) / 1000, 1);
  const bench = await env.chromium.open(env.pages.pageUrl('reconcile'), undefined, flags['playwright-pages']);
  try {
    const all = await bench.call<ReconcileTiming[]>('reconcile', { ...connection(server), key, uploadId, md5s, repeats: 5 });
    for (const timing of all) {
      if (timing.listedParts !== parts || timing.trustedParts !== parts) {
        throw new Error(`Reconcile: listed ${timing.listedParts} and trusted ${timing.trustedParts} of ${parts} parts`);
      }
    }
    const warm = all.slice(1);
    const pick = (field: 'journalReadMs' | 'listMs' | 'reconcileMs') => round(median(warm.map((t) => t[field])), 1);
    const roundTiming = (t: ReconcileTiming): ReconcileTiming => ({ ...t, journalReadMs: round(t.journalReadMs), listMs: round(t.listMs), reconcileMs: round(t.reconcileMs) });
    return { parts, seedSeconds, cold: roundTiming(all[0]!), warmMedian: { journalReadMs: pick('journalReadMs'), listMs: pick('listMs'), reconcileMs: pick('reconcileMs') }, all: all.map(roundTiming) };
  } finally {
    await bench.close();
    await server.client.abortMultipartUpload(key, uploadId).catch(() => undefined);
  }
}

// ---- report ------------------------------------------------------------------------------------

type Summary = {
  readonly contender: ContenderId;
  readonly label: string;
  readonly runs: number;
  readonly mibPerSecond: { median: number; min: number; max: number };
  /** Contender median / raw median of this invocation; and the per-run ratios' range. */
  readonly ratioToRaw: { ofMedians: number; perRunMin: number; perRunMax: number } | undefined;
  readonly longTaskMaxMs: number;
  readonly longTaskTotalMs: { median: number; max: number };
  readonly heartbeatMaxGapMs: number;
  readonly rendererPeakRssMiB: number;
  readonly rendererPeakDeltaMiB: number;
  readonly jsHeapPeakMiB: number;
  readonly serverPeakRssMiB: number;
  readonly cpuSecondsPerGiB: Record<string, number>;
  /** Largest share of the machine's CPU capacity used by anything but this benchmark during one of the uploads. */
  readonly otherLoadMax: number;
};

/** Share of the machine's CPU capacity that something other than this benchmark used during an upload. */
function otherLoad(m: Measurement): number {
  const machine = m.cpuSeconds['(machine)'];
  return machine ? round(machine.total / (machine.threads['capacity'] ?? Infinity), 2) : 0;
}

function summarize(measurements: readonly Measurement[]): Summary[] {
  const rawRuns = new Map(measurements.filter((m) => m.contender === 'raw').map((m) => [m.run, m.mibPerSecond]));
  const rawMedian = rawRuns.size > 0 ? median([...rawRuns.values()]) : undefined;
  return contenders.flatMap((contender) => {
    const mine = measurements.filter((m) => m.contender === contender.id);
    if (mine.length === 0) return [];
    const speeds = mine.map((m) => m.mibPerSecond);
    const perRun = mine.flatMap((m) => (rawRuns.has(m.run) ? [m.mibPerSecond / rawRuns.get(m.run)!] : []));
    const gib = mine.reduce((s, m) => s + m.sizeBytes, 0) / 1024 ** 3;
    const cpu: Record<string, number> = {};
    for (const m of mine) {
      for (const [process, snapshot] of Object.entries(m.cpuSeconds)) {
        if (process === 'renderer') {
          const main = snapshot.threads['chromium'] ?? 0; // the renderer's main thread keeps the process name
          const workersCpu = Object.entries(snapshot.threads).filter(([name]) => /worker/i.test(name)).reduce((s, [, v]) => s + v, 0);
          cpu['renderer main'] = (cpu['renderer main'] ?? 0) + main;
          cpu['renderer workers'] = (cpu['renderer workers'] ?? 0) + workersCpu;
          cpu['renderer other'] = (cpu['renderer other'] ?? 0) + Math.max(0, snapshot.total - main - workersCpu);
        } else {
          cpu[process] = (cpu[process] ?? 0) + snapshot.total;
        }
      }
    }
    return [{
      contender: contender.id, label: contender.label, runs: mine.length,
      mibPerSecond: { median: round(median(speeds)), min: Math.min(...speeds), max: Math.max(...speeds) },
      ratioToRaw: rawMedian === undefined || perRun.length === 0 ? undefined : {
        ofMedians: round(median(speeds) / rawMedian, 2), perRunMin: round(Math.min(...perRun), 2), perRunMax: round(Math.max(...perRun), 2),
      },
      longTaskMaxMs: Math.max(...mine.map((m) => m.longTaskMaxMs)),
      longTaskTotalMs: { median: median(mine.map((m) => m.longTaskTotalMs)), max: Math.max(...mine.map((m) => m.longTaskTotalMs)) },
      heartbeatMaxGapMs: Math.max(...mine.map((m) => m.heartbeatMaxGapMs)),
      rendererPeakRssMiB: Math.max(...mine.map((m) => m.renderer.peakRssMiB)),
      rendererPeakDeltaMiB: round(Math.max(...mine.map((m) => m.renderer.peakRssMiB - m.renderer.baselineRssMiB))),
      jsHeapPeakMiB: Math.max(...mine.map((m) => m.renderer.peakJsHeapMiB)),
      serverPeakRssMiB: Math.max(...mine.map((m) => m.server.peakRssMiB)),
      cpuSecondsPerGiB: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, round(v / gib, 2)])),
      otherLoadMax: Math.max(...mine.map(otherLoad)),
    }];
  });
}

type MemoryReport = Array<{ sizeMiB: number; mibPerSecond: number; rendererPeakRssMiB: number; rendererBaselineRssMiB: number; jsHeapPeakMiB: number; longTaskMaxMs: number; heartbeatMaxGapMs: number; serverPeakRssMiB: number }>;

type Target = { readonly name: string; readonly pass: boolean | undefined; readonly detail: string };

function targets(summaries: readonly Summary[], memory: MemoryReport, reconcile: ReconcileReport | undefined, measurements: readonly Measurement[]): Target[] {
  const by = (id: ContenderId) => summaries.find((s) => s.contender === id);
  const out: Target[] = [];
  const md5 = by('md5');
  const nomd5 = by('nomd5');
  const raw = by('raw');
  if (md5?.ratioToRaw) out.push({ name: 'Content-MD5 on ≥ 0.5 × raw', pass: md5.ratioToRaw.ofMedians >= 0.5, detail: `${md5.ratioToRaw.ofMedians} × (${md5.mibPerSecond.median} vs ${raw!.mibPerSecond.median} MiB/s; per run ${md5.ratioToRaw.perRunMin}–${md5.ratioToRaw.perRunMax})` });
  const alis = [by('ali'), by('ali-same')].filter((s): s is Summary => s !== undefined);
  if (md5 && alis.length > 0) {
    const best = alis.reduce((a, b) => (a.mibPerSecond.median >= b.mibPerSecond.median ? a : b));
    const ratio = round(md5.mibPerSecond.median / best.mibPerSecond.median, 1);
    const each = alis.map((a) => `${round(md5.mibPerSecond.median / a.mibPerSecond.median, 1)} × ${a.contender} (${a.mibPerSecond.median} MiB/s)`).join(', ');
    out.push({ name: 'Content-MD5 on ≥ 8 × ali-oss (its faster variant)', pass: ratio >= 8, detail: each });
  }
  if (nomd5?.ratioToRaw) out.push({ name: 'Content-MD5 off ≥ 0.85 × raw', pass: nomd5.ratioToRaw.ofMedians >= 0.85, detail: `${nomd5.ratioToRaw.ofMedians} × (${nomd5.mibPerSecond.median} vs ${raw!.mibPerSecond.median} MiB/s; per run ${nomd5.ratioToRaw.perRunMin}–${nomd5.ratioToRaw.perRunMax})` });
  const sdkUploads = measurements.filter((m) => m.contender === 'md5' || m.contender === 'nomd5');
  if (sdkUploads.length > 0 || memory.length > 0) {
    const longest = Math.max(0, ...sdkUploads.map((m) => m.longTaskMaxMs), ...memory.map((m) => m.longTaskMaxMs));
    const gap = Math.max(0, ...sdkUploads.map((m) => m.heartbeatMaxGapMs), ...memory.map((m) => m.heartbeatMaxGapMs));
    out.push({
      name: 'Longest main-thread task ≤ 50 ms (oss-resumable uploads)', pass: longest <= 50,
      detail: `${longest === 0 ? 'no long task (none ≥ 50 ms)' : `${longest} ms`}; 10 ms heartbeat's longest gap ${gap} ms`,
    });
  }
  if (memory.length >= 2) {
    const small = memory[0]!;
    const large = memory[memory.length - 1]!;
    const growth = (large.rendererPeakRssMiB - small.rendererPeakRssMiB) / small.rendererPeakRssMiB;
    out.push({
      name: `Peak renderer memory ${large.sizeMiB} MiB within 10 % of ${small.sizeMiB} MiB`, pass: growth <= 0.1,
      detail: `RSS ${large.rendererPeakRssMiB} vs ${small.rendererPeakRssMiB} MiB (${growth >= 0 ? '+' : ''}${round(growth * 100)} %); JS heap ${large.jsHeapPeakMiB} vs ${small.jsHeapPeakMiB} MiB`,
    });
  }
  if (reconcile) {
    const cold = reconcile.cold.listMs + reconcile.cold.reconcileMs;
    const warm = reconcile.warmMedian.listMs + reconcile.warmMedian.reconcileMs;
    out.push({
      name: `${reconcile.parts.toLocaleString('en')}-part reconcile ≤ 300 ms (cold: first in a fresh page)`, pass: cold <= 300,
      detail: `cold ${round(cold)} ms (ListParts ×${Math.ceil(reconcile.parts / 1000)} ${reconcile.cold.listMs} + compare ${reconcile.cold.reconcileMs}); warm median ${round(warm)} ms; journal read from IndexedDB ${reconcile.cold.journalReadMs} ms cold / ${reconcile.warmMedian.journalReadMs} warm`,
    });
  }
  return out;
}

function markdown(summaries: readonly Summary[], memory: MemoryReport, reconcile: ReconcileReport | undefined, goals: readonly Target[], machine: Record<string, string>): string {
  const lines: string[] = [];
  lines.push(`Machine: ${machine['cpu']} · ${machine['cores']} cores · ${machine['memory']} · Linux ${machine['kernel']} · Node ${machine['node']} · Chromium ${machine['chromium']} (headless) · server fsync ${machine['fsync']}`);
  lines.push(`File: ${machine['file']} · ${machine['parts']} · ${runs} run(s), contender order rotated per run, each upload in a fresh renderer${machine['variant'] ? ` · EXPERIMENT: ${machine['variant']}` : ''}`);
  lines.push('');
  lines.push('| Contender | MiB/s median (min–max) | × raw | Longest task ms | Long-task total ms (median) | Heartbeat max gap ms | Renderer peak RSS MiB (Δ) | JS heap peak MiB | Server peak RSS MiB |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const s of summaries) {
    const ratio = s.ratioToRaw ? `${s.ratioToRaw.ofMedians.toFixed(2)}` : '–';
    lines.push(`| ${s.label} | ${s.mibPerSecond.median.toFixed(1)} (${s.mibPerSecond.min.toFixed(1)}–${s.mibPerSecond.max.toFixed(1)}) | ${ratio} | ${s.longTaskMaxMs === 0 ? '< 50' : s.longTaskMaxMs} | ${s.longTaskTotalMs.median} | ${s.heartbeatMaxGapMs} | ${s.rendererPeakRssMiB} (+${s.rendererPeakDeltaMiB}) | ${s.jsHeapPeakMiB} | ${s.serverPeakRssMiB} |`);
  }
  lines.push('');
  lines.push('CPU seconds per GiB uploaded (from /proc; "renderer main" is the page\'s main thread, "workers" its dedicated workers):');
  lines.push('');
  const columns = ['renderer main', 'renderer workers', 'renderer other', 'network', 'browser', 'gpu', 'server', 'bench', '(machine)'];
  const heading = (c: string) => (c === '(machine)' ? 'rest of the machine' : c === 'bench' ? 'bench runner' : c);
  lines.push(`| Contender | ${columns.map(heading).join(' | ')} |`);
  lines.push(`|---|${columns.map(() => '---').join('|')}|`);
  for (const s of summaries) lines.push(`| ${s.label} | ${columns.map((c) => (s.cpuSecondsPerGiB[c] ?? 0).toFixed(2)).join(' | ')} |`);
  if (memory.length > 0) {
    lines.push('');
    lines.push('Memory vs file size (oss-resumable, Content-MD5 on, one upload each):');
    lines.push('');
    lines.push('| File MiB | MiB/s | Renderer peak RSS MiB (baseline) | JS heap peak MiB | Longest task ms | Server peak RSS MiB |');
    lines.push('|---|---|---|---|---|---|');
    for (const m of memory) lines.push(`| ${m.sizeMiB} | ${m.mibPerSecond} | ${m.rendererPeakRssMiB} (${m.rendererBaselineRssMiB}) | ${m.jsHeapPeakMiB} | ${m.longTaskMaxMs === 0 ? '< 50' : m.longTaskMaxMs} | ${m.serverPeakRssMiB} |`);
  }
  if (reconcile) {
    lines.push('');
    lines.push(`Resume reconciliation, ${reconcile.parts.toLocaleString('en')} parts (ListParts in pages of 1,000 + journal comparison, SDK code in the page): cold ${round(reconcile.cold.listMs + reconcile.cold.reconcileMs)} ms (list ${reconcile.cold.listMs} + compare ${reconcile.cold.reconcileMs}); warm median ${round(reconcile.warmMedian.listMs + reconcile.warmMedian.reconcileMs)} ms; IndexedDB journal read ${reconcile.cold.journalReadMs} ms cold.`);
  }
  const loaded = summaries.filter((s) => s.otherLoadMax > 0.1);
  if (loaded.length > 0) {
    lines.push('');
    lines.push(`Warning: other processes used up to ${Math.round(Math.max(...loaded.map((s) => s.otherLoadMax)) * 100)} % of the machine's CPU during some uploads (${loaded.map((s) => s.contender).join(', ')}); those numbers are disturbed.`);
  }
  lines.push('');
  lines.push('| Target | Result | Measured |');
  lines.push('|---|---|---|');
  for (const goal of goals) lines.push(`| ${goal.name} | ${goal.pass === undefined ? 'n/a' : goal.pass ? 'PASS' : 'MISS'} | ${goal.detail} |`);
  return lines.join('\n');
}

// ---- main --------------------------------------------------------------------------------------

/** Undo steps, newest first; run once, on the way out or on SIGINT/SIGTERM. */
const cleanups: Array<() => Promise<unknown>> = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const tmp = await mkdtemp(join(tmpdir(), 'oss-resumable-bench-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const profileDir = flags.profile;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  try {
    const filePath = join(tmp, 'picked.bin');
    log(`Writing a ${sizeMib} MiB random file to ${filePath} …`);
    const file = { path: filePath, size: sizeMib * MiB, md5: await writeRandomFile(filePath, sizeMib * MiB) };
    const dataDir = join(tmp, 'oss-data');
    const server = await startServerChild({ dataDir, fsync: flags.fsync, cpuProfileDir: profileDir, serverRoot: flags['server-root'] });
    cleanups.unshift(() => server.stop());
    // Every thread (Linux nice values are per thread; the libuv pool already exists).
    if (serverNice > 0) for (const tid of readdirSync(`/proc/${server.pid}/task`)) setPriority(Number(tid), serverNice);
    const pages = await startBenchPages(flags['sdk-src']);
    cleanups.unshift(() => pages.close());
    const chromium = await launchChromium();
    cleanups.unshift(() => chromium.close());
    const traceDir = flags.trace;
    if (traceDir) await mkdir(traceDir, { recursive: true });
    const env: Env = { server, chromium, pages, profileDir, traceDir };
    log(`OSS server ${server.endpoint} (pid ${server.pid}, fsync ${server.fsync ? 'on' : 'off'}) · pages ${pages.url} · Chromium ${chromium.version}`);

    const measurements: Measurement[] = [];
    for (let run = 1; run <= runs; run++) {
      const shift = (run - 1) % contenders.length;
      const order = [...contenders.slice(shift), ...contenders.slice(0, shift)];
      for (const [index, contender] of order.entries()) {
        const m = await measureUpload(env, contender, file, run, index + 1);
        measurements.push(m);
        for (const task of m.traceTasks ?? []) log(`    long task: wall ${round(task.wallMs)} ms, thread CPU ${task.cpuMs === undefined ? '?' : round(task.cpuMs)} ms; ${task.inside.map((e) => `${e.name} ${round(e.wallMs)}/${e.cpuMs === undefined ? '?' : round(e.cpuMs)} ms`).join(', ')}`);
        log(`run ${run} · ${contender.id.padEnd(8)} ${String(m.mibPerSecond).padStart(6)} MiB/s · ${m.elapsedMs} ms · longest task ${m.longTaskMaxMs} ms · heartbeat gap ${m.heartbeatMaxGapMs} ms · renderer ${m.renderer.peakRssMiB} MiB · heap ${m.renderer.peakJsHeapMiB} MiB · server ${m.server.peakRssMiB} MiB · other load ${Math.round(otherLoad(m) * 100)} % · ${JSON.stringify(m.requests)}`);
      }
    }

    let reconcile: ReconcileReport | undefined;
    if (!flags['skip-reconcile']) {
      reconcile = await measureReconcile(env, reconcileParts);
      log(`reconcile ${reconcileParts} parts: seeded in ${reconcile.seedSeconds} s; cold list ${reconcile.cold.listMs} ms + compare ${reconcile.cold.reconcileMs} ms; warm ${JSON.stringify(reconcile.warmMedian)}`);
    }

    const memory: MemoryReport = [];
    const sdkDefaults = allContenders.find((c) => c.id === 'md5')!;
    for (const size of memorySizes) {
      let target = file;
      if (size !== sizeMib) {
        const path = join(tmp, `memory-${size}.bin`);
        log(`Writing a ${size} MiB random file for the memory comparison …`);
        target = { path, size: size * MiB, md5: await writeRandomFile(path, size * MiB) };
      }
      const m = await measureUpload(env, sdkDefaults, target, 0, 0, { workers: undefined });
      memory.push({
        sizeMiB: size, mibPerSecond: m.mibPerSecond, rendererPeakRssMiB: m.renderer.peakRssMiB, rendererBaselineRssMiB: m.renderer.baselineRssMiB,
        jsHeapPeakMiB: m.renderer.peakJsHeapMiB, longTaskMaxMs: m.longTaskMaxMs, heartbeatMaxGapMs: m.heartbeatMaxGapMs, serverPeakRssMiB: m.server.peakRssMiB,
      });
      log(`memory ${size} MiB: ${m.mibPerSecond} MiB/s · renderer peak ${m.renderer.peakRssMiB} MiB (baseline ${m.renderer.baselineRssMiB}) · heap ${m.renderer.peakJsHeapMiB} MiB`);
      if (target !== file) await rm(target.path, { force: true });
    }

    const summaries = summarize(measurements);
    const goals = targets(summaries, memory, reconcile, measurements);
    const machine = {
      cpu: cpus()[0]?.model ?? 'unknown CPU', cores: String(cpus().length), memory: `${round(totalmem() / 1024 ** 3, 0)} GiB RAM`,
      kernel: release(), node: process.version, chromium: chromium.version, fsync: server.fsync ? 'on' : 'off',
      file: `${sizeMib} MiB random, on local disk`, parts: `${partMib} MiB parts, concurrency ${concurrency}${workers === undefined ? '' : `, ${workers} hash worker(s)`}`,
      variant: [
        flags['sdk-src'] ? `SDK from ${flags['sdk-src']}` : '', flags['server-root'] ? `server from ${flags['server-root']}` : '',
        flags['playwright-pages'] ? 'Playwright-managed pages' : '', serverNice > 0 ? `server at nice ${serverNice}` : '',
      ].filter(Boolean).join(', '),
    };
    const table = markdown(summaries, memory, reconcile, goals, machine);
    console.log(table);
    if (flags.json) {
      await writeFile(flags.json, `${JSON.stringify({
        date: new Date().toISOString(), machine, options: {
          sizeMib, runs, partMib, concurrency, workers, fsync: flags.fsync, memorySizes, reconcileParts,
          sdkSrc: flags['sdk-src'], serverRoot: flags['server-root'], playwrightPages: flags['playwright-pages'], serverNice, calmWaitSeconds,
        },
        summaries, targets: goals, reconcile, memory, measurements, durationSeconds: round((performance.now() - started) / 1000, 0),
      }, null, 2)}\n`);
      log(`JSON written to ${flags.json}`);
    }
    log(`Done in ${round((performance.now() - started) / 1000, 0)} s.`);
  } finally {
    await cleanUp();
  }
}

(linkIds.length > 0
  ? runLinkBench({ linkIds, seconds: positiveInt('seconds', flags.seconds), runs: positiveInt('runs', flags.runs ?? '1'), only, json: flags.json })
  : main()
).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
