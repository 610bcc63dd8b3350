/**
 * Options shared by the client's calls (`signal`, what a write stores, body progress), in a module
 * of their own so that the multipart calls (client.ts) and the single-object calls
 * (client-objects.ts) both use them without importing each other.
 */
import { bodySize } from './attempt-fetch.js';
import type { WriteHeaderOptions } from './object-headers.js';

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
