/**
 * Reading request bodies: chunk by chunk without losing the chance to answer (dispatch.ts hands
 * handlers the body this way), and whole for the small documents some operations carry (XML,
 * forms, JSON), with a size limit. How fast a body must arrive is pacing.ts's business.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from './context.js';

/**
 * The most unread request body the server swallows to deliver an answer on a connection it keeps:
 * node:http drains a finished answer's unread remainder up to this (pacing.ts cuts the socket
 * beyond it), and {@link readLimited} reads an undeclared oversize up to this past its limit.
 * Beyond it, reading costs more than a new connection: the connection is closed instead.
 */
export const drainLimitBytes = 64 * 1024 * 1024;

/**
 * A body that ended before it was complete: the client went away (or its socket was destroyed).
 * Typed so the dispatcher can tell it from a failure that deserves an answer.
 */
export class ClientGoneError extends Error {
  constructor() {
    super('aborted');
    this.name = 'ClientGoneError';
  }
}

/** Whether the request announces a body (a Content-Length above 0, or chunked transfer coding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads a request body chunk by chunk until it ends, the client goes away ({@link ClientGoneError}),
 * or `signal` aborts (then it throws the signal's reason). Unlike `for await (… of req)`, stopping
 * early does not destroy the request, so the server can still answer with an OSS error.
 */
export async function* readBody(req: IncomingMessage, signal: AbortSignal): AsyncGenerator<Buffer> {
  for (;;) {
    if (signal.aborted) throw signal.reason;
    if (req.errored) throw req.errored;
    const chunk = req.read() as Buffer | null;
    if (chunk !== null) {
      yield chunk;
      continue;
    }
    if (req.readableEnded) return;
    if (req.destroyed) throw new ClientGoneError();
    await nextChunk(req, signal);
  }
}

function nextChunk(req: IncomingMessage, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: unknown): void => {
      req.off('readable', onReady);
      req.off('end', onReady);
      req.off('error', onError);
      req.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = (): void => settle();
    const onError = (error: unknown): void => settle(error);
    const onClose = (): void => settle(req.readableEnded ? undefined : (req.errored ?? new ClientGoneError()));
    const onAbort = (): void => settle(signal.reason);
    req.on('readable', onReady);
    req.on('end', onReady);
    req.on('error', onError);
    req.on('close', onClose);
    signal.addEventListener('abort', onAbort);
  });
}

/**
 * Reads a body that must be small (XML, forms, JSON). A declared oversize is refused before reading
 * (the dispatcher then drains or closes, see dispatch.ts `settleUnreadBody`). An undeclared (chunked)
 * oversize is read to its end and discarded so the client, still sending, sees the error — unless it
 * is abusively large ({@link drainLimitBytes} past the limit), then reading stops and the connection
 * is closed after the answer.
 */
export async function readLimited(body: AsyncIterable<Buffer>, declaredLength: string | undefined, limitBytes: number, tooLarge: () => Error): Promise<Buffer> {
  if (Number(declaredLength ?? '0') > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size <= limitBytes) chunks.push(chunk);
    else if (size > limitBytes + drainLimitBytes) break;
  }
  if (size > limitBytes) throw tooLarge();
  return Buffer.concat(chunks);
}

/** Reads a handler's small request body as UTF-8 text; see {@link readLimited}. */
export async function readSmallBody(ctx: Context, limitBytes: number, tooLarge: () => Error): Promise<string> {
  return (await readLimited(ctx.body, ctx.request.headers['content-length'], limitBytes, tooLarge)).toString('utf8');
}
