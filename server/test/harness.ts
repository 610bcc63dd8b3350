/**
 * Test harness: a real server on 127.0.0.1 port 0 with its own temporary data dir, and official
 * ali-oss clients pointed at it (path style needs a non-IP host and `sldEnable`, docs/protocol.md §1.1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOssServer, type OssServer, type OssServerOptions } from '../src/server.js';

const require = createRequire(import.meta.url);
/** The official ali-oss client (CJS). */
export const OSS = require('ali-oss') as new (options: Record<string, unknown>) => AliOssClient;
/** The official POP RPC client used by production STS backends (CJS). */
export const RPCClient = require('@alicloud/pop-core').RPCClient as new (options: Record<string, unknown>) => {
  request(action: string, params: Record<string, unknown>, options?: Record<string, unknown>): Promise<Record<string, any>>;
};

/** The ali-oss methods the tests call (typed loosely: it ships no types). */
type AliOssMethod =
  | 'put' | 'putStream' | 'get' | 'getStream' | 'head' | 'getObjectMeta' | 'delete' | 'copy' | 'list' | 'listV2' | 'listBuckets'
  | 'multipartUpload' | 'initMultipartUpload' | 'uploadPart' | 'uploadPartCopy' | 'multipartUploadCopy' | 'completeMultipartUpload'
  | 'abortMultipartUpload' | 'listParts' | 'listUploads' | 'putACL' | 'getACL' | 'putObjectTagging' | 'getObjectTagging'
  | 'deleteObjectTagging' | 'putSymlink' | 'getSymlink' | 'getBucketInfo' | 'request';

/** The parts of ali-oss the tests use. */
export type AliOssClient = { [K in AliOssMethod]: (...args: any[]) => Promise<any> } & {
  signatureUrl(name: string, options?: object): string;
  signatureUrlV4(method: string, expires: number, request?: object, objectName?: string, additionalHeaders?: string[]): Promise<string>;
};

/** A started server plus helpers. */
export type TestServer = OssServer & {
  /** An ali-oss client; `v4` selects signature V4; `credentials` overrides the root keys. */
  client(options?: { v4?: boolean; bucket?: string; credentials?: { accessKeyId: string; accessKeySecret: string; stsToken?: string }; extra?: Record<string, unknown> }): AliOssClient;
  /** Mints STS credentials through pop-core AssumeRole against the server, like a production backend. */
  assumeRole(policy?: object, durationSeconds?: number): Promise<{ AccessKeyId: string; AccessKeySecret: string; SecurityToken: string; Expiration: string }>;
  /** Stops the server and deletes its data dir. */
  dispose(): Promise<void>;
};

/** Starts a server for one test file. */
export async function startServer(options: OssServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'oss-test-')));
  const server = await createOssServer({ port: 0, fsync: false, ...options, dataDir });
  const endpoint = `http://localhost:${server.port}`;
  return {
    ...server,
    client: ({ v4 = false, bucket = 'demo', credentials, extra = {} } = {}) => new OSS({
      endpoint, bucket, sldEnable: true, region: 'oss-cn-hangzhou', authorizationV4: v4, timeout: 60_000,
      accessKeyId: credentials?.accessKeyId ?? server.accessKeyId,
      accessKeySecret: credentials?.accessKeySecret ?? server.accessKeySecret,
      ...(credentials?.stsToken ? { stsToken: credentials.stsToken } : {}),
      ...extra,
    }),
    assumeRole: async (policy, durationSeconds = 900) => {
      const rpc = new RPCClient({ accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret, endpoint, apiVersion: '2015-04-01' });
      const params: Record<string, unknown> = { RoleArn: 'acs:ram::1234567890123456:role/uploader', RoleSessionName: 'test', DurationSeconds: durationSeconds };
      if (policy) params['Policy'] = JSON.stringify(policy);
      const answer = await rpc.request('AssumeRole', params, { method: 'POST' });
      return answer['Credentials'];
    },
    dispose: async () => {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deterministic bytes for a test body. */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A loopback port nobody listens on. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', () => done()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}
