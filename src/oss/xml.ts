/**
 * XML codec: one parse/build function per OSS message (docs/protocol.md §2). Values stay strings
 * (`parseTagValue: false`) so UploadId and ETag are never turned into numbers; lists are always
 * arrays, even with one `<Part>`; numbers are converted on purpose. Listing calls ask for
 * `encoding-type=url`, so keys with control characters survive the XML, and are decoded here.
 */
// fast-xml-parser's parser modules on their own, without XMLParser.js: the package entry (CommonJS,
// so bundlers can't tree-shake it) also pulls in XMLBuilder, and XMLParser.js the validator, 12 KB
// minified that the SDK never uses (size budget: scripts/measure-size.ts). `parse` below is XMLParser#parse without
// the validation branch. Default imports because these are CommonJS modules. Typed in xml-parser.d.ts.
import OptionsBuilder from 'fast-xml-parser/src/xmlparser/OptionsBuilder.js';
import OrderedObjParser from 'fast-xml-parser/src/xmlparser/OrderedObjParser.js';
import node2json from 'fast-xml-parser/src/xmlparser/node2json.js';
import { OssResponseError, type OssOperation } from '../errors.js';

const listElements = new Set(['Part', 'Upload', 'CommonPrefixes', 'Contents', 'Tag']);

const options = OptionsBuilder.buildOptions({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  // The five predefined entities count towards fast-xml-parser's limit of 1,000 expansions per
  // document, meant for DOCTYPE entity bombs: a 1,000-part page whose ETags are written `&quot;…&quot;`
  // (valid XML, and what S3-style servers send) has 2,000 and was refused. DOCTYPE entities stay bounded
  // by maxEntityCount / maxExpandedLength; the predefined ones cannot grow a document.
  processEntities: { maxTotalExpansions: Number.MAX_SAFE_INTEGER, maxExpansionDepth: 10 },
  isArray: (name) => listElements.has(name),
});

/** Parses a document into plain objects, as `new XMLParser(options).parse(xml)` does. */
function parse(xml: string): unknown {
  const tree = new OrderedObjParser(options).parseXml(xml);
  return tree === undefined ? undefined : node2json.prettify(tree, options);
}

type XmlNode = Record<string, unknown>;

/**
 * A body that is not the expected document. Internal: the parsers know only the text, so
 * {@link readXml} turns this into an {@link OssResponseError} with the facts of the response.
 */
export class MalformedXmlError extends Error {
  override readonly name = 'MalformedXmlError';
}

function root(xml: string, name: string): XmlNode {
  let doc: unknown;
  try {
    doc = parse(xml);
  } catch (error) {
    throw new MalformedXmlError(`malformed ${name} XML from the server`, { cause: error });
  }
  const node = (doc as XmlNode | undefined)?.[name];
  if (node === '') return {};
  if (node === null || typeof node !== 'object') throw new MalformedXmlError(`expected a <${name}> document from the server`);
  return node as XmlNode;
}

/** The request an answer belongs to, as {@link readXml} reports it. */
export type XmlRequest = { readonly operation: OssOperation; readonly method: string; readonly partNumber?: number | undefined };

/**
 * Reads `response`'s body and parses it with `parse`; a body that is not the expected document
 * rejects with {@link OssResponseError} (operation, status, request id, the body's beginning).
 */
export async function readXml<T>(response: Response, request: XmlRequest, parse: (xml: string) => T): Promise<T> {
  const body = await response.text();
  try {
    return parse(body);
  } catch (error) {
    if (!(error instanceof MalformedXmlError)) throw error;
    throw new OssResponseError({
      operation: request.operation, partNumber: request.partNumber, message: error.message, status: response.status,
      requestId: response.headers.get('x-oss-request-id') ?? undefined, method: request.method, url: response.url, body, cause: error,
    });
  }
}

function text(node: XmlNode, name: string): string {
  const value = node[name];
  return typeof value === 'string' ? value : '';
}

function int(node: XmlNode, name: string): number {
  const value = Number(text(node, name));
  return Number.isFinite(value) ? value : 0;
}

function list(node: XmlNode, name: string): XmlNode[] {
  const value = node[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

function decoder(node: XmlNode): (value: string) => string {
  if (text(node, 'EncodingType') !== 'url') return (value) => value;
  return (value) => {
    try {
      return decodeURIComponent(value.replace(/\+/g, '%20'));
    } catch {
      return value;
    }
  };
}

/** Escapes text for XML element content (quotes need no escaping there, and ETags carry them). */
function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Result of InitiateMultipartUpload. */
export type InitiateResult = { readonly bucket: string; readonly key: string; readonly uploadId: string };

/** Parses `<InitiateMultipartUploadResult>`. */
export function parseInitiate(xml: string): InitiateResult {
  const node = root(xml, 'InitiateMultipartUploadResult');
  const decode = decoder(node);
  return { bucket: text(node, 'Bucket'), key: decode(text(node, 'Key')), uploadId: text(node, 'UploadId') };
}

/** One part as ListParts reports it. */
export type ListedPart = {
  readonly partNumber: number;
  /** As sent by the server, quotes included. */
  readonly etag: string;
  readonly size: number;
  readonly lastModified: string;
  /** Unsigned decimal CRC-64, when the server reports it. */
  readonly crc64: string | undefined;
};

/** One page of ListParts. */
export type ListPartsPage = {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partNumberMarker: number;
  readonly nextPartNumberMarker: number;
  readonly maxParts: number;
  readonly isTruncated: boolean;
  readonly parts: readonly ListedPart[];
};

/** Parses `<ListPartsResult>`. */
export function parseListParts(xml: string): ListPartsPage {
  const node = root(xml, 'ListPartsResult');
  const decode = decoder(node);
  return {
    bucket: text(node, 'Bucket'),
    key: decode(text(node, 'Key')),
    uploadId: text(node, 'UploadId'),
    partNumberMarker: int(node, 'PartNumberMarker'),
    nextPartNumberMarker: int(node, 'NextPartNumberMarker'),
    maxParts: int(node, 'MaxParts'),
    isTruncated: text(node, 'IsTruncated') === 'true',
    parts: list(node, 'Part').map((part) => ({
      partNumber: int(part, 'PartNumber'),
      etag: text(part, 'ETag'),
      size: int(part, 'Size'),
      lastModified: text(part, 'LastModified'),
      crc64: text(part, 'HashCrc64ecma') || undefined,
    })),
  };
}

/** One multipart upload in progress. */
export type ListedUpload = { readonly key: string; readonly uploadId: string; readonly initiated: string };

/** One page of ListMultipartUploads. */
export type ListUploadsPage = {
  readonly bucket: string;
  readonly prefix: string;
  readonly delimiter: string;
  readonly isTruncated: boolean;
  readonly nextKeyMarker: string;
  readonly nextUploadIdMarker: string;
  readonly uploads: readonly ListedUpload[];
  readonly commonPrefixes: readonly string[];
};

/** Parses `<ListMultipartUploadsResult>`. */
export function parseListUploads(xml: string): ListUploadsPage {
  const node = root(xml, 'ListMultipartUploadsResult');
  const decode = decoder(node);
  return {
    bucket: text(node, 'Bucket'),
    prefix: decode(text(node, 'Prefix')),
    delimiter: decode(text(node, 'Delimiter')),
    isTruncated: text(node, 'IsTruncated') === 'true',
    nextKeyMarker: decode(text(node, 'NextKeyMarker')),
    nextUploadIdMarker: text(node, 'NextUploadIdMarker'),
    uploads: list(node, 'Upload').map((u) => ({ key: decode(text(u, 'Key')), uploadId: text(u, 'UploadId'), initiated: text(u, 'Initiated') })),
    commonPrefixes: list(node, 'CommonPrefixes').map((p) => decode(text(p, 'Prefix'))),
  };
}

/** Result of CompleteMultipartUpload (without a callback). */
export type CompleteXmlResult = { readonly location: string; readonly bucket: string; readonly key: string; readonly etag: string };

/** Parses `<CompleteMultipartUploadResult>`. */
export function parseComplete(xml: string): CompleteXmlResult {
  const node = root(xml, 'CompleteMultipartUploadResult');
  const decode = decoder(node);
  return { location: text(node, 'Location'), bucket: text(node, 'Bucket'), key: decode(text(node, 'Key')), etag: text(node, 'ETag') };
}

/** Parses `<CopyPartResult>`. */
export function parseCopyPart(xml: string): { readonly etag: string; readonly lastModified: string } {
  const node = root(xml, 'CopyPartResult');
  return { etag: text(node, 'ETag'), lastModified: text(node, 'LastModified') };
}

/** Parses `<AccessControlPolicy>` (GetObjectAcl): the object's ACL, e.g. `private` or `default`. */
export function parseAcl(xml: string): string {
  const grants = root(xml, 'AccessControlPolicy')['AccessControlList'];
  return typeof grants === 'object' && grants !== null ? text(grants as XmlNode, 'Grant') : '';
}

/** Parses `<Tagging>` (GetObjectTagging) into tag key → value. */
export function parseTagging(xml: string): Record<string, string> {
  const set = root(xml, 'Tagging')['TagSet'];
  const tags = typeof set === 'object' && set !== null ? list(set as XmlNode, 'Tag') : [];
  return Object.fromEntries(tags.map((tag) => [text(tag, 'Key'), text(tag, 'Value')]));
}

/** The children of an `<Error>` document as strings, or undefined if the body is not one. */
export function parseError(xml: string): Readonly<Record<string, string>> | undefined {
  let node: XmlNode;
  try {
    node = root(xml, 'Error');
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(node)) if (typeof value === 'string') out[name] = value;
  return out;
}

/** Builds the CompleteMultipartUpload body; ETags are sent exactly as UploadPart returned them (§2.4). */
export function buildCompleteBody(parts: ReadonlyArray<{ readonly partNumber: number; readonly etag: string }>): string {
  const items = parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${items.join('')}</CompleteMultipartUpload>`;
}
