/**
 * Stall detection: an attempt is given up when nothing moved for the stall timeout,
 * never for being slow. "Moved" means a byte of the request body went out or a byte of the answer
 * came in. Browsers report both through XMLHttpRequest (xhr-fetch.ts). Where nothing reports upload
 * progress (Node's fetch), the body's share of the time is derived from the throughput this
 * transport has seen: the attempt may take the stall timeout plus twice as long as its body takes
 * at that rate, and each retry of it doubles that allowance, so a slow link that keeps moving still
 * gets its part through.
 */

/** An attempt gave up because nothing moved for too long (internal; the transport maps it to `OssNetworkError`). */
export class StallError extends Error {
  override readonly name = 'StallError';
  /** How long nothing moved before the attempt was given up, in ms. */
  readonly idleMs: number;

  constructor(idleMs: number, detail: string) {
    super(`nothing moved for ${formatSeconds(idleMs)} (${detail})`);
    this.idleMs = idleMs;
  }
}

/** `12.3 s`, `4 min 5 s`: a duration for messages. */
export function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 100) / 10;
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** A timer that fires once `limitMs` pass without a `kick()`; a kick may set a new limit. */
export type Watchdog = { kick(limitMs?: number): void; stop(): void };

/** Starts a {@link Watchdog} that calls `fire` with the idle time. */
export function startWatchdog(limitMs: number, fire: (idleMs: number) => void): Watchdog {
  let last = Date.now();
  let limit = limitMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (wait: number) => {
    timer = setTimeout(() => {
      // Kicks only move `last`; the timer re-arms itself for the remainder, so a chatty progress
      // stream costs no timer churn, and a timer that fires late (a busy page) is measured, not assumed.
      const idle = Date.now() - last;
      if (idle >= limit) fire(idle);
      else arm(limit - idle);
    }, wait);
  };
  arm(limit);
  return {
    kick(next) {
      last = Date.now();
      if (next !== undefined && next < limit) {
        clearTimeout(timer);
        arm(next);
      }
      if (next !== undefined) limit = next;
    },
    stop: () => clearTimeout(timer),
  };
}

/** Upload throughput below this is not assumed before any has been measured (64 KiB/s, 512 kbit/s). */
const assumedBytesPerSecond = 64 * 1024;
/** Bodies smaller than this say more about latency than about throughput, so they are not measured. */
const measurableBytes = 64 * 1024;

/**
 * The upload throughput one transport has seen, per request (parallel requests share the link, so
 * each request's own rate is what the next one can expect), as an exponentially weighted average.
 */
export type ThroughputMemory = {
  /** A body of `bytes` took `ms` from the start of the attempt to its answer. */
  record(bytes: number, ms: number): void;
  /** How long an attempt (number `attempt`, 1-based) with a body of `bytes` may take when nothing reports progress. */
  allowanceMs(bytes: number, attempt: number, stallMs: number): number;
};

/** Creates an empty {@link ThroughputMemory}. */
export function createThroughputMemory(): ThroughputMemory {
  let rate: number | undefined;
  return {
    record(bytes, ms) {
      if (bytes < measurableBytes || ms <= 0) return;
      const sample = (bytes * 1000) / ms;
      rate = rate === undefined ? sample : 0.7 * rate + 0.3 * sample;
    },
    allowanceMs(bytes, attempt, stallMs) {
      const expectedMs = (bytes * 1000) / (rate ?? assumedBytesPerSecond);
      return Math.ceil(stallMs + 2 * expectedMs * 2 ** Math.min(attempt - 1, 10));
    },
  };
}
