/**
 * Memory stays flat whatever the object size: a 1 GiB PutObject, the same 1 GiB as 8 MiB multipart
 * parts uploaded four at a time, and both read back with streaming GETs, must not grow the server
 * child's peak resident set (`VmHWM`) by more than 64 MiB. Bodies are generated on the fly in 1 MiB
 * chunks and hashed as they stream; the test never holds a whole body either.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSS, testBytes, type AliOssClient } from './harness.js';

/** ali-oss methods these tests call (the harness types the client as a loose record). */
type Client = AliOssClient & Record<'put' | 'get' | 'head' | 'delete' | 'getStream' | 'initMultipartUpload' | 'uploadPart' | 'uploadPartCopy'
  | 'completeMultipartUpload' | 'abortMultipartUpload' | 'listParts' | 'listUploads', (...args: any[]) => Promise<any>>;

const MiB = 1024 * 1024;
const CHUNK = MiB;
const TOTAL = 1024 * MiB;
const PART = 8 * MiB;
const PARTS = TOTAL / PART;
const CHUNKS_PER_PART = PART / CHUNK;
const CONCURRENCY = 4;
const MAX_GROWTH = 64 * MiB;

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const base = testBytes(CHUNK, 0xC0FFEE);

/** Chunk `i` of the 1 GiB body: a rotation of a random block, stamped with its index (so order matters). */
function chunk(i: number): Buffer {
  const out = Buffer.allocUnsafe(CHUNK);
  const shift = (i * 4099) % CHUNK;
  base.copy(out, 0, shift);
  base.copy(out, CHUNK - shift, 0, shift);
  out.writeUInt32LE(i, 0);
  out.writeUInt32LE((i ^ 0xA5A5A5A5) >>> 0, CHUNK - 4);
  return out;
}

const md5Hex = (hash: ReturnType<typeof createHash>): string => hash.digest('hex').toUpperCase();

// ---------------------------------------------------------------------------------------------
// The server child. `--no-fsync`: fsync only decides whether written bytes reach the disk before
// the answer (covered by crash.test.ts); it does not change what the process holds in memory
// (the page cache is not part of its RSS), and flushing 2 GiB to disk would dominate the run time.
// ---------------------------------------------------------------------------------------------

let proc: ChildProcessByStdio<null, Readable, Readable> | undefined;
let exited: Promise<void> = Promise.resolve();
let dataDir = '';
let port = 0;
let client: Client;
let output = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'oss-memory-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--port', '0', '--data', dataDir, '--no-fsync'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc = child;
  exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.stderr.setEncoding('utf8').on('data', (text: string) => { output += text; });
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s:\n${output}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      const match = /listening on http:\/\/\S+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`)));
  });
  client = new OSS({
    endpoint: `http://localhost:${port}`, bucket: 'demo', sldEnable: true, region: 'oss-cn-hangzhou',
    accessKeyId: 'oss-local-ak', accessKeySecret: 'oss-local-sk', timeout: 120_000,
  }) as Client;
}, 30_000);

afterAll(async () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await exited;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// /proc measurements
// ---------------------------------------------------------------------------------------------

async function status(pid: number): Promise<{ hwm: number; rss: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { hwm: field('VmHWM'), rss: field('VmRSS') };
}

/** Resets the peak (`echo 5 > clear_refs`, Linux ≥ 4.0) so VmHWM measures from now; false when not permitted. */
async function resetPeak(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `phase` and returns how far the child's peak RSS rose above its level at the start. With the
 * peak reset, the baseline is the RSS at the start; otherwise the baseline is the earlier peak, and
 * a 100 ms RSS sampler backs it up.
 */
let highestPeak = 0;

async function measure(label: string, phase: () => Promise<void>): Promise<number> {
  const pid = proc!.pid!;
  const reset = await resetPeak(pid);
  const before = await status(pid);
  const baseline = reset ? before.rss : before.hwm;
  let sampledPeak = before.rss;
  const sampler = setInterval(() => {
    void status(pid).then((s) => { sampledPeak = Math.max(sampledPeak, s.rss); }, () => undefined);
  }, 100);
  try {
    await phase();
  } finally {
    clearInterval(sampler);
  }
  const after = await status(pid);
  highestPeak = Math.max(highestPeak, after.hwm, sampledPeak);
  const growth = Math.max(after.hwm - baseline, sampledPeak - before.rss);
  const mib = (n: number) => (n / MiB).toFixed(1);
  console.log(`[memory] ${label}: baseline ${mib(baseline)} MiB (${reset ? 'RSS after peak reset' : 'previous VmHWM'}), ` +
    `VmHWM after ${mib(after.hwm)} MiB, sampled peak RSS ${mib(sampledPeak)} MiB → growth ${mib(growth)} MiB`);
  return growth;
}

// ---------------------------------------------------------------------------------------------
// Streaming transfers
// ---------------------------------------------------------------------------------------------

/** PUTs chunks `[first, first + count)` to a presigned URL with backpressure; returns the ETag and body MD5. */
async function streamPut(url: string, first: number, count: number): Promise<{ status: number; etag: string; md5: string }> {
  const hash = createHash('md5');
  const req = httpRequest(url, { method: 'PUT', headers: { 'Content-Length': count * CHUNK } });
  const response = new Promise<{ status: number; etag: string }>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, etag: String(res.headers['etag'] ?? '') }));
    });
    req.once('error', reject);
  });
  response.catch(() => undefined); // awaited below; avoid an unhandled rejection while still writing
  for (let i = first; i < first + count; i++) {
    const data = chunk(i);
    hash.update(data);
    if (!req.write(data)) await Promise.race([once(req, 'drain'), response]);
  }
  req.end();
  const { status, etag } = await response;
  return { status, etag, md5: md5Hex(hash) };
}

/** GETs an object through ali-oss's streaming API and hashes it on the fly. */
async function streamGetMd5(name: string): Promise<{ size: number; md5: string }> {
  const { stream } = await client.getStream(name) as { stream: Readable };
  const hash = createHash('md5');
  let size = 0;
  for await (const data of stream as AsyncIterable<Buffer>) {
    size += data.length;
    hash.update(data);
  }
  return { size, md5: md5Hex(hash) };
}

describe('server memory under 1 GiB transfers', () => {
  let expectedMd5 = '';
  let warmRss = 0;

  it('warms up (so code loading is not counted as growth)', async () => {
    const small = testBytes(300 * 1024, 9);
    await client.put('memory/warmup.bin', small);
    const got = await client.get('memory/warmup.bin') as { content: Buffer };
    expect(got.content.equals(small)).toBe(true);
    const { uploadId } = await client.initMultipartUpload('memory/warmup-mp.bin') as { uploadId: string };
    const { etag } = await client.uploadPart('memory/warmup-mp.bin', uploadId, 1, small, 0, small.length) as { etag: string };
    await client.completeMultipartUpload('memory/warmup-mp.bin', uploadId, [{ number: 1, etag }]);
    const s = await status(proc!.pid!);
    expect(s.rss).toBeGreaterThan(0);
    warmRss = s.rss;
  });

  it('a 1 GiB PutObject streamed in grows peak RSS by ≤ 64 MiB', async () => {
    let result: { status: number; etag: string; md5: string } | undefined;
    const growth = await measure('PutObject 1 GiB', async () => {
      result = await streamPut(client.signatureUrl('memory/put.bin', { method: 'PUT', expires: 3600 }), 0, TOTAL / CHUNK);
    });
    expect(result!.status).toBe(200);
    expect(result!.etag).toBe(`"${result!.md5}"`);
    expectedMd5 = result!.md5;
    expect(growth).toBeLessThanOrEqual(MAX_GROWTH);
  }, 60_000);

  it('the same 1 GiB as 128 × 8 MiB parts, 4 in flight, grows peak RSS by ≤ 64 MiB', async () => {
    const name = 'memory/multipart.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const etags: string[] = new Array<string>(PARTS);
    const growth = await measure(`UploadPart 128 × 8 MiB, concurrency ${CONCURRENCY}`, async () => {
      let next = 0;
      const worker = async () => {
        while (next < PARTS) {
          const index = next++;
          const url = client.signatureUrl(name, { method: 'PUT', expires: 3600, subResource: { partNumber: index + 1, uploadId } });
          const result = await streamPut(url, index * CHUNKS_PER_PART, CHUNKS_PER_PART);
          expect(result.status).toBe(200);
          expect(result.etag).toBe(`"${result.md5}"`);
          etags[index] = result.etag;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await client.completeMultipartUpload(name, uploadId, etags.map((etag, i) => ({ number: i + 1, etag })));
    });
    expect(etags.filter(Boolean)).toHaveLength(PARTS);
    expect(growth).toBeLessThanOrEqual(MAX_GROWTH);
  }, 60_000);

  it('both objects stream back byte-identical (MD5) and reading them grows peak RSS by ≤ 64 MiB', async () => {
    expect(expectedMd5).toMatch(/^[0-9A-F]{32}$/);
    const got: { size: number; md5: string }[] = [];
    const growth = await measure('GetObject 2 × 1 GiB', async () => {
      got.push(await streamGetMd5('memory/put.bin'));
      got.push(await streamGetMd5('memory/multipart.bin'));
    });
    expect(got).toEqual([{ size: TOTAL, md5: expectedMd5 }, { size: TOTAL, md5: expectedMd5 }]);
    expect(growth).toBeLessThanOrEqual(MAX_GROWTH);
  }, 60_000);

  it('over the whole run (3 GiB through the server) peak RSS stayed within 64 MiB of the warmed-up RSS', () => {
    expect(warmRss).toBeGreaterThan(0);
    expect(highestPeak).toBeGreaterThan(warmRss);
    console.log(`[memory] whole run: warmed-up RSS ${(warmRss / MiB).toFixed(1)} MiB, highest peak ${(highestPeak / MiB).toFixed(1)} MiB → growth ${((highestPeak - warmRss) / MiB).toFixed(1)} MiB`);
    expect(highestPeak - warmRss).toBeLessThanOrEqual(MAX_GROWTH);
  });

  it('the server process stayed up throughout', () => {
    expect(proc!.exitCode, output).toBeNull();
    expect(output).not.toMatch(/internal error/);
  });
});
