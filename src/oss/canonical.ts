/**
 * The canonical forms that both signers (V1 in signing-v1.ts, V4 in signing-v4.ts) and the URL builder
 * (url.ts) must agree on byte for byte (docs/protocol.md §3): header values as the bytes on the
 * wire, RFC 3986 percent-encoding, the resource path, lower-case header names and the sort order of
 * signed pairs. One module, so that neither signer borrows from the other.
 */

const textEncoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text` as a binary string, one Latin-1 character per byte: how header values
 * beyond ASCII travel (fetch and XMLHttpRequest send such a string byte for byte), and the form in
 * which the signers assemble what they hash.
 */
export function binaryUtf8(text: string): string {
  if (!/[^\0-\x7f]/.test(text)) return text;
  let binary = '';
  for (const byte of textEncoder.encode(text)) binary += String.fromCharCode(byte);
  return binary;
}

/** The bytes of a binary string (every character below 256). */
export function binaryBytes(binary: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * A header value as the bytes that go on the wire: a string of Latin-1 characters is sent one byte
 * per character, so it is signed that way too (hashing its UTF-8 re-encoding would sign other bytes
 * than the server receives); a value beyond Latin-1, which fetch would refuse, as its UTF-8.
 */
export function wireValue(value: string): string {
  return /[^\0-\xff]/.test(value) ? binaryUtf8(value) : value;
}

/**
 * {@link wireValue}, trimmed of HTTP whitespace (space, tab) as signed headers are: String#trim
 * would also cut a trailing 0xA0, the last byte of e.g. `à` (C3 A0).
 */
export function trimmedWireValue(value: string): string {
  return wireValue(value).replace(/^[\t ]+|[\t ]+$/g, '');
}

/**
 * Percent-encodes a string per RFC 3986: only `A-Z a-z 0-9 - _ . ~` stay as they are, every other
 * UTF-8 byte becomes `%XX` (upper-case hex). This is the encoding of the V4 canonical URI and query.
 *
 * @throws URIError when `value` holds a lone UTF-16 surrogate (it has no UTF-8 form).
 */
export function encodeRfc3986(value: string): string {
  // encodeURIComponent leaves !'()* alone; RFC 3986 and every OSS SDK escape them (§3.3 item 2,
  // ali-oss `encodeString`, go-sdk-v2 `escapePath`).
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The unencoded resource path `/bucket/key`, `/bucket/` for bucket operations or `/` for the
 * service. V1 signs it raw; V4 signs it RFC 3986-encoded.
 *
 * @throws TypeError when a key is given without a bucket.
 */
export function resourcePath(bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) {
    if (key !== undefined && key !== '') throw new TypeError(`Expected a bucket for object key \`${key}\``);
    return '/';
  }
  return `/${bucket}/${key ?? ''}`;
}

/**
 * Percent-encodes an object key for the URL path, keeping `/`: `encodeURIComponent` then `%2F` → `/`
 * as ali-oss `getReqUrl` does (§1.1), and additionally `!'()*` so that the path is byte-for-byte
 * the V4 canonical URI (OSS decodes both forms to the same key).
 *
 * @example encodeKeyForPath('dir/a+b (1).txt') // 'dir/a%2Bb%20%281%29.txt'
 * @throws URIError when the key holds a lone UTF-16 surrogate.
 */
export function encodeKeyForPath(key: string): string {
  return encodeRfc3986(key).replaceAll('%2F', '/');
}

/**
 * Orders `[name, value]` pairs by name, then value, in UTF-16 code-unit order (byte order for the
 * ASCII strings both signers sort).
 */
export function comparePairs(
  [a, av]: readonly [string, string],
  [b, bv]: readonly [string, string],
): number {
  if (a !== b) return a < b ? -1 : 1;
  return av < bv ? -1 : av > bv ? 1 : 0;
}

/** A copy of `headers` with lower-cased names (the contract says lower-case; this makes it so). */
export function lowerCaseNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = value;
  return result;
}

/** Throws RangeError unless `expiresSeconds`, the lifetime of a presigned URL, is an integer within 1..`max`. */
export function checkExpiresSeconds(expiresSeconds: number, max: number): void {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > max) {
    const got = `\`${String(expiresSeconds)}\` (${typeof expiresSeconds})`;
    throw new RangeError(`Expected \`expiresSeconds\` to be an integer between 1 and ${max}, got ${got}`);
  }
}
