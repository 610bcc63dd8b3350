import { describe, expect, it } from 'vitest';
import { backoffDelay, credentialErrorCodes, equalJitter, isRetryableStatus } from '../../src/oss/retry.js';
import { normalizeRetry, retryDefaults } from '../../src/options.js';

describe('retry decisions', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries status %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([400, 403, 404, 409, 412, 203, 200])('does not retry status %i', (status) => expect(isRetryableStatus(status)).toBe(false));

  it('refreshes credentials for token errors only', () => {
    expect(credentialErrorCodes.has('SecurityTokenExpired')).toBe(true);
    expect(credentialErrorCodes.has('InvalidSecurityToken')).toBe(true);
    expect(credentialErrorCodes.has('SignatureDoesNotMatch')).toBe(false);
    expect(credentialErrorCodes.has('AccessDenied')).toBe(false);
  });

  it('backs off exponentially up to the cap, with equal jitter', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, retryDefaults))).toEqual([300, 600, 1200, 2400]);
    expect(backoffDelay(20, retryDefaults)).toBe(retryDefaults.maxDelayMs);
    expect(equalJitter(1000, () => 0)).toBe(500);
    expect(equalJitter(1000, () => 0.999)).toBe(999);
  });

  it('spends the default retries over 29–58 s, however the dice fall, so a server restart of a few seconds is ridden out', () => {
    const waits = (random: () => number) => Array.from({ length: retryDefaults.limit }, (_, i) => equalJitter(backoffDelay(i + 1, retryDefaults), random));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(retryDefaults.limit).toBe(8);
    expect(sum(waits(() => 0))).toBe(29_050);
    expect(sum(waits(() => 0.999_999))).toBeLessThanOrEqual(58_100);
  });

  it('normalises the option: a number is the limit, objects merge over defaults', () => {
    expect(normalizeRetry(undefined)).toEqual(retryDefaults);
    expect(normalizeRetry(2)).toEqual({ ...retryDefaults, limit: 2 });
    expect(normalizeRetry({ baseDelayMs: 10 })).toEqual({ ...retryDefaults, baseDelayMs: 10 });
  });

  it('rejects bad values with errors naming the option', () => {
    expect(() => normalizeRetry(-1)).toThrow(/`retry.limit`/);
    expect(() => normalizeRetry({ maxDelayMs: 1.5 })).toThrow(RangeError);
    expect(() => normalizeRetry('3' as never)).toThrow(TypeError);
  });
});
