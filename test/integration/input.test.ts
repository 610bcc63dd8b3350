/**
 * Hostile and unusual SDK input against the real local OSS server (issue 7, "SDK input"):
 * - object keys with unicode, spaces, reserved and percent characters, and 1,023 bytes round-trip
 *   through `upload()` (PutObject and multipart, V4 and V1) and are read back byte for byte by the
 *   official ali-oss client; ListParts / ListMultipartUploads give the exact key back;
 * - keys that OSS refuses (1,024 bytes, a leading `/` or `\`, empty, not Unicode) are rejected
 *   synchronously, before any request;
 * - wrong option types and non-Blob inputs throw TypeError / RangeError naming the culprit, again
 *   before any request;
 * - a file that changes on disk while it is being uploaded (Node `fs.openAsBlob`: every later read
 *   fails with NotReadableError) rejects with ResumeMismatchError and never completes an object.
 */
import { openAsBlob, writeFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyObject, discardPending, listPending, resumeAllPending, resumePending,
  createMemoryStore, OssError, OssServiceError, ResumeMismatchError, type CheckpointStore, type OssClient, type UploadOptions,
} from '../../src/index.js';
import {
  aliFor, clientFor, control, KiB, md5, MiB, minPart, rejectionOf, testBytes, uniqueKey, uploaderFor, useFaultServer, type AliClient, type TestServer,
} from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;
useFaultServer((s, c) => {
  server = s;
  ctl = c;
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'oss-it-input-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Keys OSS accepts, each used exactly once in this file (the server is fresh per file). */
const acceptedKeys: ReadonlyArray<readonly [string, string]> = [
  ['CJK', 'unicode/中文目录/文件名 ファイル 한국어.bin'],
  ['emoji (astral plane)', 'unicode/emoji-😀🚀👩‍👩‍👧/📦.bin'],
  ['combining marks (NFD, kept as sent)', 'unicode/cafe\u0301-A\u030A-n\u0303.bin'],
  ['precomposed twin of the NFD key', 'unicode/caf\u00e9-\u00c5-\u00f1.bin'],
  ['spaces (leading, inner, double, trailing)', ' spaces/a b  c .bin '],
  ['plus', 'chars/a+b++c+.bin'],
  ['percent', 'chars/100%/50% off %zz %.bin'],
  ['literal %2F (not a slash)', 'chars/a%2Fb%2f%252F.bin'],
  ['hash', 'chars/#section#a.bin'],
  ['question mark', 'chars/why?a=1&b=2.bin'],
  ['ampersand and equals', 'chars/a&b=c&&==.bin'],
  ['tilde', 'chars/~user/~a~.bin'],
  ["sub-delims !'()*", "chars/!'()*!'()*.bin"],
  ['every reserved character at once', "chars/ !\"#$%&'()*+,:;<=>?@[\\]^`{|}~.bin"],
  ['a leading special character', '?#%+ leading.bin'],
  ['slashes: double and trailing', 'slashes//double///trailing/'],
  ['1,023 bytes of ASCII', `long/${'a'.repeat(1023 - 5)}`],
  ['1,023 bytes of 3-byte CJK', '长'.repeat(341)],
  ['1,023 bytes of 4-byte emoji and ASCII', `${'😀'.repeat(255)}abc`],
];

describe('accepted object keys', () => {
  it('the long keys really are 1,023 UTF-8 bytes', () => {
    for (const [name, key] of acceptedKeys.filter(([n]) => n.startsWith('1,023'))) expect(utf8Bytes(key), name).toBe(1023);
  });

  const variants = [
    { path: 'PutObject', size: 40 * KiB, signatureVersion: 'v4' },
    { path: 'multipart', size: 2 * minPart + 17, signatureVersion: 'v4' },
    { path: 'PutObject', size: 3 * KiB + 1, signatureVersion: 'v1' },
    { path: 'multipart', size: 3 * minPart - 5, signatureVersion: 'v1' },
  ] as const;

  let v4Reader: AliClient;
  let v1Reader: AliClient;
  beforeAll(() => {
    v4Reader = aliFor(server);
    v1Reader = server.client() as AliClient;
  });

  it.each(acceptedKeys)('%s: uploaded by PutObject and multipart with V4 and V1, read back by ali-oss byte for byte', async (_name, key) => {
    let seed = 1;
    for (const variant of variants) {
      const bytes = testBytes(variant.size, seed++);
      const uploader = uploaderFor(server, { partSize: minPart, concurrency: 2, signatureVersion: variant.signatureVersion, store: createMemoryStore() });
      const started: string[] = [];
      const result = await uploader.upload(new Blob([bytes]), key, { onStart: (info) => started.push(info.key) });
      const what = `${variant.path} ${variant.signatureVersion}`;
      expect(result.key, what).toBe(key);
      expect(result.size, what).toBe(variant.size);
      expect(started, what).toEqual(variant.path === 'multipart' ? [key] : []);

      // The official client, both signature versions, reads exactly these bytes under exactly this key.
      for (const reader of [v4Reader, v1Reader]) {
        const got = (await reader.get(key)) as { content: Buffer; res: { status: number; headers: Record<string, string> } };
        expect(got.res.status, what).toBe(200);
        expect(got.content.length, what).toBe(variant.size);
        expect(got.content.equals(bytes), `${what}: bytes read back by ali-oss`).toBe(true);
        expect(got.res.headers['x-oss-object-type'], what).toBe(variant.path === 'multipart' ? 'Multipart' : 'Normal');
      }
      // And the server saw the key itself, not an encoding of it.
      const logged = await ctl.log(key);
      expect(logged.filter((e) => e.op === (variant.path === 'multipart' ? 'CompleteMultipartUpload' : 'PutObject') && e.status === 200).length, what).toBeGreaterThan(0);
    }
    // A listing by prefix finds the object under its exact name.
    const listed = (await v4Reader.list({ prefix: key, 'max-keys': 10 }, {})) as { objects?: Array<{ name: string; size: number }> };
    expect(listed.objects?.map((o) => o.name)).toContain(key);
  });

  it.each(acceptedKeys)('%s: ListParts and ListMultipartUploads give the exact key back (URL-decoded)', async (_name, key) => {
    for (const signatureVersion of ['v4', 'v1'] as const) {
      const client = clientFor(server, { signatureVersion });
      const { uploadId } = await client.initiateMultipartUpload(key);
      try {
        const part = testBytes(minPart, 7);
        await client.uploadPart(key, uploadId, 1, new Blob([part]));
        const parts = await client.listParts(key, uploadId);
        expect(parts.key, signatureVersion).toBe(key);
        expect(parts.uploadId).toBe(uploadId);
        expect(parts.parts.map((p) => [p.partNumber, p.size, p.etag.replace(/"/g, '')])).toEqual([[1, minPart, md5(part)]]);

        const byPrefix = await client.listMultipartUploads({ prefix: key });
        expect(byPrefix.uploads.filter((u) => u.uploadId === uploadId).map((u) => u.key), signatureVersion).toEqual([key]);
        expect(byPrefix.prefix).toBe(key);
        const all = await listAllUploads(client);
        expect(all.filter((u) => u.uploadId === uploadId).map((u) => u.key), signatureVersion).toEqual([key]);
      } finally {
        await client.abortMultipartUpload(key, uploadId);
      }
      expect((await client.listMultipartUploads({ prefix: key })).uploads.filter((u) => u.uploadId === uploadId)).toEqual([]);
    }
  });

  it('an upload paused mid-way is listed under its exact key and resumes to the same object', async () => {
    const key = 'paused/中文 a+b%2F#?&=~!\'()*.bin';
    const bytes = testBytes(5 * minPart, 11);
    const store = createMemoryStore();
    const uploader = uploaderFor(server, { partSize: minPart, concurrency: 1, store });
    const controller = new AbortController();
    const paused = await rejectionOf(uploader.upload(new Blob([bytes]), key, {
      signal: controller.signal,
      onPartComplete: (part) => { if (part.partNumber === 2) controller.abort(new Error('pause')); },
    }));
    expect((paused as Error).message).toBe('pause');
    const [pending] = await listPending(uploader);
    expect(pending?.key).toBe(key);
    const onServer = await uploader.client.listMultipartUploads({ prefix: 'paused/' });
    expect(onServer.uploads.map((u) => [u.key, u.uploadId])).toEqual([[key, pending!.uploadId]]);
    expect((await uploader.client.listAllParts(key, pending!.uploadId)).map((p) => p.partNumber)).toEqual([1, 2]);

    const resumed = await uploader.upload(new Blob([bytes]), key);
    expect(resumed.key).toBe(key);
    const { content } = (await aliFor(server).get(key)) as { content: Buffer };
    expect(content.equals(bytes)).toBe(true);
  });
});

async function listAllUploads(client: OssClient) {
  const uploads: Array<{ key: string; uploadId: string }> = [];
  let keyMarker = '';
  let uploadIdMarker = '';
  for (;;) {
    const page = await client.listMultipartUploads({ maxUploads: 1000, ...(keyMarker ? { keyMarker, uploadIdMarker } : {}) });
    uploads.push(...page.uploads);
    if (!page.isTruncated) return uploads;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}

describe('rejected object keys', () => {
  const rejected: ReadonlyArray<readonly [string, unknown, ErrorConstructor, RegExp]> = [
    ['1,024 bytes of ASCII', 'a'.repeat(1024), RangeError, /1\.\.1023 UTF-8 bytes, got 1024/],
    ['1,024 bytes of CJK and ASCII (342 UTF-16 units)', `${'长'.repeat(341)}a`, RangeError, /got 1024/],
    ['1,024 bytes of ASCII and one emoji (1,022 UTF-16 units)', `${'a'.repeat(1020)}😀`, RangeError, /got 1024/],
    ['far too long', 'k'.repeat(5000), RangeError, /got 5000/],
    ['a leading slash', '/abs/key.bin', RangeError, /not to start with "\/"/],
    ['a lone leading slash', '/', RangeError, /not to start with/],
    ['a leading backslash', '\\windows\\key.bin', RangeError, /not to start with .*"\\"/],
    ['empty', '', RangeError, /1\.\.1023 UTF-8 bytes, got 0/],
    ['a lone high surrogate', 'bad/\uD83D.bin', TypeError, /well-formed Unicode/],
    ['a lone low surrogate', 'bad/\uDE00.bin', TypeError, /well-formed Unicode/],
    ['reversed surrogates', 'bad/\uDE00\uD83D.bin', TypeError, /well-formed Unicode/],
    ['not a string', 42, TypeError, /object key to be a string/],
    ['undefined', undefined, TypeError, /object key to be a string/],
    ['a String object', new String('key'), TypeError, /object key to be a string/],
  ];

  it.each(rejected)('%s: upload() and copy() throw synchronously, before any request', async (_name, key, type, message) => {
    const before = (await ctl.log()).length;
    const uploader = uploaderFor(server, { store: createMemoryStore() });
    const blob = new Blob(['x']);
    for (const call of [
      () => uploader.upload(blob, key as string),
      () => copyObject(uploader, key as string, 'copy/target.bin'),
      () => copyObject(uploader, 'copy/source.bin', key as string),
    ]) {
      let thrown: unknown;
      try {
        void call(); // a returned promise would mean the check is not synchronous
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(type);
      expect((thrown as Error).message).toMatch(message);
    }
    expect((await ctl.log()).length).toBe(before);
  });

  it('the server refuses a 1,024-byte key from ali-oss too (the SDK limit is the service limit)', async () => {
    const error = await rejectionOf(aliFor(server).put('a'.repeat(1024), Buffer.from('x')));
    expect((error as { status?: number }).status).toBe(400);
  });
});

describe('wrong argument types', () => {
  const blob = new Blob(['hello']);

  it.each([
    ['a string', 'file contents'],
    ['an ArrayBuffer', new ArrayBuffer(8)],
    ['a Uint8Array', new Uint8Array(8)],
    ['a Buffer', Buffer.from('abc')],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['a plain object with size', { size: 5 }],
    ['a Blob look-alike', { size: 5, type: '', slice: () => blob, arrayBuffer: async () => new ArrayBuffer(5), stream: () => blob.stream() }],
    ['an object without a prototype', Object.create(null) as object],
    ['a directory handle', { kind: 'directory', name: 'dir', getFile: async () => blob }],
  ])('upload(%s) throws TypeError naming `file` synchronously', async (_name, input) => {
    const before = (await ctl.log()).length;
    const uploader = uploaderFor(server, { store: createMemoryStore() });
    expect(() => uploader.upload(input as Blob, 'it/input/non-blob.bin')).toThrow(TypeError);
    expect(() => uploader.upload(input as Blob, 'it/input/non-blob.bin')).toThrow(/`file` to be a Blob, File or FileSystemFileHandle/);
    expect((await ctl.log()).length).toBe(before);
  });

  const uploadCases: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
    ['contentType a number', { contentType: 42 }, /`contentType` to be a string/],
    ['contentType an object', { contentType: { type: 'text/plain' } }, /`contentType` to be a string/],
    ['metadata a string', { metadata: 'a=b' }, /`metadata` to be an object/],
    ['metadata null', { metadata: null }, /`metadata` to be an object/],
    ['metadata an array', { metadata: ['a', 'b'] }, /`metadata` to be an object/],
    ['a metadata value a number', { metadata: { owner: 'me', version: 2 } }, /`metadata.version` to be a string/],
    ['forbidOverwrite a string', { forbidOverwrite: 'yes' }, /`forbidOverwrite` to be a boolean/],
    ['callback a URL string', { callback: 'https://example.com/cb' }, /`callback` to be an object/],
    ['callback without body', { callback: { url: 'https://example.com/cb' } }, /`callback.body` to be a string/],
    ['callback.url a number', { callback: { url: 1, body: 'x' } }, /`callback.url`/],
    ['signal a plain object', { signal: {} }, /`signal` to be an AbortSignal/],
    ['signal an AbortController (not its signal)', { signal: new AbortController() }, /`signal` to be an AbortSignal/],
    ['signal a string', { signal: 'abort' }, /`signal` to be an AbortSignal/],
    ['onProgress a string', { onProgress: 'log' }, /`onProgress` to be a function/],
    ['onPartComplete an object', { onPartComplete: { handleEvent() {} } }, /`onPartComplete` to be a function/],
    ['onStart a number', { onStart: 1 }, /`onStart` to be a function/],
    ['onResume true', { onResume: true }, /`onResume` to be a function/],
    ['lock an unknown mode', { lock: 'steal' }, /`lock` to be 'fail' or 'wait'/],
  ];

  it.each(uploadCases)('upload options: %s → TypeError naming it, synchronously, no request', async (_name, options, message) => {
    const before = (await ctl.log()).length;
    const uploader = uploaderFor(server, { store: createMemoryStore() });
    for (const size of [5, 3 * minPart]) {
      const file = new Blob([testBytes(size)]);
      expect(() => uploader.upload(file, 'it/input/options.bin', options as UploadOptions)).toThrow(TypeError);
      expect(() => uploader.upload(file, 'it/input/options.bin', options as UploadOptions)).toThrow(message);
    }
    expect(() => uploader.upload(blob, 'it/input/options.bin', 'fast' as never)).toThrow(/`upload` options to be an object/);
    await expect(resumePending(uploader, 'no-such-id', options as UploadOptions)).rejects.toThrow(message);
    await expect(resumeAllPending(uploader, options as UploadOptions)).rejects.toThrow(message);
    expect((await ctl.log()).length).toBe(before);
  });

  it('valid upload options of every kind are accepted and applied', async () => {
    const key = uniqueKey('valid-options');
    const events: string[] = [];
    const result = await uploaderFor(server, { partSize: minPart, store: createMemoryStore() }).upload(new Blob([testBytes(2 * minPart + 1)]), key, {
      contentType: 'text/x-test; charset=utf-8', metadata: { owner: 'me', empty: '' }, forbidOverwrite: true, signal: new AbortController().signal,
      onProgress: () => events.push('progress'), onPartComplete: () => events.push('part'), onStart: () => events.push('start'), onResume: () => events.push('resume'),
      lock: 'wait',
    });
    expect(result.size).toBe(2 * minPart + 1);
    expect(events).toContain('start');
    expect(events.filter((e) => e === 'part')).toHaveLength(3);
    const head = await clientFor(server).headObject(key);
    expect(head.contentType).toBe('text/x-test; charset=utf-8');
    expect(head.metadata).toEqual({ owner: 'me', empty: '' });
  });

  const memory = createMemoryStore();
  const storeWithout = (name: keyof CheckpointStore) => ({ ...memory, [name]: undefined });
  const uploaderCases: ReadonlyArray<readonly [string, Record<string, unknown>, ErrorConstructor, RegExp]> = [
    ['store an empty object', { store: {} }, TypeError, /`store` to implement CheckpointStore.*missing get, create, addPart, delete, list/],
    ['store without create', { store: storeWithout('create') }, TypeError, /missing create$/],
    ['store without list', { store: storeWithout('list') }, TypeError, /missing list$/],
    ['store without delete', { store: storeWithout('delete') }, TypeError, /missing delete$/],
    ['store a Map', { store: new Map() }, TypeError, /missing create, addPart, list/],
    ['store a string', { store: 'indexeddb' }, TypeError, /`store`/],
    ['multipartThreshold a string', { multipartThreshold: '8MB' }, TypeError, /`multipartThreshold`/],
    ['multipartThreshold negative', { multipartThreshold: -1 }, RangeError, /`multipartThreshold`/],
    ['verifyResumedParts a string', { verifyResumedParts: 'no' }, TypeError, /`verifyResumedParts`/],
    ['concurrency a string', { concurrency: '4' }, TypeError, /`concurrency`/],
    ['concurrency too large', { concurrency: 65 }, RangeError, /`concurrency`/],
    ['workers a string', { workers: '2' }, TypeError, /`workers`/],
    ['partSize above 5 GiB', { partSize: 5 * 1024 ** 3 + 1 }, RangeError, /`partSize`/],
    ['retry a string', { retry: 'often' }, TypeError, /`retry`/],
    ['retry.limit fractional', { retry: { limit: 1.5 } }, RangeError, /`retry.limit`/],
    ['retry.baseDelayMs a string', { retry: { baseDelayMs: '10' } }, RangeError, /`retry.baseDelayMs`/],
    ['stallTimeout a string', { stallTimeout: '60000' }, TypeError, /`stallTimeout`/],
    ['the replaced timeout', { timeout: 60000 }, TypeError, /`timeout` option was replaced by `stallTimeout`/],
    ['credentials a string', { credentials: 'ak:sk' }, TypeError, /`credentials`/],
    ['endpoint with a path', { endpoint: `http://localhost:1/demo` }, TypeError, /`endpoint`/],
    ['region a number', { region: 1 }, TypeError, /`region`/],
  ];

  it.each(uploaderCases)('createUploader: %s → throws naming it', async (_name, override, type, message) => {
    expect(() => uploaderFor(server, override as never)).toThrow(type);
    expect(() => uploaderFor(server, override as never)).toThrow(message);
  });
});

describe('a file that changes on disk while it is uploaded', () => {
  const partSize = minPart;
  const size = 20 * partSize + 123;

  async function fileOnDisk(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(tmp, name);
    await writeFile(path, bytes);
    return path;
  }

  /** The typed error: ResumeMismatchError (an OssError) saying what happened, the read failure as its cause. */
  function expectFileChanged(error: unknown): void {
    expect(error).toBeInstanceOf(ResumeMismatchError);
    expect(error).toBeInstanceOf(OssError);
    expect((error as Error).name).toBe('ResumeMismatchError');
    expect((error as Error).message).toMatch(/the file changed while it was being uploaded/i);
    expect(causes(error).some((c) => (c as { name?: string })?.name === 'NotReadableError' || /NotReadableError/.test(String((c as Error)?.message))),
      'a NotReadableError in the cause chain (or a failed request when the body could not be read)').toBe(true);
  }

  /** Nothing is stored under `key`: HEAD is 404 for both the SDK and ali-oss, and no Complete or PutObject succeeded. */
  async function expectNoObject(key: string): Promise<void> {
    const head = await rejectionOf(clientFor(server).headObject(key));
    expect(head).toBeInstanceOf(OssServiceError);
    expect((head as OssServiceError).status).toBe(404);
    const aliHead = await rejectionOf(aliFor(server).head(key));
    expect((aliHead as { status?: number }).status).toBe(404);
    const log = await ctl.log(key);
    expect(log.filter((e) => e.op === 'CompleteMultipartUpload')).toEqual([]);
    expect(log.filter((e) => e.op === 'PutObject' && e.status === 200)).toEqual([]);
  }

  type Change = readonly [string, (path: string) => void];
  const changes: readonly Change[] = [
    ['rewritten with other bytes of the same size', (path) => writeFileSync(path, testBytes(size, 99))],
    ['truncated', (path) => writeFileSync(path, testBytes(size, 1).subarray(0, 5 * partSize))],
    ['appended to', (path) => writeFileSync(path, Buffer.concat([testBytes(size, 1), testBytes(partSize, 5)]))],
  ];

  it.each(changes.flatMap(([name, change]) => [
    [`${name}, Content-MD5 on`, change, true] as const,
    [`${name}, Content-MD5 off (only the request body reads it)`, change, false] as const,
  ]))('multipart, %s after part 3: ResumeMismatchError, no object completed', async (_name, change, contentMd5) => {
    const key = uniqueKey('changing-multipart');
    const bytes = testBytes(size, 1);
    const path = await fileOnDisk(`${key.replaceAll('/', '_')}`, bytes);
    const file = await openAsBlob(path);
    // Slow parts, so most of them are still to be read when the file changes.
    await ctl.addFaults({ op: 'UploadPart', key, action: 'delay', delayMs: 60, times: 0 });
    const store = createMemoryStore();
    const uploader = uploaderFor(server, { partSize, concurrency: 2, contentMd5, store });
    const acknowledged: number[] = [];
    let uploadId = '';
    const error = await rejectionOf(uploader.upload(file, key, {
      onStart: (info) => { uploadId = info.uploadId; },
      onPartComplete: (part) => {
        acknowledged.push(part.partNumber);
        if (acknowledged.length === 3) change(path);
      },
    }));
    expectFileChanged(error);
    expect(acknowledged.length).toBeGreaterThanOrEqual(3);
    expect(acknowledged.length).toBeLessThan(21);
    await expectNoObject(key);

    // The multipart upload stays on the server (and in the journal) until discarded, like a paused one.
    const onServer = await uploader.client.listMultipartUploads({ prefix: key });
    expect(onServer.uploads.map((u) => u.uploadId)).toEqual([uploadId]);
    const [pending] = await listPending(uploader);
    expect(pending).toMatchObject({ key, uploadId });
    await discardPending(uploader, pending!.id);
    expect((await uploader.client.listMultipartUploads({ prefix: key })).uploads).toEqual([]);
  });

  it('multipart, changed between picking and upload(): rejected before Initiate', async () => {
    const key = uniqueKey('changed-before');
    const path = await fileOnDisk('changed-before.bin', testBytes(size, 2));
    const file = await openAsBlob(path);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await appendFile(path, 'more');
    const error = await rejectionOf(uploaderFor(server, { partSize, store: createMemoryStore() }).upload(file, key));
    expectFileChanged(error);
    expect(await ctl.log(key), 'not a single request').toEqual([]);
    await expectNoObject(key);
  });

  it.each([
    ['rewritten', (path: string) => writeFileSync(path, testBytes(60 * KiB, 8))],
    ['truncated to 0 bytes', (path: string) => writeFileSync(path, '')],
  ])('PutObject, %s after hashing: ResumeMismatchError, no object, an older object under the key intact', async (_name, change) => {
    const key = uniqueKey('changing-put');
    const older = testBytes(10 * KiB, 3);
    await aliFor(server).put(key, older);
    const path = await fileOnDisk(`${key.replaceAll('/', '_')}`, testBytes(60 * KiB, 4));
    const file = await openAsBlob(path);
    const error = await rejectionOf(uploaderFor(server, { partSize, store: createMemoryStore() }).upload(file, key, {
      onProgress: (progress) => { if (progress.phase === 'uploading') change(path); }, // synchronous: before PutObject reads the file
    }));
    expectFileChanged(error);
    const { content } = (await aliFor(server).get(key)) as { content: Buffer };
    expect(content.equals(older), 'the older object is untouched').toBe(true);
    expect((await ctl.log(key)).filter((e) => e.op === 'PutObject' && e.status === 200)).toHaveLength(1); // ali-oss's own
  });

  it('truncated with fs.truncate while parts are in flight (no delay): still typed, still no object', async () => {
    const key = uniqueKey('truncate-inflight');
    const path = await fileOnDisk('truncate-inflight.bin', testBytes(4 * MiB, 6));
    const file = await openAsBlob(path);
    let truncating: Promise<void> | undefined;
    const error = await rejectionOf(uploaderFor(server, { partSize, concurrency: 4, store: createMemoryStore() }).upload(file, key, {
      onPartComplete: (part) => { if (part.partNumber === 2) truncating ??= truncate(path, MiB); },
    }));
    await truncating;
    expectFileChanged(error);
    await expectNoObject(key);
  });

  it('an unchanged file from openAsBlob uploads normally (control)', async () => {
    const key = uniqueKey('unchanged');
    const bytes = testBytes(size, 12);
    const path = await fileOnDisk('unchanged.bin', bytes);
    await ctl.addFaults({ op: 'UploadPart', key, action: 'delay', delayMs: 20, times: 0 });
    const result = await uploaderFor(server, { partSize, concurrency: 2, store: createMemoryStore() }).upload(await openAsBlob(path), key);
    expect(result.size).toBe(size);
    const { content } = (await aliFor(server).get(key)) as { content: Buffer };
    expect(md5(content)).toBe(md5(bytes));
  });
});

/** `error`, its cause, its cause's cause, … */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}
