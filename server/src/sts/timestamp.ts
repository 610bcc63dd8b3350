/** The `Timestamp` parameter of a POP-signed STS call: ISO 8601 in UTC, with optional fractional seconds. */

// ISO 8601 UTC, whole seconds as the API reference shows (`2014-05-26T12:00:00Z`) or with a fraction, as
// ali-oss's STS client sends `new Date().toISOString()` (`2026-12-04T16:39:35.123Z`). The fraction's
// upper length real STS takes is unverified; up to nanoseconds is accepted, and only milliseconds count.
const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Epoch milliseconds of a `Timestamp`, or NaN when it is malformed or names an impossible instant (31 Feb, 24:00). */
export function parseTimestamp(value: string): number {
  const match = timestampPattern.exec(value);
  if (match === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Number((match[7] ?? '').padEnd(3, '0').slice(0, 3)));
  const back = new Date(ms);
  // Date.UTC rolls impossible fields over into the next unit; a round trip catches that.
  const same = back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day
    && back.getUTCHours() === hour && back.getUTCMinutes() === minute && back.getUTCSeconds() === second;
  return same ? ms : Number.NaN;
}
