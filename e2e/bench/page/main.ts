/**
 * The benchmark page. `?mode=raw|sdk|ali|reconcile` says which contender this page hosts; only that
 * contender's code is loaded (the SDK from its TypeScript sources through vite, or the official
 * ali-oss browser bundle through a <script> tag), so every contender runs in a fresh renderer with
 * nothing else in its heap. The file is the one picked in `#file`: its bytes stay on disk and every
 * contender reads them through `Blob.slice` (the SDK and raw fetch never hold them in the page).
 *
 * Main-thread responsiveness is watched from the moment this module runs: a `longtask`
 * PerformanceObserver and a 10 ms `setInterval` heartbeat, both read for the window of one upload.
 */
import type { AliOptions, BenchPageApi, ProbeStats, PutOptions, RawOptions, ReconcileOptions, ReconcileTiming, SdkOptions, UploadMeasure } from './api.js';

const mode = new URLSearchParams(location.search).get('mode') ?? 'raw';
const status = document.querySelector<HTMLElement>('#status')!;
const input = document.querySelector<HTMLInputElement>('#file')!;

// ---- main-thread probe -------------------------------------------------------------------------

const longTasks: Array<{ start: number; duration: number }> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
}).observe({ type: 'longtask', buffered: true });

let heartbeat: { last: number; maxGap: number; ticks: number } | undefined;
setInterval(() => {
  const now = performance.now();
  if (heartbeat) {
    heartbeat.maxGap = Math.max(heartbeat.maxGap, now - heartbeat.last);
    heartbeat.last = now;
    heartbeat.ticks += 1;
  }
}, 10);

/** Runs `task` as the measured window and returns its time and what the probes saw meanwhile. */
async function measured<T>(task: () => Promise<T>): Promise<{ value: T; elapsedMs: number; probe: ProbeStats }> {
  const start = performance.now();
  heartbeat = { last: start, maxGap: 0, ticks: 0 };
  const value = await task();
  const end = performance.now();
  // A long task ending the window is reported after it: give the observer a turn.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const beat = heartbeat;
  heartbeat = undefined;
  beat.maxGap = Math.max(beat.maxGap, end - beat.last);
  const inside = longTasks.filter((t) => t.start >= start - 1 && t.start <= end);
  return {
    value,
    elapsedMs: end - start,
    probe: {
      longTasks: {
        count: inside.length,
        maxMs: inside.reduce((m, t) => Math.max(m, t.duration), 0),
        totalMs: inside.reduce((s, t) => s + t.duration, 0),
      },
      heartbeat: { maxGapMs: beat.maxGap, ticks: beat.ticks, expectedTicks: Math.floor((end - start) / 10) },
    },
  };
}

function pickedFile(): File {
  const file = input.files?.[0];
  if (!file) throw new Error('Pick a file in #file first');
  return file;
}

// ---- contenders --------------------------------------------------------------------------------

/** Raw limit: `concurrency` lanes PUT `file.slice()`s to presigned URLs, nothing else. */
async function raw(options: RawOptions): Promise<UploadMeasure> {
  const file = pickedFile();
  const etags: string[] = new Array(options.urls.length);
  const { value, elapsedMs, probe } = await measured(async () => {
    let next = 0;
    const lane = async () => {
      while (next < options.urls.length) {
        const index = next++;
        const start = index * options.partSize;
        const response = await fetch(options.urls[index]!, { method: 'PUT', body: file.slice(start, Math.min(start + options.partSize, file.size)) });
        if (!response.ok) throw new Error(`raw PUT of part ${index + 1} answered ${response.status}: ${await response.text()}`);
        etags[index] = response.headers.get('etag') ?? '';
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.urls.length) }, lane));
    return etags;
  });
  return { elapsedMs, probe, etags: value };
}

/** The link's ceiling: the whole file in one plain fetch PUT, nothing else. */
async function put(options: PutOptions): Promise<UploadMeasure> {
  const file = pickedFile();
  const { value, elapsedMs, probe } = await measured(async () => {
    const response = await fetch(options.url, { method: 'PUT', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
    if (!response.ok) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
    return response.headers.get('etag') ?? '';
  });
  return { elapsedMs, probe, etag: value };
}

/** Progress events as [ms from `start`, bytes]. */
function progressLog(record: boolean | undefined) {
  const events: Array<readonly [number, number]> = [];
  const start = performance.now();
  return { events: record ? events : undefined, add: (bytes: number) => void (record && events.push([performance.now() - start, bytes])) };
}

type SdkModule = typeof import('../../../src/index.js');
let sdkModule: SdkModule | undefined;

async function sdk(options: SdkOptions): Promise<UploadMeasure> {
  const file = pickedFile();
  const { createUploader } = sdkModule!;
  const uploader = createUploader({
    endpoint: options.endpoint, bucket: options.bucket, region: options.region, pathStyle: true,
    credentials: { accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret },
    ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.contentMd5 === undefined ? {} : { contentMd5: options.contentMd5 }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
  let workers = 0;
  const log = progressLog(options.recordProgress);
  try {
    const { value, elapsedMs, probe } = await measured(() => uploader.upload(file, options.key, {
      onProgress(progress) {
        log.add(progress.transferredBytes);
        status.textContent = `${progress.phase} ${progress.percent.toFixed(1)} %`;
      },
    }));
    // What the pool size resolved to (the SDK's default when the option is left out).
    workers = options.workers ?? sdkModule!.createHasher().workers;
    return { elapsedMs, probe, etag: value.etag, workers, ...(log.events ? { progress: log.events } : {}) };
  } finally {
    uploader.dispose();
  }
}

/** The subset of the ali-oss browser client used here. */
type AliClient = {
  multipartUpload(name: string, file: File, options: Record<string, unknown>): Promise<{ etag?: string; res: { headers: Record<string, string> } }>;
};
type AliConstructor = new (options: Record<string, unknown>) => AliClient;

async function ali(options: AliOptions): Promise<UploadMeasure> {
  const file = pickedFile();
  const OSS = (window as unknown as { OSS?: AliConstructor }).OSS;
  if (!OSS) throw new Error('The ali-oss browser bundle is not loaded');
  const client = new OSS({
    endpoint: options.endpoint, bucket: options.bucket, region: options.region, sldEnable: true, secure: false,
    accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
  const log = progressLog(options.recordProgress);
  const { value, elapsedMs, probe } = await measured(() => client.multipartUpload(options.key, file, {
    ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
    ...(options.parallel === undefined ? {} : { parallel: options.parallel }),
    progress(fraction: number) {
      log.add(Math.round(fraction * file.size));
      status.textContent = `ali-oss ${(fraction * 100).toFixed(1)} %`;
    },
  }));
  return { elapsedMs, probe, etag: value.etag ?? value.res.headers['etag'] ?? '', ...(log.events ? { progress: log.events } : {}) };
}

async function reconcileBench(options: ReconcileOptions): Promise<ReconcileTiming[]> {
  const { createOssClient, createIndexedDbStore } = sdkModule!;
  const { reconcile } = await import('../../../src/core/resume.js');
  const { planParts } = await import('../../../src/core/plan.js');
  const { recordVersion } = await import('../../../src/persistence/record.js');
  const client = createOssClient({
    endpoint: options.endpoint, bucket: options.bucket, region: options.region, pathStyle: true,
    credentials: { accessKeyId: options.accessKeyId, accessKeySecret: options.accessKeySecret },
  });
  const store = createIndexedDbStore({ dbName: `oss-resumable-bench-${Date.now()}` });
  const count = options.md5s.length;
  // The journal the SDK would have written while sending those parts (etag = quoted MD5).
  const parts = options.md5s.map((md5, index) => ({ partNumber: index + 1, etag: `"${md5}"`, size: 1, md5 }));
  const id = 'bench-reconcile';
  const now = Date.now();
  await store.create({
    version: recordVersion, id, fingerprint: '[]', endpoint: options.endpoint, bucket: options.bucket, key: options.key,
    uploadId: options.uploadId, partSize: 1, fileSize: count, fileName: 'reconcile.bin', lastModified: now,
    contentType: 'application/octet-stream', parts, createdAt: now, updatedAt: now,
  });
  const plan = planParts(count, 1);
  const timings: ReconcileTiming[] = [];
  for (let round = 0; round <= options.repeats; round++) {
    const t0 = performance.now();
    const record = await store.get(id);
    const t1 = performance.now();
    const listed = await client.listAllParts(options.key, options.uploadId, { expectedParts: count });
    const t2 = performance.now();
    const result = reconcile(plan, record?.parts ?? [], listed);
    const t3 = performance.now();
    timings.push({ journalReadMs: t1 - t0, listMs: t2 - t1, reconcileMs: t3 - t2, listedParts: listed.length, trustedParts: result.skippedParts });
  }
  return timings;
}

function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`Could not load ${src}`));
    document.head.append(script);
  });
}

async function start(): Promise<void> {
  if (mode === 'sdk' || mode === 'reconcile') sdkModule = await import('../../../src/index.js');
  if (mode === 'ali') await loadScript('/vendor/aliyun-oss-sdk.min.js');
  const api: BenchPageApi = { mode, raw, put, sdk, ali, reconcile: reconcileBench, spin };
  window.bench = api;
  status.textContent = `ready (${mode})`;
}

void start();
