/**
 * What a handler works with: the parsed request, the response, the signer's principal, the
 * server's state and clock. How handlers answer is handlers/send.ts, how they read small bodies
 * request-body.ts, and how they check a policy auth/authorize.ts.
 */
import type { ServerResponse } from 'node:http';
import type { Principal } from './auth/types.js';
import type { CorsConfiguration } from './cors.js';
import type { Operation } from './operations.js';
import type { RequestLogNote } from './request-log.js';
import type { OssRequest } from './request.js';
import type { Storage } from './storage/storage.js';

/** Settled server settings. */
export type ServerConfig = {
  readonly host: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /**
   * The CORS configuration buckets start with; also the one for requests that reach no bucket
   * (ListBuckets, an unknown or malformed bucket), so a page can still read those errors.
   */
  readonly cors: CorsConfiguration;
  /** Milliseconds a callback server gets to answer. */
  readonly callbackTimeoutMs: number;
};

/** Per-request handler context. */
export type Context = {
  readonly request: OssRequest;
  readonly response: ServerResponse;
  readonly storage: Storage;
  readonly config: ServerConfig;
  readonly principal: Principal;
  readonly op: Operation;
  /** The request body, with fault injection applied. */
  readonly body: AsyncIterable<Buffer>;
  /** `host[:port]` the client addressed, for `Location` values. */
  readonly origin: string;
  /** `<bucket>.<host>`, the HostId of error documents. */
  readonly hostId: string;
  /** Adds facts to this request's entry in the request log (kept only with `faults`). */
  readonly note: (note: RequestLogNote) => void;
  /** The server's clock (its `now` option) in epoch milliseconds: every time a handler records comes from it. */
  readonly now: () => number;
};

/** The HostId OSS puts in error documents: the bucket's host name. */
export function hostIdOf(request: Pick<OssRequest, 'bucket' | 'virtualHosted'> | undefined, host: string): string {
  return request?.bucket && !request.virtualHosted ? `${request.bucket}.${host}` : host;
}
