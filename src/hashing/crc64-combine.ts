/**
 * Combining CRC-64/XZ values of parts into the object's, as OSS reports it after Complete
 * (docs/protocol.md §6). The hasher itself is in crc64.ts and runs in the hash worker, and the
 * decimal text is read and written by crc64-text.ts; this module is what the opt-in `crc64` option
 * brings to the page (docs/architecture.md#opt-in-features).
 */
import { assertUint64 } from './crc64-text.js';

// Reflected ECMA-182 polynomial 0xC96C5795D7870F42, split into halves (also in crc64.ts, see there).
const polyHi = 0xc96c5795;
const polyLo = 0xd7870f42;

function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
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

/** What the `crc64` option takes: the combining step, the one part of CRC-64 checking the page runs. */
export type Crc64Check = {
  /** CRC of `A‖B` from `crc(A)`, `crc(B)` and B's length in bytes. */
  readonly combine: (a: bigint, b: bigint, lengthB: number) => bigint;
};

/**
 * CRC-64 checking, opt-in: `createUploader({ …, crc64 })`. Every part's CRC-64 is computed in the
 * same worker pass as its MD5 and checked against the part's `x-oss-hash-crc64ecma`, and the
 * combined CRC against the object's after Complete. An import rather than `true`, so that apps
 * without it do not ship the combining code (docs/architecture.md#opt-in-features).
 */
export const crc64: Crc64Check = { combine: crc64Combine };
