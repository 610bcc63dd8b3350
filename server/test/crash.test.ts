/**
 * Crash safety of the on-disk storage, proven against a real server child process that is SIGKILLed
 * mid-request and restarted on the same data dir (fsync on, the default): acknowledged parts and
 * objects survive, torn writes never become visible, uploads continue after the restart, and the
 * start-up recovery leaves no temporary files and no blob that nothing refers to.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/faults.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { OSS, testBytes, type AliOssClient } from './harness.js';

/** ali-oss methods these tests call (the harness types the client as a loose record). */
type Client = AliOssClient & Record<'put' | 'get' | 'head' | 'delete' | 'getStream' | 'initMultipartUpload' | 'uploadPart' | 'uploadPartCopy'
  | 'completeMultipartUpload' | 'abortMultipartUpload' | 'listParts' | 'listUploads', (...args: any[]) => Promise<any>>;

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const KiB = 1024;

// ---------------------------------------------------------------------------------------------
// Child-process server
// ---------------------------------------------------------------------------------------------

type Child = {
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  readonly port: number;
  readonly dataDir: string;
  readonly exited: Promise<void>;
  output(): string;
};

const running = new Set<Child>();
const dataDirs: string[] = [];

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oss-crash-'));
  dataDirs.push(dir);
  return dir;
}

/** Starts `node --import tsx server/src/main.ts --port 0` on `dataDir` (fsync on) and waits for its banner. */
async function spawnServer(dataDir: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--port', '0', '--data', dataDir], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (text: string) => { out += text; });
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its endpoint within 20 s:\n${out}`)), 20_000);
    proc.stdout.on('data', (text: string) => {
      out += text;
      const match = /listening on http:\/\/\S+:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  expect(port).toBeGreaterThan(0);
  const child: Child = { proc, port, dataDir, exited, output: () => out };
  running.add(child);
  return child;
}

/** SIGKILL, no grace: the process gets no chance to flush or clean up. */
async function sigkill(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
  await child.exited;
  running.delete(child);
  expect(child.proc.signalCode === 'SIGKILL' || child.proc.exitCode !== null).toBe(true);
}

afterEach(async () => {
  for (const child of [...running]) await sigkill(child);
});

afterAll(async () => {
  for (const child of [...running]) await sigkill(child);
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

function clientFor(child: Child): Client {
  return new OSS({
    endpoint: `http://localhost:${child.port}`, bucket: 'demo', sldEnable: true, region: 'oss-cn-hangzhou',
    accessKeyId: 'oss-local-ak', accessKeySecret: 'oss-local-sk', timeout: 30_000,
  }) as Client;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex').toUpperCase();
const quotedMd5 = (bytes: Uint8Array): string => `"${md5Hex(bytes)}"`;

/** A PUT whose body is only partly sent: the request stays open until the server dies. */
function startPartialPut(url: string, body: Buffer, sendBytes: number): {
  readonly request: ClientRequest;
  readonly outcome: Promise<{ status: number | undefined; error: Error | undefined }>;
} {
  const request = httpRequest(url, { method: 'PUT', headers: { 'Content-Length': body.length } });
  const outcome = new Promise<{ status: number | undefined; error: Error | undefined }>((resolve) => {
    request.once('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode, error: undefined });
    });
    request.once('error', (error) => resolve({ status: undefined, error }));
  });
  request.write(body.subarray(0, sendBytes));
  return { request, outcome };
}

/** Waits until the server has written at least `bytes` of an in-progress body into `<data>/tmp/`. */
async function waitForTmpBytes(dataDir: string, bytes: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let largest = 0;
    for (const name of await readdir(join(dataDir, 'tmp')).catch(() => [] as string[])) {
      const size = await stat(join(dataDir, 'tmp', name)).then((s) => s.size, () => 0);
      largest = Math.max(largest, size);
    }
    if (largest >= bytes) return largest;
    if (Date.now() > deadline) throw new Error(`the server wrote only ${largest} of ${bytes} body bytes to tmp/ within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function partUrl(client: Client, name: string, uploadId: string, partNumber: number): string {
  return client.signatureUrl(name, { method: 'PUT', expires: 600, subResource: { partNumber, uploadId } });
}

type ListedPart = { PartNumber: string; ETag: string; Size: string };

async function listParts(client: Client, name: string, uploadId: string): Promise<Map<number, { etag: string; size: number }>> {
  const result = await client.listParts(name, uploadId, { 'max-parts': 1000 });
  const parts = (Array.isArray(result.parts) ? result.parts : [result.parts]) as ListedPart[];
  return new Map(parts.map((p) => [Number(p.PartNumber), { etag: p.ETag, size: Number(p.Size) }]));
}

async function getBytes(client: Client, name: string): Promise<Buffer> {
  const result = await client.get(name);
  return result.content as Buffer;
}

/** The status of an ali-oss failure (or a rethrow when the call did not fail). */
async function failureStatus(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status?: number; code?: string };
    return { status: e.status ?? -1, code: e.code ?? '' };
  }
  throw new Error('expected the request to fail');
}

type Audit = {
  readonly tmp: string[];
  readonly blobs: Map<string, number>;
  /** Blob name → the byte count a record needs from it. */
  readonly referenced: Map<string, number>;
  readonly unreferenced: string[];
  readonly missing: string[];
  readonly tooShort: string[];
  readonly uploadsWithoutInit: string[];
};

/**
 * Reads the data dir the way start-up recovery should leave it: every blob referenced by an object
 * record or by the latest journal entry of an upload part, nothing else, and an empty tmp/.
 */
async function auditDataDir(dataDir: string): Promise<Audit> {
  const tmp = await readdir(join(dataDir, 'tmp'));
  const blobs = new Map<string, number>();
  for (const name of await readdir(join(dataDir, 'blobs'))) blobs.set(name, (await stat(join(dataDir, 'blobs', name))).size);
  const referenced = new Map<string, number>();
  const need = (blob: string, size: number) => referenced.set(blob, Math.max(size, referenced.get(blob) ?? 0));
  for (const bucket of await readdir(join(dataDir, 'buckets'))) {
    for (const file of await readdir(join(dataDir, 'buckets', bucket))) {
      const record = JSON.parse(await readFile(join(dataDir, 'buckets', bucket, file), 'utf8')) as { segments: { blob: string; size: number }[] };
      for (const segment of record.segments) need(segment.blob, segment.size);
    }
  }
  const uploadsWithoutInit: string[] = [];
  for (const id of await readdir(join(dataDir, 'uploads'))) {
    const files = await readdir(join(dataDir, 'uploads', id));
    if (!files.includes('upload.json')) uploadsWithoutInit.push(id);
    const journal = files.includes('parts.log') ? await readFile(join(dataDir, 'uploads', id, 'parts.log'), 'utf8') : '';
    const latest = new Map<number, { blob: string; size: number }>();
    for (const line of journal.split('\n')) {
      try {
        const part = JSON.parse(line) as { partNumber: number; blob: string; size: number };
        latest.set(part.partNumber, part);
      } catch {
        // torn / empty line
      }
    }
    for (const part of latest.values()) need(part.blob, part.size);
  }
  return {
    tmp, blobs, referenced, uploadsWithoutInit,
    unreferenced: [...blobs.keys()].filter((b) => !referenced.has(b)),
    missing: [...referenced.keys()].filter((b) => !blobs.has(b)),
    tooShort: [...referenced].filter(([b, size]) => (blobs.get(b) ?? size) < size).map(([b]) => b),
  };
}

function expectCleanDataDir(audit: Audit): void {
  expect(audit.tmp, 'files left in tmp/').toEqual([]);
  expect(audit.missing, 'records referring to blobs that do not exist').toEqual([]);
  expect(audit.tooShort, 'blobs shorter than their records say').toEqual([]);
  expect(audit.unreferenced, 'blobs nothing refers to').toEqual([]);
  expect(audit.uploadsWithoutInit, 'upload dirs without upload.json').toEqual([]);
  expect(audit.blobs.size).toBe(audit.referenced.size);
}


// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('SIGKILL mid-upload, restart on the same data dir', () => {
  it('keeps every acknowledged part, drops the torn one, and lets the upload finish', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    const name = 'crash/multipart.bin';
    const parts = [1, 2, 3, 4, 5].map((n) => testBytes(n === 5 ? 37 * KiB + 5 : 150 * KiB + n * 1111, 100 + n));
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const acked = new Map<number, string>();
    for (const n of [1, 2, 3]) {
      const result = await client.uploadPart(name, uploadId, n, parts[n - 1]!, 0, parts[n - 1]!.length) as { etag: string };
      expect(result.etag).toBe(quotedMd5(parts[n - 1]!));
      acked.set(n, result.etag);
    }

    // Part 4 (a different body than the one retried later) is sent only halfway, then the server dies.
    const doomed = testBytes(600 * KiB, 999);
    const half = 300 * KiB;
    const slow = startPartialPut(partUrl(client, name, uploadId, 4), doomed, half);
    const written = await waitForTmpBytes(dataDir, half);
    expect(written).toBeLessThan(doomed.length);
    await sigkill(server);
    const outcome = await slow.outcome;
    expect(outcome.status, 'the half-sent part must never be acknowledged').toBeUndefined();
    expect(outcome.error).toBeInstanceOf(Error);
    // The torn write is only ever in tmp/; nothing under uploads/ mentions part 4.
    const journalBefore = await readFile(join(dataDir, 'uploads', uploadId, 'parts.log'), 'utf8');
    expect(journalBefore).not.toContain('"partNumber":4');

    server = await spawnServer(dataDir);
    client = clientFor(server);
    const listed = await listParts(client, name, uploadId);
    expect([...listed.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3]);
    for (const [n, etag] of acked) {
      expect(listed.get(n)?.etag).toBe(etag);
      expect(listed.get(n)?.size).toBe(parts[n - 1]!.length);
    }
    expectCleanDataDir(await auditDataDir(dataDir));

    // The upload is still usable: the multipart upload is listed and continues.
    const uploads = await client.listUploads({ prefix: 'crash/' }) as { uploads: { name: string; uploadId: string }[] };
    expect(uploads.uploads.map((u) => u.uploadId)).toContain(uploadId);
    for (const n of [4, 5]) {
      const result = await client.uploadPart(name, uploadId, n, parts[n - 1]!, 0, parts[n - 1]!.length) as { etag: string };
      expect(result.etag).toBe(quotedMd5(parts[n - 1]!));
      acked.set(n, result.etag);
    }
    const complete = await client.completeMultipartUpload(name, uploadId, [...acked].map(([number, etag]) => ({ number, etag }))) as { res: { status: number } };
    expect(complete.res.status).toBe(200);
    const got = await getBytes(client, name);
    const expected = Buffer.concat(parts);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
  }, 60_000);

  it('a multipart upload whose Complete was acknowledged stays complete after SIGKILL', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    const name = 'crash/completed.bin';
    const parts = [testBytes(120 * KiB, 7), testBytes(33 * KiB, 8)];
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const done: { number: number; etag: string }[] = [];
    for (const [i, part] of parts.entries()) {
      const result = await client.uploadPart(name, uploadId, i + 1, part, 0, part.length) as { etag: string };
      done.push({ number: i + 1, etag: result.etag });
    }
    await client.completeMultipartUpload(name, uploadId, done);
    await sigkill(server);

    server = await spawnServer(dataDir);
    client = clientFor(server);
    expect((await getBytes(client, name)).equals(Buffer.concat(parts))).toBe(true);
    const uploads = await client.listUploads({}) as { uploads: { uploadId: string }[] };
    expect(uploads.uploads.map((u) => u.uploadId)).not.toContain(uploadId);
    expect(await failureStatus(client.listParts(name, uploadId))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
    expectCleanDataDir(await auditDataDir(dataDir));
  }, 60_000);
});

describe('SIGKILL around PutObject', () => {
  it('an acknowledged PutObject (and an acknowledged overwrite) is readable after restart', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    const v1 = testBytes(200 * KiB, 21);
    const v2 = testBytes(333 * KiB + 3, 22);
    const fresh = testBytes(1 * KiB + 17, 23);
    await client.put('crash/overwritten.bin', v1);
    const ack = await client.put('crash/overwritten.bin', v2) as { res: { status: number; headers: Record<string, string> } };
    expect(ack.res.status).toBe(200);
    const ack2 = await client.put('crash/fresh.bin', fresh) as { res: { status: number; headers: Record<string, string> } };
    expect(ack2.res.headers['etag']).toBe(quotedMd5(fresh));
    await sigkill(server); // immediately after the acknowledgement

    server = await spawnServer(dataDir);
    client = clientFor(server);
    expect((await getBytes(client, 'crash/overwritten.bin')).equals(v2)).toBe(true);
    expect((await getBytes(client, 'crash/fresh.bin')).equals(fresh)).toBe(true);
    const head = await client.head('crash/overwritten.bin') as { res: { headers: Record<string, string> } };
    expect(head.res.headers['etag']).toBe(quotedMd5(v2));
    expectCleanDataDir(await auditDataDir(dataDir));
  }, 60_000);

  it('a PutObject killed mid-body never becomes visible and leaves the previous version intact', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    const v1 = testBytes(180 * KiB, 31);
    await client.put('crash/torn-overwrite.bin', v1);
    const v2 = testBytes(800 * KiB, 32);
    const slow = startPartialPut(client.signatureUrl('crash/torn-overwrite.bin', { method: 'PUT', expires: 600 }), v2, 400 * KiB);
    const slowNew = startPartialPut(client.signatureUrl('crash/torn-new.bin', { method: 'PUT', expires: 600 }), v2, 200 * KiB);
    await waitForTmpBytes(dataDir, 400 * KiB);
    await sigkill(server);
    expect((await slow.outcome).status).toBeUndefined();
    expect((await slowNew.outcome).status).toBeUndefined();

    server = await spawnServer(dataDir);
    client = clientFor(server);
    expect((await getBytes(client, 'crash/torn-overwrite.bin')).equals(v1)).toBe(true);
    expect(await failureStatus(client.get('crash/torn-new.bin'))).toMatchObject({ status: 404, code: 'NoSuchKey' });
    expectCleanDataDir(await auditDataDir(dataDir));
  }, 60_000);
});

describe('start-up recovery leaves a clean data dir', () => {
  it('drops tmp files, orphan blobs and half-created uploads; keeps everything referenced', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    // Some state: objects (one overwritten, one deleted), an upload with an overwritten part, an aborted upload.
    await client.put('gc/a.bin', testBytes(10 * KiB, 1));
    await client.put('gc/a.bin', testBytes(12 * KiB, 2));
    await client.put('gc/b.bin', testBytes(3 * KiB, 3));
    await client.put('gc/deleted.bin', testBytes(3 * KiB, 4));
    await client.delete('gc/deleted.bin');
    const { uploadId } = await client.initMultipartUpload('gc/mp.bin') as { uploadId: string };
    for (const [n, seed] of [[1, 5], [2, 6], [1, 7]] as const) {
      const body = testBytes(110 * KiB, seed);
      await client.uploadPart('gc/mp.bin', uploadId, n, body, 0, body.length);
    }
    const aborted = await client.initMultipartUpload('gc/aborted.bin') as { uploadId: string };
    const abortedBody = testBytes(5 * KiB, 8);
    await client.uploadPart('gc/aborted.bin', aborted.uploadId, 1, abortedBody, 0, abortedBody.length);
    await client.abortMultipartUpload('gc/aborted.bin', aborted.uploadId);
    // In flight at the kill: a half-sent part.
    const slow = startPartialPut(partUrl(client, 'gc/mp.bin', uploadId, 3), testBytes(400 * KiB, 9), 150 * KiB);
    await waitForTmpBytes(dataDir, 150 * KiB);
    await sigkill(server);
    await slow.outcome;

    // What a crash at other moments would leave: a published but unjournaled blob, a stray temporary,
    // an upload directory whose upload.json was never published.
    await appendFile(join(dataDir, 'blobs', 'zz-orphan-blob'), testBytes(4 * KiB, 10));
    await appendFile(join(dataDir, 'tmp', 'zz-stray-tmp'), 'half a record');
    await cp(join(dataDir, 'uploads', uploadId, 'parts.log'), join(dataDir, 'uploads', 'ABANDONED0000', 'parts.log'));
    const before = await auditDataDir(dataDir);
    expect(before.unreferenced).toContain('zz-orphan-blob');
    expect(before.tmp.length).toBeGreaterThanOrEqual(2);

    server = await spawnServer(dataDir);
    client = clientFor(server);
    const after = await auditDataDir(dataDir);
    expectCleanDataDir(after);
    // 2 objects + 2 parts.
    expect(after.blobs.size).toBe(4);
    expect((await readdir(join(dataDir, 'uploads'))).sort()).toEqual([uploadId]);
    expect((await getBytes(client, 'gc/a.bin')).equals(testBytes(12 * KiB, 2))).toBe(true);
    expect((await getBytes(client, 'gc/b.bin')).equals(testBytes(3 * KiB, 3))).toBe(true);
    const listed = await listParts(client, 'gc/mp.bin', uploadId);
    expect([...listed.keys()].sort()).toEqual([1, 2]);
    expect(listed.get(1)?.etag).toBe(quotedMd5(testBytes(110 * KiB, 7)));
  }, 60_000);

  it('recovers a Complete that published the object but died before dropping the upload', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    const name = 'gc/complete-interrupted.bin';
    const parts = [testBytes(101 * KiB, 41), testBytes(50 * KiB, 42)];
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const listed: { number: number; etag: string }[] = [];
    for (const [i, part] of parts.entries()) {
      const { etag } = await client.uploadPart(name, uploadId, i + 1, part, 0, part.length) as { etag: string };
      listed.push({ number: i + 1, etag });
    }
    const snapshot = join(dataDir, '..', `${uploadId}-snapshot-${Date.now()}`);
    dataDirs.push(snapshot);
    await cp(join(dataDir, 'uploads', uploadId), snapshot, { recursive: true });
    await client.completeMultipartUpload(name, uploadId, listed);
    await sigkill(server);
    // Put the upload's directory back, as if the process had died between publishing the object and removing the upload.
    await cp(snapshot, join(dataDir, 'uploads', uploadId), { recursive: true });

    server = await spawnServer(dataDir);
    client = clientFor(server);
    expect((await getBytes(client, name)).equals(Buffer.concat(parts))).toBe(true);
    expect(await failureStatus(client.listParts(name, uploadId))).toMatchObject({ status: 404, code: 'NoSuchUpload' });
    const after = await auditDataDir(dataDir);
    expectCleanDataDir(after);
    expect(after.blobs.size).toBe(2);
  }, 60_000);

  it('a torn journal tail (power loss mid-append) does not swallow the next acknowledged part', async () => {
    const dataDir = await freshDataDir();
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    const name = 'gc/torn-journal.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const p1 = testBytes(120 * KiB, 51);
    const p2 = testBytes(20 * KiB, 52);
    const r1 = await client.uploadPart(name, uploadId, 1, p1, 0, p1.length) as { etag: string };
    await sigkill(server);
    // A crash that tore the last journal line: a prefix of a record with no newline.
    await appendFile(join(dataDir, 'uploads', uploadId, 'parts.log'), '{"partNumber":2,"etag":"0123');

    server = await spawnServer(dataDir);
    client = clientFor(server);
    expect([...(await listParts(client, name, uploadId)).keys()]).toEqual([1]);
    const r2 = await client.uploadPart(name, uploadId, 2, p2, 0, p2.length) as { etag: string };
    expect(r2.etag).toBe(quotedMd5(p2));
    await sigkill(server); // part 2 was acknowledged: it must survive this restart too

    server = await spawnServer(dataDir);
    client = clientFor(server);
    const listed = await listParts(client, name, uploadId);
    expect(listed.get(1)?.etag).toBe(r1.etag);
    expect(listed.get(2)?.etag, 'acknowledged part 2 lost after restart').toBe(r2.etag);
    await client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: r1.etag }, { number: 2, etag: r2.etag }]);
    expect((await getBytes(client, name)).equals(Buffer.concat([p1, p2]))).toBe(true);
  }, 60_000);

  it('random SIGKILLs under concurrent writes: acknowledged state survives, in-flight state is all-or-nothing', async () => {
    const dataDir = await freshDataDir();
    const random = mulberry32(20240611);
    const workers = 4;
    const name = (w: number, k: number) => `chaos/w${w}-k${k}.bin`;
    // Per object key: md5 of the acknowledged version (undefined = absent), and the one in flight at the kill.
    type Slot = { acked: string | undefined; inFlight: (string | undefined)[] };
    const objects = new Map<string, Slot>();
    const parts = new Map<string, Slot>(); // `${w}/${partNumber}`
    const uploadIds: string[] = [];
    let server = await spawnServer(dataDir);
    let client = clientFor(server);
    for (let w = 0; w < workers; w++) {
      const { uploadId } = await client.initMultipartUpload(`chaos/mp-${w}.bin`) as { uploadId: string };
      uploadIds.push(uploadId);
    }
    let version = 0;
    const unexpected: string[] = [];
    for (let round = 0; round < 3; round++) {
      let stop = false;
      let killed = false;
      const work = async (w: number) => {
        while (!stop) {
          const roll = random();
          const seed = ++version;
          const body = testBytes(Math.floor(1 + random() * 160 * KiB), seed);
          const md5 = md5Hex(body);
          const slotKey = roll < 0.5 ? name(w, Math.floor(random() * 3)) : `${w}/${1 + Math.floor(random() * 4)}`;
          const map = roll < 0.5 ? objects : parts;
          const slot = map.get(slotKey) ?? { acked: undefined, inFlight: [] };
          map.set(slotKey, slot);
          const next = roll < 0.42 || roll >= 0.5 ? md5 : undefined; // 0.42..0.5: DeleteObject
          slot.inFlight = [next];
          try {
            if (roll < 0.42) await client.put(slotKey, body);
            else if (roll < 0.5) await client.delete(slotKey);
            else {
              const partNumber = Number(slotKey.split('/')[1]);
              await client.uploadPart(`chaos/mp-${w}.bin`, uploadIds[w]!, partNumber, body, 0, body.length);
            }
            slot.acked = next;
            slot.inFlight = [];
          } catch (error) {
            // Once the server is gone the outcome of this request is unknown (kept in inFlight); before that, any failure is a bug.
            if (!killed) unexpected.push(`${slotKey}: ${String(error)}`);
            return;
          }
        }
      };
      const busy = Array.from({ length: workers }, (_, w) => work(w));
      await new Promise((r) => setTimeout(r, 300 + random() * 900));
      killed = true;
      await sigkill(server);
      stop = true;
      await Promise.all(busy);
      expect(unexpected).toEqual([]);

      server = await spawnServer(dataDir);
      client = clientFor(server);
      expectCleanDataDir(await auditDataDir(dataDir));
      for (const [key, slot] of objects) {
        const allowed = new Set([slot.acked, ...slot.inFlight]);
        let got: string | undefined;
        try {
          got = md5Hex(await getBytes(client, key));
        } catch (error) {
          expect((error as { code?: string }).code).toBe('NoSuchKey');
          got = undefined;
        }
        expect(allowed.has(got), `object ${key}: got ${got}, allowed ${[...allowed].join(', ')}`).toBe(true);
        slot.acked = got;
        slot.inFlight = [];
      }
      for (let w = 0; w < workers; w++) {
        const listed = await listParts(client, `chaos/mp-${w}.bin`, uploadIds[w]!);
        for (const [slotKey, slot] of parts) {
          if (!slotKey.startsWith(`${w}/`)) continue;
          const partNumber = Number(slotKey.split('/')[1]);
          const got = listed.get(partNumber)?.etag.replaceAll('"', '');
          const allowed = new Set([slot.acked, ...slot.inFlight]);
          expect(allowed.has(got), `upload ${w} part ${partNumber}: got ${got}, allowed ${[...allowed].join(', ')}`).toBe(true);
          slot.acked = got;
          slot.inFlight = [];
          listed.delete(partNumber);
        }
        expect([...listed.keys()], `upload ${w} has parts nobody sent`).toEqual([]);
      }
    }
    expect(version).toBeGreaterThan(12); // the rounds actually did work before each kill
  }, 90_000);
});
