/**
 * Every error code of docs/protocol.md §2.9, provoked over raw HTTP against a real server and checked
 * for status, the `<Error>` document of §1.3 (Code, Message, RequestId = `x-oss-request-id`, HostId,
 * the table's extra elements, EC = `x-oss-ec`), `Content-Type: application/xml`, the CORS headers an
 * error needs in a browser (§4), and `x-oss-err` on HEAD (§1.2). Also a few success shapes of §2 and
 * the multipart ETag formula of §7.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startServer, testBytes, type TestServer } from './harness.js';
import { rawRequest, type RawRequestOptions, type RawResponse, type SigningCredentials } from './raw-request.js';

const origin = 'http://app.example';
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.dispose();
});

type Req = Omit<RawRequestOptions, 'port'>;

/** A signed (root key) request from the browser origin `origin`, unless told otherwise. */
function send(options: Req, target: TestServer = server): Promise<RawResponse> {
  return rawRequest({ sign: true, ...options, port: target.port, headers: { origin, ...options.headers } });
}

// ---------------------------------------------------------------------------------------------
// Independent helpers (no server code): CRC-64/XZ (§6), MD5s, XML element extraction.

const crcTable: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0xc96c5795d7870f42n : c >> 1n;
    table.push(c);
  }
  return table;
})();

function crc64(data: Buffer): string {
  let c = 0xffffffffffffffffn;
  for (const byte of data) c = crcTable[Number((c ^ BigInt(byte)) & 0xffn)]! ^ (c >> 8n);
  return (c ^ 0xffffffffffffffffn).toString();
}

const md5 = (data: Buffer | string) => createHash('md5').update(data);
const md5Hex = (data: Buffer | string) => md5(data).digest('hex').toUpperCase();
const md5Base64 = (data: Buffer | string) => md5(data).digest('base64');

/** XML character references, decoded (the server may write `"` as `&quot;`, which XML allows). */
function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_all, e: string) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e] ??
    String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))));
}

/** First text of `<name>` in an XML document, entities decoded. */
function tag(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
}

function tags(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);
}

// ---------------------------------------------------------------------------------------------
// Error assertions.

type Expected = {
  status: number;
  code: string;
  /** Extra elements: exact text, a pattern, or `true` for "present and non-empty". */
  extras?: Record<string, string | RegExp | true>;
  /** `x-oss-ec` header and `<EC>` element. */
  ec?: string;
  /** The request was a HEAD: no body, the document in `x-oss-err`. */
  head?: boolean;
  /** CORS headers are expected (the request carried an allowed Origin). @default true */
  cors?: boolean;
  hostId?: string;
};

function expectOssError(res: RawResponse, expected: Expected): void {
  const context = `${res.status} ${res.text || String(res.headers['x-oss-err'] ?? '')}`;
  expect(res.status, context).toBe(expected.status);
  const requestId = res.headers['x-oss-request-id'];
  expect(requestId, context).toMatch(/^[0-9A-F]{24}$/);
  expect(String(res.headers['content-type']), context).toMatch(/^application\/xml/);
  if (expected.head) {
    expect(res.body.length).toBe(0);
    const encoded = res.headers['x-oss-err'];
    expect(typeof encoded, 'HEAD error needs x-oss-err').toBe('string');
    expect(Buffer.from(String(encoded), 'base64').toString('utf8')).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<Error>/);
  } else {
    expect(res.text, context).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<Error>[\s\S]*<\/Error>\s*$/);
  }
  const { xml } = res;
  expect(xml['Code'], context).toBe(expected.code);
  expect(xml['Message'] ?? '', context).not.toBe('');
  expect(xml['RequestId'], context).toBe(requestId);
  // OSS names the bucket's host (`<bucket>.<endpoint>`); requests refused before a bucket is known name the endpoint.
  if (expected.hostId) expect(xml['HostId'], context).toBe(expected.hostId);
  else expect(xml['HostId'], context).toMatch(new RegExp(`^([a-z0-9-]+\\.)?localhost:${server.port}$`));
  // §1.3 element order: Code, Message, RequestId, HostId, extras…, EC.
  expect(res.xmlOrder.slice(0, 4)).toEqual(['Code', 'Message', 'RequestId', 'HostId']);
  for (const [name, value] of Object.entries(expected.extras ?? {})) {
    expect(xml[name], `<${name}> in ${context}`).toBeDefined();
    if (value === true) expect(xml[name], `<${name}>`).not.toBe('');
    else if (value instanceof RegExp) expect(xml[name], `<${name}>`).toMatch(value);
    else expect(xml[name], `<${name}>`).toBe(value);
    if (xml['EC'] !== undefined) expect(res.xmlOrder.indexOf(name), `<${name}> before <EC>`).toBeLessThan(res.xmlOrder.indexOf('EC'));
  }
  if (expected.ec !== undefined) {
    expect(res.headers['x-oss-ec'], context).toBe(expected.ec);
    expect(xml['EC'], context).toBe(expected.ec);
  }
  // Whatever EC there is, header and element agree.
  expect(res.headers['x-oss-ec']).toBe(xml['EC']);
  if (expected.cors ?? true) expectCorsOnActualResponse(res);
}

function expectCorsOnActualResponse(res: RawResponse, allowed = origin): void {
  expect(res.headers['access-control-allow-origin']).toBe(allowed);
  const expose = String(res.headers['access-control-expose-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase());
  for (const name of ['etag', 'x-oss-request-id', 'x-oss-hash-crc64ecma']) expect(expose, `expose ${name}`).toContain(name);
}

// ---------------------------------------------------------------------------------------------
// Operations over raw HTTP.

let keyCounter = 0;
const freshKey = (label: string) => `errors/${label}-${++keyCounter}.bin`;
const objectPath = (key: string, bucket = 'demo') => `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

async function initiate(key: string, headers: Record<string, string> = {}, credentials?: SigningCredentials): Promise<string> {
  const res = await send({ method: 'POST', path: objectPath(key), query: 'uploads', headers, ...(credentials ? { sign: credentials } : {}) });
  expect(res.status, res.text).toBe(200);
  return tag(res.text, 'UploadId')!;
}

async function uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<RawResponse> {
  const res = await send({ method: 'PUT', path: objectPath(key), query: [['partNumber', String(partNumber)], ['uploadId', uploadId]], body });
  expect(res.status, res.text).toBe(200);
  return res;
}

function completeXml(parts: ReadonlyArray<readonly [number, string]>): string {
  return '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n' +
    parts.map(([n, etag]) => `<Part>\n<PartNumber>${n}</PartNumber>\n<ETag>${etag}</ETag>\n</Part>\n`).join('') +
    '</CompleteMultipartUpload>';
}

function complete(key: string, uploadId: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send({
    method: 'POST', path: objectPath(key), query: [['uploadId', uploadId]], body,
    headers: { 'content-type': 'application/xml', 'content-md5': md5Base64(body), ...headers },
  });
}

async function putObject(key: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await send({ method: 'PUT', path: objectPath(key), body, headers });
  expect(res.status, res.text).toBe(200);
  return res;
}

const big = (seed: number) => testBytes(100 * 1024, seed);

// =============================================================================================

describe('independent helpers', () => {
  it('CRC-64 matches the §6 vectors', () => {
    expect(crc64(Buffer.from('123456789'))).toBe('11051210869376104954');
    expect(crc64(Buffer.alloc(0))).toBe('0');
    expect(BigInt(crc64(Buffer.from('a'))).toString(16).toUpperCase()).toBe('330284772E652B05');
  });
});

describe('NoSuchUpload (404, <UploadId>, EC 0017-00000244)', () => {
  const bad = '0004B9894A22E5B1888A1E29F823ABCD';
  const expected = (uploadId: string): Expected => ({ status: 404, code: 'NoSuchUpload', extras: { UploadId: uploadId }, ec: '0017-00000244' });

  it('UploadPart with an unknown upload id', async () => {
    const res = await send({ method: 'PUT', path: objectPath(freshKey('nsu')), query: [['partNumber', '1'], ['uploadId', bad]], body: 'x' });
    expectOssError(res, expected(bad));
  });

  it('CompleteMultipartUpload with an unknown upload id', async () => {
    const res = await complete(freshKey('nsu'), bad, completeXml([[1, '"3349DC700140D7F86A0784842780C3D5"']]));
    expectOssError(res, expected(bad));
  });

  it('AbortMultipartUpload with an unknown upload id', async () => {
    expectOssError(await send({ method: 'DELETE', path: objectPath(freshKey('nsu')), query: [['uploadId', bad]] }), expected(bad));
  });

  it('ListParts with an unknown upload id', async () => {
    expectOssError(await send({ path: objectPath(freshKey('nsu')), query: [['uploadId', bad]] }), expected(bad));
  });

  it('an upload id used under another key, after Abort, and after Complete', async () => {
    const key = freshKey('nsu');
    const id = await initiate(key);
    expectOssError(await send({ path: objectPath(`${key}.other`), query: [['uploadId', id]] }), expected(id));
    expect((await send({ method: 'DELETE', path: objectPath(key), query: [['uploadId', id]] })).status).toBe(204);
    expectOssError(await send({ method: 'PUT', path: objectPath(key), query: [['partNumber', '1'], ['uploadId', id]], body: 'x' }), expected(id));
    expectOssError(await send({ method: 'DELETE', path: objectPath(key), query: [['uploadId', id]] }), expected(id));

    const id2 = await initiate(key);
    const part = await uploadPart(key, id2, 1, Buffer.from('only part'));
    expect((await complete(key, id2, completeXml([[1, String(part.headers['etag'])]]))).status).toBe(200);
    expectOssError(await send({ path: objectPath(key), query: [['uploadId', id2]] }), expected(id2));
    expectOssError(await complete(key, id2, completeXml([[1, String(part.headers['etag'])]])), expected(id2));
  });
});

describe('CompleteMultipartUpload part validation', () => {
  it('InvalidPart: a listed part was never uploaded', async () => {
    const key = freshKey('invalid-part');
    const id = await initiate(key);
    const p1 = await uploadPart(key, id, 1, big(1));
    const res = await complete(key, id, completeXml([[1, String(p1.headers['etag'])], [2, `"${md5Hex('never')}"`]]));
    expectOssError(res, { status: 400, code: 'InvalidPart' });
  });

  it('InvalidPart: the ETag does not match the stored part', async () => {
    const key = freshKey('invalid-part');
    const id = await initiate(key);
    await uploadPart(key, id, 1, big(2));
    const res = await complete(key, id, completeXml([[1, `"${md5Hex('something else')}"`]]));
    expectOssError(res, { status: 400, code: 'InvalidPart' });
    // The upload survives a rejected Complete.
    expect((await send({ path: objectPath(key), query: [['uploadId', id]] })).status).toBe(200);
  });

  it('InvalidPartOrder (EC 0042-00000209): descending part numbers', async () => {
    const key = freshKey('order');
    const id = await initiate(key);
    const p1 = await uploadPart(key, id, 1, big(3));
    const p2 = await uploadPart(key, id, 2, big(4));
    const res = await complete(key, id, completeXml([[2, String(p2.headers['etag'])], [1, String(p1.headers['etag'])]]));
    expectOssError(res, { status: 400, code: 'InvalidPartOrder', ec: '0042-00000209' });
  });

  it('InvalidPartOrder: a duplicated part number', async () => {
    const key = freshKey('order');
    const id = await initiate(key);
    const p1 = await uploadPart(key, id, 1, big(5));
    const etag = String(p1.headers['etag']);
    const res = await complete(key, id, completeXml([[1, etag], [1, etag]]));
    expectOssError(res, { status: 400, code: 'InvalidPartOrder', ec: '0042-00000209' });
  });

  it('EntityTooSmall (EC 0042-00000213): a non-last part under 100 KB', async () => {
    const key = freshKey('small');
    const id = await initiate(key);
    const p1 = await uploadPart(key, id, 1, testBytes(100 * 1024 - 1, 6));
    const p2 = await uploadPart(key, id, 2, testBytes(10, 7));
    const res = await complete(key, id, completeXml([[1, String(p1.headers['etag'])], [2, String(p2.headers['etag'])]]));
    expectOssError(res, { status: 400, code: 'EntityTooSmall', ec: '0042-00000213' });
  });
});

describe('InvalidDigest (400)', () => {
  it('PutObject with a Content-MD5 of other bytes; nothing is stored', async () => {
    const key = freshKey('digest');
    const res = await send({ method: 'PUT', path: objectPath(key), body: 'payload', headers: { 'content-md5': md5Base64('other') } });
    expectOssError(res, { status: 400, code: 'InvalidDigest' });
    expectOssError(await send({ path: objectPath(key) }), { status: 404, code: 'NoSuchKey' });
  });

  it('UploadPart with a Content-MD5 of other bytes; the part is not recorded', async () => {
    const key = freshKey('digest');
    const id = await initiate(key);
    const res = await send({
      method: 'PUT', path: objectPath(key), query: [['partNumber', '1'], ['uploadId', id]], body: 'part', headers: { 'content-md5': md5Base64('trap') },
    });
    expectOssError(res, { status: 400, code: 'InvalidDigest' });
    const list = await send({ path: objectPath(key), query: [['uploadId', id]] });
    expect(tags(list.text, 'Part')).toEqual([]);
  });

  it('a malformed Content-MD5', async () => {
    for (const bad of ['abc', md5Hex('x'), 'not base64 at all!!!!!=']) {
      const res = await send({ method: 'PUT', path: objectPath(freshKey('digest')), body: 'x', headers: { 'content-md5': bad } });
      expectOssError(res, { status: 400, code: 'InvalidDigest' });
    }
  });
});

describe('InvalidArgument (400, ArgumentName/ArgumentValue)', () => {
  it('partNumber 0, 10001, abc, -1 and 1.5 (EC 0017-00000220)', async () => {
    const key = freshKey('argument');
    const id = await initiate(key);
    for (const value of ['0', '10001', 'abc', '-1', '1.5', '']) {
      const res = await send({ method: 'PUT', path: objectPath(key), query: [['partNumber', value], ['uploadId', id]], body: 'x' });
      expectOssError(res, { status: 400, code: 'InvalidArgument', extras: { ArgumentName: 'PartNumber', ArgumentValue: value }, ec: '0017-00000220' });
      expect(res.xml['Message']).toBe('Part number must be an integer between 1 and 10000, inclusive.');
    }
    // The bounds themselves are valid.
    await uploadPart(key, id, 1, Buffer.from('first'));
    await uploadPart(key, id, 10_000, Buffer.from('last'));
  });

  it('uploadId without partNumber: ArgumentName ResourceType (EC 0017-00000219)', async () => {
    const key = freshKey('argument');
    const id = await initiate(key);
    const res = await send({ method: 'PUT', path: objectPath(key), query: [['uploadId', id]], body: 'x' });
    expectOssError(res, { status: 400, code: 'InvalidArgument', extras: { ArgumentName: 'ResourceType', ArgumentValue: 'partNumber' }, ec: '0017-00000219' });
  });

  it('a bad max-parts on ListParts', async () => {
    const key = freshKey('argument');
    const id = await initiate(key);
    for (const value of ['abc', '0', '-1', '1e3']) {
      const res = await send({ path: objectPath(key), query: [['uploadId', id], ['max-parts', value]] });
      expectOssError(res, { status: 400, code: 'InvalidArgument', extras: { ArgumentName: 'max-parts', ArgumentValue: value } });
    }
  });

  it('x-oss-complete-all: yes with a body', async () => {
    const key = freshKey('argument');
    const id = await initiate(key);
    const part = await uploadPart(key, id, 1, Buffer.from('one'));
    const res = await complete(key, id, completeXml([[1, String(part.headers['etag'])]]), { 'x-oss-complete-all': 'yes' });
    expectOssError(res, { status: 400, code: 'InvalidArgument', extras: { ArgumentName: true } });
  });
});

describe('MalformedXML (400)', () => {
  let key: string;
  let id: string;
  let etag: string;
  beforeAll(async () => {
    key = freshKey('xml');
    id = await initiate(key);
    etag = String((await uploadPart(key, id, 1, Buffer.from('xml part'))).headers['etag']);
  });

  it('broken XML', async () => {
    expectOssError(await complete(key, id, `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag>`), { status: 400, code: 'MalformedXML' });
    expectOssError(await complete(key, id, 'not xml at all'), { status: 400, code: 'MalformedXML' });
  });

  it('a wrong root element', async () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?><CompleteUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteUpload>`;
    expectOssError(await complete(key, id, body), { status: 400, code: 'MalformedXML' });
  });

  it('PartNumber that is not a number', async () => {
    const body = `<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`;
    expectOssError(await complete(key, id, body), { status: 400, code: 'MalformedXML' });
  });

  const hugeBody = () => {
    const padding = `<Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part>`.repeat(Math.ceil((4 * 1024 * 1024) / 50));
    const body = `<CompleteMultipartUpload>${padding}</CompleteMultipartUpload>`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(4 * 1024 * 1024);
    return body;
  };

  it('a body over 4 MiB with Content-Length', async () => {
    expectOssError(await complete(key, id, hugeBody()), { status: 400, code: 'MalformedXML' });
  });

  it('a body over 4 MiB sent chunked (no Content-Length)', async () => {
    const res = await send({
      method: 'POST', path: objectPath(key), query: [['uploadId', id]], body: hugeBody(), chunked: true,
      headers: { 'content-type': 'application/xml' }, timeoutMs: 8000,
    });
    expectOssError(res, { status: 400, code: 'MalformedXML' });
  });

  it('the upload still completes after the rejected bodies', async () => {
    const res = await complete(key, id, completeXml([[1, etag]]));
    expect(res.status, res.text).toBe(200);
  });
});

describe('FileAlreadyExists (409)', () => {
  it('PutObject with x-oss-forbid-overwrite: true over an existing key (EC 0026-00000002)', async () => {
    const key = freshKey('exists');
    await putObject(key, 'first');
    const res = await send({ method: 'PUT', path: objectPath(key), body: 'second', headers: { 'x-oss-forbid-overwrite': 'true' } });
    expectOssError(res, { status: 409, code: 'FileAlreadyExists', ec: '0026-00000002' });
    expect((await send({ path: objectPath(key) })).text).toBe('first');
  });

  it('InitiateMultipartUpload with x-oss-forbid-overwrite: true over an existing key', async () => {
    const key = freshKey('exists');
    await putObject(key, 'first');
    const res = await send({ method: 'POST', path: objectPath(key), query: 'uploads', headers: { 'x-oss-forbid-overwrite': 'true' } });
    expectOssError(res, { status: 409, code: 'FileAlreadyExists' });
  });

  it('Complete with x-oss-forbid-overwrite: true when the key appeared meanwhile (EC 0042-00000214)', async () => {
    const key = freshKey('exists');
    const id = await initiate(key);
    const part = await uploadPart(key, id, 1, Buffer.from('multipart bytes'));
    await putObject(key, 'raced in');
    const res = await complete(key, id, completeXml([[1, String(part.headers['etag'])]]), { 'x-oss-forbid-overwrite': 'true' });
    expectOssError(res, { status: 409, code: 'FileAlreadyExists', ec: '0042-00000214' });
    expect((await send({ path: objectPath(key) })).text).toBe('raced in');
    // The upload is still there.
    expect((await send({ path: objectPath(key), query: [['uploadId', id]] })).status).toBe(200);
  });

  it('Complete of an upload initiated with x-oss-forbid-overwrite when the key appeared meanwhile', async () => {
    const key = freshKey('exists');
    const id = await initiate(key, { 'x-oss-forbid-overwrite': 'true' });
    const part = await uploadPart(key, id, 1, Buffer.from('multipart bytes'));
    await putObject(key, 'raced in');
    const res = await complete(key, id, completeXml([[1, String(part.headers['etag'])]]));
    expectOssError(res, { status: 409, code: 'FileAlreadyExists', ec: '0042-00000214' });
  });
});

describe('NoSuchBucket, NoSuchKey, PreconditionFailed', () => {
  it('NoSuchBucket (404, <BucketName>, EC 0015-00000101)', async () => {
    expectOssError(await send({ path: '/no-such-bucket/a.txt' }), { status: 404, code: 'NoSuchBucket', extras: { BucketName: 'no-such-bucket' }, ec: '0015-00000101' });
    expectOssError(await send({ method: 'PUT', path: '/no-such-bucket/a.txt', body: 'x' }),
      { status: 404, code: 'NoSuchBucket', extras: { BucketName: 'no-such-bucket' }, ec: '0015-00000101' });
    expectOssError(await send({ method: 'POST', path: '/no-such-bucket/a.txt', query: 'uploads' }),
      { status: 404, code: 'NoSuchBucket', extras: { BucketName: 'no-such-bucket' }, ec: '0015-00000101' });
    // Reported even to unsigned requests, as OSS does.
    expectOssError(await send({ path: '/no-such-bucket/a.txt', sign: false }),
      { status: 404, code: 'NoSuchBucket', extras: { BucketName: 'no-such-bucket' }, ec: '0015-00000101' });
  });

  it('NoSuchKey (404) on GetObject', async () => {
    expectOssError(await send({ path: objectPath('errors/never-written.txt') }), { status: 404, code: 'NoSuchKey' });
  });

  it('NoSuchKey (404) on UploadPartCopy from a missing source', async () => {
    const key = freshKey('copy');
    const id = await initiate(key);
    const res = await send({
      method: 'PUT', path: objectPath(key), query: [['partNumber', '1'], ['uploadId', id]],
      headers: { 'x-oss-copy-source': '/demo/errors/missing-source.bin' },
    });
    expectOssError(res, { status: 404, code: 'NoSuchKey' });
  });

  it('PreconditionFailed (412, <Condition>) on x-oss-copy-source-if-match', async () => {
    const source = freshKey('source');
    await putObject(source, testBytes(1000, 9));
    const key = freshKey('copy');
    const id = await initiate(key);
    const res = await send({
      method: 'PUT', path: objectPath(key), query: [['partNumber', '1'], ['uploadId', id]],
      headers: { 'x-oss-copy-source': objectPath(source), 'x-oss-copy-source-if-match': `"${md5Hex('not it')}"` },
    });
    expectOssError(res, { status: 412, code: 'PreconditionFailed', extras: { Condition: 'x-oss-copy-source-if-match' } });
    // The matching ETag copies.
    const ok = await send({
      method: 'PUT', path: objectPath(key), query: [['partNumber', '1'], ['uploadId', id]],
      headers: { 'x-oss-copy-source': objectPath(source), 'x-oss-copy-source-if-match': `"${md5Hex(testBytes(1000, 9))}"` },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers['etag']).toBe(`"${md5Hex(testBytes(1000, 9))}"`);
  });

  it('PreconditionFailed (412, <Condition>) on GetObject If-Match', async () => {
    const key = freshKey('cond');
    await putObject(key, 'conditional');
    const res = await send({ path: objectPath(key), headers: { 'if-match': `"${md5Hex('other')}"` } });
    expectOssError(res, { status: 412, code: 'PreconditionFailed', extras: { Condition: 'If-Match' } });
  });
});

describe('authentication and authorisation errors', () => {
  it('AccessDenied (403) without any authentication', async () => {
    const res = await send({ path: objectPath('errors/anything.txt'), sign: false });
    expectOssError(res, { status: 403, code: 'AccessDenied' });
    expectOssError(await send({ method: 'PUT', path: objectPath('errors/anything.txt'), body: 'x', sign: false }), { status: 403, code: 'AccessDenied' });
  });

  it('AccessDenied (403) for an STS token outside its policy prefix', async () => {
    const c = await server.assumeRole({
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:ListParts', 'oss:AbortMultipartUpload'], Resource: 'acs:oss:*:*:demo/uploads/*' }],
    });
    const sign = { accessKeyId: c.AccessKeyId, secret: c.AccessKeySecret, token: c.SecurityToken };
    const inside = await send({ method: 'PUT', path: objectPath('uploads/allowed.txt'), body: 'ok', sign });
    expect(inside.status, inside.text).toBe(200);
    expectOssError(await send({ method: 'PUT', path: objectPath('other/denied.txt'), body: 'no', sign }), { status: 403, code: 'AccessDenied' });
    expectOssError(await send({ method: 'POST', path: objectPath('other/denied.bin'), query: 'uploads', sign }), { status: 403, code: 'AccessDenied' });
    // GetObject is not granted even inside the prefix.
    expectOssError(await send({ path: objectPath('uploads/allowed.txt'), sign }), { status: 403, code: 'AccessDenied' });
    expectOssError(await send({ path: objectPath('errors/none.txt'), sign }), { status: 403, code: 'AccessDenied' });
  });

  it('SignatureDoesNotMatch (403, EC 0002-00000040) echoes OSSAccessKeyId, SignatureProvided, StringToSign, StringToSignBytes', async () => {
    const key = freshKey('sig');
    let sent = '';
    const res = await send({
      method: 'PUT', path: objectPath(key), body: 'tampered', headers: { 'content-type': 'text/plain', 'x-oss-meta-who': 'me' },
      mutateSignature: (signature) => (sent = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`),
    });
    expect(res.stringToSign).toContain('x-oss-meta-who:me\n');
    expectOssError(res, {
      status: 403, code: 'SignatureDoesNotMatch', ec: '0002-00000040',
      extras: {
        OSSAccessKeyId: server.accessKeyId,
        SignatureProvided: sent,
        StringToSign: res.stringToSign!,
        StringToSignBytes: [...Buffer.from(res.stringToSign!, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' '),
      },
    });
    // Wrong secret, same outcome; nothing was stored.
    expectOssError(await send({ method: 'PUT', path: objectPath(key), body: 'x', sign: { accessKeyId: server.accessKeyId, secret: 'wrong' } }),
      { status: 403, code: 'SignatureDoesNotMatch', ec: '0002-00000040' });
    expectOssError(await send({ path: objectPath(key) }), { status: 404, code: 'NoSuchKey' });
  });

  it('InvalidAccessKeyId (403, <OSSAccessKeyId>) for an unknown key', async () => {
    const res = await send({ path: objectPath('errors/x.txt'), sign: { accessKeyId: 'LTAI-unknown', secret: 'whatever' } });
    expectOssError(res, { status: 403, code: 'InvalidAccessKeyId', extras: { OSSAccessKeyId: 'LTAI-unknown' } });
  });

  it('InvalidAccessKeyId (EC 0002-00000003) for an STS key sent without its token', async () => {
    const c = await server.assumeRole();
    const res = await send({ path: objectPath('errors/x.txt'), sign: { accessKeyId: c.AccessKeyId, secret: c.AccessKeySecret } });
    expectOssError(res, { status: 403, code: 'InvalidAccessKeyId', extras: { OSSAccessKeyId: c.AccessKeyId }, ec: '0002-00000003' });
    expect(res.xml['Message']).toContain('The Security Token may be lost to specify that it is a STS Access Id.');
  });

  it('InvalidSecurityToken (403, EC 0002-00000006): a tampered token, and a token of another key id', async () => {
    const a = await server.assumeRole();
    const b = await server.assumeRole();
    const last = a.SecurityToken.slice(-2, -1) === 'A' ? 'B' : 'A';
    const tampered = `${a.SecurityToken.slice(0, -2)}${last}${a.SecurityToken.slice(-1)}`;
    for (const token of [tampered, b.SecurityToken, 'garbage']) {
      const res = await send({ path: objectPath('errors/x.txt'), sign: { accessKeyId: a.AccessKeyId, secret: a.AccessKeySecret, token } });
      expectOssError(res, { status: 403, code: 'InvalidSecurityToken', ec: '0002-00000006' });
      expect(res.xml['Message']).toBe('The security token you provided is invalid.');
    }
  });

  it('SecurityTokenExpired (403, <SecurityToken>, EC 0002-00000007)', async () => {
    const c = await server.assumeRole();
    const sign = { accessKeyId: c.AccessKeyId, secret: c.AccessKeySecret, token: c.SecurityToken };
    const key = freshKey('sts');
    expect((await send({ method: 'PUT', path: objectPath(key), body: 'fresh', sign })).status).toBe(200);
    server.sts.expireIssuedBefore(Date.now() + 1);
    const res = await send({ method: 'PUT', path: objectPath(key), body: 'stale', sign });
    expectOssError(res, { status: 403, code: 'SecurityTokenExpired', extras: { SecurityToken: c.SecurityToken }, ec: '0002-00000007' });
    expect(res.xml['Message']).toBe('The security token you provided has expired.');
    // A token minted afterwards works.
    await new Promise((r) => setTimeout(r, 5));
    const d = await server.assumeRole();
    expect((await send({ path: objectPath(key), sign: { accessKeyId: d.AccessKeyId, secret: d.AccessKeySecret, token: d.SecurityToken } })).text).toBe('fresh');
  });

  it('RequestTimeTooSkewed (403): x-oss-date 20 minutes off, either way', async () => {
    for (const offset of [-20 * 60_000, 20 * 60_000]) {
      const when = new Date(Math.floor((Date.now() + offset) / 1000) * 1000);
      const before = Date.now();
      const res = await send({ path: objectPath('errors/x.txt'), headers: { 'x-oss-date': when.toUTCString() } });
      expectOssError(res, {
        status: 403, code: 'RequestTimeTooSkewed',
        extras: { MaxAllowedSkewMilliseconds: '900000', RequestTime: when.toISOString(), ServerTime: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/ },
      });
      expect(res.xml['Message']).toBe('The difference between the request time and the current time is too large.');
      expect(Math.abs(Date.parse(res.xml['ServerTime']!) - before)).toBeLessThan(60_000);
    }
    // 14 minutes off is still accepted.
    const near = new Date(Date.now() - 14 * 60_000).toUTCString();
    expect((await send({ path: objectPath('errors/x.txt'), headers: { 'x-oss-date': near } })).status).toBe(404);
  });

  it('neither Date nor x-oss-date: 403, EC 0002-00000503', async () => {
    const res = await send({ path: objectPath('errors/x.txt'), headers: { 'x-oss-date': undefined } });
    expect(res.stringToSign).toMatch(/^GET\n\n\n\n/);
    expectOssError(res, { status: 403, code: 'AccessDenied', ec: '0002-00000503' });
  });
});

describe('oversized bodies on the unsigned STS endpoint', () => {
  it('a form-encoded POST / over 64 KiB is refused with a 4xx and the server keeps serving', async () => {
    const body = `Action=AssumeRole&pad=${'x'.repeat(70 * 1024)}`;
    const res = await send({ method: 'POST', path: '/', body, sign: false, headers: { 'content-type': 'application/x-www-form-urlencoded' }, timeoutMs: 8000 });
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await send({ path: objectPath('errors/after-sts.txt') })).status).toBe(404);
  });
});

describe('CallbackFailed (203): the object is stored anyway', () => {
  const callbackHeader = (port: number) => Buffer.from(JSON.stringify({
    callbackUrl: `http://127.0.0.1:${port}/callback`, callbackBody: 'bucket=${bucket}&object=${object}&etag=${etag}&size=${size}',
  })).toString('base64');

  it('PutObject with a callback URL on a closed port', async () => {
    const key = freshKey('callback');
    const body = testBytes(5000, 11);
    const res = await send({ method: 'PUT', path: objectPath(key), body, headers: { 'x-oss-callback': callbackHeader(await closedPort()) } });
    expectOssError(res, { status: 203, code: 'CallbackFailed' });
    expect(res.headers['etag']).toBe(`"${md5Hex(body)}"`);
    const get = await send({ path: objectPath(key) });
    expect(get.status).toBe(200);
    expect(get.body.equals(body)).toBe(true);
  });

  it('CompleteMultipartUpload with a callback URL on a closed port', async () => {
    const key = freshKey('callback');
    const id = await initiate(key);
    const data = testBytes(3000, 12);
    const part = await uploadPart(key, id, 1, data);
    const res = await complete(key, id, completeXml([[1, String(part.headers['etag'])]]), { 'x-oss-callback': callbackHeader(await closedPort()) });
    expectOssError(res, { status: 203, code: 'CallbackFailed' });
    const get = await send({ path: objectPath(key) });
    expect(get.status).toBe(200);
    expect(get.body.equals(data)).toBe(true);
    expectOssError(await send({ path: objectPath(key), query: [['uploadId', id]] }), { status: 404, code: 'NoSuchUpload' });
  });
});

describe('CORS: AccessForbidden preflights and headers on errors', () => {
  let restricted: TestServer;
  const allowed = 'http://allowed.example';
  beforeAll(async () => {
    restricted = await startServer({ corsOrigins: [allowed] });
  });
  afterAll(async () => {
    await restricted?.dispose();
  });

  const preflight = (from: string, method = 'PUT', headers = 'authorization, content-type, x-oss-date, x-oss-security-token') => rawRequest({
    port: restricted.port, method: 'OPTIONS', path: '/demo/uploads/a.bin',
    headers: { origin: from, 'access-control-request-method': method, 'access-control-request-headers': headers },
  });
  const corsHeaderNames = (res: RawResponse) => Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));

  it('a preflight from a disallowed origin: 403 AccessForbidden without any Access-Control-* header', async () => {
    const res = await preflight('http://evil.example');
    expectOssError(res, { status: 403, code: 'AccessForbidden', cors: false, hostId: `demo.localhost:${restricted.port}` });
    expect(corsHeaderNames(res)).toEqual([]);
  });

  it('a preflight from the allowed origin: 200 with Allow-Origin/Methods/Headers and Expose-Headers', async () => {
    const res = await preflight(allowed);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(allowed);
    const methods = String(res.headers['access-control-allow-methods']).split(',').map((m) => m.trim());
    for (const m of ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']) expect(methods).toContain(m);
    const allowHeaders = String(res.headers['access-control-allow-headers']).toLowerCase().split(',').map((h) => h.trim());
    for (const h of ['authorization', 'content-type', 'x-oss-date', 'x-oss-security-token']) expect(allowHeaders).toContain(h);
    const expose = String(res.headers['access-control-expose-headers']).toLowerCase().split(',').map((h) => h.trim());
    for (const h of ['etag', 'x-oss-request-id', 'x-oss-hash-crc64ecma']) expect(expose).toContain(h);
    expect(res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
  });

  it('a preflight from the allowed origin for a method no rule allows: 403 AccessForbidden without CORS headers', async () => {
    const res = await preflight(allowed, 'PATCH');
    expect(res.status).toBe(403);
    expect(res.xml['Code']).toBe('AccessForbidden');
    expect(corsHeaderNames(res)).toEqual([]);
  });

  it('actual error responses carry Allow-Origin and Expose-Headers for the allowed origin only', async () => {
    const ok = await rawRequest({ port: restricted.port, path: '/demo/missing.txt', sign: true, headers: { origin: allowed } });
    expectOssError(ok, { status: 404, code: 'NoSuchKey', cors: false, hostId: `demo.localhost:${restricted.port}` });
    expectCorsOnActualResponse(ok, allowed);
    const evil = await rawRequest({ port: restricted.port, path: '/demo/missing.txt', sign: true, headers: { origin: 'http://evil.example' } });
    expect(evil.status).toBe(404);
    expect(corsHeaderNames(evil)).toEqual([]);
  });

  it('every error on the default server carries the CORS headers, unsigned, malformed and HEAD included', async () => {
    const responses = await Promise.all([
      send({ path: objectPath('x'), sign: false }),
      send({ path: '/demo/%ff' }),
      send({ path: '/BAD_bucket/x' }),
      // A method the rule allows (a PATCH matches no rule, so on OSS it gets no CORS headers).
      send({ method: 'POST', path: objectPath('x') }),
      send({ method: 'HEAD', path: objectPath('errors/none') }),
      send({ method: 'PUT', path: objectPath('x'), query: [['uploadId', 'x']] }),
    ]);
    for (const res of responses) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expectCorsOnActualResponse(res);
    }
  });
});

describe('HEAD errors: no body, the document base64 in x-oss-err', () => {
  it('NoSuchKey, AccessDenied, NoSuchBucket, PreconditionFailed, SignatureDoesNotMatch', async () => {
    const key = freshKey('head');
    await putObject(key, 'head me');
    expectOssError(await send({ method: 'HEAD', path: objectPath('errors/no-such.txt') }), { status: 404, code: 'NoSuchKey', head: true });
    expectOssError(await send({ method: 'HEAD', path: objectPath(key), sign: false }), { status: 403, code: 'AccessDenied', head: true });
    expectOssError(await send({ method: 'HEAD', path: '/no-such-bucket/x' }), { status: 404, code: 'NoSuchBucket', head: true, extras: { BucketName: 'no-such-bucket' }, ec: '0015-00000101' });
    expectOssError(await send({ method: 'HEAD', path: objectPath(key), headers: { 'if-match': '"0"' } }), { status: 412, code: 'PreconditionFailed', head: true, extras: { Condition: 'If-Match' } });
    expectOssError(await send({ method: 'HEAD', path: objectPath(key), mutateSignature: (s) => `x${s}` }), { status: 403, code: 'SignatureDoesNotMatch', head: true, ec: '0002-00000040' });
    const ok = await send({ method: 'HEAD', path: objectPath(key) });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-oss-err']).toBeUndefined();
  });

  it('a HEAD refused while the request is parsed (InvalidURI, InvalidObjectName, InvalidBucketName) also carries x-oss-err', async () => {
    expectOssError(await send({ method: 'HEAD', path: '/demo/%ff' }), { status: 400, code: 'InvalidURI', head: true });
    expectOssError(await send({ method: 'HEAD', path: '/demo/..%2Fx' }), { status: 400, code: 'InvalidObjectName', head: true });
    expectOssError(await send({ method: 'HEAD', path: '/BAD/x' }), { status: 400, code: 'InvalidBucketName', head: true });
  });
});

describe('success shapes (§2, §7)', () => {
  it('InitiateMultipartUpload XML', async () => {
    const key = freshKey('shape');
    const res = await send({ method: 'POST', path: objectPath(key), query: 'uploads', headers: { 'content-type': 'text/plain', 'x-oss-meta-owner': 'alice' } });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^application\/xml/);
    expect(res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expect(res.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<InitiateMultipartUploadResult>/);
    expect(tag(res.text, 'Bucket')).toBe('demo');
    expect(tag(res.text, 'Key')).toBe(key);
    expect(tag(res.text, 'UploadId')).toMatch(/^[0-9A-F]{32}$/);
    expect(tag(res.text, 'EncodingType')).toBeUndefined();
    expectCorsOnActualResponse(res);
  });

  it('UploadPart headers: quoted upper-case MD5 ETag, Content-MD5, x-oss-hash-crc64ecma; re-upload overwrites', async () => {
    const key = freshKey('shape');
    const id = await initiate(key);
    const data = testBytes(12345, 21);
    const res = await uploadPart(key, id, 3, data);
    expect(res.headers['etag']).toBe(`"${md5Hex(data)}"`);
    expect(res.headers['content-md5']).toBe(md5Base64(data));
    expect(res.headers['x-oss-hash-crc64ecma']).toBe(crc64(data));
    expect(res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expect(res.body.length).toBe(0);
    const again = testBytes(99, 22);
    const second = await uploadPart(key, id, 3, again);
    expect(second.headers['etag']).toBe(`"${md5Hex(again)}"`);
    const list = await send({ path: objectPath(key), query: [['uploadId', id]] });
    expect(tags(list.text, 'Part')).toHaveLength(1);
    expect(tag(list.text, 'Size')).toBe('99');
  });

  it('CompleteMultipartUpload XML and the MD5-of-part-MD5s-N ETag (§7 vector)', async () => {
    const key = freshKey('shape');
    const id = await initiate(key);
    const part1 = Buffer.alloc(102400, 'a');
    const part2 = Buffer.alloc(10, 'b');
    const p1 = await uploadPart(key, id, 1, part1);
    const p2 = await uploadPart(key, id, 2, part2);
    expect(p1.headers['etag']).toBe('"302D3A0C8E319EAA95B059B346DE1D1D"');
    expect(p2.headers['etag']).toBe('"82136B4240D6CE4EA7D03E51469A393B"');
    const res = await complete(key, id, completeXml([[1, String(p1.headers['etag'])], [2, String(p2.headers['etag'])]]));
    expect(res.status, res.text).toBe(200);
    const formula = `${createHash('md5').update(Buffer.concat([md5(part1).digest(), md5(part2).digest()])).digest('hex').toUpperCase()}-2`;
    expect(formula).toBe('986A36156EB9BEEFEEA12B0E118A4B2E-2');
    expect(res.headers['etag']).toBe(`"${formula}"`);
    expect(res.headers['x-oss-hash-crc64ecma']).toBe(crc64(Buffer.concat([part1, part2])));
    expect(String(res.headers['content-type'])).toMatch(/^application\/xml/);
    expect(res.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<CompleteMultipartUploadResult>/);
    expect(tag(res.text, 'Location')).toBe(`http://localhost:${server.port}/demo/${key}`);
    expect(tag(res.text, 'Bucket')).toBe('demo');
    expect(tag(res.text, 'Key')).toBe(key);
    expect(tag(res.text, 'ETag')).toBe(`"${formula}"`);
    const get = await send({ path: objectPath(key) });
    expect(get.body.equals(Buffer.concat([part1, part2]))).toBe(true);
    expect(get.headers['etag']).toBe(`"${formula}"`);
  });

  it('x-oss-complete-all: yes completes every uploaded part in part-number order', async () => {
    const key = freshKey('shape');
    const id = await initiate(key);
    const a = testBytes(102400, 31);
    const b = testBytes(7, 32);
    const pb = await uploadPart(key, id, 5, b);
    const pa = await uploadPart(key, id, 2, a);
    const res = await send({ method: 'POST', path: objectPath(key), query: [['uploadId', id]], headers: { 'x-oss-complete-all': 'yes' } });
    expect(res.status, res.text).toBe(200);
    const etags = [pa, pb].map((p) => Buffer.from(String(p.headers['etag']).slice(1, -1), 'hex'));
    expect(res.headers['etag']).toBe(`"${md5Hex(Buffer.concat(etags))}-2"`);
    expect((await send({ path: objectPath(key) })).body.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('ListParts XML: markers, MaxParts, IsTruncated, Part/HashCrc64ecma; max-parts > 1000', async () => {
    const key = freshKey('shape');
    const id = await initiate(key);
    const bodies = new Map<number, Buffer>([[1, testBytes(10, 41)], [4, testBytes(20, 42)], [9, testBytes(30, 43)]]);
    for (const [n, body] of bodies) await uploadPart(key, id, n, body);

    const first = await send({ path: objectPath(key), query: [['uploadId', id], ['max-parts', '2']] });
    expect(first.status).toBe(200);
    expect(String(first.headers['content-type'])).toMatch(/^application\/xml/);
    expect(first.text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<ListPartsResult>/);
    expect(tag(first.text, 'Bucket')).toBe('demo');
    expect(tag(first.text, 'Key')).toBe(key);
    expect(tag(first.text, 'UploadId')).toBe(id);
    expect(tag(first.text, 'PartNumberMarker')).toBe('0');
    expect(tag(first.text, 'NextPartNumberMarker')).toBe('4');
    expect(tag(first.text, 'MaxParts')).toBe('2');
    expect(tag(first.text, 'IsTruncated')).toBe('true');
    const parts = tags(first.text, 'Part');
    expect(parts.map((p) => tag(p, 'PartNumber'))).toEqual(['1', '4']);
    for (const p of parts) {
      const body = bodies.get(Number(tag(p, 'PartNumber')))!;
      expect(tag(p, 'ETag')).toBe(`"${md5Hex(body)}"`);
      expect(tag(p, 'HashCrc64ecma')).toBe(crc64(body));
      expect(tag(p, 'Size')).toBe(String(body.length));
      expect(tag(p, 'LastModified')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    }

    const second = await send({ path: objectPath(key), query: [['uploadId', id], ['max-parts', '2'], ['part-number-marker', '4']] });
    expect(tag(second.text, 'PartNumberMarker')).toBe('4');
    expect(tag(second.text, 'NextPartNumberMarker')).toBe('9');
    expect(tag(second.text, 'IsTruncated')).toBe('false');
    expect(tags(second.text, 'Part').map((p) => tag(p, 'PartNumber'))).toEqual(['9']);

    const all = await send({ path: objectPath(key), query: [['uploadId', id]] });
    expect(tag(all.text, 'MaxParts')).toBe('1000');
    expect(tag(all.text, 'IsTruncated')).toBe('false');
    expect(tags(all.text, 'Part')).toHaveLength(3);

    // §2.6/§2.8: max-parts is at most 1000; a larger value is clamped, not an error.
    const clamped = await send({ path: objectPath(key), query: [['uploadId', id], ['max-parts', '5000']] });
    expect(clamped.status, clamped.text).toBe(200);
    expect(tag(clamped.text, 'MaxParts')).toBe('1000');
    expect(tags(clamped.text, 'Part')).toHaveLength(3);
  });

  it('AbortMultipartUpload: 204 with no body, then NoSuchUpload', async () => {
    const key = freshKey('shape');
    const id = await initiate(key);
    await uploadPart(key, id, 1, Buffer.from('gone soon'));
    const res = await send({ method: 'DELETE', path: objectPath(key), query: [['uploadId', id]] });
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
    expect(res.headers['x-oss-request-id']).toMatch(/^[0-9A-F]{24}$/);
    expectOssError(await send({ path: objectPath(key), query: [['uploadId', id]] }), { status: 404, code: 'NoSuchUpload', extras: { UploadId: id } });
  });
});
