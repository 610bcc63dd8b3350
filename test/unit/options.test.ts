import { describe, expect, expectTypeOf, it } from 'vitest';
import { createOssClient, createUploader, type UploadProgress, type UploadResult, type Uploader } from '../../src/index.js';

const valid = {
  endpoint: 'http://localhost:9000', bucket: 'demo', region: 'cn-hangzhou', pathStyle: true,
  credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' },
} as const;

describe('option validation through the public factories', () => {
  it('accepts valid options, static, PascalCase and function credentials', () => {
    expect(() => createUploader(valid)).not.toThrow();
    expect(() => createUploader({ ...valid, credentials: { AccessKeyId: 'a', AccessKeySecret: 'b', SecurityToken: 't', Expiration: '2030-01-01T00:00:00Z' } })).not.toThrow();
    expect(() => createUploader({ ...valid, credentials: async () => ({ accessKeyId: 'a', accessKeySecret: 'b' }) })).not.toThrow();
    expect(() => createOssClient({ ...valid, region: 'oss-cn-hangzhou', signatureVersion: 'v1' })).not.toThrow();
  });

  it.each([
    [{ endpoint: 42 }, TypeError, /`endpoint`.*42.*number/],
    [{ endpoint: 'ftp://x' }, TypeError, /`endpoint`.*http or https/],
    [{ endpoint: 'http://x/path' }, TypeError, /no path/],
    [{ bucket: 'Bad_Bucket' }, TypeError, /`bucket`.*Bad_Bucket/],
    [{ region: 'cn hangzhou' }, TypeError, /`region`/],
    [{ pathStyle: 'yes' }, TypeError, /`pathStyle`.*yes.*string/],
    [{ signatureVersion: 'v2' }, TypeError, /`signatureVersion`.*v2/],
    [{ stallTimeout: 10 }, RangeError, /`stallTimeout`.*10/],
    [{ stallTimeout: 1.5e3 + 0.5 }, RangeError, /`stallTimeout`/],
    [{ stallTimeout: '30s' }, TypeError, /`stallTimeout`.*30s.*string/],
    [{ timeout: 60_000 }, TypeError, /`timeout`.*replaced by `stallTimeout`/],
    [{ credentials: null }, TypeError, /`credentials`/],
    [{ credentials: { accessKeyId: '', accessKeySecret: 'x' } }, TypeError, /accessKeyId/],
    [{ credentials: { accessKeyId: 'a', accessKeySecret: 'b', expiration: 'not a date' } }, TypeError, /expiration/],
    [{ partSize: 1024 }, RangeError, /`partSize`.*102400.*1024/],
    [{ partSize: '8MB' }, TypeError, /`partSize`.*8MB.*string/],
    [{ concurrency: 0 }, RangeError, /`concurrency`.*0/],
    [{ concurrency: 2.5 }, RangeError, /`concurrency`/],
    [{ contentMd5: 'no' }, TypeError, /`contentMd5`/],
    [{ crc64: 1 }, TypeError, /`crc64`/],
    [{ workers: 0 }, RangeError, /`workers`/],
    [{ retry: -1 }, RangeError, /`retry.limit`/],
  ])('rejects %o synchronously', (override, type, message) => {
    expect(() => createUploader({ ...valid, ...override } as never)).toThrow(type);
    expect(() => createUploader({ ...valid, ...override } as never)).toThrow(message);
  });

  it('rejects non-object options', () => {
    expect(() => createUploader(undefined as never)).toThrow(TypeError);
    expect(() => createOssClient('x' as never)).toThrow(TypeError);
  });

  it('validates upload() arguments synchronously: non-Blob input and bad keys', () => {
    const uploader = createUploader(valid);
    expect(() => uploader.upload('text' as never, 'k')).toThrow(/`file`.*Blob/);
    expect(() => uploader.upload(new Blob(['x']), '/abs')).toThrow(RangeError);
    expect(() => uploader.upload(new Blob(['x']), '')).toThrow(RangeError);
    expect(() => uploader.upload(new Blob(['x']), 'a'.repeat(1024))).toThrow(/1\.\.1023/);
    expect(() => uploader.upload(new Blob(['x']), 42 as never)).toThrow(TypeError);
  });

  it('refuses presigned URLs outside 1..604800 seconds', async () => {
    const client = createOssClient(valid);
    await expect(client.presignUrl('k', { expires: 0 })).rejects.toThrow(RangeError);
    await expect(client.presignUrl('k', { expires: 604_801 })).rejects.toThrow(RangeError);
  });
});

describe('public types', () => {
  it('exposes the documented shapes', () => {
    expectTypeOf(createUploader).returns.toEqualTypeOf<Uploader>();
    expectTypeOf<Uploader['upload']>().returns.resolves.toEqualTypeOf<UploadResult>();
    expectTypeOf<UploadProgress['phase']>().toEqualTypeOf<'hashing' | 'uploading' | 'completing' | 'done'>();
    expectTypeOf<UploadResult>().toHaveProperty('callbackResult');
  });
});
