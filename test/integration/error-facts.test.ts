/**
 * Errors carry the facts of what failed (issue 15), against the real local server: a success status
 * whose body is not the operation's document is an OssResponseError (the server's fault injection
 * answers its `<Error>` document with status 200, as a misbehaving proxy would); an OssNetworkError
 * names the request's method and URL; a failing journal reaches `onJournalError` instead of the console.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore, OssError, OssNetworkError, OssResponseError, type CheckpointStore } from '../../src/index.js';
import { clientFor, control, minPart, rejectionOf, startServer, testBytes, uniqueKey, uploaderFor, useFaultServer, type TestServer } from './setup.js';

let server: TestServer;
let ctl: ReturnType<typeof control>;

useFaultServer((started, controller) => {
  server = started;
  ctl = controller;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('OssResponseError', () => {
  it('ListParts answered 200 with a body that is no <ListPartsResult>: operation, status, request id, method, URL and the body', async () => {
    const client = clientFor(server);
    const key = uniqueKey('xml-listparts');
    const { uploadId } = await client.initiateMultipartUpload(key);
    await ctl.addFaults({ op: 'ListParts', key, action: 'error', status: 200, code: 'CaptivePortal', message: 'Sign in to continue' });
    const error = await rejectionOf(client.listParts(key, uploadId));
    expect(error).toBeInstanceOf(OssResponseError);
    expect(error).toBeInstanceOf(OssError);
    const [entry] = (await ctl.log(key)).filter((e) => e.op === 'ListParts');
    expect(error).toMatchObject({ name: 'OssResponseError', operation: 'ListParts', partNumber: undefined, status: 200, method: 'GET', requestId: entry!.requestId });
    const { url, bodySnippet, message } = error as OssResponseError;
    expect(url).toContain(`uploadId=${uploadId}`);
    expect(bodySnippet).toMatch(/<Error>.*<Code>CaptivePortal<\/Code>/s);
    expect(message).toBe(`ListParts failed: expected a <ListPartsResult> document from the server (status 200, request id ${entry!.requestId})`);
    await client.abortMultipartUpload(key, uploadId);
  });

  it('UploadPartCopy keeps its part number', async () => {
    const client = clientFor(server);
    const source = uniqueKey('xml-copy-src');
    const target = uniqueKey('xml-copy-dst');
    await client.putObject(source, testBytes(minPart, 151));
    const { uploadId } = await client.initiateMultipartUpload(target);
    await ctl.addFaults({ op: 'UploadPartCopy', key: target, action: 'error', status: 200, code: 'NotACopyResult' });
    const error = await rejectionOf(client.uploadPartCopy(target, uploadId, 2, { sourceKey: source }));
    expect(error).toMatchObject({ name: 'OssResponseError', operation: 'UploadPartCopy', partNumber: 2, status: 200, method: 'PUT' });
    expect((error as Error).message).toMatch(/^UploadPartCopy #2 failed: expected a <CopyPartResult> document/);
    await client.abortMultipartUpload(target, uploadId);
  });
});

describe('OssNetworkError', () => {
  it('no server at the endpoint: the method and URL of the request', async () => {
    const gone = await startServer();
    const client = clientFor(gone, { retry: 0 });
    await gone.dispose();
    const error = await rejectionOf(client.headObject('dir/a b.bin'));
    expect(error).toBeInstanceOf(OssNetworkError);
    expect(error).toMatchObject({ operation: 'HeadObject', method: 'HEAD', url: `http://localhost:${gone.port}/demo/dir/a%20b.bin`, timedOut: false, attempts: 1 });
  });

  it('a stalled part: PUT, its URL with the part number, timedOut', async () => {
    const client = clientFor(server, { stallTimeout: 1000, retry: 0 });
    const key = uniqueKey('stall-facts');
    const { uploadId } = await client.initiateMultipartUpload(key);
    await ctl.addFaults({ op: 'UploadPart', key, partNumber: 1, action: 'stall', holdMs: 5000 });
    const error = await rejectionOf(client.uploadPart(key, uploadId, 1, new Blob(['x'])));
    expect(error).toMatchObject({ name: 'OssNetworkError', operation: 'UploadPart', partNumber: 1, method: 'PUT', timedOut: true, attempts: 1 });
    expect((error as OssNetworkError).url).toMatch(/partNumber=1.*uploadId=|uploadId=.*partNumber=1/);
    await ctl.clearFaults();
    await client.abortMultipartUpload(key, uploadId);
  });
});

describe('onJournalError', () => {
  it('a store whose addPart throws: the listener hears of it once, with the upload id and key; no console warning', async () => {
    const inner = createMemoryStore();
    const failing: CheckpointStore = {
      get: (id) => inner.get(id), create: (r) => inner.create(r), delete: (id) => inner.delete(id), list: () => inner.list(),
      addPart: async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const heard: Array<[unknown, { id: string | undefined; key: string }]> = [];
    const key = uniqueKey('journal-listener');
    let started: string | undefined;
    const uploader = uploaderFor(server, { partSize: minPart, store: failing, onJournalError: (error, upload) => heard.push([error, upload]) });
    const result = await uploader.upload(new Blob([testBytes(3 * minPart, 152)]), key, { onStart: ({ id }) => (started = id) });
    expect(result.size).toBe(3 * minPart);
    expect(heard).toHaveLength(1);
    expect(heard[0]![0]).toMatchObject({ name: 'QuotaExceededError' });
    expect(heard[0]![1]).toEqual({ id: started, key });
    expect(warn).not.toHaveBeenCalled();
  });

  it('must be a function', () => {
    expect(() => uploaderFor(server, { onJournalError: 'log' as never })).toThrow(/`onJournalError`.*function/);
  });
});
