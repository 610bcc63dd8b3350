/**
 * `createOssServer(options)`: the local OSS-compatible server as a library, for `npm run server`,
 * the demo and the tests. It binds to 127.0.0.1 unless told otherwise and keeps all state under
 * its data directory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CredentialResolver } from './auth/types.js';
import type { ServerConfig } from './context.js';
import { handleControl } from './control.js';
import { defaultCorsRule } from './cors.js';
import { hostBucket } from './addressing.js';
import { answerClientError, dispatch, type DispatchDeps } from './dispatch.js';
import { errors } from './errors.js';
import { Faults } from './faults.js';
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
  /** Allowed CORS origins (`*` wildcards allowed). @default ['*'] */
  readonly corsOrigins?: readonly string[];
  /** Enables fault injection and the request log under `/_local/`. @default false */
  readonly faults?: boolean;
  /** Region accepted in V4 signatures. @default 'cn-hangzhou' */
  readonly region?: string;
  /** fsync data before acknowledging writes (survives power loss, not just SIGKILL). @default true */
  readonly fsync?: boolean;
  /** Server clock, for tests. @default Date.now */
  readonly now?: () => number;
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
  accessKeySecret: 'oss-local-sk', corsOrigins: ['*'], faults: false, region: 'cn-hangzhou', fsync: true, now: Date.now,
} satisfies Required<OssServerOptions>;

/** Starts the local OSS server. */
export async function createOssServer(options: OssServerOptions = {}): Promise<OssServer> {
  const o = { ...defaults, ...options };
  const storage = await openStorage(o.dataDir, { fsync: o.fsync, buckets: o.buckets });
  const authority = createTokenAuthority({ rootSecret: o.accessKeySecret, now: o.now });
  const config: ServerConfig = {
    host: o.host, region: o.region, accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret,
    cors: [defaultCorsRule(o.corsOrigins)], callbackTimeoutMs: 5000,
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
  const deps: DispatchDeps = {
    config, storage, resolve, faults, log, now: o.now,
    sts: { rootAccessKeyId: o.accessKeyId, rootAccessKeySecret: o.accessKeySecret, authority, now: o.now },
  };
  const server: Server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 10_000 }, (req, res) => {
    // `/_local/` is the control endpoint only on the plain host; on `<bucket>.localhost` it is a key.
    const control = faults && log && req.url?.startsWith('/_local/') && hostBucket(req.headers.host) === undefined;
    const handled = control
      ? handleControl(req, res, { faults, log, authority, now: o.now })
      : dispatch(req, res, deps);
    // Last line of defence: a bug in a handler must cost one connection, never the process.
    handled.catch((error: unknown) => {
      console.error('[oss-local] unhandled failure:', error);
      res.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket, o.host));
  server.timeout = 120_000; // idle sockets (a stalled client) are closed after 2 minutes
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => done());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`, host: o.host, port, dataDir: storage.dataDir,
    accessKeyId: o.accessKeyId, accessKeySecret: o.accessKeySecret, sts: authority,
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}
