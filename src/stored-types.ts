/**
 * The public types that the upload journal stores (a record keeps the ACL asked for, and a completed
 * upload's result). They live apart from types.ts, which imports persistence/ for the `store`
 * option, so that persistence/ can use them without an import cycle; types.ts re-exports them.
 */

/** Object ACLs; `'default'` follows the bucket's ACL. */
export type ObjectAcl = 'default' | 'private' | 'public-read' | 'public-read-write';

/** What a finished upload returns. */
export type UploadResult = {
  readonly key: string;
  /** Object ETag as the server sent it (quoted). */
  readonly etag: string;
  readonly size: number;
  readonly requestId: string | undefined;
  /** Object CRC-64 (unsigned decimal), when `crc64` was on and the server reported it. */
  readonly crc64?: string;
  /** The callback server's JSON answer, when a callback was given. */
  readonly callbackResult?: unknown;
  /**
   * Set when this call (with `lock: 'wait'`) waited for another tab's, or another call's, upload of
   * the same file to the same key and that upload completed meanwhile: the result is that upload's
   * (its ETag, request id, callback answer) and this call sent no part. Object headers, metadata and
   * the callback were those of the other upload.
   */
  readonly completedElsewhere?: true;
};
