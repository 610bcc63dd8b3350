/**
 * The request shape the signers work on. Header names are lower-case; the key is decoded.
 */
import type { Credentials } from './credentials-types.js';

/** One query parameter; `value` undefined renders a bare name such as `?uploads`. */
export type QueryEntry = readonly [name: string, value: string | undefined];

/** What gets signed. */
export type SignableRequest = {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Bucket, or undefined for service-level requests. */
  readonly bucket: string | undefined;
  /** Decoded object key; undefined or `''` for bucket-level requests. */
  readonly key: string | undefined;
  /** Query parameters in sending order. */
  readonly query: readonly QueryEntry[];
  /** Lower-case header names → values (Content-Type, Content-MD5, x-oss-*). */
  readonly headers: Readonly<Record<string, string>>;
};

/** With what keys, at what time. */
export type SignContext = {
  readonly credentials: Credentials;
  /** Standard region id without the `oss-` prefix, e.g. `cn-hangzhou` (V4 scope). */
  readonly region: string;
  /** Request time (already corrected for clock skew). */
  readonly now: Date;
};

/**
 * A signature scheme, passed as the `signer` connection option: {@link signerV4} (the default) or
 * {@link signerV1}, both exported by the package. A scheme is an import, not a string, so an app
 * that never names V1 does not ship its code (docs/architecture.md#opt-in-features).
 */
export type OssSigner = {
  /**
   * Headers to ADD to a header-signed request: `x-oss-date`, `x-oss-security-token` for STS
   * credentials, V4's `x-oss-content-sha256`, and `authorization` (docs/protocol.md §3.1, §3.3).
   */
  sign(request: SignableRequest, context: SignContext): Promise<Record<string, string>>;
  /**
   * The full query of a presigned URL: the request's own query, then the authentication
   * parameters (docs/protocol.md §3.2, §3.4).
   * @throws RangeError when `expiresSeconds` is not an integer ≥ 1 (V4: also ≤ 604800).
   */
  presign(request: SignableRequest, context: SignContext, expiresSeconds: number): Promise<QueryEntry[]>;
};
