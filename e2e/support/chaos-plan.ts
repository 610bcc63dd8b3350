/**
 * The seeded plan of the chaos spec (e2e/chaos.spec.ts): which disruption happens at which point of
 * progress, when the first STS expiry comes, and the fault rules posted to the server after every
 * (re)start. Everything random derives from ONE seed, so a failing run can be replayed with
 * `CHAOS_SEED=<seed>`; the generator is the server's own (mulberry32, server/src/faults.ts).
 */
import { randomInt } from 'node:crypto';
import { mulberry32 } from '../../server/src/faults.js';
import type { FaultRule } from './oss-control.js';

/** One disruption of the upload. */
export type Disruption = 'reload' | 'kill' | 'offline';

/** What the spec does, and when. */
export type ChaosPlan = {
  readonly seed: number;
  /** In order; each happens once the upload has this many parts done (and is sending again after the previous one). */
  readonly disruptions: ReadonlyArray<{ readonly kind: Disruption; readonly atParts: number }>;
  /** How long each kill keeps the server down (kill to listening again), in ms: 1–2 s. */
  readonly downtimeMs: readonly number[];
  /** Milliseconds after the upload starts until the first STS expiry (then one every period). */
  readonly firstStsExpiryMs: number;
  /** Body bytes the server reads before it drops a socket. */
  readonly dropAfterBytes: number;
  /** The Nth UploadPart request (of the first server process) that surely fails this way, so each kind fires at least once. */
  readonly surely: { readonly drop: number; readonly error500: number; readonly error503: number };
};

/** The seed from `CHAOS_SEED` (an integer 0 … 2³²−1), or a random one. */
export function chaosSeed(fromEnv: string | undefined): number {
  if (fromEnv === undefined || fromEnv === '') return randomInt(0, 2 ** 32);
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`Expected CHAOS_SEED to be an integer 0 … 4294967295, got \`${fromEnv}\``);
  return seed;
}

/** A seed for generator number `n` derived from the run's seed (different streams for different uses). */
export function derivedSeed(seed: number, n: number): number {
  return Math.floor(mulberry32((seed ^ Math.imul(n + 1, 0x9e3779b9)) >>> 0)() * 2 ** 32);
}

/**
 * Three reloads, two kills and one offline window in a seeded order, each at a seeded point inside
 * its own slice of 8 %…82 % of the parts (so they are spread over the upload and none lands on
 * Complete), plus the STS phase and the fault parameters.
 */
export function planChaos(seed: number, { totalParts, partSize }: { totalParts: number; partSize: number }): ChaosPlan {
  const random = mulberry32(derivedSeed(seed, 0));
  const kinds: Disruption[] = ['reload', 'reload', 'reload', 'kill', 'kill', 'offline'];
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const first = 0.08;
  const slice = (0.82 - first) / kinds.length;
  const disruptions = kinds.map((kind, i) => ({ kind, atParts: Math.round((first + slice * (i + random() * 0.7)) * totalParts) }));
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return {
    seed,
    disruptions,
    downtimeMs: kinds.filter((kind) => kind === 'kill').map(() => between(1_000, 2_000)),
    firstStsExpiryMs: between(3_000, 9_000),
    dropAfterBytes: between(64 * 1024, partSize / 2),
    surely: { drop: between(2, 8), error500: between(2, 8), error503: between(2, 8) },
  };
}

/**
 * The rules for server process number `generation` (faults live in the server's memory, so they are
 * posted again after each restart, with a seed of their own): 1 % of UploadPart requests dropped
 * mid-body, 2.5 % answered 500 and 2.5 % 503 (each drawn from the seeded generator), the first
 * process also fails one request of each kind for sure, and every other UploadPart is held
 * `partDelayMs` before it is read (a slow uplink, so the run spans the STS period).
 */
export function faultRules(plan: ChaosPlan, key: string, generation: number, partDelayMs: number): { rules: FaultRule[]; seed: number } {
  const part = { op: 'UploadPart', key } as const;
  const drop = { ...part, action: 'drop', afterBytes: plan.dropAfterBytes } as const;
  const error500 = { ...part, action: 'error', status: 500, code: 'InternalError', message: 'Injected fault (chaos): internal error.' } as const;
  const error503 = { ...part, action: 'error', status: 503, code: 'ServiceUnavailable', message: 'Injected fault (chaos): unavailable.' } as const;
  const surely: FaultRule[] = generation === 0
    ? [{ ...drop, nth: plan.surely.drop, times: 1 }, { ...error500, nth: plan.surely.error500, times: 1 }, { ...error503, nth: plan.surely.error503, times: 1 }]
    : [];
  return {
    rules: [
      ...surely,
      // Rules are tried in order and the first that fires wins: conditional odds give 1 %, 2.5 %, 2.5 % overall.
      { ...drop, probability: 0.01, times: 0 },
      { ...error500, probability: 0.025 / 0.99, times: 0 },
      { ...error503, probability: 0.025 / (0.99 - 0.025), times: 0 },
      { ...part, action: 'delay', delayMs: partDelayMs, times: 0 },
    ],
    seed: derivedSeed(plan.seed, generation + 1),
  };
}
