/**
 * XML bodies: responses are rendered from plain element trees (the shapes are small and fixed,
 * docs/protocol.md §2), and the request bodies the server parses — CompleteMultipartUpload,
 * DeleteMultipleObjects and PutObjectTagging — go through fast-xml-parser with every value kept as a string.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { errors, type OssError } from './errors.js';

/** An element's children: text, nested elements, or a list rendered as repeated elements. */
export type XmlValue = string | number | boolean | XmlElement | readonly XmlElement[] | undefined;
/** Element name → value; undefined values are skipped, arrays repeat the element. */
export type XmlElement = { readonly [name: string]: XmlValue };

const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Escapes text for element content. Quotes stay literal, as OSS writes ETags (`"…"`). Characters
 * XML 1.0 does not allow (C0 controls but tab/LF/CR, U+FFFE, U+FFFF) become numeric character
 * references, as OSS writes them: such a document is refused by strict parsers (ali-oss's sax:
 * "Invalid character entity"), which is why OSS documents `encoding-type=url` for listings of such
 * keys. CR becomes `&#13;` too — legal, and unlike a raw CR it is not read back as LF.
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>\u0000-\u0008\u000b-\u001f\ufffe\uffff]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      default: return `&#${c.charCodeAt(0)};`;
    }
  });
}

function renderChildren(element: XmlElement): string {
  let out = '';
  for (const [name, value] of Object.entries(element)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly XmlElement[]) out += `<${name}>${renderChildren(item)}</${name}>`;
    } else if (typeof value === 'object') {
      out += `<${name}>${renderChildren(value as XmlElement)}</${name}>`;
    } else {
      out += `<${name}>${escapeXml(String(value))}</${name}>`;
    }
  }
  return out;
}

/** Object key as rendered in XML, URL-encoded when `encoding-type=url` was asked for. */
export function encodeKey(key: string, urlEncoding: boolean): string {
  return urlEncoding ? encodeURIComponent(key) : key;
}

/** Renders a document with one root element. */
export function renderXml(root: string, children: XmlElement): string {
  return `${declaration}<${root}>${renderChildren(children)}</${root}>`;
}

/** The `<Error>` document of docs/protocol.md §1.3. */
export function renderError(error: OssError, requestId: string, hostId: string): string {
  return renderXml('Error', {
    Code: error.code,
    Message: error.message,
    RequestId: requestId,
    HostId: hostId,
    ...error.extras,
    EC: error.ec,
    RecommendDoc: error.ec ? `https://api.aliyun.com/troubleshoot?q=${error.ec}` : undefined,
  });
}

/** One `<Part>` of a CompleteMultipartUpload body. */
export type CompletePart = { readonly partNumber: number; readonly etag: string };

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  // The five predefined entities count towards fast-xml-parser's limit of 1,000 expansions per
  // document, meant for DOCTYPE entity bombs: a 1,000-part page whose ETags are written `&quot;…&quot;`
  // (valid XML, and what S3-style servers send) has 2,000 and was refused. DOCTYPE entities stay bounded
  // by maxEntityCount / maxExpandedLength; the predefined ones cannot grow a document.
  processEntities: { maxTotalExpansions: Number.MAX_SAFE_INTEGER, maxExpansionDepth: 10 },
  isArray: (_name, jpath) => jpath === 'CompleteMultipartUpload.Part',
});

/** Parses a CompleteMultipartUpload body; anything but the documented shape is MalformedXML. */
export function parseCompleteBody(body: string): CompletePart[] {
  const fail = (): OssError => errors.malformedXml();
  // A part list needs no document type: DTDs only bring entity expansion and external entities.
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw fail();
  if (XMLValidator.validate(body) !== true) throw fail();
  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch {
    throw fail();
  }
  const root = (doc as Record<string, unknown> | undefined)?.['CompleteMultipartUpload'];
  if (root === undefined || root === null || typeof root !== 'object') {
    if (root === '') return [];
    throw fail();
  }
  const parts = (root as Record<string, unknown>)['Part'] ?? [];
  if (!Array.isArray(parts)) throw fail();
  return parts.map((part: unknown) => {
    if (part === null || typeof part !== 'object') throw fail();
    const { PartNumber: number, ETag: etag } = part as Record<string, unknown>;
    if (typeof number !== 'string' || typeof etag !== 'string' || !/^\d{1,5}$/.test(number)) throw fail();
    return { partNumber: Number(number), etag };
  });
}

/** A DeleteMultipleObjects body: the keys in the order given, and whether the quiet mode was asked for. */
export type DeleteBody = { readonly quiet: boolean; readonly keys: readonly string[] };

// Keys are data, not markup: whitespace around them is part of the name (no trimming), and a key
// may be written with numeric character references (ali-oss escapes `'` as `&#39;`), which only
// `htmlEntities` decodes; named HTML entities are refused before parsing (see parseDeleteBody).
const deleteParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  processEntities: { maxTotalExpansions: Number.MAX_SAFE_INTEGER, maxExpansionDepth: 10 },
  isArray: (_name, jpath) => jpath === 'Delete.Object',
});

/** A UTF-16 surrogate without its pair (`&#xD800;`): no UTF-8 object name can hold one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `&` not starting one of XML's five predefined entities or a numeric character reference. */
const foreignEntity = /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/;

/**
 * Parses a DeleteMultipleObjects body (`<Delete><Quiet>…</Quiet><Object><Key>…</Key></Object>…</Delete>`).
 * Anything but that shape — no `<Object>`, an `<Object>` without exactly one non-empty `<Key>`, a
 * `<Quiet>` other than true/false — is MalformedXML. `<VersionId>` is refused as not implemented:
 * the local server keeps no versions, and deleting the current object instead would be wrong.
 */
export function parseDeleteBody(body: string): DeleteBody {
  const fail = (message?: string): OssError => errors.malformedXml(message);
  if (/<!DOCTYPE|<!ENTITY/i.test(body) || foreignEntity.test(body)) throw fail();
  if (XMLValidator.validate(body) !== true) throw fail();
  let doc: unknown;
  try {
    doc = deleteParser.parse(body);
  } catch {
    throw fail();
  }
  const root = (doc as Record<string, unknown> | undefined)?.['Delete'];
  if (root === null || typeof root !== 'object') throw fail('The XML you provided lists no objects.');
  const { Quiet: quietText, Object: objects } = root as Record<string, unknown>;
  let quiet = false;
  if (quietText !== undefined) {
    const value = typeof quietText === 'string' ? quietText.trim().toLowerCase() : undefined;
    if (value !== 'true' && value !== 'false') throw fail();
    quiet = value === 'true';
  }
  if (!Array.isArray(objects) || objects.length === 0) throw fail('The XML you provided lists no objects.');
  const keys = objects.map((object: unknown) => {
    if (object === null || typeof object !== 'object') throw fail('Every Object element needs a Key.');
    const { Key: key, VersionId: versionId } = object as Record<string, unknown>;
    if (versionId !== undefined) throw errors.notImplemented('Deleting object versions (VersionId)');
    if (typeof key !== 'string' || key === '' || loneSurrogate.test(key)) throw fail('Every Object element needs a Key.');
    return key;
  });
  return { quiet, keys };
}

const taggingParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  // Tag keys and values may start or end with spaces (OSS's tag alphabet includes the space).
  trimValues: false,
  isArray: (_name, jpath) => jpath === 'Tagging.TagSet.Tag',
});

/**
 * Parses a PutObjectTagging body, `<Tagging><TagSet><Tag><Key>…</Key><Value>…</Value></Tag>…</TagSet></Tagging>`,
 * into key/value pairs in document order (a missing Value is empty). Anything else is MalformedXML;
 * duplicates and limits are the caller's to check.
 */
export function parseTaggingBody(body: string): Array<readonly [string, string]> {
  const fail = (): OssError => errors.malformedXml();
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw fail();
  if (XMLValidator.validate(body) !== true) throw fail();
  let doc: unknown;
  try {
    doc = taggingParser.parse(body);
  } catch {
    throw fail();
  }
  const root = (doc as Record<string, unknown> | undefined)?.['Tagging'];
  if (root === null || typeof root !== 'object') throw fail();
  const tagSet = (root as Record<string, unknown>)['TagSet'];
  if (tagSet === undefined || (typeof tagSet === 'string' && tagSet.trim() === '')) {
    if (tagSet === undefined) throw fail();
    return [];
  }
  if (tagSet === null || typeof tagSet !== 'object') throw fail();
  const tags = (tagSet as Record<string, unknown>)['Tag'] ?? [];
  if (!Array.isArray(tags)) throw fail();
  return tags.map((tag: unknown) => {
    if (tag === null || typeof tag !== 'object') throw fail();
    const { Key: key = '', Value: value = '' } = tag as Record<string, unknown>;
    if (typeof key !== 'string' || typeof value !== 'string') throw fail();
    return [key, value] as const;
  });
}
