/**
 * Upload fingerprint: bucket + key + name + size + lastModified + type + an MD5 of the first,
 * middle and last 64 KiB (hashed in a worker), so a different file with the same name and size is
 * never spliced onto old parts. The endpoint is left out on purpose: tus-js-client put it in and
 * broke resume for apps whose endpoint changes (docs/architecture.md#fingerprint).
 */
import type { Hasher } from '../hashing/hasher.js';

const sampleBytes = 64 * 1024;

/** The byte ranges sampled from a file of `size` bytes (merged where they overlap). */
export function sampleRanges(size: number): Array<readonly [number, number]> {
  if (size <= 3 * sampleBytes) return [[0, size]];
  const middle = Math.floor(size / 2 - sampleBytes / 2);
  return [[0, sampleBytes], [middle, middle + sampleBytes], [size - sampleBytes, size]];
}

/** Name and modification time of a File (a plain Blob has neither). */
export function fileIdentity(file: Blob): { name: string; lastModified: number } {
  const maybe = file as Partial<File>;
  return { name: typeof maybe.name === 'string' ? maybe.name : '', lastModified: typeof maybe.lastModified === 'number' ? maybe.lastModified : 0 };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Computes the fingerprint and the record id derived from it. */
export async function fingerprintFile(
  file: Blob, target: { readonly bucket: string; readonly key: string }, hasher: Hasher, signal?: AbortSignal,
): Promise<{ fingerprint: string; id: string }> {
  const { name, lastModified } = fileIdentity(file);
  const sample = await hasher.sample(file, sampleRanges(file.size), signal);
  const fingerprint = JSON.stringify([target.bucket, target.key, name, file.size, lastModified, file.type, sample]);
  return { fingerprint, id: (await sha256Hex(fingerprint)).slice(0, 32) };
}
