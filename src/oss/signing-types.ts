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

/** Which signature scheme, with what keys, at what time. */
export type SignContext = {
  readonly version: 'v1' | 'v4';
  readonly credentials: Credentials;
  /** Standard region id without the `oss-` prefix, e.g. `cn-hangzhou` (V4 scope). */
  readonly region: string;
  /** Request time (already corrected for clock skew). */
  readonly now: Date;
};
