/**
 * `createOssServer(options)`: the local OSS-compatible server as a library, for `npm run server`,
 * the demo and the tests. It binds to 127.0.0.1 unless told otherwise and keeps all state under
 * its data directory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { CredentialResolver } from './auth/types.js';
import type { ServerConfig } from './context.js';
import { handleControl } from './control.js';
import { recommendedCorsRule, type CorsConfiguration, type CorsRule } from './cors.js';
import { checkCorsConfiguration } from './cors-config.js';
import { hostBucket } from './addressing.js';
import { dispatch, type DispatchDeps } from './dispatch.js';
import { lingerOnClose } from './closing.js';
import { answerClientError, answerRaw, trackResponse } from './error-answers.js';
import { errors } from './errors.js';
import { Faults } from './faults.js';
import { frameChunkedOverLength, settleFraming } from './http-framing.js';
import { BodyPacing, ConnectionGuard } from './pacing.js';
import { drainLimitBytes } from './request-body.js';
import { RequestLog } from './request-log.js';
import { openStorage } from './storage/storage.js';
import { createTokenAuthority, isStsAccessKeyId, type TokenAuthority } from './sts/token.js';

/** Options of {@link createOssServer}. */
export type OssServerOptions = {
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /** Port; 0 picks a free one. @default 9000 */
  readonly port?: number;
  /** Data directory (created when missing). @default '.oss-data' */
  readonly dataDir?: string;
  /** Buckets created at start. @default ['demo'] */
  readonly buckets?: readonly string[];
  /** Root AccessKeyId. @default 'oss-local-ak' */
  readonly accessKeyId?: string;
  /** Root AccessKeySecret. @default 'oss-local-sk' */
  readonly accessKeySecret?: string;
  /**
   * Origins (`*` wildcards allowed) of the CORS rule buckets start with when `corsRules` is not
   * given: the rule README.md recommends for real OSS. @default ['*']
   */
  readonly corsOrigins?: readonly string[];
  /**
   * CORS rules the buckets in `buckets` start with, as PutBucketCors sets them (checked the same way).
   * Given (or `corsOrigins` given), they replace the rules the data dir holds for those buckets;
   * otherwise the stored rules (PutBucketCors, DeleteBucketCors) survive a restart.
   * @default [the README's recommended rule for `corsOrigins`]
   */
  readonly corsRules?: readonly CorsRule[];
  /** `ResponseVary` of the start rules: every answer carries `Vary: Origin`. @default false */
  readonly corsResponseVary?: boolean;
  /** Enables fault injection and the request log under `/_local/`. @default false */
  readonly faults?: boolean;
  /** Region accepted in V4 signatures. @default 'cn-hangzhou' */
  readonly region?: string;
  /** fsync data before acknowledging writes (survives power loss, not just SIGKILL). @default true */
  readonly fsync?: boolean;
  /** Server clock, for tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Largest request line + header section in bytes; larger is `431 RequestHeaderTooLarge` (OSS XML).
   * 16 KiB (node:http's default, stated here so it is a documented limit) holds the 8 KB of user
   * metadata OSS allows plus a policy-carrying STS token and a V4 signature.
   * @default 16384
   */
  readonly maxHeaderBytes?: number;
  /**
   * Time a client has to send the request line and headers, counted from the connection (or from
   * the start of the next request on a kept-alive one); then `408 RequestTimeout` (OSS XML) and close.
   * @default 20000
   */
  readonly headersTimeoutMs?: number;
  /**
   * Time limit for a whole request, body included; 0 for none. Off by default: a 5 GiB part may
   * take long on an honest slow link, and bodies are paced by `bodyIdleTimeoutMs` / `minBodyBytesPerSecond`.
   * @default 0
   */
  readonly requestTimeoutMs?: number;
  /** A request body that stops arriving for this long is cut with `400 RequestTimeout`; also the grace before the rate rule. @default 30000 */
  readonly bodyIdleTimeoutMs?: number;
  /** After the grace, a request body must average at least this many bytes per second (of the time the server waits for it; Apache mod_reqtimeout uses 500). 0 disables. @default 512 */
  readonly minBodyBytesPerSecond?: number;
  /** Idle keep-alive connections are closed after this long. @default 10000 */
  readonly keepAliveTimeoutMs?: number;
  /** A connection without any traffic in either direction for this long is closed (slow readers of responses). @default 120000 */
  readonly socketTimeoutMs?: number;
  /** Connections one client address may hold; requests on more get `503 ActiveRequestLimitExceeded`. 0 for no cap. @default 256 */
  readonly maxConnectionsPerClient?: number;
  /** Connections the server holds at all; more are refused at accept, so file descriptors never run out. @default 1024 */
  readonly maxConnections?: number;
};

/** A running server. */
export type OssServer = {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** Mints and checks STS tokens (also reachable over STS AssumeRole at `/`). */
  readonly sts: TokenAuthority;
  /** Stops accepting connections, closes open ones and resolves when done. */
  close(): Promise<void>;
};

const defaults = {
  host: '127.0.0.1', port: 9000, dataDir: '.oss-data', buckets: ['demo'], accessKeyId: 'oss-local-ak',
  accessKeySecret: 'oss-local-sk', corsOrigins: ['*'], corsResponseVary: false, faults: false, region: 'cn-hangzhou', fsync: true, now: Date.now,
  maxHeaderBytes: 16 * 1024, headersTimeoutMs: 20_000, requestTimeoutMs: 0, bodyIdleTimeoutMs: 30_000, minBodyBytesPerSecond: 512,
  keepAliveTimeoutMs: 10_000, socketTimeoutMs: 120_000, maxConnectionsPerClient: 256, maxConnections: 1024,
} satisfies Required<Omit<OssServerOptions, 'corsRules'>>;

/** How long a connection closed after an error keeps reading, so the client sees the answer rather than a reset. */
const lingerMs = 2000;

/** The start CORS configuration, checked as PutBucketCors would check it. */
function startCors(options: OssServerOptions): CorsConfiguration {
  const rules = options.corsRules ?? [recommendedCorsRule(options.corsOrigins ?? defaults.corsOrigins)];
  try {
    return checkCorsConfiguration({ rules, responseVary: options.corsResponseVary ?? defaults.corsResponseVary });
  } catch (error) {
    throw new Error(`Invalid CORS rules: ${(error as Error).message}`, { cause: error });
  }
}

/** Starts the local OSS server. */
export async function createOssServer(options: OssServerOptions = {}): Promise<OssServer> {
  const o = { ...defaults, ...options };
  const cors = startCors(options);
  const storage = await openStorage(o.dataDir, { fsync: o.fsync, buckets: o.buckets });
  // Rules given at start replace the stored ones of the buckets named; a bucket without any record
  // (a fresh data dir) starts with them too, so GetBucketCors shows what applies.
  const explicitCors = options.corsRules !== undefined || options.corsOrigins !== undefined;
  for (const bucket of await storage.objects.buckets()) {
    if ((explicitCors && o.buckets.includes(bucket)) || !storage.cors.known(bucket)) await storage.cors.put(bucket, cors);
  }
  const authority = createTokenAuthority({ rootSecret: o.accessKeySecret, now: o.now });
  const config: ServerConfig = {
    host: o.host, region: o.region, accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret,
    cors, callbackTimeoutMs: 5000,
  };
  const resolve: CredentialResolver = (accessKeyId, token) => {
    if (accessKeyId === o.accessKeyId) {
      return { secret: o.accessKeySecret, principal: { accessKeyId, kind: 'root', policy: undefined } };
    }
    if (isStsAccessKeyId(accessKeyId)) return authority.resolve(accessKeyId, token);
    throw errors.invalidAccessKeyId(accessKeyId);
  };
  const faults = o.faults ? new Faults() : undefined;
  const log = o.faults ? new RequestLog(storage.dataDir) : undefined;
  const pacing = new BodyPacing({ idleTimeoutMs: o.bodyIdleTimeoutMs, minBytesPerSecond: o.minBodyBytesPerSecond, drainLimitBytes });
  const guard = new ConnectionGuard(o.maxConnectionsPerClient);
  const deps: DispatchDeps = {
    config, storage, resolve, faults, log, now: o.now, pacing, guard,
    sts: { rootAccessKeyId: o.accessKeyId, rootAccessKeySecret: o.accessKeySecret, authority, now: o.now },
  };
  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    // Which answer is on the wire, for a parser error that follows this request (error-answers.ts).
    trackResponse(req, res);
    // Transfer-Encoding with Content-Length: chunked framing, Content-Length dropped (http-framing.ts).
    if (!settleFraming(req, res, o.host)) return;
    // `/_local/` is the control endpoint only on the plain host; on `<bucket>.localhost` it is a key.
    const control = faults && log && req.url?.startsWith('/_local/') && hostBucket(req.headers.host) === undefined;
    const handled = control
      ? handleControl(req, res, { faults, log, authority, now: o.now })
      : dispatch(req, res, deps, { expectsContinue });
    // Last line of defence: a bug in a handler must cost one connection, never the process.
    handled.catch((error: unknown) => {
      console.error('[oss-local] unhandled failure:', error);
      res.destroy();
    });
  };
  const server: Server = createServer({
    maxHeaderSize: o.maxHeaderBytes,
    // A request without Host is still addressable path-style; node:http would answer a bare 400.
    requireHostHeader: false,
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    // node:http enforces headersTimeout/requestTimeout on this sweep; its 30 s default would let a short limit slip.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(o.headersTimeoutMs / 4) || 1000)),
  }, (req, res) => handle(req, res, false));
  // With a listener, node:http leaves `Expect: 100-continue` to us: dispatch sends 100 only when a
  // handler reads the body, so a refused upload (EntityTooLarge, AccessDenied) is refused before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));
  // Lets llhttp frame a request with both Transfer-Encoding: chunked and Content-Length by the chunked
  // coding (ali-oss putStream with a Content-Length header) instead of refusing it; nothing else loosens.
  frameChunkedOverLength(server, o.maxHeaderBytes);
  // An `Expect` other than 100-continue is ignored (node:http would answer a bare 417).
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => handle(req, res, false));
  // CONNECT (a proxy tunnel) is no OSS operation: an OSS 405 instead of node:http silently closing.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    answerRaw(socket, errors.methodNotAllowed(req.method ?? 'CONNECT'), 'Method Not Allowed', o.host, lingerMs);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, o.host, lingerMs));
  // Counted before node:http attaches its parser, so the first request on a connection already knows.
  server.prependListener('connection', (socket: Socket) => {
    guard.admit(socket);
    lingerOnClose(socket, lingerMs);
  });
  server.maxConnections = o.maxConnections;
  server.timeout = o.socketTimeoutMs;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => {
      server.off('error', fail);
      done();
    });
  });
  // After listening, a server error is an accept failure (EMFILE when descriptors run out): the
  // server keeps serving the connections it has, and an unhandled 'error' would end the process.
  server.on('error', (error: Error) => console.error('[oss-local] server error:', error.message));
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`, host: o.host, port, dataDir: storage.dataDir,
    accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret, sts: authority,
    close: () => new Promise<void>((done) => {
      pacing.stop();
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}
