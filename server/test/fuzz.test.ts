/**
 * A deterministic, bounded fuzz run against the local OSS server (issue 7, "Server hardening").
 *
 * Every request is generated up front from one seed (printed; replay with
 * `OSS_FUZZ_SEED=<seed> npx vitest run server/test/fuzz.test.ts`, size with `OSS_FUZZ_REQUESTS`,
 * replay single requests with their raw bytes and answers printed with `OSS_FUZZ_ONLY=<id>,<id>`):
 * random methods (odd and malformed ones included), paths (valid, missing and invalid buckets;
 * keys with unicode, control characters, percent junk, `..`, backslashes, 1,000+ bytes, raw bytes),
 * query strings (real sub-resources, junk, duplicates, huge values, bad encodings), headers (random
 * `x-oss-*`, bad Content-MD5 and dates, junk Authorization, huge and malformed headers), bodies
 * (valid-looking and broken CompleteMultipartUpload XML, random bytes, empty, chunked and broken
 * chunked framing, lying Content-Lengths, pipelining) and a few raw protocol oddities. Nearly half
 * are shaped like real operations on live objects and uploads (so they reach the handlers: uploads
 * are completed and aborted, and restarted for later requests); most requests are signed — V1 and
 * V4, header and presigned, with the root keys, an STS token and a policy-scoped token (signers.ts,
 * independent of the server) — and some of those are tampered with.
 *
 * The requests go over raw loopback sockets, a few connections in parallel. Asserted:
 * - no 5xx caused by input: the only 5xx allowed is `501 NotImplemented`, which the server answers
 *   for real OSS sub-resources it does not emulate (`?symlink`, `?restore`, `?versioning`, …);
 * - every answer carries a 24-hex `x-oss-request-id`; every answer ≥ 400 (and 203 CallbackFailed)
 *   is an OSS `<Error>` document (for HEAD: base64 in `x-oss-err`) whose RequestId equals that
 *   header — except the STS endpoint (`GET`/`POST /?Action=…`, `POST /` forms), which answers in
 *   STS's JSON (`Code`, `RequestId`), as real STS does; the only 3xx is a body-less 304;
 * - every request gets an answer (nothing hangs, nothing is dropped);
 * - no crash: afterwards the server answers a normal request, and the official ali-oss client
 *   completes a multipart upload that reads back byte-identical;
 * - nothing is written outside the data dir: the server runs in a jail directory (as in
 *   traversal.test.ts) with the process's working directory moved into the jail too; afterwards the
 *   jail holds only the data dir and the (empty) working directory, every name under the data dir is
 *   a hash/id name, and no half-written temporary is left.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startServer, testBytes, type TestServer } from './harness.js';
import { addressOf, defaultCredentials, rawRequest, tryDecode } from './raw-request.js';
import { presignV1, presignV4, signV1Header, signV4Header, tamper, type Signer } from './signers.js';

const seed = Number(process.env['OSS_FUZZ_SEED'] ?? 0x7a11ed) >>> 0;
const total = Number(process.env['OSS_FUZZ_REQUESTS'] ?? 10_000);
const parallel = 4;
/** Every generated key carries this now and then; no file name may ever contain it. */
const marker = 'fuzzpwn';

// -------------------------------------------------------------------------------------------------
// Seeded randomness.

/** mulberry32. */
class Rand {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(list: ReadonlyArray<readonly [number, T]>): T {
    let r = this.next() * list.reduce((n, [w]) => n + w, 0);
    for (const [w, value] of list) {
      r -= w;
      if (r < 0) return value;
    }
    return list[list.length - 1]![1];
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

// -------------------------------------------------------------------------------------------------
// What a request is, before placeholders (live upload ids, ETags, the port) are filled in.

type SignMode = 'none' | 'v1' | 'v4' | 'v1-sts' | 'v4-sts' | 'v1-scoped' | 'v1-url' | 'v4-url' | 'v1-url-sts' | 'v4-url-sts';
type Tamper = 'none' | 'signature' | 'skewed' | 'wrong-secret' | 'no-token' | 'other-token' | 'header-after' | 'expired-url';
type Framing = 'length' | 'chunked' | 'chunked-broken' | 'short-length' | 'long-length' | 'none';

type Spec = {
  readonly id: number;
  readonly method: string;
  /** Raw path as sent (may hold `{port}` and `{upload:N}`). */
  readonly path: string;
  /** Raw query pieces as sent, joined with `&`. */
  readonly query: string[];
  /** Header lines as sent (latin1); `host` undefined means no Host header. */
  readonly headers: Array<[string, string]>;
  readonly host: string | undefined;
  /** Body; templated bodies may hold `{upload:N}` / `{etag:N:P}` placeholders. */
  readonly body: Buffer;
  readonly framing: Framing;
  readonly sign: SignMode;
  readonly tamper: Tamper;
  /** A second request pipelined on the same connection. */
  readonly pipelined?: Spec;
  /** A request that is nothing but these bytes (protocol junk). */
  readonly raw?: Buffer;
};

/** Live state the generator refers to by index. */
type Live = {
  uploads: Array<{ key: string; id: string; etags: string[] }>;
  signers: { root: Signer; sts: Signer; scoped: Signer; otherSts: Signer };
  port: number;
  closedPort: number;
};

const liveUploadCount = 6;
const poolKeys = [
  'fuzz/obj-0', 'fuzz/obj-1', 'fuzz/obj-2', 'fuzz/dir/obj-3', 'fuzz/ü/ünïcödé', 'fuzz/space key', 'fuzz/plus+key', 'fuzz/scoped/a.bin',
  ...Array.from({ length: liveUploadCount }, (_, i) => `fuzz/live-${i}`),
];
const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
/** Percent-encodes a key for a path (`/` kept), as the SDKs do. */
const encodeKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/');

const unicodePieces = ['é', 'ß', '中文', 'キー', '😀', '\u202e', '\u200b', '\ufeff', 'ﾟ', '…', 'Ω', '\u0301', '𝕏', 'ü', '\u00a0', '\ud83c\udff3\ufe0f\u200d\ud83c\udf08'];
const asciiPieces = ['a', 'Z', '0', '-', '_', '.', '~', ' ', '+', '%', '#', '?', '&', '=', '!', '*', "'", '(', ')', ':', ';', '@', '$', ',', '[', ']', '|', '^', '`', '{', '}', '"', '<', '>', '\\', 'dir/', marker];
const percentJunk = ['%', '%z', '%zz', '%ff', '%fe%ff', '%c0%ae', '%c0%af', '%ed%a0%80', '%e2%82', '%f8%88%80%80%80', '%00', '%%', '%2', '%u0041', '%C3%28'];
const invalidBuckets = ['DEMO', 'a', 'ab', '-demo', 'demo-', 'de--mo', 'x'.repeat(64), '..', '.', '%2e%2e', '_local', 'de%00mo', '%F0%9F%98%80', '%ff', 'demo%2F..', 'de_mo', 'demo.x'];

function randomText(r: Rand, maxPieces: number, pieces: readonly string[]): string {
  let out = '';
  const n = 1 + r.int(maxPieces);
  for (let i = 0; i < n; i++) out += r.pick(pieces);
  return out;
}

function genKeyPath(r: Rand): string {
  return r.weighted<() => string>([
    [30, () => encodeKey(r.pick(poolKeys))],
    [14, () => encodeKey(`fuzz/${marker}/${randomText(r, 8, [...unicodePieces, ...asciiPieces])}`)],
    [6, () => encodeKey(`fuzz/ctl${String.fromCharCode(1 + r.int(31))}${r.chance(0.3) ? '\x7f' : ''}${marker}`)],
    [8, () => `fuzz/${marker}${randomText(r, 3, percentJunk)}${r.chance(0.5) ? 'x' : ''}`],
    [8, () => r.pick([
      '..', '../x', `a/../../${marker}`, `./${marker}`, `%2e%2e%2f%2e%2e%2f${marker}`, `/${marker}`, `%2F${marker}`, `%5C..%5C${marker}`,
      `a\\..\\${marker}`, `${marker}/..`, `${marker}/.`, '%2e', `..%2F..%2F..%2Fetc%2F${marker}`, `%00${marker}`, `${marker}%00.txt`,
    ])],
    [6, () => {
      const length = r.pick([1000, 1022, 1023, 1024, 1025, 1100, 3000, 9000]);
      const key = `fuzz/${marker}/`;
      return r.chance(0.5) ? key + 'k'.repeat(Math.max(0, length - key.length)) : encodeKey(key + 'é'.repeat(Math.max(0, Math.ceil((length - key.length) / 2))));
    }],
    [5, () => r.pick([`fuzz/raw ${marker}`, 'fuzz/raw\ttab', `fuzz/${wire('ünï')}`, 'fuzz/q?x=1', 'fuzz/h#frag', 'fuzz/\x7f', 'fuzz/a\r\nX-Injected: 1', 'fuzz/"quote"', 'fuzz/<lt>'])],
    [5, () => ''],
    [18, () => encodeKey(`fuzz/${marker}-${r.int(50)}${r.chance(0.3) ? '/' + randomText(r, 3, asciiPieces) : ''}`)],
  ])();
}

function genAddress(r: Rand): { path: string; host: string | undefined } {
  const defaultHost = 'localhost:{port}';
  return r.weighted<() => { path: string; host: string | undefined }>([
    [55, () => ({ path: `/demo/${genKeyPath(r)}`, host: defaultHost })],
    [5, () => ({ path: `/fuzz-two/${genKeyPath(r)}`, host: defaultHost })],
    [4, () => ({ path: `/no-such-bucket-${r.int(3)}/${genKeyPath(r)}`, host: defaultHost })],
    [8, () => ({ path: `/${r.pick(invalidBuckets)}/${genKeyPath(r)}`, host: defaultHost })],
    [6, () => ({ path: '/', host: defaultHost })],
    [5, () => ({ path: r.pick(['/demo', '/demo/', '/fuzz-two/', '/no-such-bucket-0/']), host: defaultHost })],
    [10, () => ({ path: `/${genKeyPath(r)}`, host: r.pick(['demo.localhost:{port}', 'fuzz-two.localhost:{port}', 'nobucket.localhost:{port}', 'DEMO_.localhost:{port}', '..localhost:{port}']) })],
    [3, () => ({ path: r.pick(['http://localhost:{port}/demo/fuzz/abs', 'http://evil.example/../demo/x', 'http://[::1]:{port}/demo/x', '*', 'demo/x', '//demo/x']), host: defaultHost })],
    [4, () => ({
      path: `/demo/${genKeyPath(r)}`,
      host: r.pick([undefined, '', 'evil.example', wire('ünï.localhost'), 'localhost:{port}, localhost:1', 'demo.localhost.evil', '[::1]:{port}', 'a'.repeat(300)]),
    })],
  ])();
}

function genQuery(r: Rand): string[] {
  const pieces: string[] = [];
  const n = r.weighted([[35, 0], [35, 1], [18, 2], [8, 3], [4, 6]]);
  const upload = () => `{upload:${r.int(liveUploadCount)}}`;
  for (let i = 0; i < n; i++) {
    pieces.push(r.weighted<() => string>([
      [10, () => 'uploads'],
      [12, () => `uploadId=${r.chance(0.75) ? upload() : r.pick(['', '..%2F..%2Fx', 'A'.repeat(32), '%00', '__proto__', 'constructor', '0004B9895DBBB6EC98E36'])}`],
      [10, () => `partNumber=${r.pick(['1', '2', '3', '10000', '10001', '0', '-1', '1.5', 'abc', '', '%201', '1e3', '99999999999999999999', '0x10', '１'])}`],
      [6, () => r.pick(['acl', 'tagging', 'symlink', 'append&position=0', 'delete', 'versionId=x', 'restore', 'cors', 'lifecycle', 'bucketInfo', 'location', 'x-oss-process=image/resize,w_1', 'list-type=2', 'continuation-token=x', 'comp=x', 'website', 'referer', 'logging', 'policy', 'stat', 'versioning', 'qos', 'worm'])],
      [4, () => 'objectMeta'],
      [6, () => `response-${r.pick(['content-type', 'content-disposition', 'cache-control', 'expires', 'content-language', 'content-encoding'])}=${r.pick(['text/plain', 'attachment%3B%20filename%3D%22a.txt%22', 'a%0Ab', 'a%0D%0AX-Injected%3A%201', '%E2%98%83', '%00', 'x'.repeat(3000), '', '%7F'])}`],
      [4, () => `encoding-type=${r.pick(['url', 'URL', 'junk', ''])}`],
      [8, () => `${r.pick(['prefix', 'delimiter', 'marker', 'key-marker', 'upload-id-marker'])}=${r.pick(['fuzz%2F', '%2F', '', 'z', '%F0%9F%98%80', 'x'.repeat(2000), '..'])}`],
      [8, () => `${r.pick(['max-keys', 'max-parts', 'max-uploads', 'part-number-marker'])}=${r.pick(['0', '1', '2', '1000', '1001', '-1', 'abc', '99999999999', '1.5', ''])}`],
      [4, () => `security-token=${r.pick(['junk', 'a.b', '', 'eyJ2IjoxfQ.AAAA'])}`],
      [4, () => r.pick(['OSSAccessKeyId=oss-local-ak&Expires=9999999999&Signature=AAAA', 'OSSAccessKeyId=&Signature=', 'Expires=abc&OSSAccessKeyId=x&Signature=y', 'Signature=x'])],
      [4, () => r.pick([
        'x-oss-signature-version=OSS4-HMAC-SHA256', 'x-oss-signature-version=junk&x-oss-credential=a&x-oss-date=b&x-oss-expires=c&x-oss-signature=d',
        'x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=oss-local-ak%2F20200101%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20200101T000000Z&x-oss-expires=604801&x-oss-signature=00',
        'x-oss-expires=0', 'x-oss-date=junk',
      ])],
      [3, () => `Action=${r.pick(['AssumeRole', 'Junk', ''])}`],
      [6, () => {
        const name = randomText(r, 3, asciiPieces);
        const value = randomText(r, 3, [...unicodePieces, ...asciiPieces]);
        // Mostly encoded as an SDK would; sometimes raw, which the HTTP parser may refuse.
        return r.chance(0.8) ? `${encodeURIComponent(name)}=${encodeURIComponent(value)}` : `${name.replace(/[&#]/g, '')}=${value.replace(/[&#]/g, '')}`;
      }],
      [3, () => `${r.pick(['uploadId', 'partNumber', 'uploads'])}=${r.int(3)}&${r.pick(['uploadId', 'partNumber', 'uploads'])}=${upload()}`],
      [2, () => `pad=${'v'.repeat(r.pick([4_000, 12_000, 20_000, 70_000]))}`],
      [5, () => r.pick(percentJunk.concat(['=', '=v', '&&', 'a=%', '%=1', 'a=b=c', 'a%00=b', '%E2%82=x']))],
    ])());
  }
  return pieces;
}

const completeXml = (parts: ReadonlyArray<readonly [string, string]>) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>\n' +
  parts.map(([n, etag]) => `<Part>\n<PartNumber>${n}</PartNumber>\n<ETag>${etag}</ETag>\n</Part>\n`).join('') +
  '</CompleteMultipartUpload>';

function genXml(r: Rand): string {
  const u = r.int(liveUploadCount);
  return r.weighted<() => string>([
    [14, () => completeXml([['1', `{etag:${u}:1}`], ['2', `{etag:${u}:2}`]])],
    [4, () => completeXml([['1', `{etag:${u}:1}`]])],
    [5, () => completeXml([['2', `{etag:${u}:2}`], ['1', `{etag:${u}:1}`]])],
    [5, () => completeXml([['1', '"00000000000000000000000000000000"'], ['2', `{etag:${u}:2}`]])],
    [3, () => completeXml([['1', `{etag:${u}:1}`], ['1', `{etag:${u}:1}`]])],
    [4, () => completeXml([[r.pick(['0', '10001', '-1', 'one', '', '1.0', '99999', '000001', ' 1 ']), `{etag:${u}:1}`]])],
    [3, () => completeXml(Array.from({ length: r.pick([1000, 10_000, 10_001]) }, (_, i) => [String(i + 1), '"0123456789ABCDEF0123456789ABCDEF"'] as const))],
    [6, () => r.pick([
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>', 'not xml at all', '<', '<?xml version="1.0"?>', '<CompleteMultipartUpload/>',
      '<CompleteMultipartUpload></CompleteMultipartUpload>', '<CompleteUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteUpload>',
      '<CompleteMultipartUpload><Part><PartNumber><x>1</x></PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>',
      '<CompleteMultipartUpload><Part>text</Part></CompleteMultipartUpload>', '<a><b></a></b>', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>',
      '<CompleteMultipartUpload xmlns="http://evil"><Part a="1"><PartNumber>1</PartNumber><ETag><![CDATA["x"]]></ETag></Part><!-- c --></CompleteMultipartUpload>',
    ])],
    [4, () => {
      let entities = '<!ENTITY l0 "lol">';
      for (let i = 1; i <= 9; i++) entities += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
      return r.pick([
        `<?xml version="1.0"?><!DOCTYPE CompleteMultipartUpload [${entities}]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&l9;</ETag></Part></CompleteMultipartUpload>`,
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag></Part></CompleteMultipartUpload>',
        '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&amp;&lt;&#0;&#xFFFF;&#x110000;&bogus;</ETag></Part></CompleteMultipartUpload>',
      ]);
    }],
    [3, () => `${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}`],
    [3, () => `\ufeff${completeXml([['1', `{etag:${u}:1}`]])}`],
    [2, () => completeXml([['1', `"${'x'.repeat(200_000)}"`]])],
  ])();
}

function genHeaders(r: Rand, unsigned: boolean): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const n = r.weighted([[30, 0], [35, 1], [20, 2], [10, 4], [5, 8]]);
  for (let i = 0; i < n; i++) {
    headers.push(r.weighted<() => [string, string]>([
      [14, () => [`x-oss-meta-${r.pick(['a', 'owner', 'Mixed-Case', 'x_y', 'ü', '1'])}`, r.pick(['v', wire('ünïcödé 😀'), ' padded ', 'x'.repeat(2000), 'x'.repeat(9000), '', '\t'])]],
      [5, () => ['x-oss-forbid-overwrite', r.pick(['true', 'false', 'TRUE', 'junk', ''])]],
      [6, () => ['x-oss-copy-source', r.pick(['/demo/fuzz/obj-0', '/demo/fuzz%2Fobj-1', `/demo/../${marker}`, '', 'demo/x', '/nosuch/x', '/demo/%ff', '/demo/fuzz/obj-0?versionId=1', '/fuzz-two/x', '/demo/', '/DEMO/x', `/demo/${'k'.repeat(1100)}`])]],
      [3, () => ['x-oss-copy-source-range', r.pick(['bytes=0-10', 'bytes=5-1', 'bytes=0-999999999', 'junk', 'bytes=-5', ''])]],
      [2, () => [r.pick(['x-oss-copy-source-if-match', 'x-oss-copy-source-if-none-match', 'x-oss-copy-source-if-modified-since', 'x-oss-copy-source-if-unmodified-since']), r.pick(['*', '"x"', 'junk', 'Wed, 28 Dec 2022 10:27:41 GMT'])]],
      [3, () => ['x-oss-complete-all', r.pick(['yes', 'no', 'YES'])]],
      [4, () => ['x-oss-callback', r.pick(['{cb:0}', '{cb:1}', '{cb:2}', '{cb:3}', Buffer.from('[]').toString('base64'), 'not base64 !!', '', Buffer.from('{"callbackUrl":').toString('base64')])]],
      [2, () => ['x-oss-callback-var', r.pick([Buffer.from('{"x:a":"1"}').toString('base64'), Buffer.from('{"Bad":"1"}').toString('base64'), 'junk'])]],
      [4, () => ['x-oss-content-sha256', r.pick(['UNSIGNED-PAYLOAD', createHash('sha256').update(String(r.int(9))).digest('hex'), 'junk', ''])]],
      [3, () => [r.pick(['x-oss-range-behavior', 'x-oss-object-acl', 'x-oss-storage-class', 'x-oss-server-side-encryption', 'x-oss-traffic-limit', 'x-oss-tagging', 'x-oss-request-payer', 'x-oss-metadata-directive']), r.pick(['standard', 'private', 'Archive', 'AES256', '1', 'a=b', 'requester', 'REPLACE', 'junk'])]],
      [4, () => [`x-oss-${randomText(r, 2, ['a', 'z', '-', '0'])}`, randomText(r, 3, asciiPieces.filter((p) => p !== '\\'))]],
      [8, () => ['content-md5', r.pick(['1B2M2Y8AsgTpgAmY7PhCfg==', 'not-base64', '', 'd41d8cd98f00b204e9800998ecf8427e', 'AAAAAAAAAAAAAAAAAAAAAA==', '1B2M2Y8AsgTpgAmY7PhCfg'])]],
      [8, () => ['content-type', r.pick(['application/xml', 'text/plain', '', 'junk/../x', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', wire('text/ü')])]],
      [4, () => ['range', r.pick(['bytes=0-0', 'bytes=0-', 'bytes=-1', 'bytes=5-1', 'bytes=999999-', 'bytes=0-1,3-4', 'junk', 'bytes=-0'])]],
      [4, () => [r.pick(['if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since']), r.pick(['*', '"x"', 'junk', 'Wed, 28 Dec 2022 10:27:41 GMT', 'Thu, 01 Jan 2099 00:00:00 GMT'])]],
      [3, () => ['origin', r.pick(['http://app.example', 'null', 'junk', wire('http://ü.example')])]],
      [2, () => ['access-control-request-method', r.pick(['PUT', 'GET', 'PATCH', 'junk'])]],
      [2, () => ['access-control-request-headers', r.pick(['x-oss-date, authorization', 'content-type', '', 'x-evil'])]],
      [2, () => ['x-oss-security-token', r.pick(['junk', 'a.b', ''])]],
      [2, () => ['expect', r.pick(['100-continue', '200-ok'])]],
      [1, () => ['upgrade', 'websocket']],
      [1, () => ['x-huge', 'h'.repeat(r.pick([17_000, 64 * 1024, 200_000]))]],
    ])());
  }
  if (unsigned) {
    if (r.chance(0.3)) headers.push(['authorization', r.pick(['OSS ', 'OSS :', 'OSS a:b', 'OSS oss-local-ak:', 'OSS oss-local-ak:AAAA', 'Bearer x', 'OSS4-HMAC-SHA256 Credential=x', `OSS4-HMAC-SHA256 Credential=oss-local-ak/20200101/cn-hangzhou/oss/aliyun_v4_request,Signature=${'0'.repeat(64)}`, 'OSS4-HMAC-SHA256 Credential=a/b/c/d/e,Signature=1,Signature=2', 'x'.repeat(5000), 'OSS STS.fake:AAAA'])]);
    if (r.chance(0.25)) headers.push([r.pick(['date', 'x-oss-date']), r.pick(['junk', 'Wed, 28 Dec 2022 10:27:41 GMT', '20221228T102741Z', 'Wed, 31 Feb 2022 10:27:41 GMT', '', 'Wed, 28 Dec 2022 25:27:41 GMT', new Date(0).toUTCString()])]);
  }
  if (r.chance(0.01)) for (let i = 0; i < 120; i++) headers.push([`x-oss-meta-many-${i}`, 'v'.repeat(r.int(100))]);
  return headers;
}

function genBody(r: Rand, method: string, query: readonly string[], path: string): Buffer {
  const completing = method === 'POST' && query.some((q) => q.startsWith('uploadId'));
  if (completing && r.chance(0.85)) return Buffer.from(genXml(r), 'utf8');
  if (path === '/' && method === 'POST' && r.chance(0.5)) return Buffer.from(r.pick(['Action=AssumeRole&RoleArn=x', `Action=AssumeRole&${'p=1&'.repeat(20_000)}`, '%%%', '']), 'utf8');
  return r.weighted<() => Buffer>([
    [35, () => Buffer.alloc(0)],
    [40, () => r.bytes(r.int(4096))],
    [4, () => r.bytes(100 * 1024 + r.int(50_000))],
    [8, () => Buffer.from(genXml(r), 'utf8')],
    [5, () => Buffer.from(randomText(r, 40, [...unicodePieces, ...asciiPieces]), 'utf8')],
    [3, () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xff, 0xfe, 0x00]), r.bytes(20)])],
  ])();
}

/** `x-oss-callback` JSON documents (`{cb:N}` in a header), aimed at a closed loopback port so no callback waits. */
const callbacks = [
  { callbackUrl: 'http://127.0.0.1:{closed}/cb', callbackBody: 'bucket=${bucket}&object=${object}' },
  { callbackUrl: 'http://127.0.0.1:{closed}/cb', callbackBody: 'x', callbackHost: 'bad\u0001host' },
  { callbackUrl: 'ftp://x', callbackBody: 'x' },
  { callbackUrl: 'http://127.0.0.1:{closed}/a;http://127.0.0.1:{closed}/b', callbackBody: '{"a":${size}}', callbackBodyType: 'application/json' },
];

const oddMethods = ['PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'SEARCH', 'PURGE', 'M-SEARCH', 'NOTIFY', 'REPORT', 'ACL', 'LINK', 'UNLINK', 'QUERY', 'get', 'Put', 'FOO', 'G\u0000T', 'GET\u00ff', ''];
const protocolJunk: readonly Buffer[] = [
  Buffer.from('GET / HTTP/1.0\r\n\r\n'),
  Buffer.from('GET /demo/fuzz/obj-0 HTTP/2.0\r\nHost: localhost\r\n\r\n'),
  Buffer.from('GET /demo/fuzz/obj-0\r\n\r\n'),
  Buffer.from('\r\n\r\nGET /demo/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'),
  Buffer.from('GET /demo/x HTTP/1.1\nHost: localhost\nConnection: close\n\n'),
  Buffer.from('GET /demo/x HTTP/1.1\r\nHost: localhost\r\nX: a\r\n folded\r\nConnection: close\r\n\r\n'),
  Buffer.from('GET /demo/x HTTP/1.1\r\nHost localhost\r\n\r\n'),
  Buffer.from('GET /demo/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'),
  Buffer.from('POST /demo/x?uploads HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
  Buffer.from('PUT /demo/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
  Buffer.from('PUT /demo/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n'),
  Buffer.from('PUT /demo/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999999\r\n\r\n'),
  Buffer.from(`GET /${'a'.repeat(40_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`),
  Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from('CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n'),
  Buffer.from('GET /demo/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
  Buffer.from('\u0000\u0001\u0002garbage\r\n\r\n'),
];

const signedModes: ReadonlyArray<readonly [number, SignMode]> = [
  [30, 'v1'], [26, 'v4'], [10, 'v1-sts'], [10, 'v4-sts'], [4, 'v1-scoped'], [6, 'v1-url'], [6, 'v4-url'], [3, 'v1-url-sts'], [5, 'v4-url-sts'], [5, 'none'],
];

function genTamper(r: Rand, sign: SignMode, rate: number): Tamper {
  if (sign === 'none' || !r.chance(rate)) return 'none';
  return r.weighted<Tamper>([
    [4, 'signature'], [3, 'skewed'], [3, 'wrong-secret'], [2, 'header-after'],
    [sign.includes('sts') ? 2 : 0, 'no-token'], [sign.includes('sts') ? 2 : 0, 'other-token'], [sign.includes('url') ? 4 : 0, 'expired-url'],
  ]);
}

/**
 * A request shaped like a real operation on live resources (pool objects, live uploads), mostly
 * well signed, with an occasional junk header or parameter: this is what reaches the handlers.
 */
function genPlausible(r: Rand, id: number): Spec {
  const n = r.int(liveUploadCount);
  const liveKey = `/demo/fuzz/live-${n}`;
  const upload = `{upload:${n}}`;
  const objectPath = () => `/demo/${encodeKey(r.chance(0.7) ? r.pick(poolKeys) : `fuzz/${marker}-${r.int(50)}`)}`;
  const headers: Array<[string, string]> = [];
  let method = 'GET';
  let path = objectPath();
  let query: string[] = [];
  let body: Buffer = Buffer.alloc(0);
  const op = r.weighted<string>([
    [12, 'put'], [12, 'get'], [5, 'head'], [4, 'delete'], [5, 'initiate'], [9, 'part'], [14, 'complete'], [3, 'abort'], [6, 'list-parts'],
    [5, 'list-objects'], [4, 'list-uploads'], [3, 'copy'], [3, 'part-copy'], [2, 'list-buckets'], [3, 'options'],
  ]);
  switch (op) {
    case 'put':
      method = 'PUT';
      body = r.bytes(r.chance(0.1) ? 100 * 1024 + r.int(1000) : r.int(5000));
      if (r.chance(0.5)) headers.push(['content-md5', r.chance(0.8) ? createHash('md5').update(body).digest('base64') : 'AAAAAAAAAAAAAAAAAAAAAA==']);
      if (r.chance(0.5)) headers.push(['content-type', r.pick(['text/plain', 'application/octet-stream', 'image/png'])]);
      if (r.chance(0.3)) headers.push(['x-oss-meta-owner', r.pick(['alice', wire('Zoë')])]);
      if (r.chance(0.1)) headers.push(['x-oss-forbid-overwrite', 'true']);
      break;
    case 'get':
      if (r.chance(0.3)) headers.push(['range', r.pick(['bytes=0-9', 'bytes=10-', 'bytes=-5', 'bytes=99999-'])]);
      if (r.chance(0.2)) query.push(`response-content-type=${r.pick(['text%2Fplain', 'application%2Fjson'])}`);
      break;
    case 'head':
      method = 'HEAD';
      if (r.chance(0.2)) query.push('objectMeta');
      break;
    case 'delete':
      method = 'DELETE';
      path = `/demo/${encodeKey(`fuzz/${marker}-${r.int(50)}`)}`;
      break;
    case 'initiate':
      method = 'POST';
      query = ['uploads'];
      if (r.chance(0.3)) headers.push(['content-type', 'video/mp4']);
      break;
    case 'part': {
      method = 'PUT';
      path = liveKey;
      const part = r.pick([1, 2, 3, 10000]);
      query = [`partNumber=${part}`, `uploadId=${upload}`];
      // Parts 1 and 2 are re-sent with their original bytes, so the live ETags stay valid.
      body = part === 1 ? testBytes(100 * 1024, 100 + n * 10 + 1) : part === 2 ? testBytes(1000, 100 + n * 10 + 2) : r.bytes(r.int(2000));
      if (r.chance(0.3)) headers.push(['content-md5', createHash('md5').update(body).digest('base64')]);
      break;
    }
    case 'complete':
      method = 'POST';
      path = liveKey;
      query = [`uploadId=${upload}`];
      body = Buffer.from(genXml(r), 'utf8');
      headers.push(['content-type', 'application/xml']);
      if (r.chance(0.3)) headers.push(['content-md5', createHash('md5').update(body).digest('base64')]);
      if (r.chance(0.05)) headers.push(['x-oss-complete-all', 'yes']);
      break;
    case 'abort':
      method = 'DELETE';
      path = liveKey;
      query = [`uploadId=${upload}`];
      break;
    case 'list-parts':
      path = liveKey;
      query = [`uploadId=${upload}`, ...(r.chance(0.4) ? [`max-parts=${r.pick(['1', '2', '1000', '0', 'x'])}`, `part-number-marker=${r.pick(['0', '1', 'x'])}`] : [])];
      break;
    case 'list-objects':
      path = '/demo/';
      query = [`prefix=${r.pick(['fuzz%2F', '', 'fuzz%2Fdir%2F'])}`, ...(r.chance(0.5) ? [`delimiter=%2F`, `max-keys=${r.pick(['1', '5', '1000', '1001'])}`] : []), ...(r.chance(0.2) ? ['encoding-type=url'] : [])];
      break;
    case 'list-uploads':
      path = '/demo/';
      query = ['uploads', ...(r.chance(0.5) ? [`prefix=fuzz%2F`, `max-uploads=${r.pick(['1', '3', '1000'])}`, 'key-marker=fuzz%2Flive-1'] : [])];
      break;
    case 'copy':
      method = 'PUT';
      path = `/demo/${encodeKey(`fuzz/${marker}-${r.int(50)}`)}`;
      headers.push(['x-oss-copy-source', r.pick(['/demo/fuzz/obj-0', '/demo/fuzz%2Fobj-1', '/fuzz-two/none'])]);
      if (r.chance(0.3)) headers.push(['x-oss-metadata-directive', 'REPLACE']);
      break;
    case 'part-copy':
      method = 'PUT';
      path = liveKey;
      query = ['partNumber=3', `uploadId=${upload}`];
      headers.push(['x-oss-copy-source', '/demo/fuzz/obj-0']);
      if (r.chance(0.5)) headers.push(['x-oss-copy-source-range', r.pick(['bytes=0-99', 'bytes=0-99999'])]);
      break;
    case 'list-buckets':
      path = '/';
      break;
    case 'options':
      method = 'OPTIONS';
      headers.push(['origin', 'http://app.example'], ['access-control-request-method', r.pick(['PUT', 'GET', 'PATCH'])]);
      break;
  }
  // A little junk now and then.
  if (r.chance(0.15)) headers.push(...genHeaders(r, false).slice(0, 1));
  if (r.chance(0.1)) query.push(...genQuery(r).slice(0, 1));
  const sign = op === 'options' ? 'none' : r.weighted(signedModes);
  const virtual = path.startsWith('/demo/') && r.chance(0.1);
  return {
    id, method, path: virtual ? path.slice('/demo'.length) : path, query, headers, host: virtual ? 'demo.localhost:{port}' : 'localhost:{port}',
    body, framing: r.chance(0.05) ? 'chunked' : 'length', sign, tamper: genTamper(r, sign, 0.08),
  };
}

function genSpec(r: Rand, id: number, simple = false): Spec {
  if (!simple && r.chance(0.01)) {
    const raw = r.pick(protocolJunk);
    return { id, method: 'RAW', path: '', query: [], headers: [], host: undefined, body: Buffer.alloc(0), framing: 'none', sign: 'none', tamper: 'none', raw };
  }
  if (r.chance(0.45)) {
    const spec = genPlausible(r, id);
    if (!simple && spec.framing === 'length' && r.chance(0.04)) return { ...spec, pipelined: genSpec(r, id, true) };
    return spec;
  }
  const method = r.weighted<() => string>([
    [22, () => 'GET'], [22, () => 'PUT'], [15, () => 'POST'], [9, () => 'HEAD'], [10, () => 'DELETE'], [6, () => 'OPTIONS'],
    [simple ? 0 : 6, () => r.pick(oddMethods)],
  ])();
  const { path, host } = genAddress(r);
  const query = genQuery(r);
  const sign: SignMode = r.weighted<SignMode>([
    [32, 'none'], [22, 'v1'], [18, 'v4'], [6, 'v1-sts'], [6, 'v4-sts'], [3, 'v1-scoped'], [4, 'v1-url'], [4, 'v4-url'], [2, 'v1-url-sts'], [3, 'v4-url-sts'],
  ]);
  const tamperKind = genTamper(r, sign, 0.2);
  const headers = genHeaders(r, sign === 'none');
  const body = genBody(r, method, query, path);
  const framing: Framing = simple ? 'length' : r.weighted<Framing>([[86, 'length'], [8, 'chunked'], [2, 'chunked-broken'], [2, 'short-length'], [0.4, 'long-length'], [1.6, 'none']]);
  const spec: Spec = { id, method, path, query, headers, host, body, framing, sign, tamper: tamperKind };
  // An Upgrade request hands the connection over (or would): nothing can follow it.
  const upgrade = headers.some(([name]) => name === 'upgrade');
  if (!simple && framing === 'length' && !upgrade && r.chance(0.04)) return { ...spec, pipelined: genSpec(r, id, true) };
  return spec;
}

// -------------------------------------------------------------------------------------------------
// Turning a spec into bytes.

function fill(text: string, live: Live): string {
  return text
    .replace(/\{port\}/g, String(live.port))
    .replace(/\{cb:(\d+)\}/g, (_, n: string) => Buffer.from(JSON.stringify(callbacks[Number(n)]).replace(/\{closed\}/g, String(live.closedPort))).toString('base64'))
    .replace(/\{closed\}/g, String(live.closedPort))
    .replace(/\{upload:(\d+)\}/g, (_, n: string) => live.uploads[Number(n)]!.id)
    .replace(/\{etag:(\d+):(\d+)\}/g, (_, n: string, p: string) => live.uploads[Number(n)]!.etags[Number(p) - 1] ?? '"x"');
}

/** Wire bytes of a request head: characters up to U+00FF as one byte (header values are Latin-1 strings), others as UTF-8. */
function toWire(text: string): Buffer {
  if (!/[^\u0000-\u00ff]/.test(text)) return Buffer.from(text, 'latin1');
  return Buffer.concat(Array.from(text, (c) => (c.codePointAt(0)! <= 0xff ? Buffer.from(c, 'latin1') : Buffer.from(c, 'utf8'))));
}

function signerFor(mode: SignMode, tamperKind: Tamper, live: Live): Signer {
  const base = mode.includes('scoped') ? live.signers.scoped : mode.includes('sts') ? live.signers.sts : live.signers.root;
  if (tamperKind === 'wrong-secret') return { ...base, secret: `${base.secret}x` };
  if (tamperKind === 'no-token') return { accessKeyId: base.accessKeyId, secret: base.secret };
  if (tamperKind === 'other-token') return { ...base, token: live.signers.otherSts.token };
  return base;
}

/** The request's bytes, signed now. */
function render(spec: Spec, live: Live, keepAlive: boolean): Buffer {
  if (spec.raw) return spec.raw;
  const path = fill(spec.path, live);
  const queryPieces = spec.query.map((q) => fill(q, live));
  const host = spec.host === undefined ? undefined : fill(spec.host, live);
  let body = spec.body;
  if (body.includes('{etag:') || body.includes('{upload:')) body = Buffer.from(fill(body.toString('utf8'), live), 'utf8');
  const headers: Array<[string, string]> = spec.headers.map(([n, v]) => [n, fill(v, live)]);
  if (host !== undefined) headers.unshift(['host', host]);

  const pairs = queryPieces.join('&').split('&').filter((p) => p !== '').map((p): [string, string] => {
    const eq = p.indexOf('=');
    return eq === -1 ? [tryDecode(p), ''] : [tryDecode(p.slice(0, eq)), tryDecode(p.slice(eq + 1))];
  });
  let extraQuery: Array<[string, string]> = [];
  if (spec.sign !== 'none') {
    const signer = signerFor(spec.sign, spec.tamper, live);
    const lower: Record<string, string> = {};
    for (const [n, v] of headers) lower[n.toLowerCase()] = lower[n.toLowerCase()] === undefined ? v : `${lower[n.toLowerCase()]}, ${v}`;
    const { bucket, key } = addressOf(path, host);
    const now = spec.tamper === 'skewed' ? Date.now() - 20 * 60_000 : Date.now();
    const input = { method: spec.method, bucket, key, query: pairs, headers: lower, now };
    if (spec.sign.includes('url')) {
      const expired = spec.tamper === 'expired-url';
      extraQuery = spec.sign.startsWith('v1')
        ? presignV1(input, signer, Math.floor(Date.now() / 1000) + (expired ? -30 : 300))
        : presignV4({ ...input, now: expired ? Date.now() - 120_000 : now }, signer, 60);
      if (spec.tamper === 'signature') {
        const last = extraQuery[extraQuery.length - 1]!;
        last[1] = tamper(last[1]);
      }
    } else {
      const added = spec.sign.startsWith('v1') ? signV1Header(input, signer) : signV4Header(input, signer);
      if (spec.tamper === 'signature') {
        added['authorization'] = added['authorization']!.replace(/(Signature=|:)([^:,]+)$/, (_, p: string, s: string) => p + tamper(s));
      }
      for (const [n, v] of Object.entries(added)) headers.push([n, v]);
      if (spec.tamper === 'header-after') headers.push(['x-oss-meta-added-after-signing', 'x']);
    }
  }
  const query = [...queryPieces, ...extraQuery.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)].join('&');
  const target = query === '' ? path : `${path}?${query}`;

  let framed: Buffer = body;
  switch (spec.framing) {
    case 'length':
      headers.push(['content-length', String(body.length)]);
      break;
    case 'short-length':
      headers.push(['content-length', String(Math.floor(body.length / 2))]);
      break;
    case 'long-length':
      headers.push(['content-length', String(body.length + 10)]);
      break;
    case 'chunked':
    case 'chunked-broken': {
      headers.push(['transfer-encoding', 'chunked']);
      const chunks: Buffer[] = [];
      for (let at = 0; at < body.length; at += 1000) {
        const piece = body.subarray(at, at + 1000);
        chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      if (spec.framing === 'chunked-broken') chunks.push(Buffer.from(['zz\r\n', '5\r\nabc\r\n', 'ffffffffffffffffff\r\n', '3;ext=' + 'e'.repeat(20_000) + '\r\nabc\r\n0\r\n\r\n', '-1\r\n'][spec.id % 5]!));
      else chunks.push(Buffer.from('0\r\n\r\n'));
      framed = Buffer.concat(chunks);
      break;
    }
    case 'none':
      break;
  }
  headers.push(['connection', keepAlive ? 'keep-alive' : 'close']);
  const head = `${spec.method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([toWire(head), framed]);
}

// -------------------------------------------------------------------------------------------------
// Reading answers.

type Answer = { status: number; headers: Record<string, string>; body: Buffer };

/** Parses one response at the start of `buffer`; undefined when incomplete. 1xx answers are skipped. */
function parseAnswer(buffer: Buffer, method: string, closed: boolean): { answer: Answer; rest: Buffer } | undefined {
  let at = 0;
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n', at);
    if (end === -1) return undefined;
    const lines = buffer.subarray(at, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!match) throw new Error(`not an HTTP answer: ${JSON.stringify(buffer.subarray(at, at + 200).toString('latin1'))}`);
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      at = bodyStart;
      continue;
    }
    if (method === 'HEAD' || status === 204 || status === 304) return { answer: { status, headers, body: Buffer.alloc(0) }, rest: buffer.subarray(bodyStart) };
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (buffer.length < bodyStart + length) return undefined;
      return { answer: { status, headers, body: buffer.subarray(bodyStart, bodyStart + length) }, rest: buffer.subarray(bodyStart + length) };
    }
    if (!closed) return undefined;
    return { answer: { status, headers, body: buffer.subarray(bodyStart) }, rest: Buffer.alloc(0) };
  }
}

/** Sends the bytes of one connection and collects its answers (one per request). */
function exchange(requests: ReadonlyArray<{ bytes: Buffer; method: string }>, port: number, timeoutMs: number): Promise<{ answers: Answer[]; error?: string }> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    let buffer: Buffer = Buffer.alloc(0);
    const answers: Answer[] = [];
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done(error === undefined ? { answers } : { answers, error });
    };
    const timer = setTimeout(() => finish(`no complete answer within ${timeoutMs} ms (got ${answers.length}, ${buffer.length} bytes pending)`), timeoutMs);
    const drain = (closed: boolean) => {
      try {
        while (answers.length < requests.length) {
          const parsed = parseAnswer(buffer, requests[answers.length]!.method, closed);
          if (!parsed) break;
          answers.push(parsed.answer);
          buffer = parsed.rest;
        }
      } catch (error) {
        finish((error as Error).message);
        return;
      }
      if (answers.length === requests.length) finish();
      else if (closed) finish(answers.length === 0 && buffer.length === 0 ? 'connection closed without an answer' : `connection closed after ${answers.length} answer(s)`);
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      drain(false);
    });
    socket.on('end', () => drain(true));
    socket.on('close', () => drain(true));
    // Resets after an early answer (the server closed while we were still writing) are the client's problem here.
    socket.on('error', () => undefined);
    for (const request of requests) socket.write(request.bytes);
  });
}

// -------------------------------------------------------------------------------------------------
// Checking answers.

const requestIdPattern = /^[0-9A-F]{24}$/;
const errorDocument = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>([A-Za-z.]+)<\/Code><Message>[^<]*<\/Message><RequestId>([0-9A-F]{24})<\/RequestId><HostId>[^<]*<\/HostId>/;

function isStsTarget(spec: Spec): boolean {
  const path = spec.path.split('?')[0];
  return path === '/' && (spec.host ?? '').startsWith('localhost');
}

/** Problems with one answer; empty when it is fine. Also returns the error code for the statistics. */
function check(spec: Spec, answer: Answer): { problems: string[]; code: string } {
  const problems: string[] = [];
  let code = '';
  const requestId = answer.headers['x-oss-request-id'];
  if (answer.status >= 400 || answer.status === 203) {
    const json = (answer.headers['content-type'] ?? '').startsWith('application/json');
    if (json && isStsTarget(spec)) {
      try {
        const body = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
        code = String(body['Code']);
        if (typeof body['Code'] !== 'string' || typeof body['RequestId'] !== 'string') problems.push('STS error JSON without Code/RequestId');
      } catch {
        problems.push('STS error that is not JSON');
      }
    } else {
      const head = spec.method === 'HEAD' && answer.body.length === 0;
      const xml = head ? Buffer.from(answer.headers['x-oss-err'] ?? '', 'base64').toString('utf8') : answer.body.toString('utf8');
      const match = errorDocument.exec(xml);
      if (!match) problems.push(`not an OSS <Error> document${head ? ' in x-oss-err' : ''}: ${JSON.stringify(xml.slice(0, 160))}`);
      else {
        code = match[1]!;
        if (match[2] !== requestId) problems.push(`RequestId ${match[2]} ≠ x-oss-request-id ${requestId}`);
      }
      if (!(answer.headers['content-type'] ?? '').startsWith('application/xml')) problems.push(`Content-Type ${answer.headers['content-type']}`);
    }
  }
  // 304 Not Modified (a matching If-None-Match) is the only answer between 2xx and 4xx, and carries no body.
  if (answer.status >= 300 && answer.status < 400 && (answer.status !== 304 || answer.body.length > 0)) problems.push(`unexpected ${answer.status}`);
  if (requestId === undefined || !requestIdPattern.test(requestId)) problems.push(`x-oss-request-id ${requestId}`);
  if (answer.status >= 500 && !(answer.status === 501 && code === 'NotImplemented')) problems.push(`5xx: ${answer.status} ${code}`);
  return { problems, code };
}

function describeSpec(spec: Spec): string {
  if (spec.raw) return `#${spec.id} RAW ${JSON.stringify(spec.raw.subarray(0, 80).toString('latin1'))}`;
  const target = `${spec.path}${spec.query.length ? `?${spec.query.join('&')}` : ''}`;
  const headers = spec.headers.map(([n, v]) => `${n}: ${v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v}`).join(' | ');
  return `#${spec.id} ${JSON.stringify(spec.method)} ${JSON.stringify(target.length > 160 ? `${target.slice(0, 160)}…(${target.length})` : target)} host=${JSON.stringify(spec.host)} sign=${spec.sign}/${spec.tamper} framing=${spec.framing} body=${spec.body.length}B [${headers}]`;
}

// -------------------------------------------------------------------------------------------------

let jail: string;
let dataDir: string;
let workDir: string;
let previousCwd: string;
let server: TestServer;
const live: Live = {
  uploads: [], port: 0, closedPort: 1,
  signers: { root: defaultCredentials, sts: defaultCredentials, scoped: defaultCredentials, otherSts: defaultCredentials },
};

beforeAll(async () => {
  jail = await mkdtemp(join(tmpdir(), 'oss-fuzz-jail-'));
  dataDir = await mkdtemp(join(jail, 'data-'));
  workDir = join(jail, 'cwd');
  await mkdir(workDir);
  previousCwd = process.cwd();
  // Anything written relative to the working directory lands in the jail, where it is found.
  process.chdir(workDir);
  server = await startServer({
    dataDir, buckets: ['demo', 'fuzz-two'],
    // Short limits so requests that lie about their length are answered quickly.
    headersTimeoutMs: 2000, bodyIdleTimeoutMs: 500,
  });
  live.port = server.port;
  live.closedPort = await closedPort();
  const sts = await server.assumeRole();
  const otherSts = await server.assumeRole();
  const scoped = await server.assumeRole({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:ListParts'], Resource: 'acs:oss:*:*:demo/fuzz/scoped/*' }] });
  live.signers = {
    root: defaultCredentials,
    sts: { accessKeyId: sts.AccessKeyId, secret: sts.AccessKeySecret, token: sts.SecurityToken },
    otherSts: { accessKeyId: otherSts.AccessKeyId, secret: otherSts.AccessKeySecret, token: otherSts.SecurityToken },
    scoped: { accessKeyId: scoped.AccessKeyId, secret: scoped.AccessKeySecret, token: scoped.SecurityToken },
  };
  for (let i = 0; i < 4; i++) {
    const put = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/${poolKeys[i]!}`, body: testBytes(1000 + i, i + 1), sign: true });
    expect(put.status, put.text).toBe(200);
  }
  for (let i = 0; i < liveUploadCount; i++) live.uploads.push(await liveUpload(i));
});

/**
 * Starts upload `i` on `fuzz/live-<i>` with part 1 (100 KiB) and part 2 (1,000 bytes) of fixed
 * bytes, so its ETags never change; used again whenever the run completes or aborts it.
 */
async function liveUpload(i: number): Promise<{ key: string; id: string; etags: string[] }> {
  const key = `fuzz/live-${i}`;
  const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
  expect(init.status, init.text).toBe(200);
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
  const etags: string[] = [];
  for (const [n, size] of [[1, 100 * 1024], [2, 1000]] as const) {
    const part = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/${key}`, query: [['partNumber', String(n)], ['uploadId', id]], body: testBytes(size, 100 + i * 10 + n), sign: true });
    expect(part.status, part.text).toBe(200);
    etags.push(String(part.headers['etag']));
  }
  return { key, id, etags };
}

afterAll(async () => {
  if (previousCwd) process.chdir(previousCwd);
  await server?.dispose();
  if (jail) await rm(jail, { recursive: true, force: true });
});

describe(`seeded fuzz run (seed ${seed}, ${total} requests)`, () => {
  it('no 5xx from input, every error an OSS <Error> with a request id, every request answered', async () => {
    const r = new Rand(seed);
    const all = Array.from({ length: total }, (_, id) => genSpec(r, id));
    // OSS_FUZZ_ONLY=<id>[,<id>…] replays single requests of the run and prints them with their answers.
    const only = process.env['OSS_FUZZ_ONLY']?.split(',').map(Number);
    const specs = only ? all.filter((spec) => only.includes(spec.id)) : all;
    console.log(`[fuzz] seed=${seed} (0x${seed.toString(16)}) requests=${total} connections in parallel=${parallel}; replay: OSS_FUZZ_SEED=${seed} npx vitest run server/test/fuzz.test.ts`);
    const started = Date.now();
    const failures: string[] = [];
    const statuses = new Map<string, number>();
    let sent = 0;
    let next = 0;
    let replenished = 0;
    const worker = async () => {
      while (next < specs.length) {
        const spec = specs[next++]!;
        const chain = spec.pipelined ? [spec, spec.pipelined] : [spec];
        const requests = chain.map((s, i) => ({ bytes: render(s, live, i < chain.length - 1), method: s.method }));
        const expectAnswers = spec.raw && /^PRI \*/.test(spec.raw.toString('latin1')) ? 0 : requests.length;
        sent += requests.length;
        const { answers, error } = await exchange(requests, server.port, 15_000);
        if (only) {
          console.log(`[fuzz] ${describeSpec(spec)}\n  sent: ${JSON.stringify(requests.map((q) => q.bytes.subarray(0, 600).toString('latin1')))}\n  answers: ${JSON.stringify(answers.map((a) => ({ ...a, body: a.body.toString('utf8').slice(0, 400) })))} ${error ?? ''}`);
        }
        if (expectAnswers === 0) continue; // the HTTP/2 preface is not HTTP/1 at all: node:http just closes
        if (error !== undefined && answers.length === 0) {
          failures.push(`${describeSpec(spec)} → ${error}`);
          continue;
        }
        // A lying Content-Length or broken chunking can turn the rest of the bytes into junk: only the first answer counts then.
        const checked = spec.framing === 'length' && !spec.raw ? answers : answers.slice(0, 1);
        // A server may close after any answer that says `Connection: close` (a parse error, an abandoned body).
        const closing = answers.some((a) => /close/i.test(a.headers['connection'] ?? ''));
        if (error !== undefined && checked.length < requests.length && spec.pipelined && !closing) {
          failures.push(`${describeSpec(spec)} ++ ${describeSpec(spec.pipelined)} → ${answers.map((a) => `${a.status} ${a.headers['connection']} ${a.body.toString('utf8').slice(0, 120)}`).join(' / ')} → ${error}`);
        }
        // A live upload completed or aborted by the run is replaced, so later requests still reach it.
        for (const [i, answer] of checked.entries()) {
          const slot = /uploadId=\{upload:(\d+)\}/.exec(chain[i]!.query.join('&'))?.[1];
          if (slot !== undefined && (chain[i]!.method === 'POST' || chain[i]!.method === 'DELETE') && answer.status >= 200 && answer.status < 300) {
            live.uploads[Number(slot)] = await liveUpload(Number(slot));
            replenished++;
          }
        }
        checked.forEach((answer, i) => {
          const { problems, code } = check(chain[i]!, answer);
          const bucket = `${answer.status}${code ? ` ${code}` : ''}`;
          statuses.set(bucket, (statuses.get(bucket) ?? 0) + 1);
          for (const problem of problems) failures.push(`${describeSpec(chain[i]!)} → ${answer.status}: ${problem}`);
        });
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    const seconds = (Date.now() - started) / 1000;
    const summary = [...statuses.entries()].sort(([, a], [, b]) => b - a).map(([k, v]) => `${k}×${v}`).join(', ');
    console.log(`[fuzz] seed=${seed}: ${sent} requests in ${seconds.toFixed(1)} s (+${replenished} live uploads restarted); answers: ${summary}`);
    expect(failures.slice(0, 25), `${failures.length} failure(s); seed ${seed}`).toEqual([]);
    // The run reached deep into the server, not just its front door.
    if (only) return;
    for (const reached of ['200', '204', '400 MalformedXML', '400 InvalidPart', '403 SignatureDoesNotMatch', '404 NoSuchUpload', '400 InvalidObjectName', '501 NotImplemented']) {
      expect(statuses.get(reached) ?? 0, `no "${reached}" answer in the run`).toBeGreaterThan(0);
    }
  }, 180_000);

  it('the server still answers a normal request and serves an ali-oss multipart upload', async () => {
    const put = await rawRequest({ port: server.port, method: 'PUT', path: '/demo/after-fuzz/normal.txt', body: 'still here', sign: true });
    expect(put.status, put.text).toBe(200);
    const get = await rawRequest({ port: server.port, path: '/demo/after-fuzz/normal.txt', sign: true });
    expect(get.text).toBe('still here');
    const client = server.client();
    const body = randomBytes(350 * 1024);
    const result = await client.multipartUpload('after-fuzz/multipart.bin', body, { partSize: 100 * 1024, parallel: 3 });
    expect(result.res.status).toBe(200);
    const back = await client.get('after-fuzz/multipart.bin');
    expect(createHash('md5').update(back.content).digest('hex')).toBe(createHash('md5').update(body).digest('hex'));
  });

  it('nothing was written outside the data dir', async () => {
    expect((await readdir(jail)).sort()).toEqual([basename(dataDir), 'cwd'].sort());
    expect(await readdir(workDir)).toEqual([]);
    const entries = (await readdir(dataDir, { recursive: true })) as string[];
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) {
      const full = join(dataDir, entry);
      expect(resolve(full).startsWith(dataDir + sep), entry).toBe(true);
      expect((await lstat(full)).isSymbolicLink(), `${entry} is a symlink`).toBe(false);
      for (const component of entry.split(sep)) {
        expect(component, entry).toMatch(/^[A-Za-z0-9_-]+(\.[a-z]+)?$/);
        expect(component.toLowerCase().includes(marker), entry).toBe(false);
      }
    }
    // Only the buckets that exist have directories; nothing half-written is left behind.
    expect((await readdir(join(dataDir, 'buckets'))).sort()).toEqual(['demo', 'fuzz-two']);
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    // The parent of the jail got nothing named after a fuzz key either.
    expect((await readdir(tmpdir())).filter((name) => name.includes(marker))).toEqual([]);
  });
});

/** Sends one request's raw bytes on a fresh connection and returns the answers. */
async function once(bytes: string | Buffer, method = 'GET', count = 1): Promise<Answer[]> {
  const requests = Array.from({ length: count }, (_, i) => ({ bytes: i === 0 ? Buffer.from(bytes) : Buffer.alloc(0), method }));
  const { answers, error } = await exchange(requests, server.port, 10_000);
  expect(error, `no answer to ${String(bytes).slice(0, 80)}`).toBeUndefined();
  return answers;
}

function signedHead(method: string, path: string, query: Array<[string, string]> = [], headers: Record<string, string> = {}): string {
  const { bucket, key } = addressOf(path, undefined);
  const added = signV1Header({ method, bucket, key, query, headers, now: Date.now() }, defaultCredentials);
  const target = query.length ? `${path}?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}` : path;
  return `${method} ${target} HTTP/1.1\r\nHost: localhost:${server.port}\r\n${Object.entries({ ...headers, ...added }).map(([n, v]) => `${n}: ${v}\r\n`).join('')}`;
}

describe('regressions the fuzz run found (each was a 5xx, a bare node:http answer or no answer)', () => {
  it('a GetObject racing a DeleteObject of its (multipart) object still streams the whole version it started', async () => {
    const key = 'fuzz/regress/race.bin';
    const init = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: 'uploads', sign: true });
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const parts = [testBytes(32 * 1024 * 1024, 21), testBytes(200_000, 22)];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const res = await rawRequest({ port: server.port, method: 'PUT', path: `/demo/${key}`, query: [['partNumber', String(i + 1)], ['uploadId', id]], body: part, sign: true });
      etags.push(String(res.headers['etag']));
    }
    const done = await rawRequest({ port: server.port, method: 'POST', path: `/demo/${key}`, query: [['uploadId', id]], body: completeXml(etags.map((e, i) => [String(i + 1), e] as const)), sign: true });
    expect(done.status, done.text).toBe(200);
    // Start the GET but do not read: the server blocks on backpressure inside the first part.
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.pause();
    socket.write(`${signedHead('GET', `/demo/${key}`)}Connection: close\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 300));
    const deleted = await rawRequest({ port: server.port, method: 'DELETE', path: `/demo/${key}`, sign: true });
    expect(deleted.status).toBe(204);
    const received = await new Promise<Buffer>((done) => {
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => done(Buffer.concat(chunks)));
      socket.resume();
    });
    const bodyStart = received.indexOf('\r\n\r\n') + 4;
    expect(received.subarray(0, 15).toString()).toBe('HTTP/1.1 200 OK');
    const body = received.subarray(bodyStart);
    expect(body.length).toBe(parts[0]!.length + parts[1]!.length);
    expect(createHash('md5').update(body).digest('hex')).toBe(createHash('md5').update(Buffer.concat(parts)).digest('hex'));
    // Once the reader let go, the deleted version's bytes are gone too.
    await new Promise((r) => setTimeout(r, 100));
    expect((await rawRequest({ port: server.port, path: `/demo/${key}`, sign: true })).status).toBe(404);
  }, 30_000);

  it('response-* values that cannot be header values are InvalidArgument, not a failed answer', async () => {
    for (const value of ['a\nb', 'a\r\nX-Injected: 1', '\u2603', '\u0000']) {
      const res = await rawRequest({ port: server.port, path: '/demo/fuzz/obj-0', query: [['response-content-type', value]], sign: true });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.xml['Code']).toBe('InvalidArgument');
      expect(res.headers['x-injected']).toBeUndefined();
    }
  });

  it('a callbackHost that cannot be a Host header is InvalidArgument, and nothing is stored', async () => {
    const callback = Buffer.from(JSON.stringify({ callbackUrl: `http://127.0.0.1:${live.closedPort}/cb`, callbackBody: 'x', callbackHost: 'bad\u0001host' })).toString('base64');
    const res = await rawRequest({ port: server.port, method: 'PUT', path: '/demo/fuzz/regress/callback.bin', body: 'x', sign: true, headers: { 'x-oss-callback': callback } });
    expect(res.status, res.text).toBe(400);
    expect(res.xml['Code']).toBe('InvalidArgument');
    expect((await rawRequest({ port: server.port, path: '/demo/fuzz/regress/callback.bin', sign: true })).status).toBe(404);
  });

  it('CONNECT, an unknown Expect and a request without Host get OSS answers', async () => {
    const [connectAnswer] = await once('CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n', 'CONNECT');
    expect(connectAnswer!.status).toBe(405);
    expect(connectAnswer!.body.toString()).toContain('<Code>MethodNotAllowed</Code>');
    const [expectAnswer] = await once(`${signedHead('GET', '/demo/fuzz/obj-0')}Expect: 200-ok\r\nConnection: close\r\n\r\n`);
    expect(expectAnswer!.status).toBe(200);
    const noHost = `${signedHead('GET', '/demo/fuzz/obj-0').replace(/Host: [^\r]*\r\n/, '')}Connection: close\r\n\r\n`;
    const [noHostAnswer] = await once(noHost);
    expect(noHostAnswer!.status).toBe(200);
  });

  it('HEAD / with an STS Action is an OSS error in x-oss-err, not an STS JSON body a HEAD cannot carry', async () => {
    const res = await rawRequest({ port: server.port, method: 'HEAD', path: '/', query: 'Action=AssumeRole' });
    expect(res.status).toBe(405);
    expect(res.xml['Code']).toBe('MethodNotAllowed');
  });

  it('junk pipelined behind a valid request: the valid one is answered first, then the junk with an OSS 400', async () => {
    const bytes = `${signedHead('GET', '/demo/fuzz/obj-0')}\r\nGET /demo/x HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n`;
    const answers = await once(bytes, 'GET', 2);
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(answers[1]!.body.toString()).toContain('<Code>InvalidRequest</Code>');
    // A HEAD first: the junk's answer still has its body (the guess "this is a HEAD" is only made for a first request).
    const afterHead = await once(`${signedHead('HEAD', '/demo/fuzz/obj-0')}\r\nGET /demo/x HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n`, 'HEAD', 1);
    expect(afterHead[0]!.status).toBe(200);
  });
});
