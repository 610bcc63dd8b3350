/**
 * CompleteMultipartUpload, never retried blindly (a POST, docs/protocol.md §2.4): after an
 * ambiguous failure (network, timeout, 5xx) the server is asked — an upload still listed was not
 * completed, so Complete is sent again; NoSuchUpload plus an object whose ETag is the expected
 * multipart ETag (docs/protocol.md §7) means it was.
 */
import { OssNetworkError, OssServiceError } from '../errors.js';
import type { Hasher } from '../hashing/hasher.js';
import type { CompleteResult, OssClient } from '../oss/client.js';
import { normalizeEtag } from '../oss/etag.js';
import type { ObjectAcl, UploadOptions } from '../types.js';
import { sleep } from '../async/sleep.js';
import type { ResolvedRetry } from '../options.js';
import { backoffDelay, equalJitter } from '../oss/retry.js';

/** MD5-of-part-MD5s `-N`, hashed off the main thread. */
export async function expectedMultipartEtag(hasher: Hasher, etags: readonly string[], signal: AbortSignal | undefined): Promise<string> {
  const bytes = new Uint8Array(etags.length * 16);
  etags.forEach((etag, i) => {
    const hex = normalizeEtag(etag);
    for (let b = 0; b < 16; b++) bytes[i * 16 + b] = Number.parseInt(hex.slice(b * 2, b * 2 + 2), 16);
  });
  const digest = await hasher.hash(new Blob([bytes]), { md5: true, crc64: false }, signal);
  return `${digest.md5Hex!.toUpperCase()}-${etags.length}`;
}

/** Completes `uploadId`, settling ambiguous failures by asking the server. */
export async function completeSettled(
  client: OssClient, hasher: () => Hasher, retry: ResolvedRetry, key: string, uploadId: string,
  parts: ReadonlyArray<{ partNumber: number; etag: string }>, options: Pick<UploadOptions, 'callback' | 'forbidOverwrite' | 'signal'> & { acl?: ObjectAcl | undefined },
): Promise<CompleteResult> {
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.completeMultipartUpload(key, uploadId, parts, { callback: options.callback, forbidOverwrite: options.forbidOverwrite, acl: options.acl, signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const ambiguous = error instanceof OssNetworkError || (error instanceof OssServiceError && error.status >= 500);
      if (!ambiguous || attempt > retry.limit) throw error;
      try {
        await client.listParts(key, uploadId, { maxParts: 1, signal });
      } catch (probe) {
        if (!(probe instanceof OssServiceError) || probe.code !== 'NoSuchUpload') throw error;
        const head = await client.headObject(key, { signal });
        const expected = await expectedMultipartEtag(hasher(), parts.map((p) => p.etag), signal);
        if (normalizeEtag(head.etag) === expected) return { etag: head.etag, location: undefined, requestId: head.requestId, crc64: head.crc64 };
        throw error;
      }
      await sleep(equalJitter(backoffDelay(attempt, retry)), signal);
    }
  }
}
