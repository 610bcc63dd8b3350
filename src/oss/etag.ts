/**
 * ETag helpers (docs/protocol.md §7): part ETags are the quoted upper-case hex MD5 of the bytes;
 * comparisons strip quotes and ignore case; Complete sends them verbatim.
 */
import { OssError } from '../errors.js';

/** Strips quotes and whitespace and upper-cases an ETag. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();
}

/** Whether an ETag is the MD5 (hex) of the bytes that were sent. */
export function etagMatchesMd5(etag: string, md5Hex: string): boolean {
  return normalizeEtag(etag) === md5Hex.toUpperCase();
}

/** Reads the ETag of a response, explaining the usual cause when the browser hides it. */
export function readEtag(response: Response, what: string): string {
  const etag = response.headers.get('etag');
  if (!etag) {
    throw new OssError(`${what} succeeded but its ETag header is not readable: is \`ETag\` in the bucket's CORS ExposeHeaders?`);
  }
  return etag;
}
