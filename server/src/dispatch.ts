/**
 * One request, start to finish: addressing → CORS preflight or STS → operation → signature →
 * bucket → policy → fault injection → handler; any failure becomes an OSS `<Error>` document with
 * the right status (HEAD errors carry it base64-encoded in `x-oss-err`, docs/protocol.md §1.2).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId, parseRequest } from './addressing.js';
import { authenticate } from './auth/authenticate.js';
import { authorize } from './auth/authorize.js';
import type { CredentialResolver } from './auth/types.js';
import { closeAfterResponse } from './closing.js';
import { hostIdOf, type Context, type ServerConfig } from './context.js';
import { answerPreflight, decorateResponse, type CorsConfiguration } from './cors.js';
import { errors, OssError } from './errors.js';
import { InjectedFault, type Faults, type FaultRule } from './faults.js';
import { handlers } from './handlers/index.js';
import { keyAuthorized, ramActions, resolveOperation, type Operation } from './operations.js';
import type { BodyPacing, ConnectionGuard } from './pacing.js';
import { readBody } from './request-body.js';
import type { RequestLog, RequestLogNote } from './request-log.js';
import { queryValue, type OssRequest } from './request.js';
import type { Storage } from './storage/storage.js';
import type { StsDependencies } from './sts/assume-role.js';
import { answerSts, isStsCall } from './sts/http.js';
import { isClientGone, sendError, usedSockets } from './error-answers.js';

/** Everything the dispatcher needs, fixed when the server starts. */
export type DispatchDeps = {
  readonly config: ServerConfig;
  readonly storage: Storage;
  readonly resolve: CredentialResolver;
  readonly sts: StsDependencies;
  readonly faults: Faults | undefined;
  readonly log: RequestLog | undefined;
  readonly now: () => number;
  /** Cuts stalled and trickling request bodies (pacing.ts). */
  readonly pacing: BodyPacing;
  /** Per-client connection caps (pacing.ts). */
  readonly guard: ConnectionGuard;
};

/** How the request arrived. */
export type DispatchOptions = {
  /** `Expect: 100-continue` was sent: `100 Continue` goes out only when a handler starts reading the body. */
  readonly expectsContinue?: boolean;
};

/** Per-request facts gathered for the request log. */
type Trace = {
  op: string; request: OssRequest | undefined; status: number; code: string | undefined; bytesIn: number; fault: string | undefined; note: RequestLogNote;
};

/** Wraps the body so a `drop` fault destroys the socket after `afterBytes`, and counts bytes. */
async function* meteredBody(req: IncomingMessage, input: AsyncIterable<Buffer>, trace: Trace, dropAfter: number | undefined): AsyncGenerator<Buffer> {
  if (dropAfter === 0) {
    req.socket.destroy();
    throw new InjectedFault('socket dropped');
  }
  for await (const chunk of input) {
    trace.bytesIn += chunk.length;
    if (dropAfter !== undefined && trace.bytesIn >= dropAfter) {
      req.socket.destroy();
      throw new InjectedFault('socket dropped mid-body');
    }
    yield chunk;
  }
}

/** Resolves after `maxMs`, or earlier when the request's socket closes (an error: a paused socket never reads the client's FIN). */
function untilClosed(req: IncomingMessage, maxMs: number): Promise<void> {
  const socket = req.socket;
  if (!socket || socket.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    socket.once('close', done);
  });
}

async function runOperation(
  req: IncomingMessage, res: ServerResponse, deps: DispatchDeps, trace: Trace, request: OssRequest, input: AsyncIterable<Buffer>,
): Promise<void> {
  const op: Operation = resolveOperation(request);
  trace.op = op;
  const { bucket, key } = request;
  // OSS reports a missing bucket even to unsigned requests, so this comes before the signature.
  if (bucket !== undefined && !(await deps.storage.objects.buckets()).includes(bucket)) throw errors.noSuchBucket(bucket);
  const principal = authenticate(request, { resolve: deps.resolve, now: deps.now, region: deps.config.region });
  const partNumber = Number(queryValue(request, 'partNumber')) || undefined;
  const fault: FaultRule | undefined = deps.faults?.match(op, key || undefined, partNumber);
  const ctx: Context = {
    request, response: res, storage: deps.storage, config: deps.config, principal, op,
    body: meteredBody(req, input, trace, fault?.action === 'drop' ? (fault.afterBytes ?? 0) : undefined),
    origin: request.headers['host'] ?? deps.config.host,
    hostId: hostIdOf(request, request.headers['host'] ?? deps.config.host),
    note: (note) => {
      trace.note = { ...trace.note, ...note };
    },
    now: deps.now,
  };
  if (!keyAuthorized.has(op)) authorize(principal, ramActions[op], bucket ?? '*', key || undefined);
  if (fault) {
    trace.fault = fault.action;
    // A request without a body (GET, HEAD, Initiate, …) never reads one, so drop its socket now.
    const hasBody = Number(request.headers['content-length'] ?? '0') > 0 || request.headers['transfer-encoding'] !== undefined;
    if (fault.action === 'drop' && (!hasBody || (fault.afterBytes ?? 0) === 0)) {
      req.socket?.destroy();
      throw new InjectedFault('socket dropped');
    }
    if (fault.action === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    if (fault.action === 'stall') {
      await untilClosed(req, fault.holdMs ?? 600_000);
      req.socket?.destroy();
      throw new InjectedFault('stalled');
    }
    if (fault.action === 'error') {
      throw new OssError(fault.status ?? 503, fault.code ?? 'ServiceUnavailable', fault.message ?? 'Injected fault: the service is unavailable.');
    }
  }
  await handlers[op](ctx);
}

/**
 * Decides what happens to a request body the handler did not read to its end, before an error is
 * answered: node:http drains a modest remainder and keeps the connection (what browsers and SDKs
 * cope with best, e.g. a part refused with SecurityTokenExpired mid-body), but a body that was cut
 * for slowness, a chunked or huge remainder, a refused connection, or an `Expect: 100-continue`
 * body never asked for, ends the connection (a lingering close, closing.ts, so the answer is read).
 */
function settleUnreadBody(req: IncomingMessage, res: ServerResponse, deps: DispatchDeps, state: BodyState, trace: Trace): void {
  if (req.complete && !state.refused) return;
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  const modest = Number.isFinite(declared) && declared - trace.bytesIn <= deps.pacing.drainLimitBytes;
  if (state.refused || state.signal.aborted || (state.expectsContinue && !state.continued) || !modest) closeAfterResponse(res);
}

/** What dispatch knows about the request body. */
type BodyState = {
  readonly signal: AbortSignal;
  readonly expectsContinue: boolean;
  continued: boolean;
  refused: boolean;
};

/** The request body as handlers read it: paced, and asking for it with `100 Continue` when the client waits for that. */
async function* requestBody(req: IncomingMessage, res: ServerResponse, state: BodyState): AsyncGenerator<Buffer> {
  if (state.expectsContinue && !state.continued && !res.headersSent) {
    state.continued = true;
    res.writeContinue();
  }
  yield* readBody(req, state.signal);
}

/**
 * The CORS configuration a request is answered with: its bucket's (undefined when the bucket has
 * none, as after DeleteBucketCors), or the start configuration when it reaches no known bucket.
 */
function corsFor(deps: DispatchDeps, request: OssRequest): CorsConfiguration | undefined {
  const { bucket } = request;
  return bucket !== undefined && deps.storage.cors.known(bucket) ? deps.storage.cors.get(bucket) : deps.config.cors;
}

/** Handles one OSS or STS request. */
export async function dispatch(req: IncomingMessage, res: ServerResponse, deps: DispatchDeps, options: DispatchOptions = {}): Promise<void> {
  const requestId = newRequestId();
  const startedAt = performance.now();
  if (req.socket) usedSockets.add(req.socket);
  deps.log?.begin();
  const trace: Trace = { op: 'Unknown', request: undefined, status: 0, code: undefined, bytesIn: 0, fault: undefined, note: {} };
  const state: BodyState = { signal: deps.pacing.watch(req, res), expectsContinue: options.expectsContinue ?? false, continued: false, refused: false };
  const input = requestBody(req, res, state);
  // A handler that stopped reading early leaves the rest of the body: node:http only drains bodies
  // nobody touched, so drain it here once the answer is out (pacing still cuts a trickle).
  res.once('finish', () => {
    if (!req.readableEnded && !req.destroyed) req.resume();
    if (state.expectsContinue && !state.continued && !req.complete) req.socket?.destroySoon();
  });
  res.setHeader('x-oss-request-id', requestId);
  res.setHeader('Server', 'AliyunOSS');
  res.setHeader('Date', new Date(deps.now()).toUTCString());
  // Until the bucket is known (a request refused while parsed has none), the start rules apply.
  if (req.method !== 'OPTIONS') decorateResponse(deps.config.cors, req.headers, req.method ?? 'GET', res);
  try {
    if (deps.guard.refuses(req.socket)) {
      state.refused = true;
      throw errors.activeRequestLimitExceeded();
    }
    const request = parseRequest(req, requestId);
    trace.request = request;
    const cors = corsFor(deps, request);
    if (request.method !== 'OPTIONS') decorateResponse(cors, req.headers, request.method, res);
    if (request.method === 'OPTIONS') {
      trace.op = 'Options';
      answerPreflight(cors, req.headers, res);
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
    } else if (isStsCall(request)) {
      trace.op = 'AssumeRole';
      await answerSts(request, res, deps.sts, meteredBody(req, input, trace, undefined));
    } else {
      await runOperation(req, res, deps, trace, request, input);
    }
  } catch (caught) {
    if (caught instanceof OssError) trace.code = caught.code;
    const host = req.headers.host ?? deps.config.host;
    // HostId names the bucket's host, as OSS does (`<bucket>.<endpoint>`).
    const hostId = hostIdOf(trace.request, host);
    if (res.headersSent || isClientGone(req, caught)) {
      res.destroy();
    } else if (caught instanceof OssError) {
      settleUnreadBody(req, res, deps, state, trace);
      sendError(res, req.method, caught, requestId, hostId);
    } else {
      console.error(`[oss-local] ${requestId} internal error:`, caught);
      settleUnreadBody(req, res, deps, state, trace);
      sendError(res, req.method, errors.internal(), requestId, hostId);
    }
  } finally {
    trace.status = res.statusCode;
    const r = trace.request;
    deps.log?.add({
      time: new Date(deps.now()).toISOString(), requestId, method: req.method ?? '', op: trace.op, bucket: r?.bucket, key: r?.key || undefined,
      uploadId: r ? queryValue(r, 'uploadId') : undefined, partNumber: r ? Number(queryValue(r, 'partNumber')) || undefined : undefined,
      status: (req.socket?.destroyed ?? true) && !res.writableFinished ? 0 : trace.status, code: trace.code, bytesIn: trace.bytesIn, fault: trace.fault,
      ms: Math.round(performance.now() - startedAt), ...trace.note,
    });
    deps.log?.end();
  }
}
