/**
 * The automatic part size (`partSize: 'auto'`, the default; pure). A part is the unit of loss and
 * of acknowledgement: a dropped connection costs the part in flight, and progress is safe on the
 * server only part by part. So parts are sized in link time, not bytes:
 * - when the uploader has measured the link (an earlier upload), a part is about `targetSeconds`
 *   of the link's throughput, between `minBytes` and `maxBytes`;
 * - before anything was measured, a file is cut into about `unknownLinkParts` parts, between
 *   `unknownMinBytes` and `maxBytes`, so even a slow first upload acknowledges its bytes in steps.
 * Once an upload is initiated its part size is journalled and kept: a resume plans with it.
 */

/** The policy's numbers (README, "Slow and distant links"). */
export const autoPartSize = {
  minBytes: 256 * 1024,
  maxBytes: 8 * 1024 * 1024,
  targetSeconds: 10,
  unknownLinkParts: 16,
  unknownMinBytes: 1024 * 1024,
} as const;

const step = 64 * 1024;

/** The part size for a new upload of `fileSize` bytes; `linkBytesPerSecond` is what the uploader has measured, if anything. */
export function choosePartSize(fileSize: number, linkBytesPerSecond: number | undefined): number {
  const { minBytes, maxBytes, targetSeconds, unknownLinkParts, unknownMinBytes } = autoPartSize;
  const wanted = linkBytesPerSecond === undefined
    ? Math.max(unknownMinBytes, fileSize / unknownLinkParts)
    : Math.max(minBytes, linkBytesPerSecond * targetSeconds);
  return Math.min(maxBytes, Math.ceil(wanted / step) * step);
}

/** What an uploader remembers of its link between uploads. */
export type LinkMemory = {
  /** The throughput measured by the latest upload that moved enough to tell, if it is recent. */
  bytesPerSecond(now: number): number | undefined;
  /** An upload moved `bytes` while it had parts in flight for `ms`. */
  record(bytes: number, ms: number, now: number): void;
};

/** Measurements older than this say little about the link now (the user may have moved). */
const memoryMs = 30 * 60_000;

/** Creates an empty {@link LinkMemory}. */
export function createLinkMemory(): LinkMemory {
  let last: { rate: number; at: number } | undefined;
  return {
    bytesPerSecond: (now) => (last && now - last.at <= memoryMs ? last.rate : undefined),
    record(bytes, ms, now) {
      // A couple of seconds and a few hundred KiB at least, or latency dominates the figure.
      if (ms >= 2000 && bytes >= 256 * 1024) last = { rate: (bytes * 1000) / ms, at: now };
    },
  };
}
