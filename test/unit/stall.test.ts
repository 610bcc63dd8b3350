import { afterEach, describe, expect, it, vi } from 'vitest';
import { createThroughputMemory, formatSeconds, startWatchdog } from '../../src/oss/stall.js';

describe('stall watchdog', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once the limit passes without a kick, with the idle time', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const dog = startWatchdog(1000, (idle) => fired.push(idle));
    vi.advanceTimersByTime(900);
    dog.kick();
    vi.advanceTimersByTime(900);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(150);
    expect(fired).toEqual([1000]);
  });

  it('takes a new limit with a kick, shorter or longer', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const dog = startWatchdog(10_000, (idle) => fired.push(idle));
    dog.kick(500);
    vi.advanceTimersByTime(499);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([500]);
    const second = startWatchdog(100, (idle) => fired.push(idle));
    second.kick(1000);
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([500]);
    second.stop();
    vi.advanceTimersByTime(5000);
    expect(fired).toEqual([500]);
  });
});

describe('throughput memory (the allowance where no upload progress is reported)', () => {
  it('assumes 64 KiB/s until it measured something, then uses what it measured, doubling per retry', () => {
    const memory = createThroughputMemory();
    expect(memory.allowanceMs(64 * 1024, 1, 1000)).toBe(3000);
    expect(memory.allowanceMs(64 * 1024, 2, 1000)).toBe(5000);
    memory.record(1024 * 1024, 1000); // 1 MiB/s
    expect(memory.allowanceMs(1024 * 1024, 1, 30_000)).toBe(32_000);
    memory.record(1000, 1); // small bodies say nothing about throughput
    expect(memory.allowanceMs(1024 * 1024, 1, 30_000)).toBe(32_000);
  });

  it('formats durations for messages', () => {
    expect(formatSeconds(30_000)).toBe('30 s');
    expect(formatSeconds(1234)).toBe('1.2 s');
    expect(formatSeconds(125_000)).toBe('2 min 5 s');
  });
});
