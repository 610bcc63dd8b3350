/**
 * Helpers of the integration tests: the real local OSS server (fault injection on) per test file,
 * an SDK uploader/client pointed at it, the control endpoint (faults, request log, STS expiry) and
 * MD5 of what was uploaded and read back. Nothing here stubs the SDK or ky.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createOssClient, createUploader, signerV1, signerV4, type Uploader, type UploaderOptions } from '../../src/index.js';
import { startServer, testBytes as harnessBytes, type AliOssClient, type TestServer } from '../../server/test/harness.js';

export { startServer, type TestServer } from '../../server/test/harness.js';

/**
 * Deterministic test bytes (the harness's generator), typed as backed by a plain ArrayBuffer so they
 * are a valid `BlobPart` (`Buffer.alloc` never uses a SharedArrayBuffer).
 */
export function testBytes(size: number, seed = 1): Buffer<ArrayBuffer> {
  return harnessBytes(size, seed) as Buffer<ArrayBuffer>;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;
/** The smallest part size OSS (and the SDK) accept. */
export const minPart = 100 * KiB;

/** ali-oss methods the tests call (the harness types the client loosely). */
export type AliClient = AliOssClient & Record<'get' | 'head' | 'put' | 'listUploads' | 'delete', (...args: any[]) => Promise<any>>;

/** Upper-case hex MD5 of bytes. */
export function md5(bytes: Uint8Array | ArrayBuffer): string {
  return createHash('md5').update(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).digest('hex').toUpperCase();
}

/** Starts a server with fault injection and the request log. */
export function startFaultServer(): Promise<TestServer> {
  return startServer({ faults: true });
}

/**
 * Options of the test helpers: the SDK's, plus `signatureVersion`, the name the V1/V4 test matrix
 * runs under, which becomes the `signer` (`signerV1` or `signerV4`).
 */
export type TestOptions = Partial<UploaderOptions> & { readonly signatureVersion?: 'v1' | 'v4' };

/** Connection options of the SDK for `server` (root keys unless overridden); retries kept fast. */
export function connection(server: TestServer, { signatureVersion, ...overrides }: TestOptions = {}): UploaderOptions {
  return {
    endpoint: `http://localhost:${server.port}`, bucket: 'demo', region: 'cn-hangzhou', pathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret },
    retry: { baseDelayMs: 10, maxDelayMs: 100 },
    ...(signatureVersion === undefined ? {} : { signer: signatureVersion === 'v1' ? signerV1 : signerV4 }),
    ...overrides,
  };
}

/** An uploader for `server`. */
export function uploaderFor(server: TestServer, overrides: TestOptions = {}): Uploader {
  return createUploader(connection(server, overrides));
}

/** A low-level client for `server`. */
export function clientFor(server: TestServer, overrides: TestOptions = {}) {
  return createOssClient(connection(server, overrides));
}

/** The official ali-oss client (V4), an independent reader of what the SDK wrote. */
export function aliFor(server: TestServer): AliClient {
  return server.client({ v4: true }) as AliClient;
}

/** Reads an object back with ali-oss and returns its MD5. */
export async function storedMd5(server: TestServer, key: string): Promise<string> {
  const { content } = (await aliFor(server).get(key)) as { content: Buffer };
  return md5(content);
}

/** One entry of `GET /_local/log`. */
export type LogEntry = {
  readonly requestId: string; readonly method: string; readonly op: string; readonly key: string | undefined;
  readonly uploadId: string | undefined; readonly partNumber: number | undefined; readonly status: number;
  readonly code: string | undefined; readonly bytesIn: number; readonly fault: string | undefined; readonly ms: number;
};

/** A fault rule of `POST /_local/faults` (see server/src/faults.ts). */
export type FaultRule = {
  op?: string; key?: string; partNumber?: number; nth?: number; times?: number; probability?: number;
  action: 'error' | 'delay' | 'drop' | 'stall'; status?: number; code?: string; message?: string; delayMs?: number; afterBytes?: number; holdMs?: number;
};

/** The fault-injection control endpoint of `server`. */
export function control(server: TestServer) {
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${server.url}/_local/${path}`, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    expect(res.status, `${method} /_local/${path}`).toBe(200);
    return res.json();
  };
  return {
    addFaults: async (...rules: FaultRule[]): Promise<number[]> => (await call('POST', 'faults', { rules })).ids as number[],
    clearFaults: async (): Promise<void> => void (await call('DELETE', 'faults')),
    /** Every rule with its `seen` / `fired` counters. */
    faults: async (): Promise<Array<FaultRule & { id: number; seen: number; fired: number }>> => (await call('GET', 'faults')).rules,
    /** Log entries, optionally only those of `key`. */
    log: async (key?: string): Promise<LogEntry[]> => {
      const entries = (await call('GET', 'log')).entries as LogEntry[];
      return key === undefined ? entries : entries.filter((e) => e.key === key);
    },
    expireSts: async (): Promise<void> => void (await call('POST', 'sts/expire')),
  };
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected the promise to reject, but it resolved with ${JSON.stringify(value)}`);
}

/** A unique key per test, so log entries and fault rules never cross tests. */
let counter = 0;
export function uniqueKey(prefix: string): string {
  counter++;
  return `it/${prefix}-${Date.now().toString(36)}-${counter}.bin`;
}

/**
 * Starts one fault-injection server for the test file and clears its fault rules after each test;
 * `use` receives the server and its control client once started.
 */
export function useFaultServer(use: (server: TestServer, ctl: ReturnType<typeof control>) => void): void {
  let server: TestServer | undefined;
  let ctl: ReturnType<typeof control> | undefined;
  beforeAll(async () => {
    server = await startFaultServer();
    ctl = control(server);
    use(server, ctl);
  });
  afterAll(async () => {
    await server?.dispose();
  });
  afterEach(async () => {
    await ctl?.clearFaults();
  });
}
