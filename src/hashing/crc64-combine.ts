/**
 * CRC-64/XZ values as OSS reports them (docs/protocol.md §6): combining part CRCs into the object's,
 * formatting and parsing the decimal text. The hasher itself is in crc64.ts and runs in the hash
 * worker; this is the part the main thread needs.
 */

// Reflected ECMA-182 polynomial 0xC96C5795D7870F42, split into halves (also in crc64.ts, see there).
const polyHi = 0xc96c5795;
const polyLo = 0xd7870f42;

const maxUint64 = (1n << 64n) - 1n;

function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function assertUint64(name: string, value: bigint): void {
  if (typeof value !== 'bigint') {
    throw new TypeError(`Expected \`${name}\` to be a bigint, got \`${String(value)}\` (${typeof value})`);
  }
  if (value < 0n || value > maxUint64) {
    throw new RangeError(`Expected \`${name}\` to be an unsigned 64-bit bigint, got \`${value}\``);
  }
}

// GF(2) polynomial arithmetic modulo the CRC polynomial, zlib ≥ 1.2.12 style (crc32.c `multmodp`,
// `x2nmodp`, `crc32_combine_op`). Reflected: the most significant bit is x^0. Results go through a
// scratch pair because returning two numbers without allocating needs somewhere to put them. The
// annotation lets bundlers drop all of this from the hash worker, which never combines.
const product = /* @__PURE__ */ new Int32Array(2);

/** `product = a·b mod P`. */
function multiplyModP(aHi: number, aLo: number, bHi: number, bLo: number): void {
  let pHi = 0;
  let pLo = 0;
  for (let bit = 0; bit < 64; bit++) {
    const set = bit < 32 ? (aHi >>> (31 - bit)) & 1 : (aLo >>> (63 - bit)) & 1;
    if (set !== 0) {
      pHi ^= bHi;
      pLo ^= bLo;
    }
    const carry = bLo & 1;
    bLo = (bLo >>> 1) | (bHi << 31);
    bHi >>>= 1;
    if (carry !== 0) {
      bHi ^= polyHi;
      bLo ^= polyLo;
    }
  }
  product[0] = pHi;
  product[1] = pLo;
}

/** `x^(2^k) mod P` for k = 0..63, built on first use; lengths are < 2^53 bytes, so k stays ≤ 3 + 53. */
let powersOfX: readonly [hi: Int32Array, lo: Int32Array] | undefined;

function buildPowersOfX(): readonly [hi: Int32Array, lo: Int32Array] {
  const hi = new Int32Array(64);
  const lo = new Int32Array(64);
  hi[0] = 1 << 30; // x^1
  for (let k = 1; k < 64; k++) {
    multiplyModP(hi[k - 1]!, lo[k - 1]!, hi[k - 1]!, lo[k - 1]!);
    hi[k] = product[0]!;
    lo[k] = product[1]!;
  }
  return [hi, lo];
}

/**
 * Per-length operators `x^(8·length) mod P`. Multipart parts share one size (only the last differs),
 * so combining 10,000 parts computes at most two operators. Bounded so odd callers can't grow it forever.
 */
const operators = new Map<number, readonly [number, number]>();
const maxCachedOperators = 32;

function operatorFor(length: number): readonly [number, number] {
  const cached = operators.get(length);
  if (cached !== undefined) {
    return cached;
  }
  const [powerHi, powerLo] = (powersOfX ??= buildPowersOfX());
  let hi = 1 << 31; // x^0
  let lo = 0;
  let remaining = length;
  // Bit j of the length contributes x^(8·2^j) = x^(2^(j+3)). Division, not >>>, because parts reach 5 GiB.
  for (let k = 3; remaining > 0; k++, remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      multiplyModP(powerHi[k]!, powerLo[k]!, hi, lo);
      hi = product[0]!;
      lo = product[1]!;
    }
  }
  if (operators.size >= maxCachedOperators) {
    operators.clear();
  }
  const operator = [hi, lo] as const;
  operators.set(length, operator);
  return operator;
}

/**
 * The CRC-64 of `A‖B` from `crc(A)`, `crc(B)` and the byte length of `B`, without the data. Folding the
 * part CRCs in part order from 0 gives the object CRC OSS reports after CompleteMultipartUpload.
 *
 * @param a - CRC of the leading bytes (0n for nothing).
 * @param b - CRC of the trailing bytes.
 * @param lengthB - Byte length of the trailing bytes; a non-negative safe integer.
 * @example
 * ```ts
 * let crc = 0n;
 * for (const part of parts) crc = crc64Combine(crc, part.crc64, part.size);
 * ```
 */
export function crc64Combine(a: bigint, b: bigint, lengthB: number): bigint {
  assertUint64('a', a);
  assertUint64('b', b);
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) {
    throw new RangeError(`Expected \`lengthB\` to be a non-negative safe integer, got \`${lengthB}\` (${typeof lengthB})`);
  }
  const [opHi, opLo] = operatorFor(lengthB);
  multiplyModP(opHi, opLo, Number(a >> 32n) | 0, Number(a & 0xffffffffn) | 0);
  return toBigInt(product[0]!, product[1]!) ^ b;
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
