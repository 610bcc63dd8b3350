/**
 * Turns a raw node:http request into an {@link OssRequest}: bucket from `<bucket>.localhost` or the
 * first path segment (docs/protocol.md §1.1), decoded key and query, and the key rules of §1.1.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors } from './errors.js';
import type { OssRequest, QueryParam } from './request.js';

const bucketPattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const maxKeyBytes = 1023;

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw errors.invalidUri(); // bad percent escape or invalid UTF-8
  }
}

/** Splits a raw query string into decoded pairs; `+` stays a plus, as OSS signs it. */
export function parseQuery(raw: string): QueryParam[] {
  const pairs: QueryParam[] = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    pairs.push(eq === -1 ? [decode(piece), ''] : [decode(piece.slice(0, eq)), decode(piece.slice(eq + 1)), true]);
  }
  return pairs;
}

/** Throws InvalidBucketName unless the name follows the OSS rules. */
export function checkBucketName(bucket: string): void {
  if (!bucketPattern.test(bucket) || bucket.includes('--')) throw errors.invalidBucketName(bucket);
}

/** Throws InvalidObjectName for keys OSS refuses or that could be read as a path escape. */
export function checkObjectKey(key: string): void {
  if (Buffer.byteLength(key) > maxKeyBytes) throw errors.invalidObjectName('The length of the object name must be between 1 and 1023 bytes.');
  if (key.startsWith('/') || key.startsWith('\\')) throw errors.invalidObjectName('The object name must not start with "/" or "\\".');
  if (key.includes('\0')) throw errors.invalidObjectName('The object name must not contain NUL characters.');
  if (key.split(/[/\\]/).some((segment) => segment === '..' || segment === '.')) {
    throw errors.invalidObjectName('The object name must not contain "." or ".." path segments.');
  }
}

/** A fresh request id: 24 upper-case hex characters. */
export function newRequestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}

/** Reads the virtual-hosted bucket from a Host header, if any. */
export function hostBucket(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name.endsWith('.localhost') ? name.slice(0, -'.localhost'.length) : undefined;
}

/** Parses addressing, key and query. Throws OssError for malformed input. */
export function parseRequest(raw: IncomingMessage, requestId: string): OssRequest {
  let target = raw.url ?? '/';
  if (!target.startsWith('/')) {
    try {
      const url = new URL(target);
      target = url.pathname + url.search;
    } catch {
      throw errors.invalidUri();
    }
  }
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? [] : parseQuery(target.slice(q + 1));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  let bucket = hostBucket(headers['host']);
  const virtualHosted = bucket !== undefined;
  let keyPart = rawPath.slice(1);
  if (!virtualHosted) {
    const slash = keyPart.indexOf('/');
    const first = slash === -1 ? keyPart : keyPart.slice(0, slash);
    bucket = first === '' ? undefined : decode(first);
    keyPart = slash === -1 ? '' : keyPart.slice(slash + 1);
  }
  if (bucket !== undefined) checkBucketName(bucket);
  const key = decode(keyPart);
  if (key !== '') checkObjectKey(key);
  return { raw, method: (raw.method ?? 'GET').toUpperCase(), bucket, key, query, headers, virtualHosted, requestId };
}
