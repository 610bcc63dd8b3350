/**
 * CRC-64/XZ (ECMA-182 polynomial, reflected), the checksum OSS reports as `x-oss-hash-crc64ecma`
 * (docs/protocol.md §6). The hot loop works on 32-bit halves with slice-by-8 tables because BigInt
 * per byte would cap the server's write path at a few MB/s; only `combine` uses BigInt.
 */

const polyReflected = 0xc96c5795d7870f42n;
const tableLo = new Uint32Array(8 * 256);
const tableHi = new Uint32Array(8 * 256);

for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ polyReflected : crc >> 1n;
  tableLo[i] = Number(crc & 0xffffffffn);
  tableHi[i] = Number(crc >> 32n);
}
for (let t = 1; t < 8; t++) {
  for (let i = 0; i < 256; i++) {
    const prevLo = tableLo[(t - 1) * 256 + i]!;
    const prevHi = tableHi[(t - 1) * 256 + i]!;
    const idx = prevLo & 0xff;
    tableLo[t * 256 + i] = ((prevLo >>> 8) | (prevHi << 24)) ^ tableLo[idx]!;
    tableHi[t * 256 + i] = (prevHi >>> 8) ^ tableHi[idx]!;
  }
}

/** Incremental CRC-64 state; feed chunks with `update`, read the value with `digest`. */
export class Crc64 {
  #lo = 0xffffffff;
  #hi = 0xffffffff;

  /** Adds bytes to the checksum. */
  update(bytes: Uint8Array): this {
    let lo = this.#lo;
    let hi = this.#hi;
    const n = bytes.length;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      lo ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      hi ^= bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
      const a = 7 * 256 + (lo & 0xff), b = 6 * 256 + ((lo >>> 8) & 0xff);
      const c = 5 * 256 + ((lo >>> 16) & 0xff), d = 4 * 256 + (lo >>> 24);
      const e = 3 * 256 + (hi & 0xff), f = 2 * 256 + ((hi >>> 8) & 0xff);
      const g = 256 + ((hi >>> 16) & 0xff), h = hi >>> 24;
      lo = tableLo[a]! ^ tableLo[b]! ^ tableLo[c]! ^ tableLo[d]! ^ tableLo[e]! ^ tableLo[f]! ^ tableLo[g]! ^ tableLo[h]!;
      hi = tableHi[a]! ^ tableHi[b]! ^ tableHi[c]! ^ tableHi[d]! ^ tableHi[e]! ^ tableHi[f]! ^ tableHi[g]! ^ tableHi[h]!;
    }
    for (; i < n; i++) {
      const idx = (lo ^ bytes[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ tableLo[idx]!;
      hi = (hi >>> 8) ^ tableHi[idx]!;
    }
    this.#lo = lo;
    this.#hi = hi;
    return this;
  }

  /** The CRC of everything fed so far, as an unsigned 64-bit BigInt. */
  digest(): bigint {
    return (BigInt((~this.#hi) >>> 0) << 32n) | BigInt((~this.#lo) >>> 0);
  }
}

/** CRC-64 of one buffer. */
export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).digest();
}

type Matrix = bigint[];

function times(mat: Matrix, vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i]!;
  return sum;
}

function compose(outer: Matrix, inner: Matrix): Matrix {
  return inner.map((column) => times(outer, column));
}

// Operator that appends one zero bit, then squared three times: one zero byte (zlib crc32_combine).
const oneZeroByte: Matrix = (() => {
  let op: Matrix = [polyReflected];
  for (let n = 1, row = 1n; n < 64; n++, row <<= 1n) op.push(row);
  for (let i = 0; i < 3; i++) op = compose(op, op);
  return op;
})();

// Parts of an upload share one size, so the per-length operator is computed once and reused.
const zeroOperators = new Map<number, Matrix>();

function appendZerosOperator(length: number): Matrix {
  let cached = zeroOperators.get(length);
  if (cached) return cached;
  let result: Matrix | undefined;
  let base = oneZeroByte;
  for (let n = length; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) result = result ? compose(base, result) : base;
    if (n > 1) base = compose(base, base);
  }
  cached = result!;
  if (zeroOperators.size > 64) zeroOperators.clear();
  zeroOperators.set(length, cached);
  return cached;
}

/** CRC of `A‖B` from `crc(A)`, `crc(B)` and `B`'s length in bytes (docs/protocol.md §6, multipart). */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return times(appendZerosOperator(lengthB), crcA) ^ crcB;
}
