/**
 * The local OSS server as a child process (`server/src/main.ts`), so its memory and CPU are its own
 * and measurable through /proc: a free port, a temporary data directory, the request log on
 * (`--faults`, which only adds `/_local/log`; no fault rule is ever set), fsync as asked. Plus the
 * official ali-oss Node client pointed at it for what the benchmark does in Node: Initiate,
 * presigning UploadPart, Complete, streaming an object back for its MD5, and deleting it.
 */
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { streamedMd5 } from '../support/oss.js';
import { startServerProcess } from '../support/server-process.js';

/** The slice of ali-oss 6.x (Node) used here; the package ships no type declarations. */
export type AliNodeClient = {
  initMultipartUpload(name: string, options?: Record<string, unknown>): Promise<{ uploadId: string }>;
  completeMultipartUpload(name: string, uploadId: string, parts: Array<{ number: number; etag: string }>, options?: Record<string, unknown>): Promise<{ res: { status: number } }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<unknown>;
  signatureUrl(name: string, options?: Record<string, unknown>): string;
  getStream(name: string): Promise<{ stream: Readable; res: { status: number; headers: Record<string, string> } }>;
  delete(name: string): Promise<unknown>;
};
type AliConstructor = new (options: Record<string, unknown>) => AliNodeClient;
const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as AliConstructor;

export const bucket = 'demo';
export const region = 'cn-hangzhou';
export const accessKeyId = 'oss-local-ak';
export const accessKeySecret = 'oss-local-sk';

/** A running server child. */
export type ServerChild = {
  readonly pid: number;
  /** `http://localhost:PORT` (what the page and ali-oss use; ali-oss refuses IP hosts for presigning). */
  readonly endpoint: string;
  readonly fsync: boolean;
  readonly client: AliNodeClient;
  /** `GET /_local/log` entries from index `since` on. */
  log(since?: number): Promise<Array<{ op: string; key?: string; status: number; bytesIn: number; partNumber?: number }>>;
  /** Lower-case hex MD5 and size of an object, streamed (never held in memory). */
  objectMd5(key: string): Promise<{ md5: string; size: number }>;
  /** SIGTERM, wait for exit (a `--cpu-prof` profile is written then). */
  stop(): Promise<void>;
};

/** Starts `node --import tsx server/src/main.ts` on a free port (`serverRoot`: another checkout, for experiments). */
export async function startServerChild(options: { dataDir: string; fsync: boolean; cpuProfileDir?: string | undefined; serverRoot?: string | undefined }): Promise<ServerChild> {
  const server = await startServerProcess({
    dataDir: options.dataDir, fsync: options.fsync, serverRoot: options.serverRoot, args: ['--faults', '--bucket', bucket],
    // The profile is written when the server exits on the SIGTERM of `stop()`.
    nodeArgs: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [],
  });
  const client = new OSS({
    endpoint: server.endpoint, bucket, sldEnable: true, region: `oss-${region}`, timeout: 600_000, accessKeyId, accessKeySecret,
  });
  return {
    pid: server.pid,
    endpoint: server.endpoint,
    fsync: options.fsync,
    client,
    async log(since = 0) {
      const response = await fetch(`http://127.0.0.1:${server.port}/_local/log?since=${since}`);
      return ((await response.json()) as { entries: Array<{ op: string; key?: string; status: number; bytesIn: number; partNumber?: number }> }).entries;
    },
    objectMd5: (key) => streamedMd5(client, key),
    stop: () => server.stop(),
  };
}
