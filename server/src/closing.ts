/**
 * Closing a connection without losing the answer: a request the server will not read to its end
 * (refused, cut for slowness, too large to drain) is answered with `Connection: close`, and the
 * socket then lingers so the client, possibly still sending, reads that answer instead of a reset.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Makes node:http answer with `Connection: close` (only before the answer has started). */
export function closeAfterResponse(res: ServerResponse): void {
  if (!res.headersSent) res.shouldKeepAlive = false;
}

/**
 * Lingering close: node:http ends every `Connection: close` exchange (asked for by the client or by
 * {@link closeAfterResponse}) with `socket.destroySoon()`, which destroys the socket as soon as the
 * answer is flushed. Unread request bytes then make the kernel send a reset that can overtake the
 * answer, and a client still busy uploading sees ECONNRESET instead of the OSS error. This socket
 * half-closes instead and keeps reading (and discarding) for up to `lingerMs`, or until the client
 * closes its side, before it is destroyed.
 */
export function lingerOnClose(socket: Socket, lingerMs: number): void {
  socket.destroySoon = function lingeringClose(this: Socket): void {
    if (this.destroyed) return;
    this.end();
    const timer = setTimeout(() => this.destroy(), lingerMs);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
