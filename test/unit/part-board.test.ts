import { describe, expect, it } from 'vitest';
import { createPartBoard } from '../../src/core/part-board.js';
import type { PartUpdate } from '../../src/types.js';

describe('the part board (the one source of progress)', () => {
  it('counts parts on the server in full and parts in flight by the bytes sent', () => {
    const updates: PartUpdate[] = [];
    const board = createPartBoard([100, 100, 50], (s) => updates.push(s));
    board.done(1, true);
    board.hashing(2);
    board.hashed(2);
    board.attempt(2, 1, 0);
    board.attempt(2, 1, 40);
    expect(board.totals()).toEqual({ bytes: 140, parts: 1 });
    expect(board.sending()).toBe(true);
    board.done(2);
    expect(board.totals()).toEqual({ bytes: 200, parts: 2 });
    expect(board.sending()).toBe(false);
    expect(updates.map((u) => [u.partNumber, u.state, u.sentBytes])).toEqual([
      [1, 'done', 100], [2, 'hashing', 0], [2, 'waiting', 0], [2, 'sending', 0], [2, 'sending', 40], [2, 'done', 100],
    ]);
    expect(updates[0]).toMatchObject({ resumed: true, attempts: 0 });
  });

  it('a retried attempt starting from zero never takes bytes back, nor counts them twice', () => {
    const board = createPartBoard([100]);
    board.attempt(1, 1, 70);
    board.attempt(1, 2, 0);
    board.attempt(1, 2, 30);
    expect(board.totals().bytes).toBe(70);
    board.attempt(1, 2, 90);
    expect(board.totals().bytes).toBe(90);
    board.done(1);
    expect(board.totals().bytes).toBe(100);
    // The link carried 70 + 90 + the last 10.
    expect(board.movedBytes()).toBe(170);
  });

  it('without upload progress (Node) the whole part moves at its acknowledgement; parts found on the server never move', () => {
    const board = createPartBoard([100, 100]);
    board.done(1, true);
    board.attempt(2, 1, 0);
    board.done(2);
    expect(board.movedBytes()).toBe(100);
  });

  it('a resumed part whose bytes changed is sent again and stays counted in full', () => {
    const board = createPartBoard([100]);
    board.done(1, true);
    board.attempt(1, 1, 10);
    expect(board.totals().bytes).toBe(100);
    board.done(1);
    expect(board.totals()).toEqual({ bytes: 100, parts: 1 });
  });

  it('rejects a part number it does not have', () => {
    expect(() => createPartBoard([1]).done(2)).toThrow(RangeError);
  });
});
