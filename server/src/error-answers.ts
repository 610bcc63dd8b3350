/**
 * Error answers outside the normal handler flow: an OSS `<Error>` document for a failed request,
 * and for sockets node:http will not hand to a handler (parser errors, CONNECT), written raw —
 * never Node's bare `400`, and never a reset before the client has read the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { newRequestId } from './addressing.js';
import { errors, OssError } from './errors.js';
import { InjectedFault } from './faults.js';
import { ClientGoneError } from './request-body.js';
import { renderError } from './xml.js';

/** Whether the failure is the client going away (or a `drop`/`stall` fault), which needs no answer. */
export function isClientGone(req: IncomingMessage, error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (req.socket?.destroyed ?? true) || req.readableAborted || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    error instanceof ClientGoneError || error instanceof InjectedFault;
}

/** Renders an OSS error answer; exported for the HTTP parser's `clientError` path. */
export function sendError(res: ServerResponse, method: string | undefined, error: OssError, requestId: string, hostId: string): void {
  const xml = renderError(error, requestId, hostId);
  const headers: Record<string, string | number> = { 'Content-Type': 'application/xml' };
  if (error.ec) headers['x-oss-ec'] = error.ec;
  if (error.extras['ServerTime']) headers['x-oss-server-time'] = error.extras['ServerTime']; // §1.2, RequestTimeTooSkewed
  if (method === 'HEAD') {
    res.writeHead(error.status, { ...headers, 'x-oss-err': Buffer.from(xml).toString('base64'), 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(error.status, { ...headers, 'Content-Length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** Sockets already answered by {@link answerRaw}; later parser errors on them are ignored. */
const answeredSockets = new WeakSet<Duplex>();
/** Sockets that have carried at least one parsed request. */
export const usedSockets = new WeakSet<Duplex>();

/**
 * Each socket's unfinished responses, oldest first. node:http answers pipelined requests in turn,
 * so the first one is the answer on the wire (or the next to go out): the one a parser error on
 * that socket must not cut into.
 */
const unfinishedResponses = new WeakMap<Duplex, ServerResponse[]>();

/** Tracks a request's response until it finishes or closes; call it for every request node:http hands over. */
export function trackResponse(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as Duplex | null;
  if (!socket) return;
  let unfinished = unfinishedResponses.get(socket);
  if (!unfinished) unfinishedResponses.set(socket, (unfinished = []));
  unfinished.push(res);
  const settle = (): void => {
    const at = unfinished.indexOf(res);
    if (at >= 0) unfinished.splice(at, 1);
  };
  res.once('finish', settle);
  res.once('close', settle);
}

/**
 * Writes an OSS error straight to a socket node:http will not hand to a request handler, then
 * closes it — lingering for `lingerMs` so a client still sending its request reads the answer
 * instead of a reset. The document goes in the body (none for a known HEAD) and, base64, in
 * `x-oss-err`, because the method may not be known and a HEAD client reads only the header.
 */
export function answerRaw(socket: Duplex, failure: OssError, reason: string, hostId: string, lingerMs: number, head = false): void {
  answeredSockets.add(socket);
  const requestId = newRequestId();
  const xml = renderError(failure, requestId, hostId);
  const body = head ? '' : xml;
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 ${failure.status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `x-oss-request-id: ${requestId}\r\nx-oss-err: ${Buffer.from(xml).toString('base64')}\r\n${failure.ec ? `x-oss-ec: ${failure.ec}\r\n` : ''}` +
    `Server: AliyunOSS\r\nConnection: close\r\n\r\n${body}`);
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Answers a request Node's HTTP parser refused (bad request line, header bytes, oversized headers,
 * headers not complete within `headersTimeout`) with an OSS error document instead of Node's bare
 * status line. A connection whose answer has already started (a broken chunked body under a
 * streaming response) can only be dropped.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, hostId: string, lingerMs = 1000): void {
  if (answeredSockets.has(socket)) return;
  if (!socket.writable || error.code === 'ECONNRESET' || error.code === 'EPIPE') return void socket.destroy();
  const inFlight = unfinishedResponses.get(socket)?.[0];
  if (inFlight && !inFlight.writableFinished) {
    // An answer already on the wire cannot be followed by another: the connection goes.
    if (inFlight.headersSent) return void socket.destroy();
  }
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete) {
    // Junk pipelined behind a request still being answered: answer that one first, then this.
    // (Junk inside the in-flight request's own body is answered at once; its handler's answer is dropped.)
    answeredSockets.add(socket);
    inFlight.once('finish', () => {
      answeredSockets.delete(socket);
      setImmediate(() => answerClientError(error, socket, hostId, lingerMs));
    });
    inFlight.once('close', () => {
      if (!inFlight.writableFinished) socket.destroy();
    });
    return;
  }
  const oversized = error.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const failure = oversized
    ? errors.requestHeaderTooLarge()
    : timedOut ? new OssError(408, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.')
      : new OssError(400, 'InvalidRequest', `The request could not be parsed (${error.code ?? 'bad request'}).`);
  // The parser hands over the bytes it choked on; when they start with the connection's first
  // request line, a HEAD gets its answer without a body (a HEAD client would take one for the next
  // response). After an earlier request the bytes may start with that one instead: no guess then.
  const raw = (error as NodeJS.ErrnoException & { rawPacket?: unknown }).rawPacket;
  const head = Buffer.isBuffer(raw) && raw.subarray(0, 5).toString('latin1') === 'HEAD ' && !usedSockets.has(socket);
  answerRaw(socket, failure, oversized ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request', hostId, lingerMs, head);
}
