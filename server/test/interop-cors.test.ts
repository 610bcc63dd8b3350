/**
 * Bucket CORS rules (issue 13, point 10). PutBucketCors / GetBucketCors / DeleteBucketCors are
 * driven through the official ali-oss client (`putBucketCORS`, `getBucketCORS`, `deleteBucketCORS`)
 * with V1 and V4 signing, root keys and STS; bodies ali-oss never sends and the CORS answers
 * themselves (preflights, actual responses) go over raw HTTP, where every header is visible.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorsRule } from '../src/cors.js';
import { startServer, type TestServer } from './harness.js';
import { rawRequest, type RawResponse } from './raw-request.js';

/** What ali-oss throws for an OSS error response (`lib/client.js` `requestError`). */
type OssClientError = Error & { status: number; code: string; ecCode?: string; params?: unknown };
/** A rule as ali-oss's `putBucketCORS` takes it and `getBucketCORS` returns it (xml2js: a string for one value). */
type AliRule = { allowedOrigin: string | string[]; allowedMethod: string | string[]; allowedHeader?: string | string[]; exposeHeader?: string | string[]; maxAgeSeconds?: string };
type Res = { status: number; headers: Record<string, string | undefined> };
/** The ali-oss 6.x bucket CORS methods (`lib/bucket.js`); the harness's client type does not list them. */
interface CorsClient {
  putBucketCORS(name: string, rules: AliRule[], options?: object): Promise<{ res: Res }>;
  getBucketCORS(name: string, options?: object): Promise<{ rules: AliRule[]; res: Res }>;
  deleteBucketCORS(name: string, options?: object): Promise<{ res: Res }>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readmeRule: AliRule = {
  allowedOrigin: '*', allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], allowedHeader: '*',
  exposeHeader: ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma'], maxAgeSeconds: '600',
};

let server: TestServer;
const clientFor = (v4: boolean, credentials?: { accessKeyId: string; accessKeySecret: string; stsToken?: string }) =>
  server.client({ v4, ...(credentials ? { credentials } : {}) }) as unknown as CorsClient;

async function failure(promise: Promise<unknown>): Promise<OssClientError> {
  try {
    await promise;
  } catch (error) {
    return error as OssClientError;
  }
  throw new Error('expected the request to fail');
}

function expectError(res: RawResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.xml['Code'], res.text).toBe(code);
  expect(res.xml['RequestId']).toBe(res.headers['x-oss-request-id']);
}

const corsHeaders = (res: RawResponse) => Object.keys(res.headers).filter((h) => h.startsWith('access-control-')).sort();
const list = (value: string | string[] | undefined) => String(value ?? '').split(',').map((v) => v.trim()).filter(Boolean);

/** PutBucketCors over raw HTTP (signed V1), for bodies ali-oss cannot produce. */
const putCorsXml = (bucket: string, body: string, headers: Record<string, string> = {}) => rawRequest({
  port: server.port, method: 'PUT', path: `/${bucket}/`, query: 'cors', body, sign: true, headers: { 'content-type': 'application/xml', ...headers },
});

function corsXml(rules: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>${rules}${extra}</CORSConfiguration>`;
}

function ruleXml(elements: Record<string, readonly string[]>): string {
  return `<CORSRule>${Object.entries(elements).map(([name, values]) => values.map((v) => `<${name}>${v}</${name}>`).join('')).join('')}</CORSRule>`;
}

const preflight = (path: string, origin: string | undefined, method: string | undefined, headers?: string) => rawRequest({
  port: server.port, method: 'OPTIONS', path,
  headers: {
    ...(origin === undefined ? {} : { origin }),
    ...(method === undefined ? {} : { 'access-control-request-method': method }),
    ...(headers === undefined ? {} : { 'access-control-request-headers': headers }),
  },
});

beforeAll(async () => {
  server = await startServer({ buckets: ['demo', 'cors-v1', 'cors-v4', 'rules', 'vary', 'bare'] });
});

afterAll(async () => {
  await server?.dispose();
});

describe.each([
  { mode: 'V1', v4: false, bucket: 'cors-v1' },
  { mode: 'V4', v4: true, bucket: 'cors-v4' },
])('PutBucketCors, GetBucketCors, DeleteBucketCors through ali-oss ($mode)', ({ v4, bucket }) => {
  it('a bucket starts with the rule README.md recommends for real OSS', async () => {
    const got = await clientFor(v4).getBucketCORS(bucket);
    expect(got.res.status).toBe(200);
    expect(got.rules).toEqual([readmeRule]);
  });

  it('puts, reads back, overwrites and deletes rules; NoSuchCORSConfiguration once deleted', async () => {
    const client = clientFor(v4);
    const rules: AliRule[] = [
      { allowedOrigin: ['https://app.example.com', 'http://localhost:*'], allowedMethod: ['GET', 'PUT'], allowedHeader: ['authorization', 'x-oss-*'], exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: '30' },
      { allowedOrigin: '*', allowedMethod: 'GET' },
    ];
    expect((await client.putBucketCORS(bucket, rules)).res.status).toBe(200);
    expect((await client.getBucketCORS(bucket)).rules).toEqual(rules);

    const replacement: AliRule[] = [{ allowedOrigin: 'localhost', allowedMethod: 'HEAD' }];
    await client.putBucketCORS(bucket, replacement);
    expect((await client.getBucketCORS(bucket)).rules).toEqual(replacement);

    expect((await client.deleteBucketCORS(bucket)).res.status).toBe(204);
    const missing = await failure(client.getBucketCORS(bucket));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('NoSuchCORSConfiguration');
    expect(missing.message).toContain('The CORS Configuration does not exist.');
    // Deleting what is not there is still 204, as ali-oss's own suite expects of OSS.
    expect((await client.deleteBucketCORS(bucket)).res.status).toBe(204);
  });

  it('refuses invalid rules with OSS errors and keeps the stored rules', async () => {
    const client = clientFor(v4);
    const kept: AliRule[] = [{ allowedOrigin: 'https://kept.example', allowedMethod: 'GET' }];
    await client.putBucketCORS(bucket, kept);
    const cases: Array<[AliRule[], string, string | undefined]> = [
      [[{ allowedOrigin: '*', allowedMethod: 'PATCH' }], 'InvalidArgument', 'AllowedMethod'],
      [[{ allowedOrigin: '*', allowedMethod: 'get' }], 'InvalidArgument', 'AllowedMethod'],
      [[{ allowedOrigin: 'http://*.*.example.com', allowedMethod: 'GET' }], 'InvalidArgument', 'AllowedOrigin'],
      [[{ allowedOrigin: '*', allowedMethod: 'GET', allowedHeader: 'x-*-*' }], 'InvalidArgument', 'AllowedHeader'],
      [[{ allowedOrigin: '*', allowedMethod: 'GET', exposeHeader: '*' }], 'InvalidArgument', 'ExposeHeader'],
      [[{ allowedOrigin: '*', allowedMethod: 'GET', maxAgeSeconds: 'soon' }], 'InvalidArgument', 'MaxAgeSeconds'],
      [Array.from({ length: 11 }, (_, i) => ({ allowedOrigin: `https://${i}.example`, allowedMethod: 'GET' })), 'CORSRuleBeyondLimit', undefined],
    ];
    for (const [rules, code, argument] of cases) {
      const error = await failure(client.putBucketCORS(bucket, rules));
      expect(error.status, JSON.stringify(rules[0])).toBe(400);
      expect(error.code, JSON.stringify(rules[0])).toBe(code);
      if (argument) expect(error.message).toBeTruthy();
    }
    // Ten rules are the limit, not beyond it.
    const ten = Array.from({ length: 10 }, (_, i) => ({ allowedOrigin: `https://${i}.example`, allowedMethod: 'GET' }));
    await client.putBucketCORS(bucket, ten);
    expect((await client.getBucketCORS(bucket)).rules).toHaveLength(10);
    await client.putBucketCORS(bucket, kept);
    expect((await client.getBucketCORS(bucket)).rules).toEqual(kept);
  });

  it('an STS session policy gates each call by its own RAM action', async () => {
    const resource = `acs:oss:*:*:${bucket}`;
    const sts = await server.assumeRole({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetBucketCors'], Resource: [resource] }] });
    const limited = clientFor(v4, { accessKeyId: sts.AccessKeyId, accessKeySecret: sts.AccessKeySecret, stsToken: sts.SecurityToken });
    const before = (await clientFor(v4).getBucketCORS(bucket)).rules;
    expect((await limited.getBucketCORS(bucket)).rules).toEqual(before);
    for (const call of [() => limited.putBucketCORS(bucket, [{ allowedOrigin: '*', allowedMethod: 'GET' }]), () => limited.deleteBucketCORS(bucket)]) {
      const denied = await failure(call());
      expect(denied.status).toBe(403);
      expect(denied.code).toBe('AccessDenied');
    }
    // ali-oss drops the error's extra elements: the RAM action checked is read off the raw answer.
    const signer = { accessKeyId: sts.AccessKeyId, secret: sts.AccessKeySecret, token: sts.SecurityToken };
    for (const [method, action] of [['PUT', 'oss:PutBucketCors'], ['DELETE', 'oss:DeleteBucketCors']] as const) {
      const raw = await rawRequest({ port: server.port, method, path: `/${bucket}/`, query: 'cors', sign: signer, ...(method === 'PUT' ? { body: corsXml(ruleXml({ AllowedOrigin: ['*'], AllowedMethod: ['GET'] })) } : {}) });
      expectError(raw, 403, 'AccessDenied');
      expect(raw.xml['AuthAction']).toBe(action);
      expect(raw.xml['AuthResource']).toBe(resource);
    }
    expect((await clientFor(v4).getBucketCORS(bucket)).rules).toEqual(before);
  });
});

describe('PutBucketCors bodies and requests ali-oss never sends (raw HTTP)', () => {
  const valid = ruleXml({ AllowedOrigin: ['*'], AllowedMethod: ['GET'] });

  it('not the documented document is MalformedXML', async () => {
    const bodies = [
      '<CORSConfiguration><CORSRule>',
      corsXml(''),
      '<?xml version="1.0"?><Other>' + valid + '</Other>',
      corsXml(ruleXml({ AllowedOrigin: ['*'] })),
      corsXml(ruleXml({ AllowedMethod: ['GET'] })),
      corsXml(ruleXml({ AllowedOrigin: ['*'], AllowedMethod: ['GET'], ID: ['x'] })),
      corsXml(ruleXml({ AllowedOrigin: ['*'], AllowedMethod: ['GET'], MaxAgeSeconds: ['1', '2'] })),
      corsXml(valid, '<Unknown>1</Unknown>'),
      '<!DOCTYPE x [<!ENTITY a "b">]>' + corsXml(valid),
    ];
    for (const body of bodies) expectError(await putCorsXml('rules', body), 400, 'MalformedXML');
  });

  it('an empty AllowedMethod and a bad ResponseVary are InvalidArgument', async () => {
    const emptyMethod = await putCorsXml('rules', corsXml(ruleXml({ AllowedOrigin: ['*'], AllowedMethod: ['', 'TEST'] })));
    expectError(emptyMethod, 400, 'InvalidArgument');
    expect(emptyMethod.xml['ArgumentName']).toBe('AllowedMethod');
    const vary = await putCorsXml('rules', corsXml(valid, '<ResponseVary>maybe</ResponseVary>'));
    expectError(vary, 400, 'InvalidArgument');
    expect(vary.xml['ArgumentName']).toBe('ResponseVary');
  });

  it('a body over 16 KB is refused; a wrong Content-MD5 is InvalidDigest; a right one passes', async () => {
    const big = corsXml(ruleXml({ AllowedOrigin: Array.from({ length: 700 }, (_, i) => `https://host-${i}.example.com`), AllowedMethod: ['GET'] }));
    expect(Buffer.byteLength(big)).toBeGreaterThan(16 * 1024);
    expectError(await putCorsXml('rules', big), 400, 'MalformedXML');
    const body = corsXml(valid);
    expectError(await putCorsXml('rules', body, { 'content-md5': createHash('md5').update('other').digest('base64') }), 400, 'InvalidDigest');
    const ok = await putCorsXml('rules', body, { 'content-md5': createHash('md5').update(body).digest('base64') });
    expect(ok.status, ok.text).toBe(200);
  });

  it('?cors on an object is not PutObject (501), POST ?cors is 405, unsigned GetBucketCors is 403', async () => {
    expectError(await rawRequest({ port: server.port, method: 'PUT', path: '/rules/key.txt', query: 'cors', body: corsXml(valid), sign: true }), 501, 'NotImplemented');
    expectError(await rawRequest({ port: server.port, path: '/rules/key.txt', sign: true }), 404, 'NoSuchKey');
    expectError(await rawRequest({ port: server.port, method: 'POST', path: '/rules/', query: 'cors', sign: true }), 405, 'MethodNotAllowed');
    expectError(await rawRequest({ port: server.port, path: '/rules/', query: 'cors' }), 403, 'AccessDenied');
    expectError(await rawRequest({ port: server.port, path: '/no-such-bucket/', query: 'cors', sign: true }), 404, 'NoSuchBucket');
  });
});

describe('preflights and actual responses follow the bucket rules (raw HTTP)', () => {
  const app = 'http://app.example.com';
  beforeAll(async () => {
    const rules = corsXml(
      ruleXml({ AllowedOrigin: ['http://*.example.com'], AllowedMethod: ['GET'], AllowedHeader: ['x-oss-meta-*'], ExposeHeader: ['x-oss-meta-color'], MaxAgeSeconds: ['30'] }) +
      ruleXml({ AllowedOrigin: ['http://*.example.com', 'http://localhost:*'], AllowedMethod: ['GET', 'PUT'], AllowedHeader: ['Authorization', 'content-type', 'x-oss-date'], ExposeHeader: ['ETag', 'x-oss-request-id'] }),
    );
    const put = await putCorsXml('rules', rules);
    expect(put.status, put.text).toBe(200);
    const object = await rawRequest({ port: server.port, method: 'PUT', path: '/rules/object.txt', body: 'hello', sign: true });
    expect(object.status).toBe(200);
  });

  it('origins match with * wildcards, scheme and dots included', async () => {
    const ok = await preflight('/rules/object.txt', app, 'GET');
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(app);
    expect(list(ok.headers['access-control-allow-methods'])).toEqual(['GET']);
    expect(ok.headers['access-control-max-age']).toBe('30');
    expect(list(ok.headers['access-control-expose-headers'])).toEqual(['x-oss-meta-color']);
    expect((await preflight('/rules/object.txt', 'http://localhost:5173', 'PUT')).status).toBe(200);
    for (const origin of ['http://example.com', 'https://app.example.com', 'http://app.example.com.evil.org', 'http://localhost']) {
      const refused = await preflight('/rules/object.txt', origin, 'GET');
      expectError(refused, 403, 'AccessForbidden');
      expect(corsHeaders(refused), origin).toEqual([]);
    }
  });

  it('the first rule that allows origin, method and every header wins', async () => {
    // Rule 1 allows x-oss-meta-* only: with Authorization the GET falls to rule 2 (its exposes, no Max-Age).
    const second = await preflight('/rules/object.txt', app, 'GET', 'authorization, x-oss-date');
    expect(second.status, second.text).toBe(200);
    expect(list(second.headers['access-control-expose-headers'])).toEqual(['ETag', 'x-oss-request-id']);
    expect(list(second.headers['access-control-allow-headers'])).toEqual(['authorization', 'x-oss-date']);
    expect(second.headers['access-control-max-age']).toBeUndefined();
    const first = await preflight('/rules/object.txt', app, 'GET', 'X-OSS-META-COLOR');
    expect(first.headers['access-control-max-age']).toBe('30');
    expect(list(first.headers['access-control-allow-headers'])).toEqual(['x-oss-meta-color']);
  });

  it('a method or a request header no rule allows: 403 AccessForbidden without CORS headers', async () => {
    for (const [method, headers] of [['DELETE', undefined], ['PUT', 'authorization, content-md5'], ['PUT', 'x-oss-security-token'], ['PATCH', undefined]] as const) {
      const res = await preflight('/rules/object.txt', app, method, headers);
      expectError(res, 403, 'AccessForbidden');
      expect(res.xml['Message']).toMatch(/^CORSResponse: This CORS request is not allowed/);
      expect(res.xml['EC']).toBe('0003-00000602');
      expect(corsHeaders(res), `${method} ${headers ?? ''}`).toEqual([]);
    }
  });

  it('a preflight without Origin or Access-Control-Request-Method is 400 BadRequest', async () => {
    const noOrigin = await preflight('/rules/object.txt', undefined, 'GET');
    expectError(noOrigin, 400, 'BadRequest');
    expect(noOrigin.xml['Message']).toBe('Insufficient information. Origin request header needed.');
    const noMethod = await preflight('/rules/object.txt', app, undefined);
    expectError(noMethod, 400, 'BadRequest');
    expect(noMethod.xml['Message']).toBe('Insufficient information. Request Access-Control-Request-Method header needed.');
  });

  it('actual responses carry the matched rule\'s headers, and none when no rule matches', async () => {
    const get = await rawRequest({ port: server.port, path: '/rules/object.txt', sign: true, headers: { origin: app } });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe(app);
    expect(list(get.headers['access-control-expose-headers'])).toEqual(['x-oss-meta-color']);
    const put = await rawRequest({ port: server.port, method: 'PUT', path: '/rules/put.txt', body: 'x', sign: true, headers: { origin: 'http://localhost:8080' } });
    expect(put.status).toBe(200);
    expect(put.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    expect(list(put.headers['access-control-expose-headers'])).toEqual(['ETag', 'x-oss-request-id']);
    // Errors are answered under the same rule, so a page can read them.
    const missing = await rawRequest({ port: server.port, path: '/rules/missing.txt', sign: true, headers: { origin: app } });
    expectError(missing, 404, 'NoSuchKey');
    expect(missing.headers['access-control-allow-origin']).toBe(app);
    for (const res of [
      await rawRequest({ port: server.port, method: 'DELETE', path: '/rules/put.txt', sign: true, headers: { origin: app } }),
      await rawRequest({ port: server.port, path: '/rules/object.txt', sign: true, headers: { origin: 'http://evil.example.org' } }),
      await rawRequest({ port: server.port, method: 'HEAD', path: '/rules/object.txt', sign: true, headers: { origin: app } }),
    ]) {
      expect(res.status).toBeLessThan(300);
      expect(corsHeaders(res)).toEqual([]);
    }
  });

  it('ResponseVary: true puts Vary: Origin on every answer; without it there is none', async () => {
    expect((await putCorsXml('vary', corsXml(ruleXml({ AllowedOrigin: [app], AllowedMethod: ['GET'] }), '<ResponseVary>true</ResponseVary>'))).status).toBe(200);
    for (const res of [
      await rawRequest({ port: server.port, path: '/vary/none.txt', sign: true }),
      await rawRequest({ port: server.port, path: '/vary/none.txt', sign: true, headers: { origin: 'http://other.example' } }),
      await preflight('/vary/none.txt', app, 'GET'),
      await preflight('/vary/none.txt', app, 'PUT'),
    ]) expect(res.headers['vary']).toBe('Origin');
    const got = await rawRequest({ port: server.port, path: '/vary/', query: 'cors', sign: true });
    expect(got.text).toContain('<ResponseVary>true</ResponseVary>');
    expect((await rawRequest({ port: server.port, path: '/rules/object.txt', sign: true, headers: { origin: app } })).headers['vary']).toBeUndefined();
  });

  it('a bucket without rules: preflights 403, actual responses without CORS headers', async () => {
    expect((await clientFor(false).deleteBucketCORS('bare')).res.status).toBe(204);
    const refused = await preflight('/bare/x.txt', app, 'GET');
    expectError(refused, 403, 'AccessForbidden');
    expect(refused.xml['EC']).toBe('0003-00000601');
    expect(corsHeaders(refused)).toEqual([]);
    const actual = await rawRequest({ port: server.port, path: '/bare/x.txt', sign: true, headers: { origin: app } });
    expectError(actual, 404, 'NoSuchKey');
    expect(corsHeaders(actual)).toEqual([]);
  });

  it('requests that reach no bucket are answered under the start rules (so a page can read NoSuchBucket)', async () => {
    const res = await rawRequest({ port: server.port, path: '/no-such-bucket/x.txt', sign: true, headers: { origin: app } });
    expectError(res, 404, 'NoSuchBucket');
    expect(res.headers['access-control-allow-origin']).toBe(app);
    expect((await preflight('/no-such-bucket/x.txt', app, 'PUT', 'authorization')).status).toBe(200);
  });
});

describe('start rules and persistence', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'oss-cors-'));
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stored rules and deletions survive a restart; start rules given explicitly replace them', async () => {
    const first = await startServer({ dataDir, buckets: ['kept', 'gone'] });
    try {
      const client = first.client() as unknown as CorsClient;
      await client.putBucketCORS('kept', [{ allowedOrigin: 'https://kept.example', allowedMethod: 'PUT' }]);
      await client.deleteBucketCORS('gone');
    } finally {
      await first.dispose();
    }
    expect((await readdir(join(dataDir, 'cors'))).sort()).toEqual(['gone.json', 'kept.json']);

    const second = await startServer({ dataDir, buckets: ['kept', 'gone'] });
    try {
      const client = second.client() as unknown as CorsClient;
      expect((await client.getBucketCORS('kept')).rules).toEqual([{ allowedOrigin: 'https://kept.example', allowedMethod: 'PUT' }]);
      expect((await failure(client.getBucketCORS('gone'))).code).toBe('NoSuchCORSConfiguration');
    } finally {
      await second.dispose();
    }

    const third = await startServer({ dataDir, buckets: ['kept'], corsOrigins: ['http://localhost:5173'] });
    try {
      const client = third.client() as unknown as CorsClient;
      expect((await client.getBucketCORS('kept')).rules).toEqual([{ ...readmeRule, allowedOrigin: 'http://localhost:5173' }]);
      // Not named at start: its (deleted) state stays.
      expect((await failure(client.getBucketCORS('gone'))).code).toBe('NoSuchCORSConfiguration');
    } finally {
      await third.dispose();
    }
  });

  it('corsRules start every named bucket with those rules; invalid ones stop the start', async () => {
    const rules: CorsRule[] = [{ allowedOrigins: ['https://a.example'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: ['ETag'], maxAgeSeconds: undefined }];
    const custom = await startServer({ buckets: ['one', 'two'], corsRules: rules });
    try {
      const client = custom.client() as unknown as CorsClient;
      for (const bucket of ['one', 'two']) expect((await client.getBucketCORS(bucket)).rules).toEqual([{ allowedOrigin: 'https://a.example', allowedMethod: 'GET', exposeHeader: 'ETag' }]);
    } finally {
      await custom.dispose();
    }
    await expect(startServer({ corsRules: [{ ...rules[0]!, allowedMethods: ['PATCH'] }] })).rejects.toThrow(/Invalid CORS rules: AllowedMethod/);
    await expect(startServer({ corsRules: [] })).rejects.toThrow(/Invalid CORS rules/);
  });
});

/** Runs `npm run server` (server/src/main.ts) with `args` until it prints its banner, then stops it. */
function runMain(args: readonly string[]): Promise<{ code: number | null; output: string; port: number | undefined }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'server', 'src', 'main.ts'), '--port', '0', '--no-fsync', ...args], { cwd: repoRoot });
    let output = '';
    let port: number | undefined;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/[^\s:]+:(\d+)/.exec(output);
      if (match && port === undefined && output.includes('fault injection')) {
        port = Number(match[1]);
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => done({ code, output, port }));
  });
}

describe('--cors-rules <file> (npm run server)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oss-cors-flag-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads ossutil\'s JSON form into every bucket named, and refuses an invalid XML file', async () => {
    const json = join(dir, 'rules.json');
    await writeFile(json, JSON.stringify({ CORSRule: [{ AllowedOrigin: ['https://app.example'], AllowedMethod: ['GET', 'PUT'], AllowedHeader: '*', ExposeHeader: ['ETag'], MaxAgeSeconds: 60 }], ResponseVary: true }));
    const data = join(dir, 'data');
    const started = await runMain(['--data', data, '--bucket', 'flagged', '--cors-rules', json]);
    expect(started.port, started.output).toBeDefined();
    const stored = JSON.parse(await readFile(join(data, 'cors', 'flagged.json'), 'utf8')) as { configuration: unknown };
    expect(stored.configuration).toEqual({
      rules: [{ allowedOrigins: ['https://app.example'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['*'], exposeHeaders: ['ETag'], maxAgeSeconds: 60 }],
      responseVary: true,
    });

    const xml = join(dir, 'bad.xml');
    await writeFile(xml, corsXml(ruleXml({ AllowedOrigin: ['*'], AllowedMethod: ['PATCH'] })));
    const refused = await runMain(['--data', join(dir, 'data2'), '--cors-rules', xml]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('AllowedMethod must be GET, PUT, DELETE, POST or HEAD');
  }, 60_000);
});
