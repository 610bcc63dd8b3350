/**
 * How a handler answers when it succeeds: an XML document or an empty body, always with a
 * `Content-Length` (errors go through the dispatcher, error-answers.ts).
 */
import type { Context } from '../context.js';
import { renderXml, type XmlElement } from '../xml.js';

/** Sends an XML document. */
export function sendXml(ctx: Context, root: string, children: XmlElement, headers: Record<string, string> = {}, status = 200): void {
  const body = renderXml(root, children);
  ctx.response.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  ctx.response.end(body);
}

/** Sends a response without a body. */
export function sendEmpty(ctx: Context, status: number, headers: Record<string, string> = {}): void {
  ctx.response.writeHead(status, { ...headers, 'Content-Length': 0 });
  ctx.response.end();
}
