/**
 * The shared write path of PutObject and UploadPart: stream the body into a blob, then check the
 * Content-MD5 and (V4 signed payloads) `x-oss-content-sha256` against what actually arrived.
 */
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { readContentMd5 } from '../object-headers.js';
import type { BlobInfo } from '../storage/blob-store.js';

/** Largest single PUT body (part or object): 5 GiB (docs/protocol.md §2.8). */
export const maxPutBytes = 5 * 1024 ** 3;

/** Writes the request body to a new blob and verifies its digests; nothing is kept on failure. */
export async function writeBody(ctx: Context): Promise<BlobInfo> {
  const contentMd5 = readContentMd5(ctx.request);
  const declared = ctx.request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxPutBytes) throw errors.entityTooLarge(maxPutBytes);
  const payloadHash = ctx.request.headers['x-oss-content-sha256'];
  const signedPayload = payloadHash !== undefined && /^[0-9a-f]{64}$/i.test(payloadHash);
  const info = await ctx.storage.blobs.write(ctx.body, { maxBytes: maxPutBytes, sha256: signedPayload });
  const md5 = info.md5.toString('base64');
  if (contentMd5 !== undefined && contentMd5 !== md5) {
    await ctx.storage.blobs.remove([info.blob]);
    throw errors.badDigest(contentMd5, md5);
  }
  if (signedPayload && info.sha256?.toString('hex') !== payloadHash.toLowerCase()) {
    await ctx.storage.blobs.remove([info.blob]);
    throw errors.invalidArgument('The x-oss-content-sha256 you specified did not match what we received.', 'x-oss-content-sha256', payloadHash);
  }
  return info;
}
