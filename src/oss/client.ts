/**
 * `createOssClient(options)`: the OSS multipart API one call per operation, each taking a
 * `signal`. The uploader is built on it; apps can use it directly for custom flows.
 */
import { runConcurrently } from '../async/run-concurrently.js';
import { resolveConnectionOptions, type ResolvedConnection } from '../options.js';
import type { CallbackOptions, ConnectionOptions, ObjectAcl } from '../types.js';
import { bodyProgress, type BodyProgressOption, type SignalOption, type WriteOptions } from './call-options.js';
import { callbackHeaders, readCallbackResult } from './callback.js';
import { objectOperations, type ObjectOperations } from './client-objects.js';
import { connect } from './connection.js';
import { readEtag } from './etag.js';
import { aclHeader, objectHeaders } from './object-headers.js';
import type { QueryEntry } from './signing-types.js';
import type { Transport } from './transport.js';
import {
  buildCompleteBody, parseComplete, parseCopyPart, parseInitiate, parseListParts, parseListUploads, readXml,
  type ListedPart, type ListPartsPage, type ListUploadsPage,
} from './xml.js';

/** A part to list in Complete. */
export type PartReference = { readonly partNumber: number; readonly etag: string };

/** The source of UploadPartCopy: a whole object or the byte range `[start, end)`. */
export type CopySource = {
  readonly sourceKey: string;
  /** @default the client's bucket */
  readonly sourceBucket?: string;
  readonly range?: { readonly start: number; readonly end: number };
};

/** What Complete returns. */
export type CompleteResult = {
  readonly etag: string;
  readonly location: string | undefined;
  readonly requestId: string | undefined;
  readonly crc64: string | undefined;
  /** The callback server's JSON, when a callback was given. */
  readonly callbackResult?: unknown;
};

/** The low-level client. */
export type OssClient = ObjectOperations & {
  initiateMultipartUpload(key: string, options?: WriteOptions): Promise<{ uploadId: string; requestId: string | undefined }>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Blob, options?: SignalOption & BodyProgressOption & { contentMd5?: string | undefined; contentType?: string | undefined }): Promise<{ etag: string; crc64: string | undefined; requestId: string | undefined }>;
  uploadPartCopy(key: string, uploadId: string, partNumber: number, source: CopySource, options?: SignalOption): Promise<{ etag: string; lastModified: string; requestId: string | undefined }>;
  /**
   * `acl` is the object's ACL, where OSS documents `x-oss-object-acl` for multipart uploads (ali-oss
   * sends it at Initiate too; the uploader does both).
   */
  completeMultipartUpload(key: string, uploadId: string, parts: readonly PartReference[] | 'all', options?: SignalOption & { callback?: CallbackOptions | undefined; forbidOverwrite?: boolean | undefined; acl?: ObjectAcl | undefined }): Promise<CompleteResult>;
  abortMultipartUpload(key: string, uploadId: string, options?: SignalOption): Promise<void>;
  listParts(key: string, uploadId: string, options?: SignalOption & { maxParts?: number; partNumberMarker?: number }): Promise<ListPartsPage>;
  /**
   * Every part of an upload, in part-number order, from as many ListParts pages as it takes.
   * `expectedParts` (the highest part number you expect, e.g. the plan's part count) lets the pages
   * be fetched 4 at once: part-number markers are plain numbers, so page k can start at 1,000·k
   * without waiting for page k−1. Parts beyond it are still found, page by page.
   * `expectedParts` @default 0: one page after another.
   */
  listAllParts(key: string, uploadId: string, options?: SignalOption & { expectedParts?: number | undefined }): Promise<ListedPart[]>;
  listMultipartUploads(options?: SignalOption & { prefix?: string; delimiter?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads?: number }): Promise<ListUploadsPage>;
};

/**
 * The transport behind each client. It stays out of the {@link OssClient} type (an app has no use
 * for it, and what is public must stay stable); tests read its clock offset through {@link transportOf}.
 */
const transports = new WeakMap<OssClient, Transport>();

/** The transport of a client made by {@link createOssClient}. @internal Not exported from the package. */
export function transportOf(client: OssClient): Transport | undefined {
  return transports.get(client);
}

/** Creates a client. Options are validated synchronously (TypeError / RangeError). */
export function createOssClient(options: ConnectionOptions): OssClient {
  return openOssClient(resolveConnectionOptions(options));
}

/** A client over connection options resolved already (createUploader resolves them with its own). @internal */
export function openOssClient(connection: ResolvedConnection): OssClient {
  const transport = connect(connection);
  const uploadQuery = (uploadId: string, extra: QueryEntry[] = []): QueryEntry[] => [...extra, ['uploadId', uploadId]];

  const listParts: OssClient['listParts'] = async (key, uploadId, opts = {}) => {
    const query: QueryEntry[] = [['encoding-type', 'url'], ['uploadId', uploadId]];
    if (opts.maxParts !== undefined) query.push(['max-parts', String(opts.maxParts)]);
    if (opts.partNumberMarker !== undefined) query.push(['part-number-marker', String(opts.partNumberMarker)]);
    const response = await transport.send({ operation: 'ListParts', method: 'GET', key, query, idempotent: true, signal: opts.signal });
    return readXml(response, { operation: 'ListParts', method: 'GET' }, parseListParts);
  };

  const client: OssClient = {
    ...objectOperations(transport),
    async initiateMultipartUpload(key, opts = {}) {
      const response = await transport.send({
        operation: 'InitiateMultipartUpload', method: 'POST', key, query: [['uploads', undefined]],
        headers: objectHeaders({ contentType: 'application/octet-stream', ...opts }), idempotent: false, signal: opts.signal,
      });
      const result = await readXml(response, { operation: 'InitiateMultipartUpload', method: 'POST' }, parseInitiate);
      return { uploadId: result.uploadId, requestId: response.headers.get('x-oss-request-id') ?? undefined };
    },
    async uploadPart(key, uploadId, partNumber, body, opts = {}) {
      const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? 'application/octet-stream' };
      if (opts.contentMd5) headers['Content-MD5'] = opts.contentMd5;
      const response = await transport.send({
        operation: 'UploadPart', method: 'PUT', key, query: uploadQuery(uploadId, [['partNumber', String(partNumber)]]),
        headers, body, partNumber, idempotent: true, signal: opts.signal, onProgress: bodyProgress(body, opts.onUploadProgress),
      });
      return {
        etag: readEtag(response, `UploadPart #${partNumber}`),
        crc64: response.headers.get('x-oss-hash-crc64ecma') ?? undefined,
        requestId: response.headers.get('x-oss-request-id') ?? undefined,
      };
    },
    async uploadPartCopy(key, uploadId, partNumber, source, opts = {}) {
      const bucket = source.sourceBucket ?? connection.bucket;
      const headers: Record<string, string> = { 'x-oss-copy-source': `/${bucket}/${encodeURIComponent(source.sourceKey)}` };
      if (source.range) headers['x-oss-copy-source-range'] = `bytes=${source.range.start}-${source.range.end - 1}`;
      const response = await transport.send({
        operation: 'UploadPartCopy', method: 'PUT', key, query: uploadQuery(uploadId, [['partNumber', String(partNumber)]]),
        headers, partNumber, idempotent: true, signal: opts.signal,
      });
      const xml = await readXml(response, { operation: 'UploadPartCopy', method: 'PUT', partNumber }, parseCopyPart);
      return { etag: response.headers.get('etag') ?? xml.etag, lastModified: xml.lastModified, requestId: response.headers.get('x-oss-request-id') ?? undefined };
    },
    async completeMultipartUpload(key, uploadId, parts, opts = {}) {
      const headers: Record<string, string> = { ...callbackHeaders(opts.callback), ...aclHeader(opts.acl) };
      if (opts.forbidOverwrite) headers['x-oss-forbid-overwrite'] = 'true';
      let body: string | undefined;
      if (parts === 'all') headers['x-oss-complete-all'] = 'yes';
      else {
        body = buildCompleteBody([...parts].sort((a, b) => a.partNumber - b.partNumber));
        headers['Content-Type'] = 'application/xml';
      }
      const response = await transport.send({
        operation: 'CompleteMultipartUpload', method: 'POST', key, query: uploadQuery(uploadId), headers,
        ...(body === undefined ? {} : { body }), idempotent: false, signal: opts.signal,
      });
      const requestId = response.headers.get('x-oss-request-id') ?? undefined;
      const crc64 = response.headers.get('x-oss-hash-crc64ecma') ?? undefined;
      if (opts.callback) {
        return { etag: response.headers.get('etag') ?? '', location: undefined, requestId, crc64, callbackResult: await readCallbackResult(response, 'CompleteMultipartUpload') };
      }
      const xml = await readXml(response, { operation: 'CompleteMultipartUpload', method: 'POST' }, parseComplete);
      return { etag: response.headers.get('etag') ?? xml.etag, location: xml.location, requestId, crc64 };
    },
    async abortMultipartUpload(key, uploadId, opts = {}) {
      await transport.send({ operation: 'AbortMultipartUpload', method: 'DELETE', key, query: uploadQuery(uploadId), idempotent: true, signal: opts.signal });
    },
    listParts,
    async listAllParts(key, uploadId, { expectedParts = 0, ...opts } = {}) {
      // 10,000 parts are 10 pages; one after another they cost 10 round trips plus 10 parses
      // in series. Page k (marker 1,000·k) holds every part in (1,000·k, 1,000·(k+1)] — there are at
      // most 1,000 — so pages for the expected range can be fetched at once and trimmed to their range.
      const pageSize = 1000;
      const ranges = Math.max(1, Math.ceil(expectedParts / pageSize));
      const pages: ListedPart[][] = [];
      await runConcurrently(Array.from({ length: ranges }, (_, k) => k), async (k, signal) => {
        // The last range goes on page by page: the server may hold parts beyond the expected ones.
        const last = k === ranges - 1;
        const parts: ListedPart[] = [];
        for (let marker = k * pageSize; ;) {
          const page = await listParts(key, uploadId, { ...opts, signal, partNumberMarker: marker, maxParts: pageSize });
          parts.push(...(last ? page.parts : page.parts.filter((p) => p.partNumber <= (k + 1) * pageSize)));
          if (!last || !page.isTruncated || page.nextPartNumberMarker <= marker) break;
          marker = page.nextPartNumberMarker;
        }
        pages[k] = parts;
      }, { concurrency: 4, signal: opts.signal });
      return pages.flat();
    },
    async listMultipartUploads(opts = {}) {
      const query: QueryEntry[] = [['uploads', undefined], ['encoding-type', 'url']];
      if (opts.prefix !== undefined) query.push(['prefix', opts.prefix]);
      if (opts.delimiter !== undefined) query.push(['delimiter', opts.delimiter]);
      if (opts.keyMarker !== undefined) query.push(['key-marker', opts.keyMarker]);
      if (opts.uploadIdMarker !== undefined) query.push(['upload-id-marker', opts.uploadIdMarker]);
      if (opts.maxUploads !== undefined) query.push(['max-uploads', String(opts.maxUploads)]);
      const response = await transport.send({ operation: 'ListMultipartUploads', method: 'GET', key: undefined, query, idempotent: true, signal: opts.signal });
      return readXml(response, { operation: 'ListMultipartUploads', method: 'GET' }, parseListUploads);
    },
  };
  transports.set(client, transport);
  return client;
}
