/**
 * Slow and greedy clients: request timeouts, so a slowloris cannot hold every socket.
 *
 * node:http bounds the request line and headers itself (`headersTimeout`, server.ts). What it
 * cannot bound without also capping honest multi-gigabyte uploads is the body, so {@link BodyPacing}
 * watches every request body the way Apache's mod_reqtimeout does (`body=20,MinRate=500`):
 *
 * - a body that stops arriving for `idleTimeoutMs` while the server waits for it is cut;
 * - after a grace of `idleTimeoutMs`, a body must average `minBytesPerSecond` over the time the
 *   server spent waiting for it, so a 1-byte-per-second trickle is cut however steady it is.
 *
 * Time during which the server itself is not reading (bytes are buffered in the request stream
 * because a handler is busy, or the disk applies backpressure) is not held against the client.
 * A body cut while a handler reads it fails that read with `400 RequestTimeout`, which the
 * dispatcher answers as an OSS `<Error>` before closing the connection; a body that trickles after
 * the response was sent (node:http drains unread bodies) just loses its socket.
 *
 * {@link ConnectionGuard} caps the connections one client address may hold; requests on further
 * connections are answered `503 ActiveRequestLimitExceeded` (the OSS code for too many concurrent
 * requests) and the connection is closed, so one client cannot take every socket from the others.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errors } from './errors.js';
import { hasBody } from './request-body.js';

/** Limits of {@link BodyPacing}. */
export type BodyPacingOptions = {
  /** A body with no byte arriving for this long (while the server waits for it) is cut; also the grace before the rate applies. */
  readonly idleTimeoutMs: number;
  /** Average rate a body must keep after the grace, in bytes per second of waiting; 0 disables the rate rule. */
  readonly minBytesPerSecond: number;
  /** A finished response's unread request body is drained (node:http keeps the connection) for at most this many bytes. */
  readonly drainLimitBytes: number;
};

type Watched = {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly controller: AbortController;
  /** `socket.bytesRead` when the request arrived (headers included; the slack is harmless). */
  readonly baseBytes: number;
  lastBytes: number;
  /** Total time the server waited for body bytes with nothing buffered. */
  waitedMs: number;
  /** Waiting time since the last byte arrived. */
  idleMs: number;
  /** `socket.bytesRead` when the response finished, while the rest of the body is drained. */
  finishedAtBytes: number | undefined;
};

/** Watches request bodies; one sweep timer per server. */
export class BodyPacing {
  readonly #options: BodyPacingOptions;
  readonly #watched = new Set<Watched>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;

  constructor(options: BodyPacingOptions) {
    this.#options = options;
    this.#tickMs = Math.min(1000, Math.max(25, Math.floor(options.idleTimeoutMs / 8)));
  }

  /**
   * Starts watching a request's body; returns the signal that aborts (with a RequestTimeout
   * OssError as its reason) when the body is too slow. Requests without a body are not watched.
   */
  watch(req: IncomingMessage, res: ServerResponse): AbortSignal {
    const controller = new AbortController();
    if (req.complete || !hasBody(req) || this.#options.idleTimeoutMs <= 0) return controller.signal;
    const socket = req.socket;
    const entry: Watched = {
      req, res, controller, baseBytes: socket.bytesRead, lastBytes: socket.bytesRead, waitedMs: 0, idleMs: 0, finishedAtBytes: undefined,
    };
    res.once('finish', () => {
      entry.finishedAtBytes = socket.bytesRead;
    });
    this.#watched.add(entry);
    if (this.#timer === undefined) {
      this.#lastTick = performance.now();
      this.#timer = setInterval(() => this.#sweep(), this.#tickMs);
      this.#timer.unref();
    }
    return controller.signal;
  }

  /** Largest unread remainder node:http may drain after an answer instead of closing the connection. */
  get drainLimitBytes(): number {
    return this.#options.drainLimitBytes;
  }

  /** Stops the sweep timer (server close). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#watched.clear();
  }

  #sweep(): void {
    // Elapsed time between sweeps, not a time of day: a monotonic clock, not the server's `now`
    // (a test that fixes or shifts that clock must not stop bodies from being paced).
    const now = performance.now();
    const elapsed = now - this.#lastTick;
    this.#lastTick = now;
    const { idleTimeoutMs, minBytesPerSecond, drainLimitBytes } = this.#options;
    for (const entry of this.#watched) {
      const req = entry.req;
      const socket = req.socket as Socket | null;
      if (req.complete || !socket || socket.destroyed) {
        this.#watched.delete(entry);
        continue;
      }
      const bytes = socket.bytesRead;
      if (entry.finishedAtBytes !== undefined && bytes - entry.finishedAtBytes > drainLimitBytes) {
        // The answer is out and the client keeps sending more than is worth draining.
        this.#cut(entry);
        continue;
      }
      const progressed = bytes !== entry.lastBytes;
      entry.lastBytes = bytes;
      if (req.readableLength > 0) {
        // Bytes are waiting for the server, not the other way round.
        entry.idleMs = 0;
        continue;
      }
      entry.waitedMs += elapsed;
      entry.idleMs = progressed ? 0 : entry.idleMs + elapsed;
      const owed = minBytesPerSecond > 0 ? (minBytesPerSecond * (entry.waitedMs - idleTimeoutMs)) / 1000 : 0;
      if (entry.idleMs >= idleTimeoutMs || owed > bytes - entry.baseBytes) this.#cut(entry);
    }
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #cut(entry: Watched): void {
    this.#watched.delete(entry);
    entry.controller.abort(errors.requestTimeout());
    // Once an answer has started there is nothing left to say: the socket goes.
    if (entry.res.headersSent) entry.req.socket?.destroy();
  }
}

/** Per-client connection caps (see the module comment). */
export class ConnectionGuard {
  readonly #maxPerClient: number;
  readonly #open = new Map<string, number>();
  readonly #overCap = new WeakSet<Socket>();

  constructor(maxPerClient: number) {
    this.#maxPerClient = maxPerClient;
  }

  /** Counts a new connection (call from the server's `connection` event). */
  admit(socket: Socket): void {
    const client = socket.remoteAddress ?? 'unknown';
    const open = (this.#open.get(client) ?? 0) + 1;
    this.#open.set(client, open);
    if (this.#maxPerClient > 0 && open > this.#maxPerClient) this.#overCap.add(socket);
    socket.once('close', () => {
      const left = (this.#open.get(client) ?? 1) - 1;
      if (left <= 0) this.#open.delete(client);
      else this.#open.set(client, left);
    });
  }

  /** Whether requests on this connection must be refused. */
  refuses(socket: Socket | null): boolean {
    return socket !== null && this.#overCap.has(socket);
  }
}
