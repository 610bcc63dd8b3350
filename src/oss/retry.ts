/**
 * Retry policy (pure): which failures are worth another attempt and how long to wait. The attempts
 * themselves are made by ky for idempotent requests only, so retries live in one layer
 * (docs/architecture.md#layers); Initiate and Complete are never re-sent blindly.
 */
// The retry options, their defaults and their check live with the other options (src/options.ts).
import type { ResolvedRetry } from '../options.js';

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
