import { describe, expect, it } from 'vitest';
import { Crc64, crc64, crc64Combine } from '../src/crc64.js';
import { testBytes } from './harness.js';

const text = (s: string) => new TextEncoder().encode(s);

// Vectors from docs/protocol.md §6 (go-sdk crc_test.go, re-verified).
describe('CRC-64/XZ (x-oss-hash-crc64ecma)', () => {
  it.each([
    ['', 0n],
    ['123456789', 0x995dc9bbdf1939fan],
    ['This is a test of the emergency broadcast system.', 0x27db187fc15bbc72n],
    ['Even if I could be Shakespeare, I think I should still choose to be Faraday. - A. Huxley', 0x7ad25fafa1710407n],
    ['a', 0x330284772e652b05n],
  ])('crc64(%j)', (input, expected) => {
    expect(crc64(text(input))).toBe(expected);
  });

  it('prints as OSS does: unsigned decimal', () => {
    expect(crc64(text('123456789')).toString()).toBe('11051210869376104954');
  });

  it('combines at every split point', () => {
    const s = text('Even if I could be Shakespeare, I think I should still choose to be Faraday. - A. Huxley');
    for (let k = 0; k <= s.length; k++) {
      expect(crc64Combine(crc64(s.slice(0, k)), crc64(s.slice(k)), s.length - k)).toBe(0x7ad25fafa1710407n);
    }
  });

  it('is the same fed incrementally in odd chunk sizes and combined over parts', () => {
    const data = testBytes(1_000_003);
    const whole = crc64(data);
    const inc = new Crc64();
    for (let o = 0; o < data.length; o += 7919) inc.update(data.subarray(o, o + 7919));
    expect(inc.digest()).toBe(whole);
    let combined = 0n;
    for (let o = 0; o < data.length; o += 102_400) {
      const part = data.subarray(o, o + 102_400);
      combined = crc64Combine(combined, crc64(part), part.length);
    }
    expect(combined).toBe(whole);
  });
});
