import { describe, expect, it } from 'vitest';
import { defaultPartSizeBytes, effectivePartSize, planParts } from '../../src/core/plan.js';
import { maxPartCount, maxPartSizeBytes, minPartSizeBytes } from '../../src/oss/limits.js';
import { checkPartSize } from '../../src/options.js';

describe('planParts', () => {
  it('plans no part for 0 bytes and one short part for 1 byte', () => {
    expect(planParts(0, minPartSizeBytes)).toEqual([]);
    expect(planParts(1, minPartSizeBytes)).toEqual([{ partNumber: 1, start: 0, end: 1, size: 1 }]);
  });

  it('covers the file exactly, contiguous, numbered from 1, only the last part short', () => {
    const size = 3 * defaultPartSizeBytes + 12_345;
    const parts = planParts(size, defaultPartSizeBytes);
    expect(parts.map((p) => p.partNumber)).toEqual([1, 2, 3, 4]);
    expect(parts.at(-1)!.size).toBe(12_345);
    parts.forEach((p, i) => {
      expect(p.start).toBe(i * defaultPartSizeBytes);
      expect(p.end - p.start).toBe(p.size);
    });
    expect(parts.reduce((n, p) => n + p.size, 0)).toBe(size);
  });

  it('gives an exact multiple of the part size equal parts', () => {
    expect(planParts(4 * minPartSizeBytes, minPartSizeBytes).map((p) => p.size)).toEqual(Array(4).fill(minPartSizeBytes));
  });

  it('refuses a plan over 10,000 parts', () => {
    expect(() => planParts(maxPartCount * minPartSizeBytes + 1, minPartSizeBytes)).toThrow(RangeError);
  });
});

describe('effectivePartSize', () => {
  it('keeps the requested size when 10,000 parts suffice', () => {
    expect(effectivePartSize(maxPartCount * defaultPartSizeBytes, defaultPartSizeBytes)).toBe(defaultPartSizeBytes);
  });

  it('raises the size (to whole MiB) so that no upload needs more than 10,000 parts', () => {
    for (const size of [maxPartCount * defaultPartSizeBytes + 1, 200 * 1024 ** 3, 48 * 1024 ** 4]) {
      const partSize = effectivePartSize(size, defaultPartSizeBytes);
      expect(partSize % (1024 * 1024)).toBe(0);
      expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(maxPartCount);
      expect(planParts(size, partSize).length).toBeLessThanOrEqual(maxPartCount);
    }
  });

  it('raises an explicit small part size too', () => {
    const size = 5 * 1024 ** 3;
    expect(Math.ceil(size / effectivePartSize(size, minPartSizeBytes))).toBeLessThanOrEqual(maxPartCount);
  });

  it('refuses files beyond 10,000 × 5 GiB', () => {
    expect(() => effectivePartSize(maxPartCount * maxPartSizeBytes + 1, defaultPartSizeBytes)).toThrow(RangeError);
  });
});

describe('checkPartSize', () => {
  it.each([minPartSizeBytes - 1, maxPartSizeBytes + 1, minPartSizeBytes + 0.5, Number.NaN])('rejects %s with RangeError', (value) => {
    expect(() => checkPartSize(value)).toThrow(RangeError);
  });

  it('rejects a non-number with TypeError naming the option and the value', () => {
    expect(() => checkPartSize('8MB')).toThrow(/`partSize`.*8MB.*string/);
  });

  it('accepts the bounds', () => {
    expect(() => checkPartSize(minPartSizeBytes)).not.toThrow();
    expect(() => checkPartSize(maxPartSizeBytes)).not.toThrow();
  });
});
