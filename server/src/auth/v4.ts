/**
 * OSS Signature V4 (`OSS4-HMAC-SHA256`) canonicalisation and signing, docs/protocol.md §3.3 and §3.4.
 * Pure functions over already-decoded request parts; written from the protocol notes, not from SDK code.
 *
 * The canonical request is hashed as bytes: path and query percent-encode their UTF-8 bytes (ASCII
 * results), header values stay the bytes sent (node:http's latin1 strings, one character per byte).
 */
import { createHash, createHmac } from 'node:crypto';
import type { QueryParam } from '../request.js';
import { trimHeaderValue } from './v1.js';

/** The algorithm name in the Authorization header, the StringToSign and `x-oss-signature-version`. */
export const v4Algorithm = 'OSS4-HMAC-SHA256';
/** Hashed-payload value when the body is not hashed into the signature (§3.3 field 6). */
export const unsignedPayload = 'UNSIGNED-PAYLOAD';
/** Product segment of the credential scope; CloudBox (`oss-cloudbox`) is not emulated. */
export const v4Product = 'oss';
/** Last segment of the credential scope. */
export const v4Terminator = 'aliyun_v4_request';

/** The parts of a request that V4 signs. Header names must already be lower-case. */
export type V4CanonicalRequestInput = {
  readonly method: string;
  readonly bucket: string | undefined;
  /** Decoded object key; undefined or `''` for bucket-level requests. */
  readonly key: string | undefined;
  /** Every query parameter to sign (presigned URLs leave out `x-oss-signature`). */
  readonly query: readonly QueryParam[];
  /** Values as node:http gives them: latin1 strings of the wire bytes. */
  readonly headers: Readonly<Record<string, string>>;
  /** Lower-case names from `AdditionalHeaders` / `x-oss-additional-headers`, in the order signed. */
  readonly additionalHeaders: readonly string[];
  /** `x-oss-content-sha256` value, or `UNSIGNED-PAYLOAD`. */
  readonly hashedPayload: string;
  /** Which empty values sent as `k=` keep the `=` (see {@link v4CanonicalQuery}). @default none */
  readonly keepEquals?: (name: string) => boolean;
};

// Encoded keys and header names are pure ASCII, where UTF-16 code unit order equals the byte order that
// §3.3 asks for (Go `sort.Strings`), unlike ali-oss's `localeCompare`.
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const isUnreserved = (byte: number): boolean =>
  (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
  || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;

/**
 * RFC 3986 percent-encoding of the UTF-8 bytes: only `A-Z a-z 0-9 - _ . ~` stay as they are, every other
 * byte becomes `%XX` (upper-case hex). With `keepSlash`, `/` is left alone (canonical URI, §3.3 field 2).
 */
export function v4Encode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += isUnreserved(byte) || (keepSlash && byte === 0x2f)
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Canonical query string: encoded `k=v`, sorted by encoded key, `&`-joined. An empty value renders
 * as bare `k` (Go SDKs), unless `keepEquals` says which names sent as `k=` keep the `=`: ali-oss
 * signs sub-resources bare (`uploads`) but other empty parameters as `prefix=`.
 */
export function v4CanonicalQuery(query: readonly QueryParam[], keepEquals?: (name: string) => boolean): string {
  return query
    .map(([name, value, equals]) => [v4Encode(name), v4Encode(value), equals === true && keepEquals?.(name) === true] as const)
    .sort(([ka, va], [kb, vb]) => byCodeUnit(ka, kb) || byCodeUnit(va, vb))
    .map(([name, value, equals]) => (value === '' && !equals ? name : `${name}=${value}`))
    .join('&');
}

/**
 * Canonical headers: `content-type`, `content-md5`, every `x-oss-*` header and the additional headers that
 * are present, as `name:trimmed value\n`, sorted by name (§3.3 field 4).
 */
export function v4CanonicalHeaders(
  headers: Readonly<Record<string, string>>,
  additionalHeaders: readonly string[],
): string {
  const names = new Set(additionalHeaders.filter((name) => headers[name] !== undefined));
  for (const name of Object.keys(headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) names.add(name);
  }
  return [...names].sort(byCodeUnit).map((name) => `${name}:${trimHeaderValue(headers[name] ?? '')}\n`).join('');
}

/**
 * The six-line canonical request of §3.3 (the header block's own trailing `\n` leaves an empty line), as
 * the bytes that are hashed. Every part but the header values is ASCII by then, so the whole text is
 * one latin1 string of bytes.
 */
export function v4CanonicalRequest(input: V4CanonicalRequestInput): Buffer {
  const path = input.bucket === undefined ? '/' : `/${input.bucket}/${input.key ?? ''}`;
  const text = [
    input.method.toUpperCase(),
    v4Encode(path, true),
    v4CanonicalQuery(input.query, input.keepEquals),
    v4CanonicalHeaders(input.headers, input.additionalHeaders),
    input.additionalHeaders.join(';'),
    input.hashedPayload,
  ].join('\n');
  return Buffer.from(text, 'latin1');
}

/** Credential scope `yyyymmdd/region/oss/aliyun_v4_request`. */
export function v4Scope(date: string, region: string): string {
  return `${date}/${region}/${v4Product}/${v4Terminator}`;
}

/**
 * `OSS4-HMAC-SHA256\n<x-oss-date>\n<scope>\nhex(SHA256(canonicalRequest))`; the scope date is the x-oss-date
 * day. A canonical request given as a string is hashed as its UTF-8 bytes.
 */
export function v4StringToSign(dateTime: string, region: string, canonicalRequest: Buffer | string): string {
  const hash = createHash('sha256').update(canonicalRequest).digest('hex');
  return `${v4Algorithm}\n${dateTime}\n${v4Scope(dateTime.slice(0, 8), region)}\n${hash}`;
}

/** Derives the signing key from `aliyun_v4` + secret through date, region, product, terminator; hex HMAC. */
export function v4Signature(secret: string, date: string, region: string, stringToSign: string): string {
  let key: Buffer = Buffer.from(`aliyun_v4${secret}`, 'utf8');
  for (const part of [date, region, v4Product, v4Terminator]) key = createHmac('sha256', key).update(part, 'utf8').digest();
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

/** The parsed `Credential` / `x-oss-credential` value `<AK>/<yyyymmdd>/<region>/<product>/<terminator>`. */
export type V4Credential = {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly product: string;
  readonly terminator: string;
};

/** Splits a credential; undefined when it does not have exactly five non-empty `/`-separated parts. */
export function parseV4Credential(value: string): V4Credential | undefined {
  const parts = value.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) return undefined;
  const [accessKeyId = '', date = '', region = '', product = '', terminator = ''] = parts;
  return { accessKeyId, date, region, product, terminator };
}

/** The fields of an `Authorization: OSS4-HMAC-SHA256 …` header (§3.3). */
export type V4Authorization = {
  readonly credential: string;
  readonly additionalHeaders: string | undefined;
  readonly signature: string;
};

const authorizationFields: ReadonlySet<string> = new Set(['Credential', 'AdditionalHeaders', 'Signature']);

/**
 * Parses `OSS4-HMAC-SHA256 Credential=…[,AdditionalHeaders=…],Signature=…`; undefined when malformed
 * (unknown or repeated field, missing Credential or Signature). SDKs put no space after the commas (§3.3);
 * hand-written clients often do, so spaces are tolerated.
 */
export function parseV4Authorization(value: string): V4Authorization | undefined {
  if (!value.startsWith(`${v4Algorithm} `)) return undefined;
  const fields = new Map<string, string>();
  for (const field of value.slice(v4Algorithm.length + 1).split(',')) {
    const trimmed = field.trim();
    const eq = trimmed.indexOf('=');
    const name = trimmed.slice(0, eq);
    if (eq <= 0 || !authorizationFields.has(name) || fields.has(name)) return undefined;
    fields.set(name, trimmed.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (credential === undefined || signature === undefined) return undefined;
  return { credential, additionalHeaders: fields.get('AdditionalHeaders'), signature };
}

const isoBasic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses `yyyyMMdd'T'HHmmss'Z'` (the V4 `x-oss-date`) to epoch milliseconds, or NaN when malformed. */
export function parseV4DateTime(value: string): number {
  const match = isoBasic.exec(value);
  if (match === null) return Number.NaN;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // A round trip rejects out-of-range fields that Date.UTC would silently roll over (month 13, 25:00).
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? ms : Number.NaN;
}
