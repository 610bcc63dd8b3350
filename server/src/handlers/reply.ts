/**
 * Answers a successful write, running the upload callback first when one was asked for: the
 * callback server's JSON comes back with 200, a failed callback becomes 203 CallbackFailed (the
 * object stays stored), exactly as OSS does (docs/protocol.md §5).
 */
import { runCallback, type CallbackConfig, type CallbackObject } from '../callback.js';
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { renderError } from '../xml.js';

/** Sends `success()` (or the callback's answer) with `headers`. */
export async function replyAfterWrite(
  ctx: Context,
  callback: CallbackConfig | undefined,
  object: CallbackObject,
  headers: Record<string, string>,
  success: () => void,
): Promise<void> {
  if (!callback) return success();
  const answer = await runCallback(callback, object, ctx.config.callbackTimeoutMs);
  if (answer.ok) {
    ctx.response.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': answer.body.length });
    ctx.response.end(answer.body);
    return;
  }
  const error = errors.callbackFailed(answer.message);
  const body = renderError(error, ctx.request.requestId, ctx.hostId);
  ctx.response.writeHead(203, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body), 'x-oss-ec': error.ec ?? '' });
  ctx.response.end(body);
}
