/**
 * The upload fingerprint: which byte ranges are sampled (first, middle and last 64 KiB, or the whole
 * file up to 192 KiB) and which facts change the record id. Hashing runs through the real hasher
 * (inline in Node).
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createHasher } from '../../src/hashing/hash-pool.js';
import { fileIdentity, fingerprintFile, sampleRanges } from '../../src/persistence/fingerprint.js';

const KiB = 1024;
const sample = 64 * KiB;

/** Deterministic bytes (xorshift), a plain ArrayBuffer underneath so they are a valid BlobPart. */
function bytes(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(size));
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const hasher = createHasher();
afterAll(() => hasher.dispose());
const target = { bucket: 'demo', key: 'a/b.bin' };

describe('sampleRanges', () => {
  it.each([
    ['0 B', 0, [[0, 0]]],
    ['1 B', 1, [[0, 1]]],
    ['64 KiB', sample, [[0, sample]]],
    ['exactly 192 KiB: the whole file in one range', 3 * sample, [[0, 3 * sample]]],
  ])('%s', (_name, size, expected) => {
    expect(sampleRanges(size)).toEqual(expected);
  });

  it('192 KiB + 1: three disjoint 64 KiB ranges (first, middle, last), ascending', () => {
    const size = 3 * sample + 1;
    const ranges = sampleRanges(size);
    expect(ranges).toEqual([[0, sample], [65_536, 131_072], [size - sample, size]]);
  });

  it.each([3 * sample + 1, 10 * 1024 * KiB + 7, 5 * 1024 ** 3, 10_000 * 5 * 1024 ** 3, Number.MAX_SAFE_INTEGER - 1])('%d B: 3 × 64 KiB within the file, in order, never overlapping', (size) => {
    const ranges = sampleRanges(size);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toEqual([0, sample]);
    expect(ranges[2]).toEqual([size - sample, size]);
    for (const [start, end] of ranges) {
      expect(Number.isSafeInteger(start) && Number.isSafeInteger(end)).toBe(true);
      expect(end - start).toBe(sample);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeLessThanOrEqual(size);
    }
    expect(ranges[1]![0]).toBeGreaterThanOrEqual(ranges[0]![1]);
    expect(ranges[2]![0]).toBeGreaterThanOrEqual(ranges[1]![1]);
    // The middle range is centred (within a byte).
    expect(Math.abs(ranges[1]![0] + sample / 2 - size / 2)).toBeLessThanOrEqual(1);
  });
});

describe('fileIdentity', () => {
  it('reads name and lastModified of a File, and gives a plain Blob "" and 0', () => {
    expect(fileIdentity(new File(['x'], 'n.txt', { lastModified: 1234 }))).toEqual({ name: 'n.txt', lastModified: 1234 });
    expect(fileIdentity(new Blob(['x']))).toEqual({ name: '', lastModified: 0 });
  });
});

describe('fingerprintFile', () => {
  const size = 300 * KiB;
  const content = bytes(size, 1);
  const file = (data: Uint8Array<ArrayBuffer> = content, name = 'movie.bin', lastModified = 1_700_000_000_000, type = 'video/mp4') =>
    new File([data], name, { lastModified, type });

  it('is stable for the same file and derives a 32-hex-digit id', async () => {
    const a = await fingerprintFile(file(), target, hasher);
    const b = await fingerprintFile(file(content.slice()), target, hasher);
    expect(a).toEqual(b);
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('holds bucket, key, name, size, lastModified, type and the MD5 of the sampled ranges; not the endpoint', async () => {
    const { fingerprint } = await fingerprintFile(file(), target, hasher);
    const sampled = createHash('md5');
    for (const [start, end] of sampleRanges(size)) sampled.update(content.subarray(start, end));
    expect(JSON.parse(fingerprint)).toEqual(['demo', 'a/b.bin', 'movie.bin', size, 1_700_000_000_000, 'video/mp4', sampled.digest('hex')]);
  });

  it.each([
    ['the bucket', () => fingerprintFile(file(), { ...target, bucket: 'other' }, hasher)],
    ['the key', () => fingerprintFile(file(), { ...target, key: 'a/c.bin' }, hasher)],
    ['the name', () => fingerprintFile(file(content, 'other.bin'), target, hasher)],
    ['lastModified', () => fingerprintFile(file(content, 'movie.bin', 1_700_000_000_001), target, hasher)],
    ['the type', () => fingerprintFile(file(content, 'movie.bin', 1_700_000_000_000, 'application/octet-stream'), target, hasher)],
    ['the content (same name, size and lastModified)', () => fingerprintFile(file(bytes(size, 2)), target, hasher)],
  ])('changes with %s', async (_what, other) => {
    const base = await fingerprintFile(file(), target, hasher);
    expect((await other()).id).not.toBe(base.id);
  });

  it.each([
    ['first', 10],
    ['middle', size / 2],
    ['last', size - 1],
  ])('changes when one byte of the %s sampled range changes', async (_where, offset) => {
    const changed = content.slice();
    changed[offset] = changed[offset]! ^ 0xff;
    expect((await fingerprintFile(file(changed), target, hasher)).id).not.toBe((await fingerprintFile(file(), target, hasher)).id);
  });

  it('(by design) does not see a change outside the sampled ranges when name, size and lastModified are equal', async () => {
    const changed = content.slice();
    const unsampled = sample + 1000; // between the first and the middle range
    expect(sampleRanges(size).some(([s, e]) => unsampled >= s && unsampled < e)).toBe(false);
    changed[unsampled] = changed[unsampled]! ^ 0xff;
    expect((await fingerprintFile(file(changed), target, hasher)).id).toBe((await fingerprintFile(file(), target, hasher)).id);
  });

  it('hashes a 0-byte and a 1-byte file', async () => {
    const empty = await fingerprintFile(new Blob([]), target, hasher);
    const one = await fingerprintFile(new Blob([Uint8Array.of(1)]), target, hasher);
    expect(JSON.parse(empty.fingerprint).at(-1)).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(JSON.parse(one.fingerprint).at(-1)).toBe(createHash('md5').update(Uint8Array.of(1)).digest('hex'));
    expect(empty.id).not.toBe(one.id);
  });

  it('rejects with the signal reason when aborted', async () => {
    const reason = new Error('stop');
    await expect(fingerprintFile(file(), target, hasher, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
