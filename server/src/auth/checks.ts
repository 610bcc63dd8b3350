/**
 * Small checks shared by the four signature schemes: the clock, required presigned parameters,
 * constant-time signature comparison and the shapes of their errors.
 */
import { timingSafeEqual } from 'node:crypto';
import { errors } from '../errors.js';
import { queryValue } from '../request.js';
import type { OssRequest } from '../request.js';

/** OSS rejects request times more than 15 minutes off its clock (§2.9 RequestTimeTooSkewed, 900000 ms). */
export const maxClockSkewMs = 15 * 60 * 1000;

export function checkClock(requestMs: number, raw: string, now: number): void {
  if (Number.isNaN(requestMs)) throw errors.invalidDate(raw);
  if (Math.abs(requestMs - now) > maxClockSkewMs) throw errors.requestTimeTooSkewed(iso(requestMs), iso(now));
}

export function requiredQuery(request: OssRequest, name: string): string {
  const value = queryValue(request, name);
  if (value === undefined || value === '') throw errors.invalidArgument(`${name} is required in a presigned URL.`, name, value ?? '');
  return value;
}

/**
 * Constant-time comparison. Unequal lengths still run one full comparison (of the expected value with
 * itself) so the response time does not reveal how much of the signature was right.
 */
export function signaturesMatch(provided: string, expected: string): boolean {
  const a = Buffer.from(provided, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Space-separated hex of the bytes signed (a string stands for its UTF-8 bytes), as `StringToSignBytes` shows them. */
export const hexBytes = (bytes: Buffer | string): string =>
  Array.from(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');

export const iso = (ms: number): string => new Date(ms).toISOString();

export const malformedAuthorization = (value: string) =>
  errors.invalidArgument('Authorization header is invalid.', 'Authorization', value);
