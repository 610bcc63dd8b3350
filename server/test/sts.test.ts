import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type RPCClientType from '@alicloud/pop-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OssError } from '../src/errors.js';
import { handleStsRequest } from '../src/sts/assume-role.js';
import type { StsDependencies } from '../src/sts/assume-role.js';
import { isAllowed, ossResource, parsePolicy, PolicyGrammarError } from '../src/sts/policy.js';
import type { PolicyDocument } from '../src/sts/policy.js';
import { createTokenAuthority, isStsAccessKeyId } from '../src/sts/token.js';

// pop-core is CommonJS with an `export =` declaration.
const require = createRequire(import.meta.url);
const RPCClient = require('@alicloud/pop-core').RPCClient as typeof RPCClientType;

const uploadsPolicy: PolicyDocument = {
  Version: '1',
  Statement: [
    { Effect: 'Allow', Action: ['oss:PutObject', 'oss:ListParts', 'oss:AbortMultipartUpload'], Resource: 'acs:oss:*:*:demo/uploads/*' },
  ],
};

function ossErrorOf(fn: () => unknown): OssError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OssError) return error;
    throw error;
  }
  throw new Error('expected an OssError');
}

describe('policy', () => {
  it('allows an action inside the allowed prefix', () => {
    expect(isAllowed(uploadsPolicy, 'oss:PutObject', ossResource('demo', 'uploads/a/b.bin'))).toBe(true);
    expect(isAllowed(uploadsPolicy, 'oss:ListParts', ossResource('demo', 'uploads/x'))).toBe(true);
  });

  it('denies outside the prefix, another bucket, and the bucket itself', () => {
    expect(isAllowed(uploadsPolicy, 'oss:PutObject', ossResource('demo', 'other/a.bin'))).toBe(false);
    expect(isAllowed(uploadsPolicy, 'oss:PutObject', ossResource('demo2', 'uploads/a.bin'))).toBe(false);
    expect(isAllowed(uploadsPolicy, 'oss:PutObject', ossResource('demo'))).toBe(false);
    // Resources are case-sensitive, like object keys.
    expect(isAllowed(uploadsPolicy, 'oss:PutObject', ossResource('demo', 'Uploads/a.bin'))).toBe(false);
  });

  it('lets an explicit Deny override an Allow', () => {
    const policy = parsePolicy(JSON.stringify({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:demo/*' },
        { Effect: 'Deny', Action: 'oss:DeleteObject', Resource: 'acs:oss:*:*:demo/keep/*' },
      ],
    }));
    expect(isAllowed(policy, 'oss:DeleteObject', ossResource('demo', 'tmp/x'))).toBe(true);
    expect(isAllowed(policy, 'oss:DeleteObject', ossResource('demo', 'keep/x'))).toBe(false);
    expect(isAllowed(policy, 'oss:GetObject', ossResource('demo', 'keep/x'))).toBe(true);
  });

  it('matches wildcard actions case-insensitively, and `?` as one character', () => {
    const policy = parsePolicy('{"Version":"1","Statement":[{"Effect":"Allow","Action":"OSS:Get*","Resource":"acs:oss:*:*:demo/part-?.bin"}]}');
    expect(isAllowed(policy, 'oss:GetObject', ossResource('demo', 'part-1.bin'))).toBe(true);
    expect(isAllowed(policy, 'oss:getobject', ossResource('demo', 'part-é.bin'))).toBe(true);
    expect(isAllowed(policy, 'oss:GetObject', ossResource('demo', 'part-12.bin'))).toBe(false);
    expect(isAllowed(policy, 'oss:PutObject', ossResource('demo', 'part-1.bin'))).toBe(false);
  });

  it('denies an action no statement names, and allows everything without a policy', () => {
    expect(isAllowed(uploadsPolicy, 'oss:GetObject', ossResource('demo', 'uploads/a'))).toBe(false);
    expect(isAllowed(uploadsPolicy, 'oss:NoSuchAction', ossResource('demo', 'uploads/a'))).toBe(false);
    expect(isAllowed({ Version: '1', Statement: [] }, 'oss:PutObject', ossResource('demo', 'a'))).toBe(false);
    expect(isAllowed(undefined, 'oss:ListBuckets', 'acs:oss:*:*:*')).toBe(true);
  });

  it('rejects bad grammar and unsupported elements with PolicyGrammarError', () => {
    const bad = [
      'not json',
      '[]',
      '{"Version":"2","Statement":[]}',
      '{"Version":"1","Statement":{}}',
      '{"Version":"1","Statement":[{"Effect":"allow","Action":"oss:*","Resource":"*"}]}',
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}',
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*"}]}',
      '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}',
      '{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"oss:*","Resource":"*"}]}',
    ];
    for (const json of bad) {
      expect(() => parsePolicy(json), json).toThrow(PolicyGrammarError);
    }
    expect(() => parsePolicy(bad[7] ?? '')).toThrow(/Condition.*not supported/);
  });

  it('matches adversarial patterns in linear-ish time', () => {
    const policy = parsePolicy(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: `${'*a'.repeat(30)}*b` }] }));
    const started = performance.now();
    expect(isAllowed(policy, 'oss:GetObject', ossResource('demo', 'a'.repeat(5000)))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('token authority', () => {
  const mintOptions = { durationSeconds: 900, policy: uploadsPolicy, roleArn: 'acs:ram::123456789012:role/uploader', sessionName: 'alice' };

  it('mints credentials that resolve to an STS principal with the policy', () => {
    const authority = createTokenAuthority({ rootSecret: 'root-secret', now: () => Date.UTC(2025, 0, 1, 12, 0, 0, 250) });
    const minted = authority.mint(mintOptions);
    expect(minted.AccessKeyId).toMatch(/^STS\.[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(isStsAccessKeyId(minted.AccessKeyId)).toBe(true);
    expect(isStsAccessKeyId('LTAI5tRootKey')).toBe(false);
    expect(minted.AccessKeySecret).toHaveLength(40);
    expect(minted.Expiration).toBe('2025-01-01T12:15:00Z');
    expect(minted.issuedAt).toBe(Date.UTC(2025, 0, 1, 12, 0, 0, 250));
    const resolved = authority.resolve(minted.AccessKeyId, minted.SecurityToken);
    expect(resolved).toEqual({ secret: minted.AccessKeySecret, principal: { accessKeyId: minted.AccessKeyId, kind: 'sts', policy: uploadsPolicy } });
    // Without a policy the principal is unrestricted.
    const open = authority.mint({ ...mintOptions, policy: undefined });
    expect(authority.resolve(open.AccessKeyId, open.SecurityToken).principal.policy).toBeUndefined();
  });

  it('survives a restart with the same root secret, and only with it', () => {
    const minted = createTokenAuthority({ rootSecret: 'root-secret', now: Date.now }).mint(mintOptions);
    const again = createTokenAuthority({ rootSecret: 'root-secret', now: Date.now });
    expect(again.resolve(minted.AccessKeyId, minted.SecurityToken).secret).toBe(minted.AccessKeySecret);
    const other = createTokenAuthority({ rootSecret: 'another-secret', now: Date.now });
    expect(ossErrorOf(() => other.resolve(minted.AccessKeyId, minted.SecurityToken)).code).toBe('InvalidSecurityToken');
  });

  it('expires a token at its Expiration, using the injected clock', () => {
    let now = Date.UTC(2025, 0, 1, 12, 0, 0);
    const authority = createTokenAuthority({ rootSecret: 'root-secret', now: () => now });
    const minted = authority.mint(mintOptions);
    now += 899_999;
    expect(authority.resolve(minted.AccessKeyId, minted.SecurityToken).principal.kind).toBe('sts');
    now += 1;
    const error = ossErrorOf(() => authority.resolve(minted.AccessKeyId, minted.SecurityToken));
    expect([error.status, error.code, error.ec, error.extras['SecurityToken']]).toEqual([403, 'SecurityTokenExpired', '0002-00000007', minted.SecurityToken]);
  });

  it('expires tokens issued before the expireIssuedBefore watermark', () => {
    let now = 1_000_000;
    const authority = createTokenAuthority({ rootSecret: 'root-secret', now: () => now });
    const old = authority.mint(mintOptions);
    now += 10;
    const fresh = authority.mint(mintOptions);
    authority.expireIssuedBefore(fresh.issuedAt);
    authority.expireIssuedBefore(0); // the watermark never moves back
    expect(ossErrorOf(() => authority.resolve(old.AccessKeyId, old.SecurityToken)).code).toBe('SecurityTokenExpired');
    expect(authority.resolve(fresh.AccessKeyId, fresh.SecurityToken).principal.accessKeyId).toBe(fresh.AccessKeyId);
  });

  it('rejects forged and malformed tokens as InvalidSecurityToken', () => {
    const authority = createTokenAuthority({ rootSecret: 'root-secret', now: Date.now });
    const minted = authority.mint(mintOptions);
    const [payload = '', mac = ''] = minted.SecurityToken.split('.');
    const widened = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    delete widened['policy'];
    const forgedPayload = `${Buffer.from(JSON.stringify(widened)).toString('base64url')}.${mac}`;
    const flippedMac = `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    for (const token of [forgedPayload, flippedMac, `${payload}.`, 'garbage', `${minted.SecurityToken}.x`]) {
      const error = ossErrorOf(() => authority.resolve(minted.AccessKeyId, token));
      expect([error.status, error.code, error.ec]).toEqual([403, 'InvalidSecurityToken', '0002-00000006']);
    }
  });

  it('rejects a valid token paired with another AccessKeyId', () => {
    const authority = createTokenAuthority({ rootSecret: 'root-secret', now: Date.now });
    const a = authority.mint(mintOptions);
    const b = authority.mint(mintOptions);
    expect(ossErrorOf(() => authority.resolve(a.AccessKeyId, b.SecurityToken)).code).toBe('InvalidSecurityToken');
  });

  it('reports an STS key sent without a token as InvalidAccessKeyId', () => {
    const authority = createTokenAuthority({ rootSecret: 'root-secret', now: Date.now });
    const minted = authority.mint(mintOptions);
    const error = ossErrorOf(() => authority.resolve(minted.AccessKeyId, undefined));
    expect([error.status, error.code, error.ec, error.extras['OSSAccessKeyId']]).toEqual([403, 'InvalidAccessKeyId', '0002-00000003', minted.AccessKeyId]);
  });
});

describe('AssumeRole over HTTP, signed by @alicloud/pop-core', () => {
  const root = { accessKeyId: 'LTAI5tLocalRoot', accessKeySecret: 'local-root-secret' };
  const roleArn = 'acs:ram::1234567890123456:role/oss-uploader';
  let clockOffsetMs = 0;
  const authority = createTokenAuthority({ rootSecret: root.accessKeySecret, now: () => Date.now() + clockOffsetMs });
  const deps: StsDependencies = {
    rootAccessKeyId: root.accessKeyId,
    rootAccessKeySecret: root.accessKeySecret,
    authority,
    now: () => Date.now() + clockOffsetMs,
  };
  let server: Server;
  let endpoint = '';
  let requestCount = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://localhost');
        const source = request.method === 'POST' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : url.searchParams;
        const { status, body } = handleStsRequest({ method: request.method ?? 'GET', params: [...source], requestId: `REQ-${++requestCount}` }, deps);
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    // pop-core keeps connections alive; without this close() waits for them to time out.
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (credentials = root) => new RPCClient({ ...credentials, endpoint, apiVersion: '2015-04-01' });

  type AssumeRoleResult = {
    RequestId: string;
    AssumedRoleUser: { Arn: string; AssumedRoleId: string };
    Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string };
  };

  async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; data: Record<string, unknown> }> {
    const error = await promise.then(() => undefined, (reason: unknown) => reason as { code: string; data: Record<string, unknown>; entry: { response: { statusCode: number } } });
    if (error === undefined) throw new Error('expected the request to fail');
    return { code: error.code, status: error.entry.response.statusCode, data: error.data };
  }

  it('mints credentials over POST with a session policy', async () => {
    const result = await client().request<AssumeRoleResult>(
      'AssumeRole',
      { RoleArn: roleArn, RoleSessionName: 'alice@example.com', DurationSeconds: 900, Policy: JSON.stringify(uploadsPolicy) },
      { method: 'POST' },
    );
    expect(result.RequestId).toMatch(/^REQ-/);
    expect(result.AssumedRoleUser.Arn).toBe('acs:ram::1234567890123456:assumed-role/oss-uploader/alice@example.com');
    expect(result.AssumedRoleUser.AssumedRoleId).toMatch(/^\d{18}:alice@example\.com$/);
    const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = result.Credentials;
    expect(Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(Expiration) - Date.now() - 900_000)).toBeLessThan(5000);
    const resolved = authority.resolve(AccessKeyId, SecurityToken);
    expect(resolved.secret).toBe(AccessKeySecret);
    expect(resolved.principal.policy).toEqual(uploadsPolicy);
    expect(isAllowed(resolved.principal.policy, 'oss:PutObject', ossResource('demo', 'uploads/x.bin'))).toBe(true);
    expect(isAllowed(resolved.principal.policy, 'oss:GetObject', ossResource('demo', 'uploads/x.bin'))).toBe(false);
  });

  it('mints credentials over GET with the default duration and no policy', async () => {
    const result = await client().request<AssumeRoleResult>('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'bob' });
    expect(Math.abs(Date.parse(result.Credentials.Expiration) - Date.now() - 3_600_000)).toBeLessThan(5000);
    expect(authority.resolve(result.Credentials.AccessKeyId, result.Credentials.SecurityToken).principal.policy).toBeUndefined();
  });

  it('answers SignatureDoesNotMatch for a wrong secret, over POST and GET', async () => {
    const wrong = client({ accessKeyId: root.accessKeyId, accessKeySecret: 'not-the-secret' });
    for (const method of ['POST', 'GET']) {
      const error = await failure(wrong.request('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'eve' }, { method }));
      expect([error.code, error.status, error.data['HostId']]).toEqual(['SignatureDoesNotMatch', 400, 'sts.aliyuncs.com']);
      expect(error.data['Recommend']).toContain('SignatureDoesNotMatch');
    }
  });

  it('refuses unknown keys and temporary credentials', async () => {
    const unknown = await failure(client({ accessKeyId: 'LTAI5tSomeoneElse', accessKeySecret: 'x' }).request('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'eve' }));
    expect([unknown.code, unknown.status]).toEqual(['InvalidAccessKeyId.NotFound', 404]);
    const sts = authority.mint({ durationSeconds: 900, roleArn, sessionName: 'carol' });
    const chained = await failure(
      new RPCClient({ accessKeyId: sts.AccessKeyId, accessKeySecret: sts.AccessKeySecret, securityToken: sts.SecurityToken, endpoint, apiVersion: '2015-04-01' })
        .request('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'carol' }, { method: 'POST' }),
    );
    expect([chained.code, chained.status]).toEqual(['NoPermission', 403]);
  });

  it('validates the AssumeRole parameters with real STS codes', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ RoleSessionName: 'alice' }, 'MissingRoleArn'],
      [{ RoleArn: roleArn }, 'MissingRoleSessionName'],
      [{ RoleArn: 'acs:ram::12ab:role/x', RoleSessionName: 'alice' }, 'InvalidParameter.RoleArn'],
      [{ RoleArn: roleArn, RoleSessionName: 'a' }, 'InvalidParameter.RoleSessionName'],
      [{ RoleArn: roleArn, RoleSessionName: 'alice', DurationSeconds: 899 }, 'InvalidParameter.DurationSeconds'],
      [{ RoleArn: roleArn, RoleSessionName: 'alice', DurationSeconds: 43_201 }, 'InvalidParameter.DurationSeconds'],
      [{ RoleArn: roleArn, RoleSessionName: 'alice', Policy: '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{}}]}' }, 'InvalidParameter.PolicyGrammar'],
      [{ RoleArn: roleArn, RoleSessionName: 'alice', Policy: '' }, 'InvalidParameter.PolicyGrammar'],
      [{ RoleArn: roleArn, RoleSessionName: 'alice', Policy: ' '.repeat(2049) }, 'InvalidParameter.PolicyLength'],
    ];
    for (const [params, code] of cases) {
      const error = await failure(client().request('AssumeRole', params, { method: 'POST' }));
      expect([error.code, error.status], code).toEqual([code, 400]);
    }
    const ok = await client().request<AssumeRoleResult>('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'alice', DurationSeconds: 43_200 });
    expect(ok.Credentials.AccessKeyId).toMatch(/^STS\./);
  });

  it('answers InvalidAction.NotFound for other actions', async () => {
    const error = await failure(client().request('GetCallerIdentity', {}));
    expect([error.code, error.status]).toEqual(['InvalidAction.NotFound', 400]);
  });

  it('rejects a Timestamp more than 15 minutes from the server clock', async () => {
    clockOffsetMs = 16 * 60 * 1000;
    try {
      const error = await failure(client().request('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'alice' }));
      expect([error.code, error.status]).toEqual(['InvalidTimeStamp.Expired', 400]);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('refuses repeated parameters and a missing signature before anything else', () => {
    const base: Array<[string, string]> = [['Action', 'AssumeRole'], ['SignatureMethod', 'HMAC-SHA1'], ['SignatureVersion', '1.0']];
    const repeated = handleStsRequest({ method: 'GET', params: [...base, ['Action', 'AssumeRole']], requestId: 'R1' }, deps);
    expect([repeated.status, repeated.body['Code']]).toEqual([400, 'InvalidParameter']);
    const unsigned = handleStsRequest({
      method: 'GET',
      params: [...base, ['Version', '2015-04-01'], ['SignatureNonce', 'n'], ['Timestamp', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')], ['AccessKeyId', root.accessKeyId]],
      requestId: 'R2',
    }, deps);
    expect([unsigned.status, unsigned.body['Code'], unsigned.body['RequestId']]).toEqual([400, 'MissingSignature', 'R2']);
  });
});
