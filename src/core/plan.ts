/**
 * The slicer (pure): part size and part boundaries for a file size, within the OSS limits of
 * docs/protocol.md §2.8 — 1..10,000 parts, each but the last between 100 KB and 5 GiB.
 */
import { maxPartCount, maxPartSizeBytes, minPartSizeBytes } from '../oss/limits.js';
import { checkPartSize } from '../options.js';

/** Default part size: 8 MiB keeps per-part progress smooth and memory small. */
export const defaultPartSizeBytes = 8 * 1024 * 1024;

/** One part: bytes `[start, end)` of the file. */
export type PartPlan = { readonly partNumber: number; readonly start: number; readonly end: number; readonly size: number };

/** Whether `partSize` (e.g. a journalled one) can plan `fileSize` bytes within the OSS limits. */
export function isUsablePartSize(fileSize: number, partSize: unknown): partSize is number {
  return typeof partSize === 'number' && Number.isInteger(partSize) && partSize >= minPartSizeBytes && partSize <= maxPartSizeBytes &&
    Math.ceil(fileSize / partSize) <= maxPartCount;
}

/**
 * The part size to use for a file: the requested one, raised (to a whole MiB) when the file would
 * otherwise need more than 10,000 parts.
 */
export function effectivePartSize(fileSize: number, requested: number): number {
  checkPartSize(requested);
  if (fileSize > maxPartCount * maxPartSizeBytes) {
    throw new RangeError(`A file of ${fileSize} bytes exceeds what ${maxPartCount} parts of at most ${maxPartSizeBytes} bytes can hold`);
  }
  const needed = Math.ceil(fileSize / maxPartCount);
  if (needed <= requested) return requested;
  const mib = 1024 * 1024;
  return Math.min(maxPartSizeBytes, Math.ceil(needed / mib) * mib);
}

/** Splits `fileSize` bytes into parts of `partSize` (the last may be shorter; none for 0 bytes). */
export function planParts(fileSize: number, partSize: number): PartPlan[] {
  if (!Number.isInteger(fileSize) || fileSize < 0) throw new RangeError(`Expected a file size ≥ 0, got ${fileSize}`);
  const parts: PartPlan[] = [];
  for (let start = 0, partNumber = 1; start < fileSize; start += partSize, partNumber++) {
    const end = Math.min(fileSize, start + partSize);
    parts.push({ partNumber, start, end, size: end - start });
  }
  if (parts.length > maxPartCount) throw new RangeError(`${parts.length} parts exceed the OSS limit of ${maxPartCount}; use effectivePartSize`);
  return parts;
}
