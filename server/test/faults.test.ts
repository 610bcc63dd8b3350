/**
 * Fault injection (`faults: true`) proven end to end through the official ali-oss client and raw
 * HTTP: injected errors, delays and dropped sockets, rule filters, seeded probabilistic rules that
 * replay, early STS expiry, the persistent request log, and that without `faults` `/_local/` is
 * just an (invalid) OSS bucket path.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OSS, startServer, testBytes, type AliOssClient, type TestServer } from './harness.js';
import { rawRequest } from './raw-request.js';

/** ali-oss methods these tests call (the harness types the client as a loose record). */
type Client = AliOssClient & Record<'put' | 'get' | 'head' | 'delete' | 'getStream' | 'initMultipartUpload' | 'uploadPart' | 'uploadPartCopy'
  | 'completeMultipartUpload' | 'abortMultipartUpload' | 'listParts' | 'listUploads', (...args: any[]) => Promise<any>>;

const KiB = 1024;
const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex').toUpperCase();

type RawResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** A raw HTTP request (node:http, so the Host header can be set). */
function raw(url: string, options: { method?: string; headers?: Record<string, string | number>; body?: Uint8Array | string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

type RuleState = { id: number; op?: string; seen: number; fired: number };
type LogEntry = {
  requestId: string; method: string; op: string; key: string | undefined; uploadId: string | undefined;
  partNumber: number | undefined; status: number; code: string | undefined; bytesIn: number; fault: string | undefined;
  ms: number; completeParts?: number[];
};

function controlOf(server: TestServer) {
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${server.url}/_local/${path}`, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    call,
    addRules: async (rules: object[], seed?: number): Promise<number[]> => {
      const res = await call('POST', 'faults', seed === undefined ? { rules } : { rules, seed });
      expect(res.status).toBe(200);
      return res.json.ids as number[];
    },
    rules: async (): Promise<RuleState[]> => (await call('GET', 'faults')).json.rules as RuleState[],
    clearRules: async () => expect((await call('DELETE', 'faults')).status).toBe(200),
    log: async (since?: number): Promise<LogEntry[]> => {
      const res = await call('GET', since === undefined ? 'log' : `log?since=${since}`);
      expect(res.status).toBe(200);
      return res.json.entries as LogEntry[];
    },
    clearLog: async () => expect((await call('DELETE', 'log')).status).toBe(200),
  };
}

/** The failure of an ali-oss call (fails the test when the call succeeds). */
async function failureOf(promise: Promise<unknown>): Promise<{ status?: number; code?: string; name?: string; message: string; requestId?: string; hostId?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { status?: number; code?: string; name?: string; message: string; requestId?: string };
  }
  throw new Error('expected the request to fail');
}

async function uploadPart(client: Client, name: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
  const result = await client.uploadPart(name, uploadId, partNumber, body, 0, body.length) as { etag: string };
  return result.etag;
}

async function listedParts(client: Client, name: string, uploadId: string): Promise<Map<number, string>> {
  const result = await client.listParts(name, uploadId) as { parts: { PartNumber: string; ETag: string }[] | { PartNumber: string; ETag: string } };
  // ali-oss's XML parsing yields an object, not an array, for a single part.
  const parts = Array.isArray(result.parts) ? result.parts : [result.parts];
  return new Map(parts.map((p) => [Number(p.PartNumber), p.ETag]));
}

describe('fault injection', () => {
  let server: TestServer;
  let client: Client;
  let control: ReturnType<typeof controlOf>;

  beforeAll(async () => {
    server = await startServer({ faults: true });
    client = server.client() as Client;
    control = controlOf(server);
    expect((await control.call('GET', 'health')).json).toEqual({ ok: true });
  });
  afterAll(async () => {
    await server?.dispose();
  });
  beforeEach(async () => {
    await control.clearRules();
  });

  it('the Nth UploadPart of part 3 fails with 503 ServiceUnavailable exactly `times` times, then succeeds', async () => {
    const name = 'faults/nth.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const [ruleId] = await control.addRules([{ op: 'UploadPart', partNumber: 3, nth: 2, times: 2, action: 'error' }]);
    const bodies = [1, 2, 3, 4, 5].map((i) => testBytes(100 * KiB + i, 300 + i));

    // 1st matching request: before nth, succeeds.
    expect(await uploadPart(client, name, uploadId, 3, bodies[0]!)).toBe(`"${md5Hex(bodies[0]!)}"`);
    // 2nd: fails, through the official client.
    const failure = await failureOf(uploadPart(client, name, uploadId, 3, bodies[1]!));
    expect(failure).toMatchObject({ status: 503, code: 'ServiceUnavailable', name: 'ServiceUnavailableError' });
    expect(failure.requestId).toMatch(/^[0-9A-F]{24}$/);
    // Other part numbers are not counted and not failed.
    expect(await uploadPart(client, name, uploadId, 1, bodies[2]!)).toBe(`"${md5Hex(bodies[2]!)}"`);
    // 3rd: fails again; raw, to see the OSS error document.
    const url = client.signatureUrl(name, { method: 'PUT', subResource: { partNumber: 3, uploadId } });
    const rawFailure = await raw(url, { method: 'PUT', body: bodies[3]! });
    expect(rawFailure.status).toBe(503);
    expect(rawFailure.headers['content-type']).toMatch(/xml/);
    const xml = rawFailure.body.toString('utf8');
    expect(xml).toContain('<Code>ServiceUnavailable</Code>');
    expect(xml).toMatch(/<Message>[^<]+<\/Message>/);
    expect(xml).toContain(`<RequestId>${String(rawFailure.headers['x-oss-request-id'])}</RequestId>`);
    expect(xml).toMatch(/<HostId>[^<]+<\/HostId>/);
    // The failed attempts stored nothing: part 3 is still the first body.
    expect((await listedParts(client, name, uploadId)).get(3)).toBe(`"${md5Hex(bodies[0]!)}"`);
    // 4th: `times` is used up, succeeds and replaces part 3.
    expect(await uploadPart(client, name, uploadId, 3, bodies[4]!)).toBe(`"${md5Hex(bodies[4]!)}"`);
    expect(await uploadPart(client, name, uploadId, 3, bodies[4]!)).toBe(`"${md5Hex(bodies[4]!)}"`);
    expect((await listedParts(client, name, uploadId)).get(3)).toBe(`"${md5Hex(bodies[4]!)}"`);
    const rule = (await control.rules()).find((r) => r.id === ruleId);
    expect(rule).toMatchObject({ seen: 5, fired: 2 });
  });

  it('custom status, code and message are answered as given', async () => {
    await control.addRules([{ op: 'PutObject', key: 'faults/custom.bin', action: 'error', status: 429, code: 'Throttling', message: 'Slow down, test.' }]);
    const failure = await failureOf(client.put('faults/custom.bin', testBytes(10, 1)));
    expect(failure).toMatchObject({ status: 429, code: 'Throttling', message: 'Slow down, test.' });
    await expect(client.head('faults/custom.bin')).rejects.toMatchObject({ status: 404 });
    await client.put('faults/custom.bin', testBytes(10, 1));
    expect((await client.head('faults/custom.bin') as { res: { status: number } }).res.status).toBe(200);
  });

  it('a delay rule delays the matching request by at least delayMs, once', async () => {
    const name = 'faults/delayed.bin';
    const body = testBytes(20 * KiB, 5);
    await client.put(name, body);
    const timed = async () => {
      const start = performance.now();
      const result = await client.get(name) as { content: Buffer };
      expect(result.content.equals(body)).toBe(true);
      return performance.now() - start;
    };
    expect(await timed()).toBeLessThan(500);
    await control.addRules([{ op: 'GetObject', key: name, action: 'delay', delayMs: 800 }]);
    expect(await timed()).toBeGreaterThanOrEqual(800);
    expect(await timed()).toBeLessThan(500);
  });

  it('a drop rule destroys the socket mid-body: the client sees a socket error and nothing is stored', async () => {
    const name = 'faults/dropped.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const p1 = testBytes(120 * KiB, 11);
    const p2 = testBytes(1024 * KiB, 12);
    const e1 = await uploadPart(client, name, uploadId, 1, p1);
    await control.clearLog();
    await control.addRules([{ op: 'UploadPart', key: name, partNumber: 2, action: 'drop', afterBytes: 64 * KiB }]);
    const failure = await failureOf(uploadPart(client, name, uploadId, 2, p2));
    expect(failure.status === undefined || failure.status < 0).toBe(true); // no HTTP answer at all
    expect(`${failure.code} ${failure.name} ${failure.message}`).toMatch(/ECONNRESET|EPIPE|socket hang up|other side closed|SocketError/i);
    expect([...(await listedParts(client, name, uploadId))]).toEqual([[1, e1]]);
    // The half-received body was discarded, not left in tmp/ (give the server a moment to clean up).
    await new Promise((r) => setTimeout(r, 100));
    expect(await readdir(join(server.dataDir, 'tmp'))).toEqual([]);
    // The rule fired once; the retry goes through.
    const e2 = await uploadPart(client, name, uploadId, 2, p2);
    expect(e2).toBe(`"${md5Hex(p2)}"`);
    expect([...(await listedParts(client, name, uploadId))]).toEqual([[1, e1], [2, e2]]);
    // The log shows the dropped attempt (no status: no answer was sent) and the retry.
    const attempts = (await control.log()).filter((e) => e.op === 'UploadPart' && e.partNumber === 2);
    expect(attempts.map((e) => [e.fault, e.status])).toEqual([['drop', 0], [undefined, 200]]);
    expect(attempts[0]).toMatchObject({ uploadId, key: name });
    expect(attempts[0]!.bytesIn).toBeGreaterThanOrEqual(64 * KiB);
    expect(attempts[0]!.bytesIn).toBeLessThan(p2.length);
  });

  it('a stall rule reads and answers nothing for holdMs, then drops the socket; nothing is stored, and the log has how long it was held', async () => {
    const name = 'faults/stalled.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    await control.clearLog();
    await control.addRules([{ op: 'UploadPart', key: name, partNumber: 1, action: 'stall', holdMs: 1200 }]);
    const started = performance.now();
    const failure = await failureOf(uploadPart(client, name, uploadId, 1, testBytes(200 * KiB, 13)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(1200);
    expect(`${failure.code} ${failure.name} ${failure.message}`).toMatch(/ECONNRESET|EPIPE|socket hang up|other side closed|SocketError/i);
    expect((await listedParts(client, name, uploadId).catch(() => new Map())).size).toBe(0);
    const [entry] = (await control.log()).filter((e) => e.op === 'UploadPart');
    expect(entry).toMatchObject({ fault: 'stall', status: 0, bytesIn: 0 });
    expect(entry!.ms).toBeGreaterThanOrEqual(1200);
    expect(entry!.ms).toBeLessThan(3000);
    // Answered requests carry their duration too.
    const etag = await uploadPart(client, name, uploadId, 1, testBytes(100 * KiB, 14));
    expect(etag).toMatch(/^"[0-9A-F]{32}"$/);
    const answered = (await control.log()).filter((e) => e.op === 'UploadPart').at(-1)!;
    expect(answered).toMatchObject({ status: 200 });
    expect(answered.ms).toBeGreaterThanOrEqual(0);
  });

  it('a drop rule on PutObject leaves no object behind', async () => {
    const name = 'faults/dropped-put.bin';
    await control.addRules([{ op: 'PutObject', key: name, action: 'drop', afterBytes: 10 * KiB }]);
    const failure = await failureOf(client.put(name, testBytes(512 * KiB, 13)));
    expect(failure.status === undefined || failure.status < 0).toBe(true);
    await expect(client.head(name)).rejects.toMatchObject({ status: 404 });
  });

  it('a drop rule also cuts requests that carry no body (Initiate, GET): the client sees a socket error', async () => {
    const name = 'faults/dropped-bodyless.bin';
    await client.put(name, testBytes(1 * KiB, 21));
    await control.addRules([
      { op: 'InitiateMultipartUpload', key: name, action: 'drop' },
      { op: 'GetObject', key: name, action: 'drop', afterBytes: 100 },
    ]);
    const initiate = await failureOf(client.initMultipartUpload(name));
    expect(initiate.status === undefined || initiate.status < 0).toBe(true);
    const get = await failureOf(client.get(name));
    expect(get.status === undefined || get.status < 0).toBe(true);
    expect((await client.listUploads({ prefix: name })).uploads ?? []).toHaveLength(0);
    expect((await client.get(name)).content.length).toBe(1 * KiB);
  });

  it('rules filtered by op, key and part number fire on nothing else', async () => {
    const a = 'faults/filter-a.bin';
    const b = 'faults/filter-b.bin';
    const [ruleId] = await control.addRules([{ op: 'UploadPart', key: a, partNumber: 3, times: 0, action: 'error', status: 500, code: 'InternalError' }]);
    const ua = (await client.initMultipartUpload(a) as { uploadId: string }).uploadId;
    const ub = (await client.initMultipartUpload(b) as { uploadId: string }).uploadId;
    const body = testBytes(8 * KiB, 21);
    await uploadPart(client, b, ub, 3, body); // other key
    await uploadPart(client, a, ua, 2, body); // other part number
    await client.put(a, body); // other operation, same key
    await client.get(a);
    const copy = await client.uploadPartCopy(a, ua, 4, '', { sourceKey: a, sourceBucketName: 'demo' }) as { res: { status: number } };
    expect(copy.res.status).toBe(200); // UploadPartCopy is another operation
    for (let i = 0; i < 3; i++) {
      expect(await failureOf(uploadPart(client, a, ua, 3, body))).toMatchObject({ status: 500, code: 'InternalError' });
    }
    expect([...(await listedParts(client, a, ua)).keys()]).toEqual([2, 4]);
    expect([...(await listedParts(client, b, ub)).keys()]).toEqual([3]);
    expect((await control.rules()).find((r) => r.id === ruleId)).toMatchObject({ seen: 3, fired: 3 });
  });

  it('probability rules with the same seed fire on the same request indices twice in a row', async () => {
    const name = 'faults/chaos.bin';
    await client.put(name, testBytes(100, 31));
    const run = async (seed: number): Promise<number[]> => {
      await control.clearRules();
      await control.addRules([{ op: 'HeadObject', key: name, probability: 0.4, times: 0, action: 'error', status: 503 }], seed);
      const fired: number[] = [];
      for (let i = 0; i < 30; i++) {
        try {
          await client.head(name);
        } catch (error) {
          expect((error as { status?: number }).status).toBe(503);
          fired.push(i);
        }
      }
      return fired;
    };
    const first = await run(4242);
    const second = await run(4242);
    expect(second).toEqual(first);
    expect(first.length).toBeGreaterThan(3);
    expect(first.length).toBeLessThan(27);
    // Another seed gives another sequence (deterministic, so this cannot flake).
    expect(await run(4243)).not.toEqual(first);
    // Probability 0 never fires, probability 1 always does.
    await control.clearRules();
    await control.addRules([{ op: 'HeadObject', key: name, probability: 0, times: 0, action: 'error' }], 1);
    for (let i = 0; i < 5; i++) await client.head(name);
    await control.clearRules();
    await control.addRules([{ op: 'HeadObject', key: name, probability: 1, times: 0, action: 'error' }], 1);
    for (let i = 0; i < 5; i++) await expect(client.head(name)).rejects.toMatchObject({ status: 503 });
  });

  it('rejects malformed rules without installing them', async () => {
    for (const rule of [{ action: 'explode' }, { action: 'error', probability: 2 }, { action: 'error', status: 99 }, { action: 'delay', delayMs: -1 }, { action: 'stall', holdMs: -1 }]) {
      const res = await control.call('POST', 'faults', { rules: [rule] });
      expect(res.status).toBe(400);
      expect(typeof res.json.error).toBe('string');
    }
    expect(await control.rules()).toEqual([]);
    expect((await control.call('GET', 'nope')).status).toBe(404);
  });

  it('POST /_local/sts/expire expires minted tokens while root keys keep working', async () => {
    const creds = await server.assumeRole();
    const sts = server.client({ credentials: { accessKeyId: creds.AccessKeyId, accessKeySecret: creds.AccessKeySecret, stsToken: creds.SecurityToken } }) as Client;
    const body = testBytes(1000, 41);
    await sts.put('faults/sts.bin', body);
    expect(((await sts.get('faults/sts.bin')) as { content: Buffer }).content.equals(body)).toBe(true);
    const expire = await control.call('POST', 'sts/expire');
    expect(expire.status).toBe(200);
    const failure = await failureOf(sts.put('faults/sts.bin', body));
    expect(failure).toMatchObject({ status: 403, code: 'SecurityTokenExpired' });
    expect(await failureOf(sts.get('faults/sts.bin'))).toMatchObject({ code: 'SecurityTokenExpired' });
    await client.put('faults/sts-root.bin', body);
    expect(((await client.get('faults/sts.bin')) as { content: Buffer }).content.equals(body)).toBe(true);
    // A token minted after the expiry works: a refresh path can recover.
    await new Promise((r) => setTimeout(r, 5));
    const fresh = await server.assumeRole();
    const sts2 = server.client({ credentials: { accessKeyId: fresh.AccessKeyId, accessKeySecret: fresh.AccessKeySecret, stsToken: fresh.SecurityToken } }) as Client;
    await sts2.put('faults/sts.bin', body);
  });

  it('virtual-hosted keys under `_local/` are still objects, not control routes', async () => {
    // Path-style `/_local/...` is reserved (no bucket may be called `_local`), but with a virtual-hosted
    // Host header the path is a key of that bucket.
    const name = '_local/health';
    const body = Buffer.from('an object, not the health check');
    const put = client.signatureUrl(name, { method: 'PUT' });
    const get = client.signatureUrl(name, { method: 'GET' });
    const virtual = (url: string) => `${server.url}${new URL(url).pathname.replace(/^\/demo/, '')}${new URL(url).search}`;
    const host = `demo.localhost:${server.port}`;
    const putRes = await raw(virtual(put), { method: 'PUT', headers: { Host: host }, body });
    expect(putRes.status, putRes.body.toString()).toBe(200);
    const getRes = await raw(virtual(get), { headers: { Host: host } });
    expect(getRes.status).toBe(200);
    expect(getRes.body.equals(body)).toBe(true);
  });
});

describe('request log', () => {
  let dataDir: string;
  const disposers: TestServer[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'oss-faults-log-'));
  });
  afterAll(async () => {
    for (const s of disposers) await s.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists requests with op, part number, status and bytesIn, and survives a restart on the same data dir', async () => {
    let server = await startServer({ faults: true, dataDir });
    disposers.push(server);
    let control = controlOf(server);
    let client = server.client() as Client;
    await control.clearLog();
    const name = 'log/a.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const part = testBytes(123 * KiB + 45, 51);
    await uploadPart(client, name, uploadId, 7, part);
    await client.listParts(name, uploadId);
    await expect(client.get('log/missing.bin')).rejects.toMatchObject({ status: 404 });
    const entries = await control.log();
    expect(entries.map((e) => [e.op, e.status])).toEqual([
      ['InitiateMultipartUpload', 200], ['UploadPart', 200], ['ListParts', 200], ['GetObject', 404],
    ]);
    expect(entries[1]).toMatchObject({ method: 'PUT', key: name, uploadId, partNumber: 7, bytesIn: part.length });
    expect(entries[3]).toMatchObject({ code: 'NoSuchKey', key: 'log/missing.bin' });
    expect(entries.every((e) => /^[0-9A-F]{24}$/.test(e.requestId))).toBe(true);
    expect((await control.log(2)).map((e) => e.op)).toEqual(['ListParts', 'GetObject']);
    // The control endpoint's own requests are not OSS requests: they are not logged.
    expect(entries.some((e) => e.op.includes('local'))).toBe(false);

    await server.close();
    server = await startServer({ faults: true, dataDir });
    disposers.push(server);
    control = controlOf(server);
    client = server.client() as Client;
    const reloaded = await control.log();
    expect(reloaded).toEqual(entries);
    await client.listParts(name, uploadId);
    const appended = await control.log();
    expect(appended.slice(0, entries.length)).toEqual(entries);
    expect(appended.slice(entries.length).map((e) => e.op)).toEqual(['ListParts']);

    // Clearing is persistent too.
    await control.clearLog();
    await server.close();
    server = await startServer({ faults: true, dataDir });
    disposers.push(server);
    expect(await controlOf(server).log()).toEqual([]);
  });

  it('records the part numbers a CompleteMultipartUpload body listed, duplicates included, even when refused', async () => {
    const server = await startServer({ faults: true });
    disposers.push(server);
    const control = controlOf(server);
    const client = server.client() as Client;
    await control.clearLog();
    const name = 'log/complete.bin';
    const { uploadId } = await client.initMultipartUpload(name) as { uploadId: string };
    const etags = [await uploadPart(client, name, uploadId, 1, testBytes(100 * KiB, 61)), await uploadPart(client, name, uploadId, 2, testBytes(5 * KiB, 62))];
    // ali-oss sorts and dedupes the list it sends, so the refused body goes out raw.
    const body = `<CompleteMultipartUpload>${[1, 1].map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>${etags[0]}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const refused = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${name}`, query: { uploadId }, body, sign: true });
    expect([refused.status, refused.xml['Code']]).toEqual([400, 'InvalidPartOrder']);
    await client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: etags[0] }, { number: 2, etag: etags[1] }]);
    const completes = (await control.log()).filter((e) => e.op === 'CompleteMultipartUpload');
    expect(completes.map((e) => [e.status, e.completeParts])).toEqual([[400, [1, 1]], [200, [1, 2]]]);
    expect((await control.log()).filter((e) => e.op !== 'CompleteMultipartUpload').every((e) => !('completeParts' in e))).toBe(true);
  });
});

describe('without `faults`', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('/_local/ is not a control endpoint but an OSS 4xx error, and nothing is installed', async () => {
    for (const [method, path, body] of [
      ['GET', 'health', undefined], ['GET', 'faults', undefined], ['GET', 'log', undefined],
      ['POST', 'faults', JSON.stringify({ rules: [{ op: 'PutObject', action: 'error', times: 0 }] })],
      ['POST', 'sts/expire', undefined], ['DELETE', 'log', undefined],
    ] as const) {
      const res = await raw(`${server.url}/_local/${path}`, { method, ...(body ? { body, headers: { 'Content-Type': 'application/json' } } : {}) });
      expect(res.status, `${method} /_local/${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} /_local/${path}`).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/xml/);
      const xml = res.body.toString('utf8');
      expect(xml).toMatch(/<Error>[\s\S]*<Code>\w+<\/Code>[\s\S]*<\/Error>/);
      expect(xml).toContain(`<RequestId>${String(res.headers['x-oss-request-id'])}</RequestId>`);
      expect(xml).not.toContain('"ok"');
    }
    // The posted rule was not installed and the posted expiry did nothing.
    const client = server.client() as Client;
    await client.put('nofaults/a.bin', testBytes(100, 61));
    const creds = await server.assumeRole();
    await new Promise((r) => setTimeout(r, 5));
    await raw(`${server.url}/_local/sts/expire`, { method: 'POST' });
    const sts = server.client({ credentials: { accessKeyId: creds.AccessKeyId, accessKeySecret: creds.AccessKeySecret, stsToken: creds.SecurityToken } }) as Client;
    await sts.put('nofaults/b.bin', testBytes(100, 62));
    // And no request log is written.
    expect(await readdir(server.dataDir)).not.toContain('requests.log');
  });
});

describe('the `--faults` CLI server', () => {
  it('survives a drop fault (socket destroyed mid-body) and keeps answering', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'oss-faults-cli-'));
    const proc = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--port', '0', '--data', dataDir, '--faults', '--no-fsync'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stderr.setEncoding('utf8').on('data', (text: string) => { output += text; });
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner within 20 s:\n${output}`)), 20_000);
        proc.stdout.setEncoding('utf8').on('data', (text: string) => {
          output += text;
          const match = /listening on http:\/\/\S+:(\d+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
        proc.once('exit', () => reject(new Error(`exited before listening:\n${output}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const post = await fetch(`${base}/_local/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ op: 'PutObject', action: 'drop', afterBytes: 1000 }] }) });
      expect(post.status).toBe(200);
      const client = new OSS({
        endpoint: `http://localhost:${port}`, bucket: 'demo', sldEnable: true, region: 'oss-cn-hangzhou',
        accessKeyId: 'oss-local-ak', accessKeySecret: 'oss-local-sk', timeout: 10_000,
      }) as Client;
      const failure = await failureOf(client.put('cli/dropped.bin', testBytes(200 * KiB, 71)));
      expect(failure.status === undefined || failure.status < 0).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(proc.exitCode, `the server process died:\n${output}`).toBeNull();
      const health = await fetch(`${base}/_local/health`);
      expect(await health.json()).toEqual({ ok: true });
      await client.put('cli/after.bin', testBytes(10, 72));
      const log = await (await fetch(`${base}/_local/log`)).json() as { entries: LogEntry[] };
      expect(log.entries.map((e) => [e.op, e.fault, e.status])).toEqual([['PutObject', 'drop', 0], ['PutObject', undefined, 200]]);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
