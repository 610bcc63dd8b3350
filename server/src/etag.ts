/**
 * ETags on the wire and at rest: stored as upper-case hex without quotes, sent quoted, and compared
 * after undoing whatever quoting and case a client sent back.
 */

/** Quoted ETag header value from a stored upper-case hex ETag. */
export function quoted(etag: string): string {
  return `"${etag}"`;
}

/** Strips quotes and upper-cases an ETag for comparison (docs/protocol.md §7). */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, '').toUpperCase();
}
