import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  copyObject, createOssClient, createUploader, crc64, discardPending, listPending, resumeAllPending, resumePending, signerV1, sweepPending,
  type UploadProgress, type UploadResult, type Uploader,
} from '../../src/index.js';

const valid = {
  endpoint: 'http://localhost:9000', bucket: 'demo', region: 'cn-hangzhou', pathStyle: true,
  credentials: { accessKeyId: 'ak', accessKeySecret: 'sk' },
} as const;

describe('option validation through the public factories', () => {
  it('accepts valid options, static, PascalCase and function credentials', () => {
    expect(() => createUploader(valid)).not.toThrow();
    expect(() => createUploader({ ...valid, credentials: { AccessKeyId: 'a', AccessKeySecret: 'b', SecurityToken: 't', Expiration: '2030-01-01T00:00:00Z' } })).not.toThrow();
    expect(() => createUploader({ ...valid, credentials: async () => ({ accessKeyId: 'a', accessKeySecret: 'b' }) })).not.toThrow();
    expect(() => createOssClient({ ...valid, region: 'oss-cn-hangzhou', signer: signerV1 })).not.toThrow();
    expect(() => createUploader({ ...valid, crc64 })).not.toThrow();
  });

  it.each([
    [{ endpoint: 42 }, TypeError, /`endpoint`.*42.*number/],
    [{ endpoint: 'ftp://x' }, TypeError, /`endpoint`.*http or https/],
    [{ endpoint: 'http://x/path' }, TypeError, /no path/],
    [{ bucket: 'Bad_Bucket' }, TypeError, /`bucket`.*Bad_Bucket/],
    [{ region: 'cn hangzhou' }, TypeError, /`region`/],
    [{ pathStyle: 'yes' }, TypeError, /`pathStyle`.*yes.*string/],
    [{ signatureVersion: 'v1' }, TypeError, /`signatureVersion` was replaced by `signer`.*import { signerV1 }/],
    [{ signatureVersion: 'v4' }, TypeError, /`signatureVersion`.*replaced by `signer`/],
    [{ signer: 'v1' }, TypeError, /`signer`.*signerV4 or signerV1.*v1/],
    [{ signer: { sign: () => '' } }, TypeError, /`signer`/],
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
    [{ crc64: true }, TypeError, /`crc64`.*import \{ crc64 \}.*true/],
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

  it('the opt-in functions refuse anything but an uploader made by createUploader', async () => {
    // A look-alike object (say, the uploader spread into a new object) has none of its state.
    for (const impostor of [undefined, null, {}, { ...createUploader(valid) }, 'uploader']) {
      expect(() => listPending(impostor as never)).toThrow(/`uploader`.*made by createUploader/);
      expect(() => discardPending(impostor as never, 'id')).toThrow(TypeError);
      expect(() => sweepPending(impostor as never, { olderThan: 0 })).toThrow(TypeError);
      expect(() => copyObject(impostor as never, 'a', 'b')).toThrow(TypeError);
      await expect(resumePending(impostor as never, 'id')).rejects.toThrow(TypeError);
      await expect(resumeAllPending(impostor as never)).rejects.toThrow(TypeError);
    }
    const uploader = createUploader(valid);
    expect(() => copyObject(uploader, 'a', 'b', 'fast' as never)).toThrow(/`copyObject` options to be an object/);
    await expect(listPending(uploader)).resolves.toEqual([]);
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
