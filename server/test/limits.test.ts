/**
 * Limits, each answered with a proper OSS error (issue 7, "Server hardening" → limits):
 *
 * | limit | value | answer |
 * |---|---|---|
 * | request line + headers | 16 KiB (`maxHeaderBytes`, node:http's default made explicit) | 431 RequestHeaderTooLarge, OSS XML (also in `x-oss-err`) |
 * | user metadata (`x-oss-meta-*`) | 8 KB | 400 InvalidArgument, EC 0011-00000002 |
 * | CompleteMultipartUpload body | 4 MiB (a 10,000-part list is ~0.9 MB) | 400 MalformedXML |
 * | one PUT body (object or part) | 5 GiB | 400 EntityTooLarge, from the declared Content-Length, before any byte is read |
 * | object key | 1..1,023 UTF-8 bytes | 400 InvalidObjectName |
 * | key / query encoding | valid UTF-8 after percent-decoding | 400 InvalidURI |
 *
 * Slow clients (headers and body timeouts, per-client connection cap) are in slowloris.test.ts.
 */
import { createHash } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testBytes, type AliOssClient, type TestServer } from './harness.js';
import { addressOf, parseErrorXml, rawRequest, type RawResponse } from './raw-request.js';
import { signV1Header } from './signers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

/** A 4xx OSS `<Error>` with the given code whose RequestId is the `x-oss-request-id`. */
function expectOssError(res: RawResponse, status: number, code: string): void {
  const context = `${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, context).toBe(status);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/xml/);
  expect(res.xml['Code'], context).toBe(code);
  expect(res.headers['x-oss-request-id'], context).toMatch(/^[0-9A-F]{24}$/);
  expect(res.xml['RequestId'], context).toBe(res.headers['x-oss-request-id']);
}

/** Raw bytes to the server; resolves with everything it sent back once it closes (or after `waitMs`). */
function rawExchange(bytes: Buffer | string, waitMs = 5000): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : fail(error)));
    socket.on('close', () => {
      clearTimeout(timer);
      done({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: Date.now() - started });
    });
    socket.write(bytes);
  });
}

/** Status, headers and the `<Error>` fields of a raw HTTP answer. */
function parseRaw(text: string): { status: number; headers: Record<string, string>; body: string; xml: Record<string, string> } {
  const end = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  const body = text.slice(end + 4);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1]), headers, body, xml: parseErrorXml(body).map };
}

/** V1 `Authorization` + `x-oss-date` for a request, as header lines. */
function signedHeaderLines(method: string, path: string, headers: Record<string, string> = {}, query: Array<[string, string]> = []): string {
  const { bucket, key } = addressOf(path, undefined);
  const added = signV1Header({ method, bucket, key, query, headers, now: Date.now() }, { accessKeyId: server.accessKeyId, secret: server.accessKeySecret });
  return Object.entries({ ...headers, ...added }).map(([n, v]) => `${n}: ${v}\r\n`).join('');
}

describe('header size: 16 KiB, then 431 RequestHeaderTooLarge as OSS XML', () => {
  it('a 64 KB header is refused with an OSS <Error> (body and x-oss-err), not a bare node:http 431', async () => {
    const res = await rawRequest({ port: server.port, path: '/demo/limits/x', sign: true, headers: { 'x-pad': 'p'.repeat(64 * 1024) } });
    expectOssError(res, 431, 'RequestHeaderTooLarge');
    expect(Buffer.from(String(res.headers['x-oss-err']), 'base64').toString('utf8')).toBe(res.text);
    expect(res.headers['connection']).toBe('close');
  });

  it('a HEAD with a 64 KB header reads the error from x-oss-err', async () => {
    const res = await rawRequest({ port: server.port, method: 'HEAD', path: '/demo/limits/x', sign: true, headers: { 'x-pad': 'p'.repeat(64 * 1024) } });
    expect(res.status).toBe(431);
    expect(res.xml['Code']).toBe('RequestHeaderTooLarge');
  });

  it('the same over a raw socket, for a header of 1 MiB sent in one go', async () => {
    const { text } = await rawExchange(`GET /demo/limits/x HTTP/1.1\r\nHost: localhost\r\nx-pad: ${'p'.repeat(1024 * 1024)}\r\n\r\n`);
    const answer = parseRaw(text);
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/xml');
    expect(answer.xml['Code']).toBe('RequestHeaderTooLarge');
    expect(answer.xml['RequestId']).toBe(answer.headers['x-oss-request-id']);
  });

  it('just under 16 KiB is served; just over is 431', async () => {
    const under = await rawRequest({ port: server.port, path: '/demo/limits/none', sign: true, headers: { 'x-pad': 'p'.repeat(15 * 1024) } });
    expectOssError(under, 404, 'NoSuchKey');
    const over = await rawRequest({ port: server.port, path: '/demo/limits/none', sign: true, headers: { 'x-pad': 'p'.repeat(16 * 1024) } });
    expectOssError(over, 431, 'RequestHeaderTooLarge');
    // A long URL counts too (request line + headers).
    const longUrl = await rawRequest({ port: server.port, path: `/demo/limits/none?pad=${'q'.repeat(17 * 1024)}`, sign: true });
    expectOssError(longUrl, 431, 'RequestHeaderTooLarge');
  });

  it('8 KB of user metadata plus a policy-carrying STS token fit under the limit', async () => {
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: Array.from({ length: 20 }, (_, i) => `acs:oss:*:*:demo/limits/prefix-${i}/*`) }] };
    const c = await server.assumeRole(policy);
    const meta: Record<string, string> = {};
    for (let i = 0; i < 8; i++) meta[`x-oss-meta-m${i}`] = 'v'.repeat(1000);
    const res = await rawRequest({
      port: server.port, method: 'PUT', path: '/demo/limits/prefix-3/meta.bin', body: 'meta', headers: meta,
      sign: { accessKeyId: c.AccessKeyId, secret: c.AccessKeySecret, token: c.SecurityToken },
    });
    expect(res.status, res.text).toBe(200);
  });

  it('more than 8 KB of user metadata is InvalidArgument (EC 0011-00000002)', async () => {
    const meta: Record<string, string> = {};
    for (let i = 0; i < 9; i++) meta[`x-oss-meta-m${i}`] = 'v'.repeat(1000);
    const res = await rawRequest({ port: server.port, method: 'PUT', path: '/demo/limits/meta-too-big.bin', body: 'x', headers: meta, sign: true });
    expectOssError(res, 400, 'InvalidArgument');
    expect(res.xml['EC']).toBe('0011-00000002');
  });

  it('maxHeaderBytes is an option', async () => {
    const roomy = await startServer({ maxHeaderBytes: 128 * 1024 });
    try {
      const res = await rawRequest({ port: roomy.port, path: '/demo/limits/none', sign: true, headers: { 'x-pad': 'p'.repeat(64 * 1024) } });
      expectOssError(res, 404, 'NoSuchKey');
    } finally {
      await roomy.dispose();
    }
  });
});

describe('CompleteMultipartUpload body: 10,000 parts fit, far more is MalformedXML', () => {
  const partSize = 100 * 1024;

  /** Uploads parts 1..count of `key` over keep-alive connections, `parallel` at a time; returns the ETags. */
  async function uploadParts(key: string, uploadId: string, count: number, body: (n: number) => Buffer, parallel = 16): Promise<string[]> {
    const agent = new Agent({ keepAlive: true, maxSockets: parallel });
    const etags: string[] = new Array(count);
    let next = 1;
    const put = (n: number) => new Promise<string>((done, fail) => {
      const path = `/demo/${key}`;
      const query: Array<[string, string]> = [['partNumber', String(n)], ['uploadId', uploadId]];
      const data = body(n);
      const { bucket, key: decoded } = addressOf(path, undefined);
      const auth = signV1Header({ method: 'PUT', bucket, key: decoded, query, headers: {}, now: Date.now() }, { accessKeyId: server.accessKeyId, secret: server.accessKeySecret });
      const req = httpRequest({
        host: '127.0.0.1', port: server.port, method: 'PUT', path: `${path}?partNumber=${n}&uploadId=${uploadId}`, agent,
        headers: { ...auth, host: `localhost:${server.port}`, 'content-length': data.length },
      }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? done(String(res.headers['etag'])) : fail(new Error(`part ${n}: ${res.statusCode}`))));
      });
      req.on('error', fail);
      req.end(data);
    });
    try {
      await Promise.all(Array.from({ length: parallel }, async () => {
        while (next <= count) {
          const n = next++;
          etags[n - 1] = await put(n);
        }
      }));
    } finally {
      agent.destroy();
    }
    return etags;
  }

  /** The body ali-oss sends (`\n` between elements, quoted ETags). */
  const aliOssBody = (etags: readonly string[]) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n${etags.map((etag, i) => `<Part>\n<PartNumber>${i + 1}</PartNumber>\n<ETag>${etag}</ETag>\n</Part>\n`).join('')}</CompleteMultipartUpload>`;

  it('an actual 10,000-part upload completes with a 10,000-entry list (~1 GB of parts)', async () => {
    const key = 'limits/ten-thousand.bin';
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const full = testBytes(partSize, 7);
    const last = Buffer.from('the last part');
    const etags = await uploadParts(key, uploadId, 10_000, (n) => (n === 10_000 ? last : full));
    const body = aliOssBody(etags);
    expect(Buffer.byteLength(body)).toBeGreaterThan(800_000);
    expect(Buffer.byteLength(body)).toBeLessThan(4 * 1024 * 1024);
    const done = await rawRequest({
      port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', uploadId]], body, sign: true,
      headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') }, timeoutMs: 60_000,
    });
    expect(done.status, done.text.slice(0, 300)).toBe(200);
    const md5s = Buffer.concat(etags.map((etag) => Buffer.from(etag.replace(/"/g, ''), 'hex')));
    const expected = `"${createHash('md5').update(md5s).digest('hex').toUpperCase()}-10000"`;
    expect(done.headers['etag']).toBe(expected);
    const head = await rawRequest({ port: server.port, method: 'HEAD', path: `/demo/${key}`, sign: true });
    expect(Number(head.headers['content-length'])).toBe(9_999 * partSize + last.length);
    const tail = await rawRequest({ port: server.port, path: `/demo/${key}`, sign: true, headers: { range: `bytes=${9_999 * partSize - 3}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.compare(tail.body, Buffer.concat([full.subarray(partSize - 3), last]))).toBe(0);
    await rawRequest({ port: server.port, method: 'DELETE', path: `/demo/${key}`, sign: true });
  }, 180_000);

  it('a 10,000-part list pretty-printed with generous whitespace still fits (the parts are checked, not refused for size)', async () => {
    const key = 'limits/pretty.bin';
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const etag = `"${'0'.repeat(32)}"`;
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n${Array.from({ length: 10_000 }, (_, i) =>
      `    <Part>\n        <PartNumber>${i + 1}</PartNumber>\n        <ETag>${etag}</ETag>\n    </Part>\n`).join('')}</CompleteMultipartUpload>\n`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(1_100_000);
    const res = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', uploadId]], body, sign: true, headers: { 'content-type': 'application/xml' } });
    // Parsed in full: the refusal is about the parts (none was uploaded), not the size.
    expectOssError(res, 400, 'InvalidPart');
  });

  it('a 10,000-part list with ETags written as &quot;…&quot; is read in full (20,000 entities are not an entity bomb)', async () => {
    const key = 'limits/escaped.bin';
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const body = `<CompleteMultipartUpload>${Array.from({ length: 10_000 }, (_, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>&quot;${'0'.repeat(32)}&quot;</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const res = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', uploadId]], body, sign: true, headers: { 'content-type': 'application/xml' } });
    // Parsed in full (was MalformedXML past 1,000 entities): the refusal is about the parts, none was uploaded.
    expectOssError(res, 400, 'InvalidPart');
  });

  it('a 5 MiB list (declared, and chunked) is MalformedXML, and the upload is untouched', async () => {
    const key = 'limits/huge-list.bin';
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/${key}`, query: [['partNumber', '1'], ['uploadId', uploadId]], body: 'only part', sign: true });
    const entry = `<Part><PartNumber>1</PartNumber><ETag>${String(part.headers['etag'])}</ETag></Part>`;
    const huge = `<CompleteMultipartUpload>${entry.repeat(Math.ceil((5 * 1024 * 1024) / entry.length))}</CompleteMultipartUpload>`;
    for (const chunked of [false, true]) {
      const res = await rawRequest({
        port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', uploadId]], body: huge, chunked, sign: true,
        headers: { 'content-type': 'application/xml' }, timeoutMs: 20_000,
      });
      expectOssError(res, 400, 'MalformedXML');
    }
    const ok = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', uploadId]], body: `<CompleteMultipartUpload>${entry}</CompleteMultipartUpload>`, sign: true });
    expect(ok.status, ok.text).toBe(200);
  });

  it('a document type (entity expansion, external entities) is MalformedXML', async () => {
    const key = 'limits/doctype.bin';
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    let entities = '<!ENTITY l0 "lol">';
    for (let i = 1; i <= 9; i++) entities += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    for (const body of [
      `<?xml version="1.0"?><!DOCTYPE CompleteMultipartUpload [${entities}]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&l9;</ETag></Part></CompleteMultipartUpload>`,
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag></Part></CompleteMultipartUpload>',
    ]) {
      const res = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', uploadId]], body, sign: true });
      expectOssError(res, 400, 'MalformedXML');
    }
  });
});

describe('PUT body: 5 GiB, refused from the declared Content-Length before reading', () => {
  const fiveGiB = 5 * 1024 ** 3;

  async function initiate(key: string): Promise<string> {
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    return /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
  }

  it.each([
    ['PutObject', 'limits/too-large.bin', undefined],
    ['UploadPart', 'limits/too-large-part.bin', 'part'],
  ] as const)('%s with Content-Length 5 GiB + 1 is EntityTooLarge at once; nothing is stored', async (_label, key, kind) => {
    const query: Array<[string, string]> = kind === 'part' ? [['partNumber', '1'], ['uploadId', await initiate(key)]] : [];
    const target = `/demo/${key}${query.length ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`;
    // Headers and 1 KiB of the promised 5 GiB: the answer must not wait for the rest.
    const started = Date.now();
    const { text } = await rawExchange(
      `PUT ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${fiveGiB + 1}\r\n${signedHeaderLines('PUT', `/demo/${key}`, {}, query)}\r\n${'z'.repeat(1024)}`,
      10_000,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const answer = parseRaw(text);
    expect(answer.status, text.slice(0, 300)).toBe(400);
    expect(answer.xml['Code']).toBe('EntityTooLarge');
    expect(answer.xml['MaxSizeAllowed']).toBe(String(fiveGiB));
    expect(answer.xml['RequestId']).toBe(answer.headers['x-oss-request-id']);
    // The rest of the body is not worth draining: the connection is closed after the answer.
    expect(answer.headers['connection']).toBe('close');
    expect(await readdir(join(server.dataDir, 'tmp'))).toEqual([]);
    const get = await rawRequest({ port: server.port, path: `/demo/${key}`, sign: true });
    expect(get.status).toBe(404);
  });

  it('with Expect: 100-continue the refusal comes instead of 100 Continue (the client never sends the body)', async () => {
    const { text } = await rawExchange(
      `PUT /demo/limits/expect.bin HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: ${fiveGiB + 1}\r\n${signedHeaderLines('PUT', '/demo/limits/expect.bin')}\r\n`,
      10_000,
    );
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).not.toContain('100 Continue');
    expect(parseRaw(text).xml['Code']).toBe('EntityTooLarge');
  });

  it('exactly 5 GiB is accepted: with Expect: 100-continue the server asks for the body', async () => {
    const { text } = await rawExchange(
      `PUT /demo/limits/exactly.bin HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: ${fiveGiB}\r\n${signedHeaderLines('PUT', '/demo/limits/exactly.bin')}\r\n`,
      1500,
    );
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
  });

  it('an unsigned 100-continue upload is refused before its body is sent, too', async () => {
    const { text } = await rawExchange(`PUT /demo/limits/anon.bin HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n`, 10_000);
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(text).not.toContain('100 Continue');
    expect(parseRaw(text).headers['connection']).toBe('close');
  });
});

describe('object keys: 1,023 UTF-8 bytes, valid UTF-8', () => {
  let clients: Array<[string, AliOssClient]>;
  beforeAll(() => {
    clients = [['V1', server.client()], ['V4', server.client({ v4: true })]];
  });

  it('ali-oss (V1 and V4): 1,023-byte keys round-trip, 1,024-byte keys are InvalidObjectName', async () => {
    for (const [label, client] of clients) {
      const prefix = `limits/${label}/`;
      const room = 1023 - Buffer.byteLength(prefix);
      const ascii = prefix + 'k'.repeat(room);
      const wide = prefix + 'é'.repeat(Math.floor(room / 2)) + 'x'.repeat(room % 2);
      for (const key of [ascii, wide]) {
        expect(Buffer.byteLength(key), label).toBe(1023);
        await client.put(key, Buffer.from(key));
        expect((await client.get(key)).content.toString()).toBe(key);
        const over = `${key}z`;
        expect(Buffer.byteLength(over)).toBe(1024);
        const error = await client.put(over, Buffer.from('x')).then(() => undefined, (e: { status: number; code: string }) => e);
        expect({ status: error?.status, code: error?.code }, label).toEqual({ status: 400, code: 'InvalidObjectName' });
        const init = await client.initMultipartUpload(over).then(() => undefined, (e: { status: number; code: string }) => e);
        expect({ status: init?.status, code: init?.code }, label).toEqual({ status: 400, code: 'InvalidObjectName' });
      }
    }
  });

  it.each([
    ['a lone continuation byte', '%80'],
    ['0xFF', '%FF'],
    ['an overlong "/"', '%C0%AF'],
    ['an overlong "."', '%C0%AE'],
    ['a UTF-16 surrogate', '%ED%A0%80'],
    ['a truncated sequence', '%E2%82'],
    ['a 5-byte sequence', '%F8%88%80%80%80'],
    ['a code point above U+10FFFF', '%F4%90%80%80'],
  ])('a key with %s (%s) is 400 InvalidURI, path style, virtual-hosted, HEAD and in the query', async (_label, bytes) => {
    expectOssError(await rawRequest({ port: server.port, method: 'PUT', path: `/demo/limits/bad${bytes}utf8`, body: 'x', sign: true }), 400, 'InvalidURI');
    expectOssError(await rawRequest({ port: server.port, method: 'PUT', path: `/limits/bad${bytes}utf8`, body: 'x', sign: true, headers: { host: `demo.localhost:${server.port}` } }), 400, 'InvalidURI');
    const head = await rawRequest({ port: server.port, method: 'HEAD', path: `/demo/limits/bad${bytes}utf8`, sign: true });
    expect(head.status).toBe(400);
    expect(head.xml['Code']).toBe('InvalidURI');
    expectOssError(await rawRequest({ port: server.port, path: '/demo/', query: `prefix=limits${bytes}`, sign: true }), 400, 'InvalidURI');
    // As a copy source it is the header that is wrong.
    expectOssError(await rawRequest({ port: server.port, method: 'PUT', path: '/demo/limits/copy-target', sign: true, headers: { 'x-oss-copy-source': `/demo/limits/bad${bytes}` } }), 400, 'InvalidArgument');
  });
});
