/**
 * Object metadata as it travels in headers: what PutObject/Initiate store (Content-Type,
 * `x-oss-meta-*`, Cache-Control & co.) and what GetObject/HeadObject send back.
 */
import { errors } from './errors.js';
import type { OssRequest } from './request.js';
import { queryValue } from './request.js';
import { encryptionHeaders } from './object-attributes.js';
import { storageClassOf, type ObjectRecord } from './storage/object-store.js';

const storedHeaders = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;
const maxUserMetaBytes = 8 * 1024;

/** Metadata taken from a write request. */
export type ObjectHeaders = {
  readonly contentType: string;
  readonly userMeta: Record<string, string>;
  readonly headers: Record<string, string>;
};

/** Reads the metadata a write request sets on the object. */
export function readObjectHeaders(request: OssRequest): ObjectHeaders {
  const userMeta: Record<string, string> = {};
  const headers: Record<string, string> = {};
  let metaBytes = 0;
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-oss-meta-')) {
      userMeta[name.slice('x-oss-meta-'.length)] = value;
      metaBytes += name.length + value.length;
    }
  }
  if (metaBytes > maxUserMetaBytes) {
    throw errors.invalidArgument('The user metadata exceeds 8 KB.', 'x-oss-meta-*', String(metaBytes), '0011-00000002');
  }
  for (const name of storedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  return { contentType: request.headers['content-type'] ?? 'application/octet-stream', userMeta, headers };
}

/** Whether `x-oss-forbid-overwrite: true` was sent. */
export function forbidsOverwrite(request: OssRequest): boolean {
  return request.headers['x-oss-forbid-overwrite']?.toLowerCase() === 'true';
}

/** Validates a Content-MD5 header's form (base64 of 16 bytes) and returns it, or undefined. */
export function readContentMd5(request: OssRequest): string | undefined {
  const value = request.headers['content-md5'];
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(value.trim())) throw errors.invalidDigest(value);
  return value.trim();
}

const responseOverrides: ReadonlyArray<readonly [string, string]> = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

/** Whether a text can be sent as an HTTP header value (tab, visible ASCII and Latin-1, nothing else). */
export function isHeaderValue(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}

/** Headers GetObject/HeadObject send for a stored object (before Content-Length / Range). */
export function objectResponseHeaders(record: ObjectRecord, request: OssRequest): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': record.contentType,
    ETag: `"${record.etag}"`,
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': record.type,
    'x-oss-storage-class': storageClassOf(record),
    'x-oss-hash-crc64ecma': record.crc64,
    ...encryptionHeaders(record.encryption),
  };
  if (record.contentMd5) headers['Content-MD5'] = record.contentMd5;
  for (const [name, value] of Object.entries(record.headers)) headers[name.replace(/(^|-)(\w)/g, (_, d: string, c: string) => d + c.toUpperCase())] = value;
  for (const [name, value] of Object.entries(record.userMeta)) headers[`x-oss-meta-${name}`] = value;
  for (const [param, header] of responseOverrides) {
    const value = queryValue(request, param);
    if (value === undefined) continue;
    // The value becomes a response header: control characters (header injection) or characters
    // outside Latin-1 cannot be sent, and would otherwise fail the answer with a 500.
    if (!isHeaderValue(value)) throw errors.invalidArgument(`The ${param} parameter is not a valid header value.`, param, value.slice(0, 256));
    headers[header] = value;
  }
  return headers;
}

/**
 * Conditional headers of GetObject/HeadObject: If-Match / If-Unmodified-Since fail with 412,
 * If-None-Match / If-Modified-Since answer 304.
 */
export function checkConditions(record: ObjectRecord, request: OssRequest): 'ok' | 'not-modified' {
  const etag = `"${record.etag}"`;
  const modified = Date.parse(record.lastModified);
  const { headers } = request;
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined && !ifMatch.split(',').some((v) => v.trim() === etag || v.trim() === '*')) {
    throw errors.preconditionFailed('If-Match');
  }
  const unmodified = headers['if-unmodified-since'];
  if (unmodified !== undefined && Date.parse(unmodified) < Math.floor(modified / 1000) * 1000) {
    throw errors.preconditionFailed('If-Unmodified-Since');
  }
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) return noneMatch.split(',').some((v) => v.trim() === etag || v.trim() === '*') ? 'not-modified' : 'ok';
  const since = headers['if-modified-since'];
  if (since !== undefined && Date.parse(since) >= Math.floor(modified / 1000) * 1000) return 'not-modified';
  return 'ok';
}

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; undefined when absent or unusable. */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? size - 1 : Number(match[2]);
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) + 1 };
}
