/**
 * Path traversal and hostile names (issue 2: "Object keys can never reach outside the data dir";
 * "never a 500 from bad input, never a crash, never a write outside the data dir").
 *
 * The server's data dir is a fresh directory created inside another fresh directory, the jail. Every
 * hostile request must get a 4xx OSS `<Error>` document; afterwards the jail must hold nothing but the
 * data dir, no name under the data dir may carry any part of a hostile key (records are hash-named),
 * nothing may have appeared where a naive path join would have written, and the server must still
 * serve a normal PUT/GET.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
import { rawRequest, tryDecode, type RawQuery, type RawResponse } from './raw-request.js';

let jail: string;
let dataDir: string;
let server: TestServer;
/** A live upload, so UploadPart/Complete requests have a real upload id to aim at. */
let uploadId: string;
/** Paths outside the data dir a naive `join(dataDir, …, key)` would have produced, and whether each existed before. */
const outsideCandidates = new Map<string, boolean>();
/** Every key, bucket or id the tests throw at the server; none may show up in a file name. */
const hostileNames: string[] = [];
/** Distinctive words in hostile names (checked case-insensitively against every name under the data dir). */
const markers = ['pwned', 'escape', 'passwd', 'evil', 'hostile'];

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Records where a naive implementation would have put `name`, for the after-the-fact check. */
async function noteHostile(name: string): Promise<void> {
  hostileNames.push(name);
  const bases = ['', 'buckets', join('buckets', 'demo'), 'blobs', 'uploads', 'tmp'].map((b) => join(dataDir, b));
  for (const base of bases) {
    for (const variant of [name, name.replace(/\\/g, '/'), name.replace(/\0/g, '')]) {
      if (variant.includes('\0')) continue;
      const target = resolve(base, variant);
      if (target === dataDir || target.startsWith(dataDir + sep)) continue;
      if (!outsideCandidates.has(target)) outsideCandidates.set(target, await exists(target));
    }
  }
}

beforeAll(async () => {
  jail = await mkdtemp(join(tmpdir(), 'oss-jail-'));
  dataDir = await mkdtemp(join(jail, 'data-'));
  server = await startServer({ dataDir });
  const init = await rawRequest({ port: server.port, method: 'POST', path: '/demo/traversal/live-upload.bin', query: 'uploads', sign: true });
  expect(init.status, init.text).toBe(200);
  uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
});

afterAll(async () => {
  await server?.dispose();
  if (jail) await rm(jail, { recursive: true, force: true });
});

/** A 4xx answer with a well-formed OSS `<Error>` document (in the body, or in `x-oss-err` for HEAD). */
function expectRejected(res: RawResponse, label: string, code?: string): void {
  const context = `${label} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, context).toBeGreaterThanOrEqual(400);
  expect(res.status, context).toBeLessThan(500);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/xml/);
  expect(res.xml['Code'] ?? '', context).not.toBe('');
  expect(res.xml['Message'] ?? '', context).not.toBe('');
  expect(res.headers['x-oss-request-id'], context).toMatch(/^[0-9A-F]{24}$/);
  expect(res.xml['RequestId'], context).toBe(res.headers['x-oss-request-id']);
  if (code !== undefined) expect(res.xml['Code'], context).toBe(code);
}

type Attempt = { readonly label: string; readonly method: string; readonly query?: RawQuery; readonly body?: string; readonly headers?: Record<string, string> };

/** The operations each hostile path is tried with. */
function attempts(): Attempt[] {
  const completeBody = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"00000000000000000000000000000000"</ETag></Part></CompleteMultipartUpload>';
  return [
    { label: 'PutObject', method: 'PUT', body: 'pwned' },
    { label: 'InitiateMultipartUpload', method: 'POST', query: 'uploads' },
    { label: 'UploadPart', method: 'PUT', query: [['partNumber', '1'], ['uploadId', uploadId]], body: 'pwned part' },
    { label: 'CompleteMultipartUpload', method: 'POST', query: [['uploadId', uploadId]], body: completeBody, headers: { 'content-type': 'application/xml' } },
    { label: 'GetObject', method: 'GET' },
    { label: 'DeleteObject', method: 'DELETE' },
    { label: 'ListParts', method: 'GET', query: [['uploadId', uploadId]] },
  ];
}

async function tryEverything(path: string, code: string | undefined, host?: string): Promise<void> {
  for (const attempt of attempts()) {
    const res = await rawRequest({
      port: server.port, method: attempt.method, path, sign: true,
      ...(attempt.query === undefined ? {} : { query: attempt.query }),
      ...(attempt.body === undefined ? {} : { body: attempt.body }),
      headers: { ...attempt.headers, ...(host === undefined ? {} : { host }) },
    });
    expectRejected(res, `${attempt.label} ${path}${host ? ` (Host ${host})` : ''}`, code);
  }
  // HEAD: a 4xx without a body; whether x-oss-err carries the document is checked separately below.
  const head = await rawRequest({ port: server.port, method: 'HEAD', path, sign: true, ...(host === undefined ? {} : { headers: { host } }) });
  expect(head.status, `HEAD ${path}`).toBeGreaterThanOrEqual(400);
  expect(head.status, `HEAD ${path}`).toBeLessThan(500);
  expect(head.body.length).toBe(0);
}

// =============================================================================================

describe('hostile request paths (path style)', () => {
  const cases: ReadonlyArray<readonly [path: string, code: string]> = [
    ['/demo/../../etc/x', 'InvalidObjectName'],
    ['/demo/..%2F..%2Fescape', 'InvalidObjectName'],
    ['/demo/%2e%2e/%2e%2e/escape', 'InvalidObjectName'],
    ['/demo/%2E%2E%2F%2E%2E%2Fescape', 'InvalidObjectName'],
    ['/demo/a/../../b', 'InvalidObjectName'],
    ['/demo/escape/..', 'InvalidObjectName'],
    ['/demo/./escape', 'InvalidObjectName'],
    ['/demo/.', 'InvalidObjectName'],
    ['/demo/..', 'InvalidObjectName'],
    ['/demo//abs', 'InvalidObjectName'],
    ['/demo/%2Fabs', 'InvalidObjectName'],
    ['/demo/%2Fetc%2Fpasswd', 'InvalidObjectName'],
    ['/demo/%5Cabs', 'InvalidObjectName'],
    ['/demo/a%00b', 'InvalidObjectName'],
    ['/demo/escape%00.txt', 'InvalidObjectName'],
    ['/demo/a%5C..%5Cb', 'InvalidObjectName'],
    ['/demo/a\\..\\b', 'InvalidObjectName'],
    ['/demo/..%5C..%5Cescape', 'InvalidObjectName'],
    ['/demo/%ff%fe', 'InvalidURI'],
    ['/demo/%', 'InvalidURI'],
    ['/demo/%zzescape', 'InvalidURI'],
    ['/demo/%C0%AE%C0%AE/escape', 'InvalidURI'], // overlong UTF-8 for "."
    ['/%2e%2e/x', 'InvalidBucketName'],
    ['/../escape', 'InvalidBucketName'],
    ['/./escape', 'InvalidBucketName'],
    ['/demo%2F..%2F..%2Fescape/x', 'InvalidBucketName'],
    ['/de%00mo/x', 'InvalidBucketName'],
    ['/DEMO/x', 'InvalidBucketName'],
    ['/a/x', 'InvalidBucketName'],
    ['/_local/x', 'InvalidBucketName'],
    ['/-demo/x', 'InvalidBucketName'],
    ['/demo-/x', 'InvalidBucketName'],
    ['http://evil/../x', 'InvalidBucketName'], // absolute-form request target
  ];

  it.each(cases)('%s → %s for every operation', async (path, code) => {
    const decodedKey = tryDecode(path.replace(/^[a-z]+:\/\/[^/]+/, '').split('/').slice(2).join('/'));
    await noteHostile(decodedKey);
    await noteHostile(tryDecode(path.replace(/^[a-z]+:\/\/[^/]+/, '').slice(1)));
    await tryEverything(path, code);
  });

  it('keys of 1024 bytes (ASCII, and 512 × "é") are InvalidObjectName; 1023 bytes are accepted', async () => {
    const ascii1024 = `pwned-${'k'.repeat(1018)}`;
    const wide1024 = 'é'.repeat(512);
    expect(Buffer.byteLength(ascii1024)).toBe(1024);
    expect(Buffer.byteLength(wide1024)).toBe(1024);
    await tryEverything(`/demo/${encodeURIComponent(ascii1024)}`, 'InvalidObjectName');
    await tryEverything(`/demo/${encodeURIComponent(wide1024)}`, 'InvalidObjectName');

    const key1023 = `pwned-${'k'.repeat(1017)}`;
    expect(Buffer.byteLength(key1023)).toBe(1023);
    hostileNames.push(key1023);
    const put = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/${key1023}`, body: 'long key', sign: true });
    expect(put.status, put.text).toBe(200);
    const get = await rawRequest({ port: server.port, path: `/demo/${key1023}`, sign: true });
    expect(get.status).toBe(200);
    expect(get.text).toBe('long key');
    const wide1023 = `k${'é'.repeat(511)}`;
    expect(Buffer.byteLength(wide1023)).toBe(1023);
    const putWide = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/${encodeURIComponent(wide1023)}`, body: 'wide key', sign: true });
    expect(putWide.status, putWide.text).toBe(200);
  });
});

describe('HEAD of a hostile path', () => {
  it.each([
    ['/demo/..%2F..%2Fescape', 'InvalidObjectName'],
    ['/demo/%ff%fe', 'InvalidURI'],
    ['/%2e%2e/x', 'InvalidBucketName'],
  ])('HEAD %s: 4xx, no body, the document base64 in x-oss-err (§1.2)', async (path, code) => {
    const res = await rawRequest({ port: server.port, method: 'HEAD', path, sign: true });
    expect(res.body.length).toBe(0);
    expect(res.headers['x-oss-err'], `x-oss-err on HEAD ${path} → ${res.status}`).toBeDefined();
    expectRejected(res, `HEAD ${path}`, code);
  });
});

describe('hostile paths and hosts (virtual-hosted style)', () => {
  it('keys escaping through a <bucket>.localhost host', async () => {
    const host = `demo.localhost:${server.port}`;
    for (const path of ['/../../etc/escape', '/..%2F..%2Fescape', '/%2e%2e/escape', '//abs-escape', '/a%00escape', '/a%5C..%5Cescape']) {
      await noteHostile(tryDecode(path.slice(1)));
      await tryEverything(path, 'InvalidObjectName', host);
    }
  });

  it('hostile bucket names in the Host header', async () => {
    for (const host of [`..localhost:${server.port}`, `x/../demo.localhost:${server.port}`, `DEMO_.localhost:${server.port}`, `a.localhost:${server.port}`]) {
      await tryEverything('/escape.txt', 'InvalidBucketName', host);
    }
  });
});

describe('hostile x-oss-copy-source (CopyObject and UploadPartCopy)', () => {
  const sources: ReadonlyArray<readonly [source: string, code: string | undefined]> = [
    ['/demo/../../etc/passwd', 'InvalidObjectName'],
    ['/demo/..%2F..%2Fetc%2Fpasswd', 'InvalidObjectName'],
    ['/demo/%2e%2e/%2e%2e/etc/passwd', 'InvalidObjectName'],
    ['/demo/%2e%2e%2f%2e%2e%2fetc%2fpasswd', 'InvalidObjectName'],
    ['/demo//etc/passwd', 'InvalidObjectName'],
    ['/demo/%2Fetc%2Fpasswd', 'InvalidObjectName'],
    ['/demo/..%5C..%5Cpasswd', 'InvalidObjectName'],
    ['/demo/pass%00wd', 'InvalidObjectName'],
    ['/demo/%ff%fepasswd', undefined],
    ['/../etc/passwd', 'InvalidBucketName'],
    ['/%2e%2e/etc/passwd', 'InvalidBucketName'],
    ['/etc/passwd', 'NoSuchBucket'],
    ['demo/passwd', 'InvalidArgument'],
    ['/demo/', 'InvalidArgument'],
    ['/demo', 'InvalidArgument'],
    ['', 'InvalidArgument'],
  ];

  it.each(sources)('copy source %j', async (source, code) => {
    const afterBucket = source.replace(/^\/[^/]*\/?/, '');
    await noteHostile(tryDecode(afterBucket));
    await noteHostile(tryDecode(source.slice(1)));
    const copy = await rawRequest({ port: server.port, method: 'PUT', path: '/demo/traversal/copy-target.bin', sign: true, headers: { 'x-oss-copy-source': source } });
    expectRejected(copy, `CopyObject from ${source}`, code);
    const part = await rawRequest({
      port: server.port, method: 'PUT', path: '/demo/traversal/live-upload.bin', sign: true,
      query: [['partNumber', '2'], ['uploadId', uploadId]], headers: { 'x-oss-copy-source': source },
    });
    expectRejected(part, `UploadPartCopy from ${source}`, code);
  });
});

describe('hostile upload ids', () => {
  const ids = ['../../etc/passwd', '..%2F..%2Fuploads', '%2e%2e', '..', '.', '%2Fabs', 'a%00b', `${'%2e%2e%2f'.repeat(8)}escape`, '__proto__', 'constructor'];
  it.each(ids)('uploadId=%s is NoSuchUpload for every multipart operation', async (raw) => {
    await noteHostile(tryDecode(raw));
    const path = '/demo/traversal/live-upload.bin';
    const checks: Array<[string, string, RawQuery, string | undefined]> = [
      ['ListParts', 'GET', `uploadId=${raw}`, undefined],
      ['UploadPart', 'PUT', `partNumber=1&uploadId=${raw}`, 'pwned'],
      ['CompleteMultipartUpload', 'POST', `uploadId=${raw}`, '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>'],
      ['AbortMultipartUpload', 'DELETE', `uploadId=${raw}`, undefined],
    ];
    for (const [label, method, query, body] of checks) {
      const res = await rawRequest({ port: server.port, method, path, query, sign: true, ...(body === undefined ? {} : { body }) });
      expectRejected(res, `${label} uploadId=${raw}`, 'NoSuchUpload');
    }
  });
});

describe('odd but legal keys are stored by hash, never by name', () => {
  const keys = [
    'hostile/..pwned..', 'hostile/...', 'hostile/C:\\pwned', 'hostile/pwned%2F..%2F..', 'hostile/\u202epwned',
    'hostile/line\npwned', 'hostile/ pwned ', '..pwned', 'hostile/~/pwned', 'hostile/$HOME/pwned', 'hostile/pwned:stream',
    'hostile/pwned\u0001ctl', 'hostile/ﾟpwnedﾟ/…',
  ];

  it.each(keys)('%j round-trips', async (key) => {
    hostileNames.push(key);
    const path = `/demo/${encodeURIComponent(key)}`;
    const put = await rawRequest({ port: server.port, method: 'PUT', path, body: `bytes of ${key}`, sign: true });
    expect(put.status, put.text).toBe(200);
    const get = await rawRequest({ port: server.port, path, sign: true });
    expect(get.status).toBe(200);
    expect(get.text).toBe(`bytes of ${key}`);
  });

  it('a multipart upload under an odd key', async () => {
    const key = 'hostile/..pwned../multi.bin';
    hostileNames.push(key);
    const path = `/demo/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    const init = await rawRequest({ port: server.port, method: 'POST', path, query: 'uploads', sign: true });
    expect(init.status, init.text).toBe(200);
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = await rawRequest({ port: server.port, method: 'PUT', path, query: [['partNumber', '1'], ['uploadId', id]], body: 'multi', sign: true });
    expect(part.status).toBe(200);
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${String(part.headers['etag'])}</ETag></Part></CompleteMultipartUpload>`;
    const done = await rawRequest({ port: server.port, method: 'POST', path, query: [['uploadId', id]], body, sign: true });
    expect(done.status, done.text).toBe(200);
    expect((await rawRequest({ port: server.port, path, sign: true })).text).toBe('multi');
  });
});

describe('requests the HTTP parser itself rejects', () => {
  /** Writes raw bytes to the server and returns the raw answer (until the server closes or 2 s pass). */
  function rawSocket(bytes: Buffer): Promise<string> {
    return new Promise((done, fail) => {
      const socket = connect(server.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.setTimeout(2000, () => socket.end());
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', fail);
      socket.on('close', () => done(Buffer.concat(chunks).toString('latin1')));
      socket.end(bytes);
    });
  }
  const requests: ReadonlyArray<readonly [string, Buffer]> = [
    ['a raw 0xFF byte in the request target', Buffer.concat([Buffer.from('PUT /demo/'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\npwned')])],
    ['a control character in a header name', Buffer.from('GET /demo/x HTTP/1.1\r\nHost: localhost\r\nX-Bad\u0001: y\r\n\r\n', 'latin1')],
    ['a non-numeric Content-Length', Buffer.from('PUT /demo/pwned HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\npwned')],
  ];

  it.each(requests)('%s: a 4xx, and the server keeps serving', async (_label, bytes) => {
    const answer = await rawSocket(bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    const after = await rawRequest({ port: server.port, path: '/demo/traversal/after-parser.txt', sign: true });
    expect(after.status).toBe(404);
  });

  it.each(requests)('%s: the 4xx is an OSS <Error> document', async (_label, bytes) => {
    const answer = await rawSocket(bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer).toMatch(/\r\ncontent-type: application\/xml/i);
    expect(answer).toMatch(/<Error><Code>[A-Za-z]+<\/Code>/);
  });
});

describe('after every hostile request', () => {
  it('the server still serves a normal put/get', async () => {
    const put = await rawRequest({ port: server.port, method: 'PUT', path: '/demo/traversal/normal.txt', body: 'still here', sign: true });
    expect(put.status, put.text).toBe(200);
    const get = await rawRequest({ port: server.port, path: '/demo/traversal/normal.txt', sign: true });
    expect(get.status).toBe(200);
    expect(get.text).toBe('still here');
    expect(get.headers['etag']).toBe(`"${createHash('md5').update('still here').digest('hex').toUpperCase()}"`);
  });

  it('the jail holds nothing but the data dir', async () => {
    expect(await readdir(jail)).toEqual([basename(dataDir)]);
  });

  it('nothing appeared where a naive path join would have written', async () => {
    expect(outsideCandidates.size).toBeGreaterThan(10);
    for (const [path, before] of outsideCandidates) expect(await exists(path), path).toBe(before);
  });

  it('every name under the data dir is a plain hash/id name, no symlink, none carrying a hostile key', async () => {
    const entries = (await readdir(dataDir, { recursive: true })) as string[];
    expect(entries.length).toBeGreaterThan(4);
    const pieces = new Set<string>();
    for (const name of hostileNames) {
      for (const piece of name.split(/[/\\.\0%:\s~$]+/)) if (piece.length >= 5 && piece !== 'uploads') pieces.add(piece.toLowerCase());
    }
    for (const entry of entries) {
      const full = join(dataDir, entry);
      expect(resolve(full).startsWith(dataDir + sep), entry).toBe(true);
      expect((await lstat(full)).isSymbolicLink(), `${entry} is a symlink`).toBe(false);
      for (const component of entry.split(sep)) {
        expect(component, entry).toMatch(/^[A-Za-z0-9_-]+(\.[a-z]+)?$/);
        const lower = component.toLowerCase();
        for (const marker of [...markers, ...pieces]) expect(lower.includes(marker), `${entry} contains "${marker}"`).toBe(false);
      }
    }
    // Object records are named by a hash of the key, in their bucket's directory.
    const records = await readdir(join(dataDir, 'buckets', 'demo'));
    expect(records.length).toBeGreaterThan(10);
    for (const record of records) expect(record).toMatch(/^[0-9a-f]{64}\.json$/);
    // No bucket directory was created for a rejected bucket name.
    expect(await readdir(join(dataDir, 'buckets'))).toEqual(['demo']);
    // Nothing half-written is left behind by the rejected requests.
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  });
});
