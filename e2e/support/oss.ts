/**
 * The local OSS server for e2e specs: a real server on 127.0.0.1, port 0, its own temporary data
 * directory, and the official ali-oss client pointed at it to check what the browser stored
 * (path style needs a non-IP host and `sldEnable`, docs/protocol.md §1.1).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createOssServer, type OssServer, type OssServerOptions } from '../../server/src/server.js';
import type { MintResult } from '../../server/src/sts/token.js';

/** The slice of ali-oss 6.x the e2e specs use; the package ships no type declarations. */
export type AliOssClient = {
  head(name: string): Promise<{ status: number; meta: Record<string, string> | null; res: { headers: Record<string, string> } }>;
  getStream(name: string): Promise<{ stream: Readable; res: { status: number; headers: Record<string, string> } }>;
  signatureUrl(name: string, options?: Record<string, unknown>): string;
};
type AliOssConstructor = new (options: Record<string, unknown>) => AliOssClient;

/** MD5 (hex), size and ETag of an object, streamed through ali-oss (never held in memory whole). */
export async function streamedMd5(client: Pick<AliOssClient, 'getStream'>, key: string): Promise<{ md5: string; size: number; etag: string | undefined }> {
  const { stream, res } = await client.getStream(key);
  const hash = createHash('md5');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { md5: hash.digest('hex'), size, etag: res.headers['etag'] };
}

// CommonJS package without types: loading it through require keeps the strict tsconfig honest.
const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as AliOssConstructor;

/** STS credentials as the STS `Credentials` element spells them (what an app's backend returns). */
export type StsCredentials = Pick<MintResult, 'AccessKeyId' | 'AccessKeySecret' | 'SecurityToken' | 'Expiration'>;

/** A running local OSS server plus what the e2e specs need around it. */
export type E2eOss = {
  readonly server: OssServer;
  /** `http://localhost:PORT`: the SDK's `endpoint`; path style `…/demo/key`, virtual-hosted `demo.localhost:PORT`. */
  readonly endpoint: string;
  /** An official ali-oss client (V1, path style) with the root keys, for reading objects back. */
  client(bucket?: string): AliOssClient;
  /** Mints STS credentials the way an app's backend hands them to the browser. */
  mintSts(durationSeconds?: number): StsCredentials;
  /** Lower-case hex MD5 and size of an object, streamed through ali-oss (never held in memory). */
  objectMd5(key: string, bucket?: string): Promise<{ md5: string; size: number; etag: string | undefined }>;
  /** Stops the server and deletes its data directory. */
  dispose(): Promise<void>;
};

/** Starts a server for a spec (or a Playwright worker). Defaults: fsync off, CORS `*`, bucket `demo`. */
export async function startOss(options: OssServerOptions = {}): Promise<E2eOss> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'oss-resumable-e2e-')));
  const server = await createOssServer({ port: 0, fsync: false, corsOrigins: ['*'], ...options, dataDir });
  const endpoint = `http://localhost:${server.port}`;
  const client = (bucket = 'demo'): AliOssClient =>
    new OSS({
      endpoint, bucket, sldEnable: true, region: 'oss-cn-hangzhou', timeout: 60_000,
      accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret,
    });
  return {
    server,
    endpoint,
    client,
    mintSts(durationSeconds = 900) {
      const { AccessKeyId, AccessKeySecret, SecurityToken, Expiration } = server.sts.mint({
        durationSeconds, roleArn: 'acs:ram::1234567890123456:role/e2e-uploader', sessionName: 'e2e',
      });
      return { AccessKeyId, AccessKeySecret, SecurityToken, Expiration };
    },
    objectMd5: (key, bucket) => streamedMd5(client(bucket), key),
    async dispose() {
      await server.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
