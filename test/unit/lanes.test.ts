import { describe, expect, it } from 'vitest';
import { createLaneControl } from '../../src/core/lanes.js';

/**
 * Drives a lane control with a simulated link: `rateFor(lanes)` bytes per second, fed every 100 ms
 * as a real upload's progress events would be.
 */
function simulate(options: { max: number; adaptive?: boolean }, rateFor: (lanes: number, now: number) => number, seconds: number) {
  const control = createLaneControl({ adaptive: true, ...options });
  const history: Array<[number, number]> = [];
  let moved = 0;
  let changes = 0;
  control.onChange(() => changes++);
  for (let now = 0; now <= seconds * 1000; now += 100) {
    moved += rateFor(control.target(), now) / 10;
    control.observe(now, moved);
    history.push([now, control.target()]);
  }
  return { control, history, changes: () => changes };
}

describe('adaptive lanes', () => {
  it('starts with two lanes and stays there when the link is the bottleneck (more lanes add nothing)', () => {
    const { history } = simulate({ max: 4 }, () => 125_000, 120);
    expect(history[0]![1]).toBe(2);
    // Probes of a third lane come and go; most of the time two parts are in flight.
    const atTwo = history.filter(([, lanes]) => lanes === 2).length / history.length;
    expect(atTwo).toBeGreaterThan(0.8);
    expect(Math.max(...history.map(([, lanes]) => lanes))).toBeLessThanOrEqual(3);
    expect(history.at(-1)![1]).toBe(2);
  });

  it('climbs to `concurrency` while each lane adds throughput (one request cannot fill the link)', () => {
    const { history } = simulate({ max: 4 }, (lanes) => lanes * 1_000_000, 30);
    const reachedAt = history.find(([, lanes]) => lanes === 4)?.[0];
    expect(reachedAt).toBeDefined();
    expect(reachedAt!).toBeLessThan(15_000);
    expect(history.at(-1)![1]).toBe(4);
  });

  it('stops where the gain ends (three lanes fill this link)', () => {
    const { history } = simulate({ max: 6 }, (lanes) => Math.min(lanes, 3) * 1_000_000, 120);
    expect(history.at(-1)![1]).toBe(3);
    expect(Math.max(...history.map(([, lanes]) => lanes))).toBeLessThanOrEqual(4);
  });

  it('lets a lane go when it stopped helping (the link got worse)', () => {
    const { history } = simulate({ max: 4 }, (lanes, now) => (now < 30_000 ? lanes : Math.min(lanes, 2)) * 1_000_000, 150);
    expect(history.find(([time]) => time === 25_000)![1]).toBe(4);
    expect(history.at(-1)![1]).toBeLessThanOrEqual(3);
  });

  it('never leaves [2, max], and `adaptive: false` or `max` 1 runs `max` lanes always', () => {
    const { history } = simulate({ max: 3 }, () => 0, 60);
    for (const [, lanes] of history) expect(lanes).toBeGreaterThanOrEqual(2);
    for (const [, lanes] of history) expect(lanes).toBeLessThanOrEqual(3);
    const fixed = simulate({ max: 5, adaptive: false }, (lanes) => lanes * 1000, 60);
    expect(new Set(fixed.history.map(([, lanes]) => lanes))).toEqual(new Set([5]));
    expect(fixed.changes()).toBe(0);
    const single = simulate({ max: 1 }, (lanes) => lanes * 1000, 60);
    expect(new Set(single.history.map(([, lanes]) => lanes))).toEqual(new Set([1]));
  });
});
