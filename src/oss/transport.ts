/**
 * The one place requests are made: builds the URL, signs every attempt (ky runs `beforeRequest`
 * again for each retry, so a retry carries a fresh date and fresh credentials), lets ky retry
 * idempotent calls, and turns ky's errors into ours (the API never exposes ky's). A request the server
 * refused for its token or its clock is re-signed and re-sent once, whatever its method: the
 * refusal proves it had no effect.
 */
import ky, { HTTPError, type KyInstance } from 'ky';
import { isOffline, waitForOnline } from '../async/online.js';
import type { ResolvedRetry } from '../options.js';
import { credentialErrorCodes, equalJitter, backoffDelay, retryableStatuses } from './retry.js';
import { OssNetworkError, OssServiceError, type OssOperation } from '../errors.js';
import { attemptFetch, type AttemptFetch } from './attempt-fetch.js';
import type { CredentialCache } from './credentials.js';
import type { Credentials } from './credentials-types.js';
import type { OssSigner, QueryEntry, SignableRequest } from './signing-types.js';
import { createThroughputMemory, formatSeconds, StallError } from './stall.js';
import { buildUrl, type Endpoint } from './url.js';
import { parseError } from './xml.js';

/** Connection settings of a transport. */
export type TransportConfig = {
  readonly endpoint: Endpoint;
  readonly bucket: string;
  readonly region: string;
  readonly signer: OssSigner;
  readonly credentials: CredentialCache;
  readonly retry: ResolvedRetry;
  /** An attempt with no byte moving for this long is given up and retried (stall.ts). */
  readonly stallTimeoutMs: number;
};

/** One request to make. */
export type RequestSpec = {
  readonly operation: OssOperation;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Object key; undefined for bucket-level requests. */
  readonly key: string | undefined;
  readonly bucket?: string;
  readonly query?: readonly QueryEntry[];
  /** Header names as sent; Content-Type/Content-MD5/x-oss-* are signed. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Blob | string | Uint8Array;
  readonly partNumber?: number;
  readonly signal?: AbortSignal | undefined;
  /** Whether ky may retry it (GET/PUT/HEAD/DELETE are idempotent here; POST never is). */
  readonly idempotent: boolean;
  /**
   * Called when an attempt starts (`sentBytes` 0; `attempt` counts from 1 across every retry) and as
   * its body goes out. Browsers report body bytes; where the platform cannot (Node), only the start.
   */
  readonly onProgress?: ((attempt: number, sentBytes: number) => void) | undefined;
};

/** Sends signed requests. */
export type Transport = {
  send(spec: RequestSpec): Promise<Response>;
  presign(spec: Pick<RequestSpec, 'method' | 'key' | 'bucket' | 'query' | 'headers'>, expiresSeconds: number): Promise<string>;
  /** Milliseconds to add to the local clock, learnt from RequestTimeTooSkewed. */
  readonly clockOffsetMs: () => number;
};

function lowerHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) out[name] = value;
  });
  return out;
}

async function toServiceError(error: HTTPError, spec: RequestSpec): Promise<OssServiceError> {
  const { response, request } = error;
  let details: Record<string, string> = {};
  const encoded = response.headers.get('x-oss-err'); // HEAD answers carry the <Error> here (docs/protocol.md §1.2)
  const text = encoded ? atob(encoded) : await response.text().catch(() => '');
  details = { ...(parseError(text) ?? {}) };
  const fallbackCode = response.status === 404 ? (spec.key === undefined ? 'NoSuchBucket' : 'NoSuchKey') : `HttpStatus${response.status}`;
  const { Code = fallbackCode, Message = response.statusText || 'no error document', RequestId, HostId, ...rest } = details;
  return new OssServiceError({
    status: response.status, code: Code, message: Message, requestId: response.headers.get('x-oss-request-id') ?? RequestId,
    hostId: HostId, operation: spec.operation, partNumber: spec.partNumber, method: request.method, url: request.url, details: rest, cause: error,
  });
}

/**
 * A browser reports a CORS refusal as a bare network error: no status, no body, no header name.
 * What the SDK can say is which rule the request needed, so the message names the method and the
 * headers the bucket's CORS rule must allow (the ones that make the browser send a preflight).
 */
function corsHint(spec: RequestSpec): string {
  // The signer adds authorization, x-oss-date and (V4) x-oss-content-sha256 / the STS token.
  const headers = ['authorization', 'x-oss-date', ...Object.keys(spec.headers ?? {}).map((name) => name.toLowerCase())]
    .filter((name, i, all) => name !== 'content-length' && all.indexOf(name) === i);
  return ` (in a browser a CORS refusal looks the same: the bucket's CORS rule must allow this origin, AllowedMethod ${spec.method} and AllowedHeader ${headers.join(', ')}; \`*\` covers every header)`;
}

function toNetworkError(error: unknown, spec: RequestSpec, url: string, attempts: number, waitedMs: number): OssNetworkError {
  const tried = `${attempts} attempt${attempts === 1 ? '' : 's'} in ${formatSeconds(waitedMs)}`;
  const facts = { operation: spec.operation, partNumber: spec.partNumber, method: spec.method, url, attempts, waitedMs, cause: error };
  if (error instanceof StallError) return new OssNetworkError({ ...facts, message: `${error.message}; gave up after ${tried}`, timedOut: true });
  const hint = typeof window === 'undefined' ? '' : corsHint(spec);
  return new OssNetworkError({ ...facts, message: `network error${hint}: ${(error as Error)?.message ?? String(error)} (${tried})` });
}

/** Creates the transport of one client. */
export function createTransport(config: TransportConfig): Transport {
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  // ky's own timeout bounds a whole attempt; stalls are detected by progress instead (attempt-fetch.ts).
  const http: KyInstance = ky.create({ timeout: false, throwHttpErrors: true });
  const throughput = createThroughputMemory();
  const retryFor = (body: RequestSpec['body']) => ({
    limit: config.retry.limit,
    methods: ['get', 'put', 'head', 'delete'],
    statusCodes: [...retryableStatuses],
    afterStatusCodes: [429, 503],
    maxRetryAfter: config.retry.maxDelayMs,
    retryOnTimeout: true,
    delay: (attempt: number) => backoffDelay(attempt, config.retry),
    jitter: (delay: number) => equalJitter(delay),
    // Offline is not a failure worth a retry: stop here, `send` waits for `online` and re-sends.
    // Nor is a body whose file changed on disk (Chromium only says "Failed to fetch"): every retry
    // would fail the same way for up to a minute; one byte read tells (file-read.ts explains).
    shouldRetry: async ({ error }: { error: Error }) => {
      if (isOffline()) return false;
      if (body instanceof Blob && body.size > 0 && !(error instanceof HTTPError)) {
        try {
          await body.slice(0, 1).arrayBuffer();
        } catch {
          return false;
        }
      }
      return undefined;
    },
  });

  const signable = (spec: RequestSpec, headers: Record<string, string>): SignableRequest => ({
    method: spec.method, bucket: spec.bucket ?? config.bucket, key: spec.key, query: spec.query ?? [], headers,
  });

  const urlOf = (spec: RequestSpec): string => buildUrl(config.endpoint, spec.bucket ?? config.bucket, spec.key, spec.query ?? []);

  const attempt = async (spec: RequestSpec, used: { credentials?: Credentials }, fetch: AttemptFetch): Promise<Response> => {
    return http(urlOf(spec), {
      fetch,
      method: spec.method,
      headers: spec.headers ?? {},
      body: (spec.body ?? null) as BodyInit | null,
      retry: spec.idempotent ? retryFor(spec.body) : 0,
      ...(spec.signal ? { signal: spec.signal } : {}),
      hooks: {
        beforeRequest: [async (request) => {
          const credentials = await config.credentials.get(spec.signal);
          used.credentials = credentials;
          const added = await config.signer.sign(signable(spec, lowerHeaders(request.headers)), { credentials, region: config.region, now: now() });
          for (const [name, value] of Object.entries(added)) request.headers.set(name, value);
        }],
      },
    });
  };

  const send = async (spec: RequestSpec): Promise<Response> => {
    let resent = false;
    // One attempt counter for the whole request: ky's retries and our re-sends below alike.
    const fetch = attemptFetch({ body: spec.body, stallMs: config.stallTimeoutMs, throughput, onProgress: spec.onProgress });
    const started = Date.now();
    for (;;) {
      await waitForOnline(spec.signal);
      const used: { credentials?: Credentials } = {};
      try {
        return await attempt(spec, used, fetch);
      } catch (error) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (!(error instanceof HTTPError)) {
          // Lost the network: wait for it and send again, without spending retries. POST is not
          // repeated blindly: its caller settles the ambiguity (Complete) or accepts an orphan (Initiate).
          if (isOffline() && spec.idempotent) continue;
          throw toNetworkError(error, spec, urlOf(spec), fetch.attempts(), Date.now() - started);
        }
        const serviceError = await toServiceError(error, spec);
        if (!resent && credentialErrorCodes.has(serviceError.code) && config.credentials.refreshable && used.credentials) {
          config.credentials.invalidate(used.credentials);
          resent = true;
          continue;
        }
        const serverTime = Date.parse(serviceError.details['ServerTime'] ?? '');
        if (!resent && serviceError.code === 'RequestTimeTooSkewed' && Number.isFinite(serverTime)) {
          offsetMs = serverTime - Date.now();
          resent = true;
          continue;
        }
        throw serviceError;
      }
    }
  };

  const presign: Transport['presign'] = async (spec, expiresSeconds) => {
    const bucket = spec.bucket ?? config.bucket;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
    const query = await config.signer.presign({ method: spec.method, bucket, key: spec.key, query: spec.query ?? [], headers }, {
      credentials: await config.credentials.get(), region: config.region, now: now(),
    }, expiresSeconds);
    return buildUrl(config.endpoint, bucket, spec.key, query);
  };

  return { send, presign, clockOffsetMs: () => offsetMs };
}
