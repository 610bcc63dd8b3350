/**
 * Retry policy (pure): which failures are worth another attempt and how long to wait. The attempts
 * themselves are made by ky for idempotent requests only, so retries live in one layer
 * (docs/architecture.md#layers); Initiate and Complete are never re-sent blindly.
 */

/** Public retry settings. */
export type RetryOptions = {
  /** Retries after the first attempt. @default 8 */
  readonly limit?: number;
  /** First backoff delay in ms; doubles each retry, and each wait is drawn from ½–1× of it (equal jitter). @default 300 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff delay in ms. @default 20000 */
  readonly maxDelayMs?: number;
};

/** Settled retry settings. */
export type ResolvedRetry = { readonly limit: number; readonly baseDelayMs: number; readonly maxDelayMs: number };

/** Defaults of {@link RetryOptions}. */
// Eight retries span 29–58 s (equal jitter): a resumable uploader should outlast a server restart
// or a short outage rather than fail the upload. Five (4.65–9.3 s) were not enough: a SIGKILLed
// server that took a few seconds to come back on a loaded machine failed the chaos e2e (e2e/chaos.spec.ts,
// CHAOS_SEED=753971950 in CI). Offline time is not counted at all (src/async/online.ts).
export const retryDefaults: ResolvedRetry = { limit: 8, baseDelayMs: 300, maxDelayMs: 20_000 };

/** HTTP statuses that mean "try again later": timeouts, throttling and server errors. */
export const retryableStatuses: readonly number[] = [408, 429, 500, 502, 503, 504];

/** OSS codes that a fresh credential fetch fixes (the request is then re-signed and re-sent once). */
export const credentialErrorCodes: ReadonlySet<string> = new Set(['SecurityTokenExpired', 'InvalidSecurityToken']);

/** Whether a status is retryable. */
export function isRetryableStatus(status: number): boolean {
  return retryableStatuses.includes(status);
}

/** Exponential backoff before retry `attempt` (1-based), before jitter. */
export function backoffDelay(attempt: number, retry: ResolvedRetry): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Equal jitter: a uniformly random delay in `[delay / 2, delay)`. The random half spreads the retries
 * of many parts apart; the fixed half makes the retries of one request span at least half the
 * backoff sum (29 s with the defaults), so a server restart or a network blip of a few seconds
 * cannot use them all up. Full jitter (`[0, delay)`) could: with the defaults it gave up within 2 s
 * about once in 20 requests, and the chaos e2e lost uploads to a 1–2 s restart that way.
 */
export function equalJitter(delay: number, random: () => number = Math.random): number {
  return Math.floor(delay / 2 + random() * (delay / 2));
}

/** Validates and fills in retry settings. */
export function normalizeRetry(input: number | RetryOptions | undefined): ResolvedRetry {
  const options = typeof input === 'number' ? { limit: input } : (input ?? {});
  if (typeof options !== 'object') throw new TypeError(`Expected \`retry\` to be a number or an object, got \`${String(input)}\` (${typeof input})`);
  const resolved = { ...retryDefaults, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new RangeError(`Expected \`retry.${name}\` to be an integer ≥ 0, got \`${String(value)}\` (${typeof value})`);
    }
  }
  return resolved;
}
