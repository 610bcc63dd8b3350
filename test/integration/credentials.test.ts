/**
 * Credentials against the real server's STS (minted through the official pop-core AssumeRole):
 * an async provider, a single shared refresh when tokens expire mid-upload, proactive refresh
 * before `Expiration`, the STS PascalCase shape, session policies, and the clock offset learnt
 * from RequestTimeTooSkewed on a server whose clock is 20 minutes ahead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OssServiceError, type CredentialsInput } from '../../src/index.js';
import { transportOf } from '../../src/oss/client.js';
import { control, md5, minPart, rejectionOf, useFaultServer, startServer, storedMd5, testBytes, uniqueKey, uploaderFor, type TestServer } from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;

useFaultServer((started, controller) => {
  server = started;
  ctl = controller;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A credentials function backed by AssumeRole, counting its calls. */
function stsProvider(options: { delayMs?: number; map?: (c: Awaited<ReturnType<TestServer['assumeRole']>>) => CredentialsInput } = {}) {
  const provider = async (): Promise<CredentialsInput> => {
    provider.calls++;
    const credentials = await server.assumeRole();
    if (options.delayMs) await sleep(options.delayMs);
    return options.map ? options.map(credentials) : credentials;
  };
  provider.calls = 0;
  return provider;
}

describe('STS credentials', () => {
  it('an async provider (AssumeRole, PascalCase) is called once and cached across uploads', async () => {
    const provider = stsProvider();
    const uploader = uploaderFor(server, { credentials: provider, partSize: minPart, concurrency: 4 });
    const bytes = testBytes(5 * minPart + 1, 61);
    const keys = [uniqueKey('sts-a'), uniqueKey('sts-b')];
    for (const key of keys) await uploader.upload(new Blob([bytes]), key);
    expect(provider.calls).toBe(1);
    for (const key of keys) expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('tokens expiring mid-upload: the upload completes and one refresh serves every part in flight', async () => {
    const provider = stsProvider({ delayMs: 150 }); // a slow backend, so parts pile up on the refresh
    const uploader = uploaderFor(server, { credentials: provider, partSize: minPart, concurrency: 4 });
    const key = uniqueKey('sts-expire');
    const bytes = testBytes(12 * minPart - 5, 62);
    let expiredAt: number | undefined;
    const parts: number[] = [];
    const result = await uploader.upload(new Blob([bytes]), key, {
      onPartComplete: (p) => {
        parts.push(p.partNumber);
        if (p.partNumber === 2) {
          // What `POST /_local/sts/expire` does, done synchronously so the very next part is refused.
          expiredAt = Date.now();
          server.sts.expireIssuedBefore(expiredAt + 1);
        }
      },
    });
    expect(expiredAt).toBeDefined();
    expect(result.size).toBe(bytes.length);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect(provider.calls).toBe(2);
    expect(parts.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    const log = await ctl.log(key);
    const refused = log.filter((e) => e.code === 'SecurityTokenExpired');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const r of refused) {
      expect(r).toMatchObject({ status: 403, op: 'UploadPart' });
      expect(log.filter((e) => e.op === 'UploadPart' && e.partNumber === r.partNumber && e.status === 200)).toHaveLength(1);
    }
    expect(log.filter((e) => e.op === 'CompleteMultipartUpload').map((e) => e.status)).toEqual([200]);
  });

  it('POST /_local/sts/expire between uploads: the next upload refreshes once and succeeds', async () => {
    const provider = stsProvider();
    const uploader = uploaderFor(server, { credentials: provider, partSize: minPart, concurrency: 4 });
    const bytes = testBytes(4 * minPart, 63);
    await uploader.upload(new Blob([bytes]), uniqueKey('sts-before'));
    expect(provider.calls).toBe(1);
    await ctl.expireSts();
    const key = uniqueKey('sts-after');
    await uploader.upload(new Blob([bytes]), key);
    expect(provider.calls).toBe(2);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    // The first request after the expiry (Initiate, a POST) was refused and re-sent once.
    expect((await ctl.log(key)).filter((e) => e.op === 'InitiateMultipartUpload').map((e) => [e.status, e.code ?? null]))
      .toEqual([[403, 'SecurityTokenExpired'], [200, null]]);
  });

  it('refreshes proactively before Expiration, without a refused request', async () => {
    // The server's token lives 15 minutes; the SDK is told 1.2 s, so it must refresh during the upload.
    const provider = stsProvider({ map: (c) => ({ ...c, Expiration: new Date(Date.now() + 1200).toISOString() }) });
    const key = uniqueKey('sts-proactive');
    await ctl.addFaults({ op: 'UploadPart', key, times: 0, action: 'delay', delayMs: 300 });
    const uploader = uploaderFor(server, { credentials: provider, partSize: minPart, concurrency: 1 });
    const bytes = testBytes(6 * minPart, 64);
    await uploader.upload(new Blob([bytes]), key);
    expect(provider.calls).toBeGreaterThanOrEqual(2);
    expect((await ctl.log(key)).filter((e) => e.status !== 200)).toEqual([]);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('pausing one upload while credentials are being fetched does not fail the other upload waiting for them', async () => {
    const provider = stsProvider({ delayMs: 300 });
    const uploader = uploaderFor(server, { credentials: provider, partSize: minPart });
    const bytes = testBytes(2 * minPart, 68);
    const controller = new AbortController();
    const reason = new Error('paused A');
    const keyB = uniqueKey('sts-shared-b');
    const a = uploader.upload(new Blob([bytes]), uniqueKey('sts-shared-a'), { signal: controller.signal });
    const b = uploader.upload(new Blob([bytes]), keyB);
    await sleep(50);
    const abortedAt = Date.now();
    controller.abort(reason);
    expect(await rejectionOf(a)).toBe(reason);
    expect(Date.now() - abortedAt).toBeLessThan(250); // A stopped waiting at once
    await b;
    expect(provider.calls).toBe(1);
    expect(await storedMd5(server, keyB)).toBe(md5(bytes));
  });

  it('an InvalidSecurityToken answer also triggers one refresh, then the request is re-sent', async () => {
    let calls = 0;
    const provider = async (): Promise<CredentialsInput> => {
      calls++;
      const sts = await server.assumeRole();
      // The first answer of the backend is corrupt (another session's token).
      return calls === 1 ? { ...sts, SecurityToken: (await server.assumeRole()).SecurityToken } : sts;
    };
    const uploader = uploaderFor(server, { credentials: provider, partSize: minPart });
    const key = uniqueKey('sts-invalid');
    const bytes = testBytes(2 * minPart + 1, 69);
    await uploader.upload(new Blob([bytes]), key);
    expect(calls).toBe(2);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
    expect((await ctl.log(key)).filter((e) => e.status !== 200).map((e) => [e.op, e.status, e.code])).toEqual([['InitiateMultipartUpload', 403, 'InvalidSecurityToken']]);
  });

  it('static credentials cannot be refreshed: an expired token rejects with SecurityTokenExpired after one request', async () => {
    const sts = await server.assumeRole();
    await ctl.expireSts();
    const uploader = uploaderFor(server, { credentials: sts, partSize: minPart });
    const key = uniqueKey('sts-static-expired');
    const error = await rejectionOf(uploader.upload(new Blob([testBytes(2 * minPart)]), key));
    expect(error).toBeInstanceOf(OssServiceError);
    expect(error).toMatchObject({ status: 403, code: 'SecurityTokenExpired', operation: 'InitiateMultipartUpload' });
    expect(await ctl.log(key)).toHaveLength(1);
  });

  it('accepts the STS PascalCase shape {AccessKeyId, AccessKeySecret, SecurityToken, Expiration} directly', async () => {
    const sts = await server.assumeRole();
    expect(Object.keys(sts).sort()).toEqual(['AccessKeyId', 'AccessKeySecret', 'Expiration', 'SecurityToken']);
    for (const signatureVersion of ['v4', 'v1'] as const) {
      const uploader = uploaderFor(server, { credentials: sts, signatureVersion, partSize: minPart });
      const key = uniqueKey(`sts-static-${signatureVersion}`);
      const bytes = testBytes(2 * minPart + 50, 65);
      await uploader.upload(new Blob([bytes]), key);
      expect(await storedMd5(server, key)).toBe(md5(bytes));
    }
  });

  it('accepts camelCase STS credentials from a function', async () => {
    const provider = stsProvider({ map: (c) => ({ accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, securityToken: c.SecurityToken, expiration: c.Expiration }) });
    const uploader = uploaderFor(server, { credentials: provider });
    const key = uniqueKey('sts-camel');
    const bytes = testBytes(1234, 66);
    await uploader.upload(new Blob([bytes]), key);
    expect(provider.calls).toBe(1);
    expect(await storedMd5(server, key)).toBe(md5(bytes));
  });

  it('a session policy limits the token: allowed prefix uploads, another prefix is AccessDenied', async () => {
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: 'acs:oss:*:*:demo/it/allowed/*' }] };
    const uploader = uploaderFor(server, { credentials: () => server.assumeRole(policy), partSize: minPart });
    const bytes = testBytes(2 * minPart + 1, 67);
    const allowed = `it/allowed/${uniqueKey('policy').slice(3)}`;
    await uploader.upload(new Blob([bytes]), allowed);
    expect(await storedMd5(server, allowed)).toBe(md5(bytes));
    const error = await rejectionOf(uploader.upload(new Blob([bytes]), uniqueKey('policy-denied')));
    expect(error).toBeInstanceOf(OssServiceError);
    expect(error).toMatchObject({ status: 403, code: 'AccessDenied', operation: 'InitiateMultipartUpload' });
  });
});

describe('RequestTimeTooSkewed', () => {
  let skewed: TestServer;
  const aheadMs = 20 * 60_000;
  beforeAll(async () => {
    skewed = await startServer({ faults: true, now: () => Date.now() + aheadMs });
  });
  afterAll(async () => {
    await skewed?.dispose();
  });

  it.each(['v4', 'v1'] as const)('the SDK adopts the server clock from ServerTime and succeeds (%s)', async (signatureVersion) => {
    const skewedCtl = control(skewed);
    const uploader = uploaderFor(skewed, { signatureVersion, partSize: minPart });
    expect(transportOf(uploader.client)?.clockOffsetMs()).toBe(0);
    const bytes = testBytes(3 * minPart + 7, 71);
    const key = uniqueKey(`skew-${signatureVersion}`);
    const result = await uploader.upload(new Blob([bytes]), key);
    expect(result.size).toBe(bytes.length);
    expect(Math.abs(transportOf(uploader.client)!.clockOffsetMs() - aheadMs)).toBeLessThan(5000);
    // Only the very first request (Initiate) was refused; everything after was signed on server time.
    const log = await skewedCtl.log(key);
    expect(log.filter((e) => e.status !== 200).map((e) => [e.op, e.status, e.code])).toEqual([['InitiateMultipartUpload', 403, 'RequestTimeTooSkewed']]);
    expect(log.filter((e) => e.op === 'UploadPart').every((e) => e.status === 200)).toBe(true);
    // A fresh client reads it back (its GET learns the offset the same way).
    const reader = uploaderFor(skewed, { signatureVersion }).client;
    const got = await reader.getObject(key);
    expect(md5(await got.body.arrayBuffer())).toBe(md5(bytes));
  });
});
