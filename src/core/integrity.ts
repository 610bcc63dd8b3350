/**
 * The checks that decide whether the server stored the bytes the SDK sent: a part's (or a single
 * PutObject's) ETag against the MD5 of its bytes, and CRC-64 against `x-oss-hash-crc64ecma`. A
 * failed check throws {@link OssIntegrityError} carrying both values, so a support ticket can quote them.
 */
import { OssIntegrityError, type OssOperation } from '../errors.js';
import { formatCrc64 } from '../hashing/crc64-text.js';
import { etagMatchesMd5 } from '../oss/etag.js';

/** Where a checked value came from: the request and, for UploadPart, its part. */
export type CheckedRequest = { readonly operation: OssOperation; readonly partNumber?: number | undefined };

/** Throws OssIntegrityError unless `etag` is the MD5 (`md5Hex`) of the bytes sent; no MD5, no check. */
export function checkEtag(request: CheckedRequest, md5Hex: string | undefined, etag: string): void {
  if (md5Hex && !etagMatchesMd5(etag, md5Hex)) throw new OssIntegrityError({ ...request, check: 'md5', expected: md5Hex.toLowerCase(), actual: etag });
}

/** Throws OssIntegrityError when a CRC-64 differs (or is unreadable and `required`). */
export function checkCrc(request: CheckedRequest, local: bigint | undefined, remote: string | undefined, required: boolean): void {
  if (local === undefined) return;
  if (remote === undefined) {
    if (required) throw new OssIntegrityError({ ...request, check: 'crc64', expected: formatCrc64(local), actual: undefined });
    return;
  }
  if (BigInt(remote) !== local) throw new OssIntegrityError({ ...request, check: 'crc64', expected: formatCrc64(local), actual: remote });
}
