/**
 * The headers an object is written with (PutObject, InitiateMultipartUpload), built from the
 * options and checked on the way: bad input fails at the call with a TypeError or RangeError naming
 * the option, instead of reaching fetch, whose refusal would look like a network failure.
 * src/options.ts checks `upload()` options by building these headers once (checkUploadOptions), and
 * the client's writes build them for the request: checking is the same walk over the options as
 * building, so it stays in this one walk rather than in a second one kept in step with it.
 *
 * Text beyond ASCII travels as its UTF-8 bytes, each byte one Latin-1 character of the header
 * string: fetch and XMLHttpRequest put such a string on the wire byte for byte, OSS keeps the bytes
 * and sends them back alike, and the signers hash exactly those bytes (canonical.ts `wireValue`).
 */
import { expected } from '../describe.js';
import type { ContentDisposition, ObjectAcl, ObjectHeaderOptions, ServerSideEncryption, StorageClass } from '../types.js';
import { binaryBytes, binaryUtf8, encodeRfc3986 } from './canonical.js';
import { maxTagCount, maxTagKeyChars, maxTagValueChars } from './limits.js';

/** What a write sets on the object: {@link ObjectHeaderOptions}, Content-Type, metadata, overwrite guard. */
export type WriteHeaderOptions = { readonly [K in keyof ObjectHeaderOptions]?: ObjectHeaderOptions[K] | undefined } & {
  readonly contentType?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly forbidOverwrite?: boolean | undefined;
};

// Keyed by the unions, so the compiler holds each list to its type in both directions.
const storageClasses: Record<StorageClass, 1> = { Standard: 1, IA: 1, Archive: 1, ColdArchive: 1, DeepColdArchive: 1 };
const acls: Record<ObjectAcl, 1> = { default: 1, private: 1, 'public-read': 1, 'public-read-write': 1 };
const encryptions: Record<ServerSideEncryption, 1> = { AES256: 1, KMS: 1, SM4: 1 };

/** Controls other than tab: no HTTP field value may hold them (RFC 9110 §5.5). */
const controlCharacter = /[\0-\x08\n-\x1f\x7f]/;
/** A lone UTF-16 surrogate has no UTF-8 form: TextEncoder would silently send U+FFFD instead. */
export const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** An HTTP token (RFC 9110 §5.6.2): what a header name is made of. */
const token = /^[\w!#$%&'*+.^`|~-]+$/;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `value` as a header value (its UTF-8 bytes as Latin-1 characters); `field` names it in errors. */
export function headerValue(value: unknown, field: string): string {
  if (typeof value !== 'string' || controlCharacter.test(value) || loneSurrogate.test(value)) {
    throw new TypeError(expected(field, 'a string without control characters (tab aside) or lone UTF-16 surrogates', typeof value === 'string' ? JSON.stringify(value) : value));
  }
  return binaryUtf8(value);
}

/**
 * A header value as the response carried it, decoded: browsers and Node hand each byte over as one
 * Latin-1 character, so text OSS stored as UTF-8 is turned back into that text; bytes that are not
 * UTF-8 stay as they came.
 */
export function readHeaderValue(value: string): string {
  if (!/[\x80-\xff]/.test(value) || /[^\0-\xff]/.test(value)) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(binaryBytes(value));
  } catch {
    return value;
  }
}

function oneOf<T extends string>(value: unknown, allowed: Record<T, 1>, field: string): T {
  if (typeof value === 'string' && Object.hasOwn(allowed, value)) return value as T;
  throw new TypeError(expected(field, `one of ${Object.keys(allowed).join(', ')}`, value));
}

/** The `x-oss-object-acl` header of `acl`, checked. */
export function aclHeader(acl: ObjectAcl | undefined): Record<string, string> {
  return acl === undefined ? {} : { 'x-oss-object-acl': oneOf(acl, acls, 'acl') };
}

/** Content-Disposition of a string, or of a type and file name as RFC 6266 and RFC 8187 write it. */
function disposition(value: ContentDisposition): string {
  if (typeof value === 'string') return headerValue(value, 'contentDisposition');
  if (!isRecord(value)) throw new TypeError(expected('contentDisposition', 'a string or { type, filename }', value));
  const { type, filename } = value;
  if (type !== 'attachment' && type !== 'inline') throw new TypeError(expected('contentDisposition.type', "'attachment' or 'inline'", type));
  if (filename === undefined) return type;
  if (typeof filename !== 'string' || filename === '' || loneSurrogate.test(filename)) {
    throw new TypeError(expected('contentDisposition.filename', 'a non-empty, well-formed string', filename));
  }
  // The quoted name is the fallback of clients that ignore `filename*`: printable ASCII without `"`
  // and `\` (quoting) or `%` (some decode escapes in it). Only a name that needed it gets `filename*`.
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/gu, '_');
  const quoted = `${type}; filename="${fallback}"`;
  return fallback === filename ? quoted : `${quoted}; filename*=UTF-8''${encodeRfc3986(filename)}`;
}

/** An HTTP date (IMF-fixdate) of a Date or a date string. */
function httpDate(value: unknown): string {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined) throw new TypeError(expected('expires', 'a Date or a date string', value));
  if (Number.isNaN(date.getTime())) throw new RangeError(expected('expires', 'a valid date', value));
  return date.toUTCString();
}

/** `x-oss-tagging`: `k=v&…`, each URL-encoded, within OSS's tag limits. */
function tagging(tags: unknown): string {
  if (!isRecord(tags)) throw new TypeError(expected('tags', 'an object of strings', tags));
  const entries = Object.entries(tags);
  if (entries.length > maxTagCount) throw new RangeError(expected('tags', `at most ${maxTagCount} tags`, entries.length));
  return entries.map(([key, value]) => {
    const field = `tags.${key}`;
    if (typeof value !== 'string' || loneSurrogate.test(key + value)) throw new TypeError(expected(field, 'a well-formed string', value));
    // OSS counts characters; a code point is one however many UTF-16 units it takes.
    const keyChars = [...key].length;
    if (keyChars < 1 || keyChars > maxTagKeyChars) throw new RangeError(expected(field, `keyed by 1..${maxTagKeyChars} characters`, keyChars));
    if ([...value].length > maxTagValueChars) throw new RangeError(expected(field, `at most ${maxTagValueChars} characters`, [...value].length));
    return `${encodeRfc3986(key)}=${encodeRfc3986(value)}`;
  }).join('&');
}

/** Plain text options and their headers. */
const textHeaders = [
  ['cacheControl', 'Cache-Control'], ['contentEncoding', 'Content-Encoding'], ['contentLanguage', 'Content-Language'],
  ['kmsKeyId', 'x-oss-server-side-encryption-key-id'],
] as const satisfies ReadonlyArray<readonly [keyof ObjectHeaderOptions, string]>;

/**
 * The headers of a write, every option checked: TypeError for a wrong type or a value no header can
 * carry (control characters), RangeError for a value out of OSS's limits, each naming the option.
 */
export function objectHeaders(options: WriteHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const { contentType, metadata, contentDisposition, expires, storageClass, serverSideEncryption, kmsKeyId, tags } = options;
  if (contentType) headers['Content-Type'] = headerValue(contentType, 'contentType');
  if (metadata !== undefined) {
    if (!isRecord(metadata)) throw new TypeError(expected('metadata', 'an object of strings', metadata));
    for (const [name, value] of Object.entries(metadata)) {
      if (!token.test(name)) throw new TypeError(expected(`metadata.${name}`, "named by an HTTP token (letters, digits, !#$%&'*+-.^_`|~)", JSON.stringify(name)));
      headers[`x-oss-meta-${name.toLowerCase()}`] = headerValue(value, `metadata.${name}`);
    }
  }
  if (options.forbidOverwrite) headers['x-oss-forbid-overwrite'] = 'true';
  for (const [field, header] of textHeaders) {
    if (options[field] !== undefined) headers[header] = headerValue(options[field], field);
  }
  if (contentDisposition !== undefined) headers['Content-Disposition'] = disposition(contentDisposition);
  if (expires !== undefined) headers['Expires'] = httpDate(expires);
  if (storageClass !== undefined) headers['x-oss-storage-class'] = oneOf(storageClass, storageClasses, 'storageClass');
  if (serverSideEncryption !== undefined) headers['x-oss-server-side-encryption'] = oneOf(serverSideEncryption, encryptions, 'serverSideEncryption');
  if (kmsKeyId !== undefined && serverSideEncryption !== 'KMS') {
    throw new TypeError(expected('kmsKeyId', "given only with serverSideEncryption 'KMS', not", serverSideEncryption));
  }
  if (tags !== undefined) {
    const value = tagging(tags);
    if (value !== '') headers['x-oss-tagging'] = value;
  }
  return { ...headers, ...aclHeader(options.acl) };
}
