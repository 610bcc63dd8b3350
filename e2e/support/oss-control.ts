/**
 * The local OSS server's test controls as the resume specs use them: fault rules and the request
 * log under `/_local/` (server/src/control.ts; the server must run with `faults: true`), the
 * official ali-oss client's multipart calls (to act "behind the SDK's back"), and a minimal raw V1
 * client for seeding thousands of parts fast (node:http with keep-alive: ky/undici cost 3× more
 * per request, and 10,000 parts are seeded in one spec).
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { FaultRule } from '../../server/src/faults.js';
import type { RequestLogEntry } from '../../server/src/request-log.js';
import type { AliOssClient, E2eOss } from './oss.js';

export type { FaultRule } from '../../server/src/faults.js';
export type { RequestLogEntry } from '../../server/src/request-log.js';

/** Fault rules, STS expiry and the request log of one server (in-process, or a process: only its URL is used). */
export function ossControl(oss: { readonly server: { readonly url: string } }) {
  const base = `${oss.server.url}/_local`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`${method} /_local${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    /** Adds rules; `seed` re-seeds the generator of probabilistic rules first. */
    async addFaults(rules: readonly FaultRule[], seed?: number): Promise<number[]> {
      return (await call<{ ids: number[] }>('POST', '/faults', seed === undefined ? { rules } : { rules, seed })).ids;
    },
    /** Every STS token issued so far is expired from now on (until the server restarts). */
    async expireSts(): Promise<void> {
      await call('POST', '/sts/expire');
    },
    /** Every rule with its `seen` / `fired` counters. */
    async faults(): Promise<Array<FaultRule & { id: number; seen: number; fired: number }>> {
      return (await call<{ rules: Array<FaultRule & { id: number; seen: number; fired: number }> }>('GET', '/faults')).rules;
    },
    async clearFaults(): Promise<void> {
      await call('DELETE', '/faults');
    },
    /** Answered requests from index `since` on (the log is shared by every test of the worker). */
    async log(since = 0): Promise<RequestLogEntry[]> {
      return (await call<{ entries: RequestLogEntry[] }>('GET', `/log?since=${since}`)).entries;
    },
    /** How many entries the log has now: a marker for `log(since)`. */
    async mark(): Promise<number> {
      return (await call<{ entries: RequestLogEntry[] }>('GET', '/log')).entries.length;
    },
  };
}

export type OssControl = ReturnType<typeof ossControl>;

/** The UploadPart entries of one multipart upload. */
export function uploadParts(entries: readonly RequestLogEntry[], uploadId: string): RequestLogEntry[] {
  return entries.filter((e) => e.op === 'UploadPart' && e.uploadId === uploadId);
}

/** Part numbers of successful (200) UploadPart entries, with how often each was acknowledged. */
export function acknowledgedCounts(entries: readonly RequestLogEntry[], uploadId: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const entry of uploadParts(entries, uploadId)) {
    if (entry.status === 200 && entry.partNumber !== undefined) counts.set(entry.partNumber, (counts.get(entry.partNumber) ?? 0) + 1);
  }
  return counts;
}

/** The multipart calls of ali-oss 6.x used here (the package ships no type declarations). */
export type AliOssMultipart = AliOssClient & {
  abortMultipartUpload(name: string, uploadId: string): Promise<{ res: { status: number } }>;
  listParts(name: string, uploadId: string, query?: Record<string, string | number>): Promise<{
    parts: Array<{ PartNumber: string; ETag: string; Size: string }> | null; isTruncated: boolean; nextPartNumberMarker: string;
  }>;
  listUploads(query?: Record<string, string | number>): Promise<{ uploads: Array<{ name: string; uploadId: string }> | null }>;
  delete(name: string): Promise<unknown>;
};

/** The worker's official ali-oss client, with its multipart methods typed. */
export function aliOss(oss: E2eOss, bucket = 'demo'): AliOssMultipart {
  return oss.client(bucket) as AliOssMultipart;
}

/** A raw V1-signed client with the root keys, for seeding server-side state quickly. */
export function rawOss(oss: E2eOss, bucket = 'demo') {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const contentType = 'application/octet-stream';
  const send = (method: 'POST' | 'PUT', key: string, query: string, body?: Uint8Array) =>
    new Promise<{ status: number; etag: string | undefined; text: string }>((resolve, reject) => {
      const date = new Date().toUTCString();
      // V1 StringToSign (docs/protocol.md §3.1): no Content-MD5, no x-oss-* headers; the query here is signed sub-resources only.
      const resource = `/${bucket}/${key}${query ? `?${query}` : ''}`;
      const signature = createHmac('sha1', oss.server.accessKeySecret).update(`${method}\n\n${contentType}\n${date}\n${resource}`).digest('base64');
      const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
      const req = request({
        host: oss.server.host, port: oss.server.port, method, path, agent,
        headers: {
          Host: `localhost:${oss.server.port}`, Date: date, 'Content-Type': contentType,
          Authorization: `OSS ${oss.server.accessKeyId}:${signature}`, 'Content-Length': body?.length ?? 0,
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const uploadPart = async (key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> => {
    const answer = await send('PUT', key, `partNumber=${partNumber}&uploadId=${uploadId}`, body);
    if (answer.status !== 200 || !answer.etag) throw new Error(`UploadPart #${partNumber}: ${answer.status} ${answer.text}`);
    return answer.etag;
  };
  return {
    async initiate(key: string): Promise<string> {
      const answer = await send('POST', key, 'uploads');
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(answer.text)?.[1];
      if (answer.status !== 200 || !uploadId) throw new Error(`Initiate ${key}: ${answer.status} ${answer.text}`);
      return uploadId;
    },
    uploadPart,
    /** Uploads `parts` (number → bytes), `concurrency` at a time. */
    async uploadParts(key: string, uploadId: string, parts: ReadonlyArray<readonly [number, Uint8Array]>, concurrency = 16): Promise<void> {
      let next = 0;
      const lane = async () => {
        while (next < parts.length) {
          const [partNumber, body] = parts[next++]!;
          await uploadPart(key, uploadId, partNumber, body);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
    },
    close: () => agent.destroy(),
  };
}
