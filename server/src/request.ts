/**
 * The parsed form of an incoming OSS request, shared by routing, authentication and handlers.
 */
import type { IncomingMessage } from 'node:http';

/**
 * One decoded query parameter; `value` is `''` for a bare name such as `?uploads`. `equals` tells
 * `?k=` from `?k`: V4 canonical queries differ there between SDKs (docs/protocol.md §8 item 7).
 */
export type QueryParam = readonly [name: string, value: string, equals?: boolean];

/** A request after addressing has been resolved (docs/protocol.md §1.1). */
export type OssRequest = {
  readonly raw: IncomingMessage;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Bucket from the virtual host or the first path segment; undefined for service-level requests. */
  readonly bucket: string | undefined;
  /** Decoded object key; undefined or `''` for bucket-level requests. */
  readonly key: string | undefined;
  /** Decoded query parameters, in the order sent. `+` is not treated as a space. */
  readonly query: readonly QueryParam[];
  /** Lower-cased header names; repeated headers joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the bucket came from the Host header (virtual-hosted style). */
  readonly virtualHosted: boolean;
  /** 24 upper-case hex characters, sent as `x-oss-request-id`. */
  readonly requestId: string;
};

/** First value of a query parameter, or undefined when absent. */
export function queryValue(request: Pick<OssRequest, 'query'>, name: string): string | undefined {
  for (const [k, v] of request.query) if (k === name) return v;
  return undefined;
}

/** Whether a query parameter is present (with or without a value). */
export function hasQuery(request: Pick<OssRequest, 'query'>, name: string): boolean {
  return request.query.some(([k]) => k === name);
}
