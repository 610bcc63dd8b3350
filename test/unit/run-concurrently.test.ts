import { describe, expect, it } from 'vitest';
import { runConcurrently, type QueueLimit } from '../../src/async/run-concurrently.js';

/** A limit the test moves by hand. */
function movableLimit(initial: number) {
  let value = initial;
  const listeners = new Set<() => void>();
  const limit: QueueLimit = { target: () => value, onChange: (l) => (listeners.add(l), () => listeners.delete(l)) };
  return { limit, set(next: number) { value = next; for (const l of listeners) l(); } };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('runConcurrently with a moving limit', () => {
  it('runs no more than the limit, takes more lanes when it rises, fewer when it falls, and finishes every task once', async () => {
    const { limit, set } = movableLimit(1);
    let active = 0;
    const peaks: number[] = [];
    const done: number[] = [];
    const run = runConcurrently(Array.from({ length: 30 }, (_, i) => i), async (task) => {
      active++;
      peaks.push(active);
      await tick();
      active--;
      done.push(task);
    }, { concurrency: 4, limit });
    await tick();
    await tick();
    expect(Math.max(...peaks)).toBe(1);
    set(3);
    await tick();
    await tick();
    expect(Math.max(...peaks)).toBe(3);
    set(2);
    const before = peaks.length;
    await tick();
    await tick();
    await tick();
    expect(Math.max(...peaks.slice(before + 2))).toBeLessThanOrEqual(2);
    set(10); // never above `concurrency`
    await run;
    expect(Math.max(...peaks)).toBeLessThanOrEqual(4);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('parked lanes end when the tasks run out, and an abort ends them too', async () => {
    const { limit } = movableLimit(1);
    await runConcurrently([1, 2, 3], async () => tick(), { concurrency: 4, limit });
    const controller = new AbortController();
    const run = runConcurrently([1, 2, 3, 4], async () => tick(), { concurrency: 4, limit, signal: controller.signal });
    controller.abort(new Error('paused'));
    await expect(run).rejects.toThrow('paused');
  });
});

describe('runConcurrently with early release', () => {
  it('a task that gives its lane back lets the next start while it finishes, and the run still waits for it', async () => {
    const order: string[] = [];
    let finishFirst: () => void = () => undefined;
    await runConcurrently([1, 2], async (task, _signal, release) => {
      order.push(`start ${task}`);
      if (task === 1) {
        release();
        await new Promise<void>((resolve) => {
          finishFirst = resolve;
        });
      } else {
        finishFirst();
      }
      order.push(`end ${task}`);
    }, { concurrency: 1 });
    expect(order).toEqual(['start 1', 'start 2', 'end 2', 'end 1']);
  });

  it('tasks waiting for their answer after release are bounded by the lanes: at most twice the lanes in flight', async () => {
    const answers: Array<() => void> = [];
    let inFlight = 0;
    let peak = 0;
    const run = runConcurrently(Array.from({ length: 12 }, (_, i) => i), async (_task, _signal, release) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      release(); // body sent; the answer only comes when the test gives it
      await new Promise<void>((resolve) => answers.push(resolve));
      inFlight--;
    }, { concurrency: 3 });
    for (let i = 0; i < 10; i++) await tick();
    // A server that answers nothing: six parts went out (three sending, then three awaiting) and no more.
    expect(answers.length).toBe(6);
    expect(peak).toBe(6);
    while (answers.length > 0 || inFlight > 0) {
      answers.shift()?.();
      await tick();
      await tick();
    }
    await run;
    expect(peak).toBe(6);
  });

  it('a failure after release still fails the run and stops the rest', async () => {
    const started: number[] = [];
    const run = runConcurrently([1, 2, 3, 4], async (task, signal, release) => {
      started.push(task);
      release();
      await tick();
      if (task === 1) throw new Error('part 1 refused');
      await tick();
      signal.throwIfAborted();
    }, { concurrency: 1 });
    await expect(run).rejects.toThrow('part 1 refused');
  });
});
