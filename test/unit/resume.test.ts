/**
 * `reconcile()` (pure): the server is the truth. A planned part counts as done only when the journal
 * has it, ListParts lists it with the planned size, and the listed ETag equals the journalled MD5
 * (quotes and case ignored); every other planned part is (re-)sent.
 */
import { describe, expect, it } from 'vitest';
import { planParts, type PartPlan } from '../../src/core/plan.js';
import { reconcile } from '../../src/core/resume.js';
import type { ListedPart } from '../../src/oss/xml.js';
import type { JournalPart } from '../../src/persistence/record.js';

const partSize = 100 * 1024;
/** 5 parts: four of 100 KiB and a 1,000-byte tail. */
const plan = planParts(4 * partSize + 1000, partSize);

/** A fake 32-hex-digit MD5 per part number (upper case). */
const md5Of = (n: number, salt = 'A'): string => `${salt}${String(n).padStart(2, '0')}`.padEnd(32, '0').toUpperCase();
const sizeOf = (n: number): number => plan[n - 1]?.size ?? 1;

function journalled(n: number, overrides: Partial<JournalPart> = {}): JournalPart {
  return { partNumber: n, etag: `"${md5Of(n)}"`, size: sizeOf(n), md5: md5Of(n), ...overrides };
}

function listed(n: number, overrides: Partial<ListedPart> = {}): ListedPart {
  return { partNumber: n, etag: `"${md5Of(n)}"`, size: sizeOf(n), lastModified: '2024-01-01T00:00:00.000Z', crc64: undefined, ...overrides };
}

const numbers = (parts: readonly PartPlan[]) => parts.map((p) => p.partNumber);

describe('reconcile', () => {
  it('trusts every part that is journalled and listed with the planned size and the journalled MD5', () => {
    const all = [1, 2, 3, 4, 5];
    const result = reconcile(plan, all.map((n) => journalled(n)), all.map((n) => listed(n)));
    expect(result.missing).toEqual([]);
    expect([...result.done.keys()].sort((a, b) => a - b)).toEqual(all);
    expect(result.skippedParts).toBe(5);
    expect(result.skippedBytes).toBe(4 * partSize + 1000);
  });

  it('sends everything when there is neither a journal nor a listed part', () => {
    const result = reconcile(plan, [], []);
    expect(result.missing).toEqual(plan);
    expect(result.done.size).toBe(0);
    expect(result).toMatchObject({ skippedParts: 0, skippedBytes: 0 });
  });

  it('re-sends parts the journal has but the server lacks', () => {
    const result = reconcile(plan, [1, 2, 3].map((n) => journalled(n)), [1, 3].map((n) => listed(n)));
    expect(numbers(result.missing)).toEqual([2, 4, 5]);
    expect([...result.done.keys()]).toEqual([1, 3]);
    expect(result).toMatchObject({ skippedParts: 2, skippedBytes: 2 * partSize });
  });

  it('re-sends parts the server lists but the journal never recorded (in flight at the pause)', () => {
    const result = reconcile(plan, [1].map((n) => journalled(n)), [1, 2, 3, 4, 5].map((n) => listed(n)));
    expect(numbers(result.missing)).toEqual([2, 3, 4, 5]);
    expect(result).toMatchObject({ skippedParts: 1, skippedBytes: partSize });
  });

  it('re-sends a part whose listed size differs from the plan, even with a matching ETag', () => {
    const result = reconcile(plan, [1, 2].map((n) => journalled(n)), [listed(1), listed(2, { size: partSize - 1 })]);
    expect(numbers(result.missing)).toEqual([2, 3, 4, 5]);
    expect(result).toMatchObject({ skippedParts: 1, skippedBytes: partSize });
  });

  it('re-sends a part whose journalled size differs from the plan (the part size changed), even when the server agrees with the journal', () => {
    const shortJournal = journalled(5, { size: 999 });
    const result = reconcile(plan, [journalled(4), shortJournal], [listed(4), listed(5, { size: 999 })]);
    expect(numbers(result.missing)).toEqual([1, 2, 3, 5]);
    expect(result).toMatchObject({ skippedParts: 1, skippedBytes: partSize });
  });

  it('re-sends a part whose listed ETag is not the journalled MD5 (same size: the part was overwritten)', () => {
    const result = reconcile(plan, [1, 2].map((n) => journalled(n)), [listed(1), listed(2, { etag: `"${md5Of(2, 'B')}"` })]);
    expect(numbers(result.missing)).toEqual([2, 3, 4, 5]);
    expect([...result.done.keys()]).toEqual([1]);
  });

  it.each([
    ['quoted upper case', (hex: string) => `"${hex}"`],
    ['unquoted', (hex: string) => hex],
    ['quoted lower case', (hex: string) => `"${hex.toLowerCase()}"`],
    ['weak, with spaces', (hex: string) => ` W/"${hex}" `],
  ])('compares the ETag with the MD5 ignoring quotes and case (%s)', (_name, shape) => {
    const result = reconcile(plan, [journalled(1, { md5: md5Of(1).toLowerCase() })], [listed(1, { etag: shape(md5Of(1)) })]);
    expect([...result.done.keys()]).toEqual([1]);
    expect(result.skippedBytes).toBe(partSize);
  });

  it('takes the ETag from the server for trusted parts (Complete sends it verbatim)', () => {
    const serverEtag = `"${md5Of(1).toLowerCase()}"`;
    const result = reconcile(plan, [journalled(1, { etag: 'stale' })], [listed(1, { etag: serverEtag })]);
    expect(result.done.get(1)).toEqual({ partNumber: 1, etag: serverEtag, size: partSize, md5: md5Of(1) });
  });

  it('ignores journalled or listed parts outside the plan, and lists missing parts in plan order', () => {
    const journal = [journalled(3), journalled(1), { partNumber: 9, etag: '"X"', size: 1, md5: 'X' }];
    const server = [listed(9, { etag: '"X"', size: 1 }), listed(3), listed(1)];
    const result = reconcile(plan, journal, server);
    expect([...result.done.keys()].sort((a, b) => a - b)).toEqual([1, 3]);
    expect(numbers(result.missing)).toEqual([2, 4, 5]);
    expect(result.missing).toEqual([plan[1], plan[3], plan[4]]); // the planned ranges themselves
    expect(result).toMatchObject({ skippedParts: 2, skippedBytes: 2 * partSize });
  });

  it('counts a trusted short last part with its own size', () => {
    const result = reconcile(plan, [journalled(5)], [listed(5)]);
    expect(result).toMatchObject({ skippedParts: 1, skippedBytes: 1000 });
    expect(numbers(result.missing)).toEqual([1, 2, 3, 4]);
  });

  it('reconciles a 10,000-part journal', () => {
    const big = planParts(10_000 * partSize, partSize);
    const md5 = (n: number) => n.toString(16).toUpperCase().padStart(32, '0');
    const journal = big.map((p) => ({ partNumber: p.partNumber, etag: `"${md5(p.partNumber)}"`, size: p.size, md5: md5(p.partNumber) }));
    // The server lost every 1,000th part and has a different part 5001.
    const server: ListedPart[] = big.filter((p) => p.partNumber % 1000 !== 0).map((p) => ({
      partNumber: p.partNumber, etag: p.partNumber === 5001 ? '"FFFF"' : `"${md5(p.partNumber)}"`, size: p.size, lastModified: '', crc64: undefined,
    }));
    const result = reconcile(big, journal, server);
    expect(numbers(result.missing)).toEqual([1000, 2000, 3000, 4000, 5000, 5001, 6000, 7000, 8000, 9000, 10_000]);
    expect(result.skippedParts).toBe(9989);
    expect(result.skippedBytes).toBe(9989 * partSize);
  });
});

describe('reconcile: the action for each planned part', () => {
  const actions = (result: ReturnType<typeof reconcile>) => result.actions.map((a) => [a.part.partNumber, a.action]);

  it('skips trusted parts and sends the rest, in plan order, every planned part once', () => {
    const result = reconcile(plan, [1, 2, 4].map((n) => journalled(n)), [1, 3, 4].map((n) => listed(n)));
    expect(actions(result)).toEqual([[1, 'skip'], [2, 'send'], [3, 'send'], [4, 'skip'], [5, 'send']]);
    expect(result.actions.map((a) => a.part)).toEqual(plan);
  });

  it('verifies trusted parts instead of skipping them with { verify: true }; the counts stay the same', () => {
    const result = reconcile(plan, [1, 2, 4].map((n) => journalled(n)), [1, 3, 4].map((n) => listed(n)), { verify: true });
    expect(actions(result)).toEqual([[1, 'verify'], [2, 'send'], [3, 'send'], [4, 'verify'], [5, 'send']]);
    expect(result).toMatchObject({ skippedParts: 2, skippedBytes: 2 * partSize });
    expect(numbers(result.missing)).toEqual([2, 3, 5]);
  });

  it('sends every part of a new upload (no journal, nothing listed)', () => {
    expect(actions(reconcile(plan, [], [], { verify: true }))).toEqual(plan.map((p) => [p.partNumber, 'send']));
  });

  it('gives a trusted part the listed ETag and CRC-64 and the journalled MD5', () => {
    const serverEtag = `"${md5Of(2).toLowerCase()}"`;
    const [, second] = reconcile(plan, [journalled(2, { etag: 'stale' })], [listed(2, { etag: serverEtag, crc64: '18446744073709551615' })]).actions;
    expect(second).toEqual({
      action: 'skip', part: plan[1],
      trusted: { partNumber: 2, etag: serverEtag, size: partSize, md5: md5Of(2), crc64: 18446744073709551615n },
    });
  });
});
