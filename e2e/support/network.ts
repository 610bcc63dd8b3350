/**
 * Emulated real-world links (issue 12): Chromium's DevTools network emulation
 * (`Network.emulateNetworkConditions`) throttles a page's uploads to a rate and adds a latency to
 * every request, preflights included, per page (two pages at 1 Mbit/s get 1 Mbit/s each, measured).
 * The e2e network spec and `npm run bench -- --link` use the same profiles.
 */

/** An uplink: its rate and the round-trip latency added to every request. */
export type LinkProfile = {
  readonly id: string;
  /** Upload rate in bits per second. */
  readonly bitsPerSecond: number;
  readonly latencyMs: number;
};

/** The links of the e2e suite: a bad mobile uplink, hotel wifi far away, ADSL, a decent office line. */
export const e2eLinks: readonly LinkProfile[] = [
  { id: '256kbit-400ms', bitsPerSecond: 256_000, latencyMs: 400 },
  { id: '1mbit-300ms', bitsPerSecond: 1_000_000, latencyMs: 300 },
  { id: '4mbit-150ms', bitsPerSecond: 4_000_000, latencyMs: 150 },
  { id: '20mbit-40ms', bitsPerSecond: 20_000_000, latencyMs: 40 },
];

/** The benchmark's links: the e2e ones and a fast line. */
export const benchLinks: readonly LinkProfile[] = [...e2eLinks, { id: '100mbit-20ms', bitsPerSecond: 100_000_000, latencyMs: 20 }];

/** Finds a profile by id (`1mbit-300ms`). */
export function linkProfile(id: string): LinkProfile {
  const found = benchLinks.find((link) => link.id === id);
  if (!found) throw new Error(`Unknown link profile ${id}; known: ${benchLinks.map((link) => link.id).join(', ')}`);
  return found;
}

/** Upload bytes per second of a profile. */
export const bytesPerSecond = (link: LinkProfile): number => link.bitsPerSecond / 8;

/** How many bytes the link carries in `seconds` (a file "worth" that much link time), rounded to 64 KiB. */
export function bytesForSeconds(link: LinkProfile, seconds: number): number {
  return Math.round((bytesPerSecond(link) * seconds) / 65_536) * 65_536;
}

/** Link efficiency: the time the link needs for `bytes` over the time the upload took (1 = the link's ceiling). */
export function linkEfficiency(link: LinkProfile, bytes: number, elapsedMs: number): number {
  return (bytes / bytesPerSecond(link) * 1000) / elapsedMs;
}

/** Sends a CDP command to one page (a Playwright CDPSession or the benchmark's plain one). */
export type CdpSend = (method: string, params?: Record<string, unknown>) => Promise<unknown>;

/**
 * Applies `link` to the page `send` talks to, or lifts any emulation when `link` is undefined.
 * Downloads are not throttled: the profiles describe uplinks, and the answers are small.
 */
export async function emulateLink(send: CdpSend, link: LinkProfile | undefined): Promise<void> {
  await send('Network.enable');
  await send('Network.emulateNetworkConditions', link
    ? { offline: false, latency: link.latencyMs, downloadThroughput: -1, uploadThroughput: bytesPerSecond(link) }
    : { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}
