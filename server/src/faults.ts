/**
 * Deterministic fault injection (enabled with `--faults`). Tests register rules over the control
 * endpoint; each matching request is counted, and the Nth one (for `times` requests) fails with a
 * chosen status and OSS code, is delayed, or has its socket dropped after some body bytes. Rules
 * with a `probability` draw from a seeded generator so a chaos run can be replayed from its seed.
 */

/**
 * What a rule does to a request it fires on: answer an error, wait before handling it, drop the
 * socket after some body bytes, or `stall`: accept the request, then read and answer nothing (a
 * dead link as the client sees it) for `holdMs`, then destroy the socket. (A client that gives up
 * closes its side, but the server notices only when it reads past the unread body, so the hold ends
 * early only on a socket error.)
 */
export type FaultAction = 'error' | 'delay' | 'drop' | 'stall';

/** A rule as posted to `POST /_local/faults`. */
export type FaultRule = {
  /** Operation name, e.g. `UploadPart`; omitted = any. */
  readonly op?: string;
  /** Exact object key; omitted = any. */
  readonly key?: string;
  readonly partNumber?: number;
  /** Fire starting with the Nth matching request. @default 1 */
  readonly nth?: number;
  /** How many times to fire; 0 = unlimited. @default 1 */
  readonly times?: number;
  /** Fire on each matching request with this probability instead of by count. */
  readonly probability?: number;
  readonly action: FaultAction;
  /** For `error`. @default 503 */
  readonly status?: number;
  /** For `error`. @default 'ServiceUnavailable' */
  readonly code?: string;
  readonly message?: string;
  /** For `delay` (before the request is handled), in ms. @default 1000 */
  readonly delayMs?: number;
  /** For `drop`: body bytes read before the socket is destroyed. @default 0 */
  readonly afterBytes?: number;
  /** For `stall`: how long the request is held before its socket is destroyed, in ms. @default 600000 */
  readonly holdMs?: number;
};

type ActiveRule = FaultRule & { readonly id: number; seen: number; fired: number };

/**
 * What a `drop` or `stall` fault throws after destroying the socket, to end the request's handling.
 * Its own type so the dispatcher knows there is nobody left to answer, rather than a failure to report.
 */
export class InjectedFault extends Error {
  constructor(what: string) {
    super(`fault: ${what}`);
    this.name = 'InjectedFault';
  }
}

/** Rule registry and matcher. */
export class Faults {
  #rules: ActiveRule[] = [];
  #nextId = 1;
  #random: () => number = mulberry32(1);

  /** Adds rules; returns their ids. */
  add(rules: readonly FaultRule[]): number[] {
    return rules.map((rule) => {
      validateRule(rule);
      const active: ActiveRule = { ...rule, id: this.#nextId++, seen: 0, fired: 0 };
      this.#rules.push(active);
      return active.id;
    });
  }

  /** Re-seeds the generator used by probabilistic rules. */
  seed(seed: number): void {
    this.#random = mulberry32(seed);
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** Rules with their counters. */
  list(): readonly ActiveRule[] {
    return this.#rules;
  }

  /** The rule that fires for this request, if any (counters advance as a side effect). */
  match(op: string, key: string | undefined, partNumber: number | undefined): FaultRule | undefined {
    for (const rule of this.#rules) {
      if (rule.op !== undefined && rule.op !== op) continue;
      if (rule.key !== undefined && rule.key !== key) continue;
      if (rule.partNumber !== undefined && rule.partNumber !== partNumber) continue;
      rule.seen++;
      const times = rule.times ?? 1;
      if (times !== 0 && rule.fired >= times) continue;
      const fires = rule.probability !== undefined ? this.#random() < rule.probability : rule.seen >= (rule.nth ?? 1);
      if (!fires) continue;
      rule.fired++;
      return rule;
    }
    return undefined;
  }
}

function validateRule(rule: FaultRule): void {
  if (!['error', 'delay', 'drop', 'stall'].includes(rule.action)) throw new TypeError(`Unknown fault action ${String(rule.action)}`);
  if (rule.status !== undefined && (!Number.isInteger(rule.status) || rule.status < 200 || rule.status > 599)) {
    throw new RangeError(`Fault status must be an HTTP status, got ${rule.status}`);
  }
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
    throw new RangeError(`Fault probability must be within [0, 1], got ${rule.probability}`);
  }
  if (rule.delayMs !== undefined && !(rule.delayMs >= 0 && rule.delayMs <= 600_000)) {
    throw new RangeError(`Fault delayMs must be within [0, 600000], got ${rule.delayMs}`);
  }
  if (rule.holdMs !== undefined && !(rule.holdMs >= 0 && rule.holdMs <= 600_000)) {
    throw new RangeError(`Fault holdMs must be within [0, 600000], got ${rule.holdMs}`);
  }
}

/** Small seeded PRNG (mulberry32), enough for replayable chaos. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
