/**
 * Body framing of a request that carries both `Transfer-Encoding: chunked` and `Content-Length`.
 *
 * ali-oss's putStream sends both when a caller passes a `Content-Length` header rather than the
 * `contentLength` option (it adds `Transfer-Encoding: chunked` itself, and node:http frames the body
 * by it). RFC 9112 §6.3 says Transfer-Encoding overrides Content-Length, and RFC 9112 §6.1 lets a
 * server either refuse such a request or process it by the Transfer-Encoding alone, closing the
 * connection after answering. llhttp, node:http's parser, refuses it unless its
 * `LENIENT_CHUNKED_LENGTH` flag is set, and node:http only offers every lenient flag at once
 * (`insecureHTTPParser`), which would also accept bare LF line ends, control bytes in header
 * values, spaces after chunk sizes and more.
 *
 * So this module sets that one flag on each connection's parser ({@link frameChunkedOverLength}) and
 * finishes the job per request ({@link settleFraming}):
 * - the chunked coding frames the body (llhttp's own rule once the flag is set);
 * - `Content-Length` is removed from the request before anything reads it, so no size check or drain
 *   decision trusts a number that does not describe the body;
 * - the connection closes after the answer (RFC 9112 §6.1: MUST);
 * - the flag's one other effect in llhttp 9 — a request whose Transfer-Encoding does not end in
 *   `chunked` is read until the connection closes instead of being refused — is undone here: such a
 *   request gets the same 400 the parser gave before, and the connection closes.
 *
 * Why this is safe here: request smuggling (RFC 9112 §11.2) needs two HTTP processors that frame the
 * same bytes differently, such as a proxy honouring Content-Length in front of a server honouring the
 * chunked coding. This is a single-hop local development server with no proxy in front of it: llhttp
 * is the only parser, and it frames by the chunked coding. What stays strict is everything else llhttp
 * checks: Content-Length syntax and duplicates, `chunked` not last or repeated, chunk-size and
 * chunk-extension syntax, CR LF line ends, header bytes, the HTTP version.
 *
 * The flag is set through node:http internals (the connection's `parser`, its `initialize` arguments,
 * the server's connections list), checked before use; where they differ (another Node.js major), the
 * server keeps llhttp's strict default and such a request is refused with 400 as before.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { newRequestId } from './addressing.js';
import { sendError } from './error-answers.js';
import { OssError } from './errors.js';

/** The parts of node:http's internal llhttp binding used here. */
type ParserClass = { readonly REQUEST?: unknown; readonly kLenientChunkedLength?: unknown };
type ConnectionParser = { initialize?: unknown };

// `_http_common` is the module node:http itself is built on; its HTTPParser carries llhttp's lenient-flag constants.
const { HTTPParser } = createRequire(import.meta.url)('node:_http_common') as { HTTPParser?: ParserClass };

/** The final transfer coding is `chunked` (case-insensitive, optional whitespace), what llhttp frames as chunked. */
const chunkedLast = /(?:^|,)[\t ]*chunked[\t ]*$/i;

/**
 * Makes every connection of `server` accept `Transfer-Encoding: chunked` together with `Content-Length`,
 * framed by the chunked coding; nothing else about parsing changes. Call it before `listen`: the
 * listener must run after node:http's own `connection` listener, which the server registers when
 * it is created. Pair it with {@link settleFraming} on every request.
 *
 * @param maxHeaderBytes the server's `maxHeaderSize`, which re-initialising the parser must repeat.
 */
export function frameChunkedOverLength(server: Server, maxHeaderBytes: number): void {
  const request = HTTPParser?.REQUEST;
  const flag = HTTPParser?.kLenientChunkedLength;
  if (typeof request !== 'number' || typeof flag !== 'number') return;
  server.on('connection', (socket: Socket) => {
    const parser = (socket as Socket & { parser?: ConnectionParser | null }).parser;
    // The list node:http sweeps for headersTimeout/requestTimeout; it exists once the server listens.
    const key = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'http.server.connections');
    const connections: unknown = key === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[key];
    if (socket.destroyed || typeof parser?.initialize !== 'function' || typeof connections !== 'object' || connections === null) return;
    // The same arguments node:http passed a moment ago (no byte has been read yet), with one lenient flag.
    parser.initialize.call(parser, request, { type: 'HTTPINCOMINGMESSAGE', socket }, maxHeaderBytes, flag, connections);
  });
}

/**
 * Applies RFC 9112's framing rules to one request before anything reads it (see the module comment).
 * Answers and returns false when the request must be refused: a Transfer-Encoding that does not end in
 * `chunked` (400 InvalidRequest, as the parser answered it when strict).
 */
export function settleFraming(req: IncomingMessage, res: ServerResponse, hostId: string): boolean {
  const transferEncoding = req.headers['transfer-encoding'];
  if (transferEncoding === undefined) return true;
  if (!chunkedLast.test(transferEncoding)) {
    res.shouldKeepAlive = false;
    const requestId = newRequestId();
    res.setHeader('x-oss-request-id', requestId);
    res.setHeader('Server', 'AliyunOSS');
    sendError(res, req.method, new OssError(400, 'InvalidRequest', 'The request could not be parsed (HPE_INVALID_TRANSFER_ENCODING).'), requestId, hostId);
    return false;
  }
  if (req.headers['content-length'] !== undefined) {
    delete req.headers['content-length'];
    res.shouldKeepAlive = false;
  }
  return true;
}
