/**
 * Single-object calls of the client: PutObject, HeadObject, GetObject, DeleteObject, the object's
 * ACL and tags, presigned URLs.
 */
import type { CallbackOptions, ObjectAcl } from '../types.js';
import { expected } from '../describe.js';
import { bodyProgress, type BodyProgressOption, type SignalOption, type WriteOptions } from './call-options.js';
import { callbackHeaders, readCallbackResult } from './callback.js';
import { readEtag } from './etag.js';
import { objectHeaders, readHeaderValue } from './object-headers.js';
import type { QueryEntry } from './signing-types.js';
import type { Transport } from './transport.js';
import { parseAcl, parseTagging, readXml } from './xml.js';

/** What HeadObject (and GetObject) report about an object. */
export type ObjectInfo = {
  readonly size: number;
  /** Quoted, as sent. */
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: Date | undefined;
  /**
   * `x-oss-meta-*` values by lower-case name, UTF-8 decoded. Browsers see only the headers the
   * bucket's CORS ExposeHeaders lists (here and below, except Cache-Control, Content-Language and Expires).
   */
  readonly metadata: Readonly<Record<string, string>>;
  /** Headers the object was stored with (see ObjectHeaderOptions), as the server sent them; undefined when absent. */
  readonly cacheControl: string | undefined;
  /** UTF-8 decoded. */
  readonly contentDisposition: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly contentLanguage: string | undefined;
  /** An HTTP date. */
  readonly expires: string | undefined;
  readonly storageClass: string | undefined;
  readonly serverSideEncryption: string | undefined;
  readonly kmsKeyId: string | undefined;
  readonly crc64: string | undefined;
  readonly objectType: string | undefined;
  readonly requestId: string | undefined;
};

/** Result of PutObject. */
export type PutObjectResult = { readonly etag: string; readonly crc64: string | undefined; readonly requestId: string | undefined; readonly callbackResult?: unknown };

/** Object operations of {@link OssClient}. */
export type ObjectOperations = {
  putObject(key: string, body: Blob | string | Uint8Array, options?: WriteOptions & BodyProgressOption & { contentMd5?: string | undefined; callback?: CallbackOptions | undefined }): Promise<PutObjectResult>;
  headObject(key: string, options?: SignalOption): Promise<ObjectInfo>;
  /** Downloads an object (or `range` `[start, end)` of it) as a Blob. */
  getObject(key: string, options?: SignalOption & { range?: { start: number; end: number } }): Promise<ObjectInfo & { body: Blob }>;
  deleteObject(key: string, options?: SignalOption): Promise<void>;
  /** The object's ACL (GetObjectAcl); `'default'` means the bucket's. */
  getObjectAcl(key: string, options?: SignalOption): Promise<ObjectAcl>;
  /** The object's tags (GetObjectTagging), key → value. */
  getObjectTagging(key: string, options?: SignalOption): Promise<Record<string, string>>;
  /** A presigned URL, e.g. for a download link. `expires` in seconds (V4: at most 604800). */
  presignUrl(key: string, options?: { method?: 'GET' | 'PUT' | 'HEAD' | 'DELETE'; expires?: number; contentType?: string; query?: Readonly<Record<string, string>> }): Promise<string>;
};

function objectInfo(response: Response): ObjectInfo {
  const h = response.headers;
  const metadata: Record<string, string> = {};
  h.forEach((value, name) => {
    if (name.startsWith('x-oss-meta-')) metadata[name.slice('x-oss-meta-'.length)] = readHeaderValue(value);
  });
  const modified = h.get('last-modified');
  const read = (name: string) => {
    const value = h.get(name);
    return value === null ? undefined : readHeaderValue(value);
  };
  return {
    cacheControl: read('cache-control'), contentDisposition: read('content-disposition'), contentEncoding: read('content-encoding'),
    contentLanguage: read('content-language'), expires: read('expires'), storageClass: read('x-oss-storage-class'),
    serverSideEncryption: read('x-oss-server-side-encryption'), kmsKeyId: read('x-oss-server-side-encryption-key-id'),
    size: Number(h.get('content-length') ?? 0), etag: h.get('etag') ?? '', contentType: h.get('content-type') ?? '',
    lastModified: modified ? new Date(modified) : undefined, metadata, crc64: h.get('x-oss-hash-crc64ecma') ?? undefined,
    objectType: h.get('x-oss-object-type') ?? undefined, requestId: h.get('x-oss-request-id') ?? undefined,
  };
}

/** Builds the object operations over a transport. */
export function objectOperations(transport: Transport): ObjectOperations {
  return {
    async putObject(key, body, opts = {}) {
      const headers = { ...objectHeaders({ contentType: 'application/octet-stream', ...opts }), ...callbackHeaders(opts.callback) };
      if (opts.contentMd5) headers['Content-MD5'] = opts.contentMd5;
      const response = await transport.send({
        operation: 'PutObject', method: 'PUT', key, headers, body, idempotent: true, signal: opts.signal, onProgress: bodyProgress(body, opts.onUploadProgress),
      });
      const result = { etag: readEtag(response, 'PutObject'), crc64: response.headers.get('x-oss-hash-crc64ecma') ?? undefined, requestId: response.headers.get('x-oss-request-id') ?? undefined };
      return opts.callback ? { ...result, callbackResult: await readCallbackResult(response, 'PutObject') } : result;
    },
    async headObject(key, opts = {}) {
      return objectInfo(await transport.send({ operation: 'HeadObject', method: 'HEAD', key, idempotent: true, signal: opts.signal }));
    },
    async getObject(key, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.range) headers['Range'] = `bytes=${opts.range.start}-${opts.range.end - 1}`;
      const response = await transport.send({ operation: 'GetObject', method: 'GET', key, headers, idempotent: true, signal: opts.signal });
      return { ...objectInfo(response), body: await response.blob() };
    },
    async deleteObject(key, opts = {}) {
      await transport.send({ operation: 'DeleteObject', method: 'DELETE', key, idempotent: true, signal: opts.signal });
    },
    async getObjectAcl(key, opts = {}) {
      const response = await transport.send({ operation: 'GetObjectAcl', method: 'GET', key, query: [['acl', undefined]], idempotent: true, signal: opts.signal });
      return await readXml(response, { operation: 'GetObjectAcl', method: 'GET' }, parseAcl) as ObjectAcl;
    },
    async getObjectTagging(key, opts = {}) {
      const response = await transport.send({ operation: 'GetObjectTagging', method: 'GET', key, query: [['tagging', undefined]], idempotent: true, signal: opts.signal });
      return readXml(response, { operation: 'GetObjectTagging', method: 'GET' }, parseTagging);
    },
    async presignUrl(key, opts = {}) {
      const expires = opts.expires ?? 3600;
      if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
        throw new RangeError(expected('expires', 'an integer number of seconds within 1..604800', expires));
      }
      const query: QueryEntry[] = Object.entries(opts.query ?? {});
      const headers: Record<string, string> = opts.contentType ? { 'content-type': opts.contentType } : {};
      return transport.presign({ method: opts.method ?? 'GET', key, query, headers }, expires);
    },
  };
}
