/**
 * CRC-64 values as text: OSS writes them as unsigned decimal in `x-oss-hash-crc64ecma` and
 * `<HashCrc64ecma>` (docs/protocol.md §6). Kept apart from the combining code, which is opt-in.
 */

const maxUint64 = (1n << 64n) - 1n;

/** Throws unless `value` is a bigint within the unsigned 64-bit range. */
export function assertUint64(name: string, value: bigint): void {
  if (typeof value !== 'bigint') {
    throw new TypeError(`Expected \`${name}\` to be a bigint, got \`${String(value)}\` (${typeof value})`);
  }
  if (value < 0n || value > maxUint64) {
    throw new RangeError(`Expected \`${name}\` to be an unsigned 64-bit bigint, got \`${value}\``);
  }
}

/**
 * Formats a CRC-64 as OSS prints it in `x-oss-hash-crc64ecma` and `<HashCrc64ecma>`: unsigned decimal.
 *
 * @example
 * ```ts
 * formatCrc64(0x995dc9bbdf1939fan); // '11051210869376104954'
 * ```
 */
export function formatCrc64(value: bigint): string {
  assertUint64('value', value);
  return value.toString(10);
}

/**
 * Parses an OSS CRC-64 header or XML value. Strict on purpose: `BigInt()` alone would also accept
 * whitespace, hex and empty strings, which would turn a garbled header into a silent mismatch.
 *
 * @throws SyntaxError when `text` is not an unsigned decimal 64-bit integer.
 */
export function parseCrc64(text: string): bigint {
  const value = /^\d{1,20}$/.test(text) ? BigInt(text) : -1n;
  if (value < 0n || value > maxUint64) {
    throw new SyntaxError(`Expected a CRC-64 as unsigned decimal text, got \`${text}\``);
  }
  return value;
}
