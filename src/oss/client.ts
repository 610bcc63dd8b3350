/**
 * `createOssClient(options)`: the OSS multipart API one call per operation, each taking a
 * `signal`. The uploader is built on it; apps can use it directly for custom flows.
 */
import { runConcurrently } from '../core/part-queue.js';
import { OssError, OssServiceError } from '../errors.js';
import type { CallbackOptions, ConnectionOptions, ObjectAcl } from '../types.js';
import { bodySize } from './attempt-fetch.js';
import { resolveConnection } from './connection.js';
import { aclHeader, objectHeaders, type WriteHeaderOptions } from './object-headers.js';
import { binaryUtf8 } from './signing-v4.js';
import type { QueryEntry } from './signing-types.js';
import type { Transport } from './transport.js';
import {
  buildCompleteBody, parseComplete, parseCopyPart, parseError, parseInitiate, parseListParts, parseListUploads,
  type ListedPart, type ListPartsPage, type ListUploadsPage,
} from './xml.js';
import { objectOperations, type ObjectOperations } from './client-objects.js';

/** `{ signal }`, accepted by every call. */
export type SignalOption = { readonly signal?: AbortSignal | undefined };

/**
 * What Initiate / PutObject store with the object: Content-Type, `x-oss-meta-*` metadata, the
 * overwrite guard and the {@link ObjectHeaderOptions}, checked before anything is sent (the call
 * rejects with a TypeError / RangeError naming the option).
 */
export type WriteOptions = SignalOption & WriteHeaderOptions;

/**
 * Upload progress of one request body: attempt `attempt` (1-based, counting every retry) has sent
 * `transferredBytes` of `totalBytes`. Reported in browsers (XMLHttpRequest); where the platform has
 * no upload progress (Node), only each attempt's start (0 bytes).
 */
export type RequestProgress = { readonly attempt: number; readonly transferredBytes: number; readonly totalBytes: number };

/** Options of the calls that send a body. */
export type BodyProgressOption = { readonly onUploadProgress?: ((progress: RequestProgress) => void) | undefined };

/** Adapts a {@link BodyProgressOption} to the transport's progress callback. */
export function bodyProgress(body: Blob | string | Uint8Array, listener: BodyProgressOption['onUploadProgress']) {
  if (!listener) return undefined;
  const totalBytes = bodySize(body);
  return (attempt: number, transferredBytes: number) => listener({ attempt, transferredBytes, totalBytes });
}

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
  /** The transport, for the uploader. @internal */
  readonly transport: Transport;
};

/** Base64 of a string's UTF-8 bytes (btoa alone only takes Latin-1). */
export function base64Utf8(text: string): string {
  return btoa(binaryUtf8(text));
}

/** `x-oss-callback` / `x-oss-callback-var` headers of a callback (oss-protocol.md §5). */
export function callbackHeaders(callback: CallbackOptions | undefined): Record<string, string> {
  if (!callback) return {};
  const urls = typeof callback.url === 'string' ? [callback.url] : callback.url;
  const config: Record<string, string> = { callbackUrl: urls.map((u) => encodeURI(u)).join(';'), callbackBody: callback.body };
  if (callback.bodyType) config['callbackBodyType'] = callback.bodyType;
  if (callback.host) config['callbackHost'] = callback.host;
  const headers: Record<string, string> = { 'x-oss-callback': base64Utf8(JSON.stringify(config)) };
  const vars = Object.entries(callback.customVars ?? {});
  if (vars.length > 0) headers['x-oss-callback-var'] = base64Utf8(JSON.stringify(Object.fromEntries(vars.map(([k, v]) => [`x:${k}`, v]))));
  return headers;
}

/** Reads the ETag of a response, explaining the usual cause when the browser hides it. */
export function readEtag(response: Response, what: string): string {
  const etag = response.headers.get('etag');
  if (!etag) {
    throw new OssError(`${what} succeeded but its ETag header is not readable: is \`ETag\` in the bucket's CORS ExposeHeaders?`);
  }
  return etag;
}

/**
 * Parses a callback answer (JSON), or returns the text when it is not JSON. A 203 means the object
 * was stored but the callback failed (oss-protocol.md §5): that is an error for the caller, and its
 * message says the object exists.
 */
export async function readCallbackResult(response: Response, operation: 'PutObject' | 'CompleteMultipartUpload'): Promise<unknown> {
  const text = await response.text();
  if (response.status === 203) {
    const details = { ...(parseError(text) ?? {}) };
    const { Code = 'CallbackFailed', Message = 'the upload callback failed', RequestId, HostId, ...rest } = details;
    throw new OssServiceError({
      status: 203, code: Code, message: `${Message} The object was stored; only the callback failed.`,
      requestId: response.headers.get('x-oss-request-id') ?? RequestId, hostId: HostId, operation,
      method: operation === 'PutObject' ? 'PUT' : 'POST', url: response.url, details: { ...rest, ETag: response.headers.get('etag') ?? '' },
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Creates a client. Options are validated synchronously (TypeError / RangeError). */
export function createOssClient(options: ConnectionOptions): OssClient {
  const { transport } = resolveConnection(options);
  const uploadQuery = (uploadId: string, extra: QueryEntry[] = []): QueryEntry[] => [...extra, ['uploadId', uploadId]];

  const listParts: OssClient['listParts'] = async (key, uploadId, opts = {}) => {
    const query: QueryEntry[] = [['encoding-type', 'url'], ['uploadId', uploadId]];
    if (opts.maxParts !== undefined) query.push(['max-parts', String(opts.maxParts)]);
    if (opts.partNumberMarker !== undefined) query.push(['part-number-marker', String(opts.partNumberMarker)]);
    const response = await transport.send({ operation: 'ListParts', method: 'GET', key, query, idempotent: true, signal: opts.signal });
    return parseListParts(await response.text());
  };

  return {
    ...objectOperations(transport),
    transport,
    async initiateMultipartUpload(key, opts = {}) {
      const response = await transport.send({
        operation: 'InitiateMultipartUpload', method: 'POST', key, query: [['uploads', undefined]],
        headers: objectHeaders({ contentType: 'application/octet-stream', ...opts }), idempotent: false, signal: opts.signal,
      });
      const result = parseInitiate(await response.text());
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
      const bucket = source.sourceBucket ?? options.bucket;
      const headers: Record<string, string> = { 'x-oss-copy-source': `/${bucket}/${encodeURIComponent(source.sourceKey)}` };
      if (source.range) headers['x-oss-copy-source-range'] = `bytes=${source.range.start}-${source.range.end - 1}`;
      const response = await transport.send({
        operation: 'UploadPartCopy', method: 'PUT', key, query: uploadQuery(uploadId, [['partNumber', String(partNumber)]]),
        headers, partNumber, idempotent: true, signal: opts.signal,
      });
      const xml = parseCopyPart(await response.text());
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
      const xml = parseComplete(await response.text());
      return { etag: response.headers.get('etag') ?? xml.etag, location: xml.location, requestId, crc64 };
    },
    async abortMultipartUpload(key, uploadId, opts = {}) {
      await transport.send({ operation: 'AbortMultipartUpload', method: 'DELETE', key, query: uploadQuery(uploadId), idempotent: true, signal: opts.signal });
    },
    listParts,
    async listAllParts(key, uploadId, { expectedParts = 0, ...opts } = {}) {
      // Issue 6: 10,000 parts are 10 pages; one after another they cost 10 round trips plus 10 parses
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
      return parseListUploads(await response.text());
    },
  };
}
