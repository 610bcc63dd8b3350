import { describe, expect, it } from 'vitest';
import { choosePartSize, createLinkMemory } from '../../src/core/part-size.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('automatic part size', () => {
  it('on an unmeasured link cuts a file into about 16 parts of 1–8 MiB', () => {
    expect(choosePartSize(1.5 * MiB, undefined)).toBe(1 * MiB);
    expect(choosePartSize(64 * MiB, undefined)).toBe(4 * MiB);
    expect(choosePartSize(1024 * MiB, undefined)).toBe(8 * MiB);
  });

  it('on a measured link makes a part about 10 s of its throughput, 256 KiB – 8 MiB', () => {
    expect(choosePartSize(100 * MiB, 32_000)).toBe(320 * KiB); // 256 kbit/s
    expect(choosePartSize(100 * MiB, 125_000)).toBe(1_280 * KiB); // 1 Mbit/s
    expect(choosePartSize(100 * MiB, 500_000)).toBe(4_928 * KiB); // 4 Mbit/s
    expect(choosePartSize(100 * MiB, 2_500_000)).toBe(8 * MiB); // 20 Mbit/s: capped
    expect(choosePartSize(100 * MiB, 1_000)).toBe(256 * KiB); // floor
  });

  it('remembers the last upload that moved enough to tell, for 30 minutes', () => {
    const memory = createLinkMemory();
    memory.record(100 * KiB, 5000, 0); // too few bytes
    memory.record(10 * MiB, 500, 0); // too short
    expect(memory.bytesPerSecond(0)).toBeUndefined();
    memory.record(1 * MiB, 8000, 1000);
    expect(memory.bytesPerSecond(2000)).toBe(131_072);
    expect(memory.bytesPerSecond(1000 + 30 * 60_000 + 1)).toBeUndefined();
  });
});
