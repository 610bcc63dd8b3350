/**
 * What a handler works with: the parsed request, the response, the signer's principal, and the
 * server's state; plus the few ways handlers answer (XML, empty) and read small bodies.
 */
import type { ServerResponse } from 'node:http';
import type { Principal } from './auth/types.js';
import type { CorsConfiguration } from './cors.js';
import { errors } from './errors.js';
import type { Operation } from './operations.js';
import type { RequestLogNote } from './request-log.js';
import type { OssRequest } from './request.js';
import type { Storage } from './storage/storage.js';
import { isAllowed, ossResource } from './sts/policy.js';
import { renderXml, type XmlElement } from './xml.js';

/** Settled server settings. */
export type ServerConfig = {
  readonly host: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /**
   * The CORS configuration buckets start with; also the one for requests that reach no bucket
   * (ListBuckets, an unknown or malformed bucket), so a page can still read those errors.
   */
  readonly cors: CorsConfiguration;
  /** Milliseconds a callback server gets to answer. */
  readonly callbackTimeoutMs: number;
};

/** Per-request handler context. */
export type Context = {
  readonly request: OssRequest;
  readonly response: ServerResponse;
  readonly storage: Storage;
  readonly config: ServerConfig;
  readonly principal: Principal;
  readonly op: Operation;
  /** The request body, with fault injection applied. */
  readonly body: AsyncIterable<Buffer>;
  /** `host[:port]` the client addressed, for `Location` values. */
  readonly origin: string;
  /** `<bucket>.<host>`, the HostId of error documents. */
  readonly hostId: string;
  /** Adds facts to this request's entry in the request log (kept only with `faults`). */
  readonly note: (note: RequestLogNote) => void;
};

/** The HostId OSS puts in error documents: the bucket's host name. */
export function hostIdOf(request: Pick<OssRequest, 'bucket' | 'virtualHosted'> | undefined, host: string): string {
  return request?.bucket && !request.virtualHosted ? `${request.bucket}.${host}` : host;
}

/** Throws AccessDenied unless the principal's policy allows `action` on the bucket/key. */
export function authorize(ctx: Context, action: string, bucket: string, key?: string): void {
  if (!isAllowed(ctx.principal.policy, action, ossResource(bucket, key))) {
    throw errors.stsPolicyDenied({
      AuthAction: action,
      AuthResource: ossResource(bucket, key),
    });
  }
}

/** Sends an XML document. */
export function sendXml(ctx: Context, root: string, children: XmlElement, headers: Record<string, string> = {}, status = 200): void {
  const body = renderXml(root, children);
  ctx.response.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  ctx.response.end(body);
}

/** Sends a response without a body. */
export function sendEmpty(ctx: Context, status: number, headers: Record<string, string> = {}): void {
  ctx.response.writeHead(status, { ...headers, 'Content-Length': 0 });
  ctx.response.end();
}

/** How much of an oversized small body is read and discarded so the 4xx answer can still be delivered. */
const drainLimitBytes = 64 * 1024 * 1024;

/**
 * Reads a body that must be small (XML, forms, JSON). A declared oversize is refused before reading
 * (the dispatcher then drains or closes, see dispatch.ts `settleUnreadBody`). An undeclared (chunked)
 * oversize is read to its end and discarded so the client, still sending, sees the error — unless it
 * is abusively large, then reading stops and the connection is closed after the answer.
 */
export async function readLimited(body: AsyncIterable<Buffer>, declaredLength: string | undefined, limitBytes: number, tooLarge: () => Error): Promise<Buffer> {
  if (Number(declaredLength ?? '0') > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size <= limitBytes) chunks.push(chunk);
    else if (size > limitBytes + drainLimitBytes) break;
  }
  if (size > limitBytes) throw tooLarge();
  return Buffer.concat(chunks);
}

/** Reads a small request body as UTF-8 text; see {@link readLimited}. */
export async function readSmallBody(ctx: Context, limitBytes: number, tooLarge: () => Error): Promise<string> {
  return (await readLimited(ctx.body, ctx.request.headers['content-length'], limitBytes, tooLarge)).toString('utf8');
}

/** Quoted ETag header value from a stored upper-case hex ETag. */
export function quoted(etag: string): string {
  return `"${etag}"`;
}

/** Strips quotes and upper-cases an ETag for comparison (oss-protocol.md §7). */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '').toUpperCase();
}

/** Object key as rendered in XML, URL-encoded when `encoding-type=url` was asked for. */
export function encodeKey(key: string, urlEncoding: boolean): string {
  return urlEncoding ? encodeURIComponent(key) : key;
}
