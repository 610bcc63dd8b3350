/**
 * Attacks on authentication and authorisation (issue 7, "Server hardening" → auth), over raw HTTP
 * against a server whose clock the test moves (`now` option). Requests are signed by signers.ts,
 * independently of the server's verifier, in all four schemes: V1 and V4, header and presigned URL.
 * Extends errors.test.ts / interop.test.ts (which cover a tampered V1 header, a wrong secret through
 * ali-oss, a key without its token over V1 headers, a token of another session, expired tokens and
 * a prefix-scoped token through ali-oss) without repeating them:
 *
 * - tampered signatures and requests changed after signing, in every scheme → SignatureDoesNotMatch;
 * - the same signed request replayed after the server clock moved past the 15-minute window →
 *   RequestTimeTooSkewed (inside the window a replay is accepted, as on OSS: there is no nonce);
 * - presigned URLs after their expiry → AccessDenied "Request has expired.", to the second;
 * - a scoped STS token used outside its prefix, on another bucket, on look-alike keys, or for an
 *   action its policy does not grant (or explicitly denies) → AccessDenied, nothing written;
 * - credentials that do not belong together: a token with another key id's secret, a key id with
 *   another session's token, an STS key id without a token, forged tokens → the right code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './harness.js';
import { addressOf, rawRequest, type RawRequestOptions, type RawResponse } from './raw-request.js';
import { presignV1, presignV4, signV1Header, signV4Header, tamper, type Signer } from './signers.js';
import type { PolicyDocument } from '../src/sts/policy.js';
import { createTokenAuthority } from '../src/sts/token.js';

/** The server's clock, in whole seconds (V1 dates carry no milliseconds). */
let clock = Math.floor(Date.now() / 1000) * 1000;
let server: TestServer;
let root: Signer;

beforeAll(async () => {
  server = await startServer({ now: () => clock, buckets: ['demo', 'other'] });
  root = { accessKeyId: server.accessKeyId, secret: server.accessKeySecret };
});
afterAll(async () => {
  await server?.dispose();
});

type Scheme = 'v1' | 'v4' | 'v1-url' | 'v4-url';
const schemes: readonly Scheme[] = ['v1', 'v4', 'v1-url', 'v4-url'];
type Req = { method?: string; path: string; query?: Array<[string, string]>; headers?: Record<string, string>; body?: string };

/** A signed request, ready to send (and to send again, byte for byte). `at` is the signing time. */
function signed(req: Req, scheme: Scheme, signer: Signer, options: { at?: number; lifetimeSeconds?: number } = {}): RawRequestOptions {
  const method = req.method ?? 'GET';
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([n, v]) => [n.toLowerCase(), v]));
  const query = req.query ?? [];
  const { bucket, key } = addressOf(req.path, undefined);
  const at = options.at ?? clock;
  const input = { method, bucket, key, query, headers, now: at };
  const lifetime = options.lifetimeSeconds ?? 300;
  let finalHeaders = headers;
  let finalQuery: Array<[string, string]> = [...query];
  if (scheme === 'v1') finalHeaders = { ...headers, ...signV1Header(input, signer) };
  if (scheme === 'v4') finalHeaders = { ...headers, ...signV4Header(input, signer) };
  if (scheme === 'v1-url') finalQuery = [...query, ...presignV1(input, signer, Math.floor(at / 1000) + lifetime)];
  if (scheme === 'v4-url') finalQuery = [...query, ...presignV4(input, signer, lifetime)];
  return { port: server.port, method, path: req.path, query: finalQuery, headers: finalHeaders, ...(req.body === undefined ? {} : { body: req.body }) };
}

/** The same request with its signature changed in one character. */
function withTamperedSignature(options: RawRequestOptions, scheme: Scheme): RawRequestOptions {
  if (scheme === 'v1' || scheme === 'v4') {
    const headers = { ...(options.headers as Record<string, string>) };
    headers['authorization'] = headers['authorization']!.replace(/(Signature=|:)([^:,]+)$/, (_, p: string, s: string) => p + tamper(s));
    return { ...options, headers };
  }
  const name = scheme === 'v1-url' ? 'Signature' : 'x-oss-signature';
  const query = (options.query as Array<[string, string]>).map(([k, v]): [string, string] => [k, k === name ? tamper(v) : v]);
  return { ...options, query };
}

function expectDenied(res: RawResponse, status: number, code: string, label = ''): void {
  const context = `${label} → ${res.status} ${res.text.slice(0, 400)}`;
  expect(res.status, context).toBe(status);
  expect(res.xml['Code'], context).toBe(code);
  expect(res.headers['x-oss-request-id'], context).toMatch(/^[0-9A-F]{24}$/);
  expect(res.xml['RequestId'], context).toBe(res.headers['x-oss-request-id']);
}

const mismatchEc = (scheme: Scheme) => (scheme.startsWith('v1') ? '0002-00000040' : '0002-00000201');

async function rootPut(key: string, body: string, bucket = 'demo'): Promise<void> {
  const res = await rawRequest({ port: server.port, method: 'PUT', path: `/${bucket}/${key}`, body, sign: true, headers: { 'x-oss-date': new Date(clock).toUTCString() } });
  expect(res.status, res.text).toBe(200);
}

async function rootGet(key: string, bucket = 'demo'): Promise<RawResponse> {
  return rawRequest({ port: server.port, path: `/${bucket}/${key}`, sign: true, headers: { 'x-oss-date': new Date(clock).toUTCString() } });
}

// =================================================================================================

describe('tampered signatures and requests changed after signing → SignatureDoesNotMatch', () => {
  it.each(schemes)('%s: the untouched request works; each change is refused and nothing is written', async (scheme) => {
    const key = `attacks/tamper-${scheme}.txt`;
    const put: Req = { method: 'PUT', path: `/demo/${key}`, body: 'original', headers: { 'content-type': 'text/plain', 'x-oss-meta-who': 'alice' } };
    const good = signed(put, scheme, root);
    expect((await rawRequest(good)).status).toBe(200);

    const headers = good.headers as Record<string, string>;
    const variants: Array<[string, RawRequestOptions]> = [
      ['one signature character flipped', withTamperedSignature(good, scheme)],
      ['another key', { ...good, path: `/demo/attacks/tamper-${scheme}-other.txt` }],
      ['another bucket', { ...good, path: `/other/${key}` }],
      ['another method', { ...good, method: 'POST', query: [...(good.query as Array<[string, string]>), ['uploads', '']] }],
      ['a changed x-oss-meta header', { ...good, headers: { ...headers, 'x-oss-meta-who': 'mallory' } }],
      ['an added x-oss header', { ...good, headers: { ...headers, 'x-oss-forbid-overwrite': 'false' } }],
      ['a changed Content-Type', { ...good, headers: { ...headers, 'content-type': 'text/html' } }],
    ];
    for (const [label, variant] of variants) {
      const res = await rawRequest({ ...variant, body: 'tampered' });
      expectDenied(res, 403, 'SignatureDoesNotMatch', `${scheme}: ${label}`);
      expect(res.xml['EC'], label).toBe(mismatchEc(scheme));
    }
    expect((await rootGet(key)).text).toBe('original');
    expect((await rootGet(`attacks/tamper-${scheme}-other.txt`)).status).toBe(404);
    expect((await rootGet(key, 'other')).status).toBe(404);
  });

  it.each(schemes)('%s: a signed sub-resource (uploadId, partNumber) changed after signing', async (scheme) => {
    const key = `attacks/subresource-${scheme}.bin`;
    const init = await rawRequest(signed({ method: 'POST', path: `/demo/${key}`, query: [['uploads', '']] }, 'v1', root));
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = signed({ method: 'PUT', path: `/demo/${key}`, query: [['partNumber', '1'], ['uploadId', uploadId]], body: 'part' }, scheme, root);
    const query = part.query as Array<[string, string]>;
    const res = await rawRequest({ ...part, query: query.map(([k, v]): [string, string] => [k, k === 'partNumber' ? '2' : v]) });
    expectDenied(res, 403, 'SignatureDoesNotMatch', `${scheme}: partNumber 1 → 2`);
    expect((await rawRequest(part)).status).toBe(200);
  });

  it('presigned: stretching the lifetime (V1 Expires, V4 x-oss-expires) breaks the signature', async () => {
    await rootPut('attacks/stretch.txt', 'stretch');
    const v1 = signed({ path: '/demo/attacks/stretch.txt' }, 'v1-url', root, { lifetimeSeconds: 60 });
    const v1Query = (v1.query as Array<[string, string]>).map(([k, v]): [string, string] => [k, k === 'Expires' ? String(Number(v) + 86_400) : v]);
    expectDenied(await rawRequest({ ...v1, query: v1Query }), 403, 'SignatureDoesNotMatch', 'V1 Expires + 1 day');
    const v4 = signed({ path: '/demo/attacks/stretch.txt' }, 'v4-url', root, { lifetimeSeconds: 60 });
    const v4Query = (v4.query as Array<[string, string]>).map(([k, v]): [string, string] => [k, k === 'x-oss-expires' ? '604800' : v]);
    expectDenied(await rawRequest({ ...v4, query: v4Query }), 403, 'SignatureDoesNotMatch', 'V4 x-oss-expires 60 → 604800');
  });

  it('V4: a credential scope for another region or day is refused', async () => {
    const good = signed({ path: '/demo/attacks/none' }, 'v4', root);
    const headers = good.headers as Record<string, string>;
    const region = headers['authorization']!.replace('/cn-hangzhou/', '/cn-shanghai/');
    const regionRes = await rawRequest({ ...good, headers: { ...headers, authorization: region } });
    expectDenied(regionRes, 403, 'SignatureDoesNotMatch', 'region');
    expect(regionRes.xml['Message']).toBe('The signing region in credential is invalid.');
    const day = headers['authorization']!.replace(/Credential=([^/]+)\/(\d{8})/, (_, ak: string) => `Credential=${ak}/20200101`);
    const dayRes = await rawRequest({ ...good, headers: { ...headers, authorization: day } });
    expectDenied(dayRes, 403, 'SignatureDoesNotMatch', 'date');
    // A V4 signature signed for another region by the signer itself is just as wrong.
    const otherRegion = signed({ path: '/demo/attacks/none' }, 'v4', root);
    const forged = signV4Header({ method: 'GET', bucket: 'demo', key: 'attacks/none', query: [], headers: {}, now: clock, region: 'cn-shanghai' }, root);
    expectDenied(await rawRequest({ ...otherRegion, headers: forged }), 403, 'SignatureDoesNotMatch', 'signed for cn-shanghai');
  });
});

// =================================================================================================

describe('replays outside the 15-minute window → RequestTimeTooSkewed', () => {
  it.each(['v1', 'v4'] as const)('%s header, root key and STS token: accepted up to 15 min, refused after, either way', async (scheme) => {
    await rootPut(`attacks/replay-${scheme}.txt`, 'replayed');
    const t0 = clock;
    const minted = server.sts.mint({ durationSeconds: 3600, roleArn: 'acs:ram::1:role/r', sessionName: 'replay' });
    const sts: Signer = { accessKeyId: minted.AccessKeyId, secret: minted.AccessKeySecret, token: minted.SecurityToken };
    try {
      for (const signer of [root, sts]) {
        const request = signed({ path: `/demo/attacks/replay-${scheme}.txt` }, scheme, signer, { at: t0 });
        for (const [offsetSeconds, accepted] of [[0, true], [14 * 60, true], [15 * 60, true], [15 * 60 + 1, false], [60 * 60, false], [-(15 * 60 + 1), false]] as const) {
          clock = t0 + offsetSeconds * 1000;
          const res = await rawRequest(request);
          if (accepted) {
            expect(res.status, `${scheme} replayed at ${offsetSeconds} s`).toBe(200);
            expect(res.text).toBe('replayed');
            continue;
          }
          expectDenied(res, 403, 'RequestTimeTooSkewed', `${scheme} replayed at ${offsetSeconds} s`);
          expect(res.xml['RequestTime']).toBe(new Date(t0).toISOString());
          expect(res.xml['ServerTime']).toBe(new Date(clock).toISOString());
          expect(res.xml['MaxAllowedSkewMilliseconds']).toBe('900000');
          expect(res.headers['x-oss-server-time']).toBe(new Date(clock).toISOString());
        }
      }
      // A replayed PUT is refused the same way and leaves the object alone.
      clock = t0;
      const put = signed({ method: 'PUT', path: `/demo/attacks/replay-${scheme}.txt`, body: 'overwritten' }, scheme, root, { at: t0 });
      clock = t0 + 16 * 60_000;
      expectDenied(await rawRequest(put), 403, 'RequestTimeTooSkewed', 'replayed PUT');
      expect((await rootGet(`attacks/replay-${scheme}.txt`)).text).toBe('replayed');
    } finally {
      clock = t0;
    }
  });

  it('a V4 presigned URL dated more than 15 minutes ahead is RequestTimeTooSkewed', async () => {
    const future = signed({ path: '/demo/attacks/none' }, 'v4-url', root, { at: clock + 16 * 60_000, lifetimeSeconds: 3600 });
    expectDenied(await rawRequest(future), 403, 'RequestTimeTooSkewed');
  });
});

// =================================================================================================

describe('presigned URLs after their expiry → AccessDenied "Request has expired."', () => {
  it.each(['v1-url', 'v4-url'] as const)('%s: valid through its last second, expired one second later; a long URL may be replayed until then', async (scheme) => {
    await rootPut(`attacks/expiry-${scheme}.txt`, 'fresh');
    const t0 = clock;
    const url = signed({ path: `/demo/attacks/expiry-${scheme}.txt` }, scheme, root, { at: t0, lifetimeSeconds: 3600 });
    try {
      for (const offset of [0, 30 * 60, 3600]) {
        clock = t0 + offset * 1000;
        expect((await rawRequest(url)).status, `${scheme} at +${offset} s`).toBe(200);
      }
      for (const offset of [3601, 86_400]) {
        clock = t0 + offset * 1000;
        const res = await rawRequest(url);
        expectDenied(res, 403, 'AccessDenied', `${scheme} at +${offset} s`);
        expect(res.xml['Message']).toBe('Request has expired.');
        expect(res.xml['EC']).toBe('0002-00000069');
        expect(res.xml['Expires']).toBe(new Date(t0 + 3600_000).toISOString());
        expect(res.xml['ServerTime']).toBe(new Date(clock).toISOString());
      }
    } finally {
      clock = t0;
    }
  });

  it.each(['v1-url', 'v4-url'] as const)('%s signed with an STS token: the URL outliving its token is SecurityTokenExpired', async (scheme) => {
    await rootPut(`attacks/token-url-${scheme}.txt`, 'x');
    const t0 = clock;
    const minted = server.sts.mint({ durationSeconds: 900, roleArn: 'acs:ram::1:role/r', sessionName: 'url' });
    const url = signed({ path: `/demo/attacks/token-url-${scheme}.txt` }, scheme, { accessKeyId: minted.AccessKeyId, secret: minted.AccessKeySecret, token: minted.SecurityToken }, { lifetimeSeconds: 3600 });
    try {
      expect((await rawRequest(url)).status).toBe(200);
      clock = t0 + 901_000;
      expectDenied(await rawRequest(url), 403, 'SecurityTokenExpired');
    } finally {
      clock = t0;
    }
  });

  it('V4 x-oss-expires outside 1..604800 is InvalidArgument', async () => {
    for (const lifetime of [0, 604_801]) {
      expectDenied(await rawRequest(signed({ path: '/demo/attacks/none' }, 'v4-url', root, { lifetimeSeconds: lifetime })), 400, 'InvalidArgument', `x-oss-expires=${lifetime}`);
    }
  });
});

// =================================================================================================

describe('a scoped STS token outside its policy → AccessDenied, nothing touched', () => {
  const policy: PolicyDocument = {
    Version: '1',
    Statement: [
      { Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject', 'oss:ListParts', 'oss:AbortMultipartUpload', 'oss:DeleteObject'], Resource: 'acs:oss:*:*:demo/users/alice/*' },
      { Effect: 'Deny', Action: 'oss:DeleteObject', Resource: 'acs:oss:*:*:demo/users/alice/keep/*' },
    ],
  };
  let alice: Signer;
  let bobUpload: string;

  beforeAll(async () => {
    const minted = server.sts.mint({ durationSeconds: 3600, policy, roleArn: 'acs:ram::1:role/uploader', sessionName: 'alice' });
    alice = { accessKeyId: minted.AccessKeyId, secret: minted.AccessKeySecret, token: minted.SecurityToken };
    await rootPut('users/bob/secret.txt', 'bob only');
    await rootPut('users/alice/keep/contract.txt', 'keep me');
    const init = await rawRequest(signed({ method: 'POST', path: '/demo/users/bob/upload.bin', query: [['uploads', '']] }, 'v1', root));
    bobUpload = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
  });

  it.each(schemes)('%s: inside the prefix the token works (put, get, a whole multipart upload)', async (scheme) => {
    const key = `users/alice/${scheme}/inside.bin`;
    expect((await rawRequest(signed({ method: 'PUT', path: `/demo/${key}`, body: 'mine' }, scheme, alice))).status).toBe(200);
    expect((await rawRequest(signed({ path: `/demo/${key}` }, scheme, alice))).text).toBe('mine');
    const init = await rawRequest(signed({ method: 'POST', path: `/demo/${key}.mp`, query: [['uploads', '']] }, scheme, alice));
    expect(init.status, init.text).toBe(200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1]!;
    const part = await rawRequest(signed({ method: 'PUT', path: `/demo/${key}.mp`, query: [['partNumber', '1'], ['uploadId', uploadId]], body: 'only part' }, scheme, alice));
    expect(part.status).toBe(200);
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${String(part.headers['etag'])}</ETag></Part></CompleteMultipartUpload>`;
    const done = await rawRequest(signed({ method: 'POST', path: `/demo/${key}.mp`, query: [['uploadId', uploadId]], body, headers: { 'content-type': 'application/xml' } }, scheme, alice));
    expect(done.status, done.text).toBe(200);
  });

  it.each(schemes)('%s: outside the prefix, on look-alike keys and in another bucket', async (scheme) => {
    for (const [bucket, key] of [
      ['demo', 'users/bob/evil.txt'], ['demo', 'users/alice'], ['demo', 'users/alicex/evil.txt'], ['demo', 'users/alice-evil.txt'],
      ['demo', 'Users/alice/evil.txt'], ['demo', 'USERS/ALICE/evil.txt'], ['demo', 'evil/users/alice/x'], ['other', 'users/alice/evil.txt'],
    ] as const) {
      const res = await rawRequest(signed({ method: 'PUT', path: `/${bucket}/${key}`, body: 'evil' }, scheme, alice));
      expectDenied(res, 403, 'AccessDenied', `${scheme} PUT ${bucket}/${key}`);
      expect(res.xml['AuthAction']).toBe('oss:PutObject');
      expect(res.xml['AuthResource']).toBe(`acs:oss:*:*:${bucket}/${key}`);
      expect((await rootGet(key, bucket)).status, `${bucket}/${key} was written`).toBe(404);
    }
    expectDenied(await rawRequest(signed({ path: '/demo/users/bob/secret.txt' }, scheme, alice)), 403, 'AccessDenied', 'GET bob');
    const head = await rawRequest(signed({ method: 'HEAD', path: '/demo/users/bob/secret.txt' }, scheme, alice));
    expect(head.status).toBe(403);
    expect(head.xml['Code']).toBe('AccessDenied');
  });

  it.each(schemes)('%s: actions the policy does not grant, or denies, even inside the prefix', async (scheme) => {
    const checks: Array<[string, Req]> = [
      ['ListObjects', { path: '/demo/', query: [['prefix', 'users/alice/']] }],
      ['ListMultipartUploads', { path: '/demo/', query: [['uploads', ''], ['prefix', 'users/alice/']] }],
      ['ListBuckets', { path: '/' }],
      ['DeleteObject (explicit Deny)', { method: 'DELETE', path: '/demo/users/alice/keep/contract.txt' }],
      ['DeleteObject outside', { method: 'DELETE', path: '/demo/users/bob/secret.txt' }],
      ['CopyObject from outside', { method: 'PUT', path: '/demo/users/alice/stolen.txt', headers: { 'x-oss-copy-source': '/demo/users/bob/secret.txt' } }],
      ['UploadPart into an upload outside', { method: 'PUT', path: '/demo/users/bob/upload.bin', query: [['partNumber', '1'], ['uploadId', bobUpload]], body: 'evil' }],
      ['ListParts of an upload outside', { path: '/demo/users/bob/upload.bin', query: [['uploadId', bobUpload]] }],
      ['AbortMultipartUpload outside', { method: 'DELETE', path: '/demo/users/bob/upload.bin', query: [['uploadId', bobUpload]] }],
      ['CompleteMultipartUpload outside', { method: 'POST', path: '/demo/users/bob/upload.bin', query: [['uploadId', bobUpload]], body: '<CompleteMultipartUpload/>' }],
      ['InitiateMultipartUpload outside', { method: 'POST', path: '/demo/users/bob/new.bin', query: [['uploads', '']] }],
    ];
    for (const [label, req] of checks) expectDenied(await rawRequest(signed(req, scheme, alice)), 403, 'AccessDenied', `${scheme} ${label}`);
    // Everything is where it was.
    expect((await rootGet('users/alice/keep/contract.txt')).text).toBe('keep me');
    expect((await rootGet('users/bob/secret.txt')).text).toBe('bob only');
    expect((await rootGet('users/alice/stolen.txt')).status).toBe(404);
    const parts = await rawRequest(signed({ path: '/demo/users/bob/upload.bin', query: [['uploadId', bobUpload]] }, 'v1', root));
    expect(parts.status).toBe(200);
    expect(parts.text).not.toContain('<Part>');
  });

  it('the root key is not limited by a token it carries (the token only applies to its own key id)', async () => {
    // Attaching alice's token to a root-signed request neither narrows nor widens anything: the root secret signed it.
    const res = await rawRequest(signed({ path: '/demo/users/bob/secret.txt' }, 'v1', { ...root, token: alice.token }));
    expect(res.status).toBe(200);
  });
});

// =================================================================================================

describe('credentials that do not belong together', () => {
  let a: Signer;
  let b: Signer;
  beforeAll(async () => {
    await rootPut('attacks/pair.txt', 'pair');
    const ma = server.sts.mint({ durationSeconds: 3600, roleArn: 'acs:ram::1:role/r', sessionName: 'a' });
    const mb = server.sts.mint({ durationSeconds: 3600, roleArn: 'acs:ram::1:role/r', sessionName: 'b' });
    a = { accessKeyId: ma.AccessKeyId, secret: ma.AccessKeySecret, token: ma.SecurityToken };
    b = { accessKeyId: mb.AccessKeyId, secret: mb.AccessKeySecret, token: mb.SecurityToken };
  });

  it.each(schemes)('%s: each pairing is refused with its own code', async (scheme) => {
    const req: Req = { path: '/demo/attacks/pair.txt' };
    expect((await rawRequest(signed(req, scheme, a))).text).toBe('pair');
    const cases: Array<[string, Signer, string, string?]> = [
      // The token is a's and valid, so the key id is a's: only a's secret can sign for it.
      ["a's key id and token, b's secret", { ...a, secret: b.secret }, 'SignatureDoesNotMatch'],
      ["a's key id and token, the root secret", { ...a, secret: root.secret }, 'SignatureDoesNotMatch'],
      // The token names another key id than the one that signed.
      ["a's key id and secret, b's token", { ...a, token: b.token }, 'InvalidSecurityToken', '0002-00000006'],
      ["b's key id and secret, a's token", { ...b, token: a.token }, 'InvalidSecurityToken', '0002-00000006'],
      // An STS key id means nothing without its token.
      ["a's key id and secret, no token", { accessKeyId: a.accessKeyId, secret: a.secret }, 'InvalidAccessKeyId', '0002-00000003'],
      // The root key id with an STS secret.
      ["the root key id, a's secret", { accessKeyId: root.accessKeyId, secret: a.secret }, 'SignatureDoesNotMatch'],
    ];
    for (const [label, signer, code, ec] of cases) {
      const res = await rawRequest(signed(req, scheme, signer));
      expectDenied(res, 403, code, `${scheme}: ${label}`);
      if (ec) expect(res.xml['EC'], label).toBe(ec);
    }
  });

  it.each(schemes)('%s: forged tokens (minted under another root secret, or with an edited payload) are InvalidSecurityToken', async (scheme) => {
    const elsewhere = createTokenAuthority({ rootSecret: 'another-servers-secret', now: () => clock })
      .mint({ durationSeconds: 3600, roleArn: 'acs:ram::1:role/r', sessionName: 'forger' });
    const foreign: Signer = { accessKeyId: elsewhere.AccessKeyId, secret: elsewhere.AccessKeySecret, token: elsewhere.SecurityToken };
    expectDenied(await rawRequest(signed({ path: '/demo/attacks/pair.txt' }, scheme, foreign)), 403, 'InvalidSecurityToken', 'foreign token');

    // A scoped token with its policy cut out of the payload, MAC kept: it must not turn into an unscoped one.
    const scoped = server.sts.mint({
      durationSeconds: 3600, roleArn: 'acs:ram::1:role/r', sessionName: 'scoped',
      policy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:demo/nothing/*' }] },
    });
    const [payload = '', mac = ''] = scoped.SecurityToken.split('.');
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    delete decoded['policy'];
    const edited = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`;
    const res = await rawRequest(signed({ path: '/demo/attacks/pair.txt' }, scheme, { accessKeyId: scoped.AccessKeyId, secret: scoped.AccessKeySecret, token: edited }));
    expectDenied(res, 403, 'InvalidSecurityToken', 'edited payload');
  });
});
