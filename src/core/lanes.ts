/**
 * Adaptive parallelism (pure; time comes in as arguments). How many parts an upload keeps in
 * flight is found by measuring, not guessed: more parts in flight only help where one request
 * cannot fill the link (a long fat pipe, a per-connection limit, CPU-bound servers); where the
 * link is the bottleneck they only add lost work on a drop and delay every acknowledgement.
 *
 * The policy (documented in the README, "Slow and distant links"):
 * - start with `floor` lanes: two (or `max` if lower), so the link never idles while one part waits
 *   for its answer and the next one's preflight;
 * - after each change, let it settle (`settleMs`), then measure the bytes moved over `windowMs`;
 * - probe one lane more; keep it when throughput rose by at least 10 %, then probe the next one;
 *   otherwise go back and hold for `holdMs` before probing again (conditions change);
 * - above the floor, probe one lane fewer from time to time and keep it when throughput stays within 5 %.
 * Never more than `max` (the `concurrency` option), never fewer than `floor`.
 */

/** Tunables of {@link createLaneControl}; the defaults are what uploads use. */
export type LaneOptions = {
  /** Upper bound (the `concurrency` option). */
  readonly max: number;
  /** `false`: always `max` lanes. */
  readonly adaptive: boolean;
  /** @default min(2, max) */
  readonly floor?: number;
  /** @default 1000 */
  readonly settleMs?: number;
  /** @default 4000 */
  readonly windowMs?: number;
  /** @default 30000 */
  readonly holdMs?: number;
};

/** The lane count of one upload and how it changes. */
export type LaneControl = {
  /** Parts to keep in flight now. */
  target(): number;
  /** Feeds the bytes the upload has moved so far (cumulative) at time `now` (ms). */
  observe(now: number, movedBytes: number): void;
  /** Calls `listener` whenever the target changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
};

type Probe = { readonly from: number; readonly baseline: number };

/** Creates the lane control of one upload. */
export function createLaneControl(options: LaneOptions): LaneControl {
  const { max, adaptive } = options;
  const floor = Math.min(options.floor ?? 2, max);
  const settleMs = options.settleMs ?? 1000;
  const windowMs = options.windowMs ?? 4000;
  const holdMs = options.holdMs ?? 30_000;
  const listeners = new Set<() => void>();
  let lanes = adaptive ? floor : max;
  let phaseStart: number | undefined;
  let measureFrom: { time: number; bytes: number } | undefined;
  let probe: Probe | undefined;
  let nextProbeAt = 0;
  let lastProbeUp = false;

  /** Starts a new measurement: settle, then a window. */
  const restart = (now: number) => {
    phaseStart = now;
    measureFrom = undefined;
  };
  const setLanes = (next: number, now: number) => {
    lanes = next;
    restart(now);
    for (const listener of listeners) listener();
  };

  const decide = (rate: number, now: number) => {
    if (probe) {
      const up = lanes > probe.from;
      const keep = up ? rate >= probe.baseline * 1.1 : rate >= probe.baseline * 0.95;
      const from = probe.from;
      probe = undefined;
      if (keep && up && lanes < max) {
        // It helped: try one more straight away.
        probe = { from: lanes, baseline: rate };
        setLanes(lanes + 1, now);
        return;
      }
      if (keep) restart(now);
      else setLanes(from, now);
      nextProbeAt = now + holdMs;
      return;
    }
    restart(now);
    if (now < nextProbeAt) return;
    // Alternate directions once the way up has been tried, so a lane that stopped helping is let go.
    const goDown = lanes > floor && (lastProbeUp || lanes === max);
    if (!goDown && lanes >= max) return;
    lastProbeUp = !goDown;
    probe = { from: lanes, baseline: rate };
    setLanes(goDown ? lanes - 1 : lanes + 1, now);
  };

  return {
    target: () => lanes,
    observe(now, movedBytes) {
      if (!adaptive || max <= floor) return;
      phaseStart ??= now;
      if (measureFrom === undefined) {
        if (now - phaseStart >= settleMs) measureFrom = { time: now, bytes: movedBytes };
        return;
      }
      if (now - measureFrom.time < windowMs) return;
      decide(((movedBytes - measureFrom.bytes) * 1000) / (now - measureFrom.time), now);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
