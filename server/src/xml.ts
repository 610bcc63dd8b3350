/**
 * XML bodies: responses are rendered from plain element trees (the shapes are small and fixed,
 * oss-protocol.md §2), and the one request body the server parses — CompleteMultipartUpload —
 * goes through fast-xml-parser with every value kept as a string.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { errors, type OssError } from './errors.js';

/** An element's children: text, nested elements, or a list rendered as repeated elements. */
export type XmlValue = string | number | boolean | XmlElement | readonly XmlElement[] | undefined;
/** Element name → value; undefined values are skipped, arrays repeat the element. */
export type XmlElement = { readonly [name: string]: XmlValue };

const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Escapes text for element content. Quotes stay literal, as OSS writes ETags (`"…"`); control
 * characters other than tab/LF/CR are not legal in XML 1.0 and become character references.
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
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

/** Renders a document with one root element. */
export function renderXml(root: string, children: XmlElement): string {
  return `${declaration}<${root}>${renderChildren(children)}</${root}>`;
}

/** The `<Error>` document of oss-protocol.md §1.3. */
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
