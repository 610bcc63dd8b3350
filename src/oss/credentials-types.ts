/**
 * Credential shapes. Browsers should only ever hold STS temporary credentials (docs/protocol.md §3.5).
 */

/** Normalised credentials as the signer uses them. */
export type Credentials = {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** STS security token; sent as `x-oss-security-token` (or in presigned URLs). */
  readonly securityToken?: string | undefined;
  /** When STS credentials stop working; refreshed before then. */
  readonly expiration?: Date | undefined;
};
