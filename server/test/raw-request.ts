/**
 * Raw HTTP requests against the local OSS server, for tests that need to send what no SDK would:
 * malformed headers, hostile paths, tampered signatures. Signing is OSS Signature V1 in headers
 * (docs/protocol.md §3.1), written here with node:crypto only — independent of the server's verifier
 * and of any SDK — so a test failure cannot be a shared bug.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** Root credentials of a server started with the defaults (issue 2: `oss-local-ak` / `oss-local-sk`). */
export const defaultCredentials: SigningCredentials = { accessKeyId: 'oss-local-ak', secret: 'oss-local-sk' };

/** Credentials to sign with; `token` is sent (and signed) as `x-oss-security-token`. */
export type SigningCredentials = { readonly accessKeyId: string; readonly secret: string; readonly token?: string };

/** Query as a raw string (sent verbatim after `?`), or pairs / a record (percent-encoded here). */
export type RawQuery = string | ReadonlyArray<readonly [string, string?]> | Readonly<Record<string, string>>;

/** One raw request. */
export type RawRequestOptions = {
  /** Port of the server on 127.0.0.1. */
  readonly port: number;
  /** @default 'GET' */
  readonly method?: string;
  /** Request target path, sent byte for byte (already percent-encoded; may be absolute-form). */
  readonly path: string;
  readonly query?: RawQuery;
  /**
   * Extra headers. A header given as `undefined` suppresses the default (`x-oss-date`, `host`).
   * `x-oss-date` defaults to now (RFC 1123) whenever the request is signed.
   */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: Buffer | string;
  /** Send the body with `Transfer-Encoding: chunked` instead of a Content-Length. */
  readonly chunked?: boolean;
  /** `true` signs with {@link defaultCredentials}. @default false */
  readonly sign?: boolean | SigningCredentials;
  /** Overrides the CanonicalizedResource the helper would derive from the path and query. */
  readonly resource?: string;
  /** Rewrites the computed signature before it is sent (tamper tests). */
  readonly mutateSignature?: (signature: string) => string;
  /** @default 20000 */
  readonly timeoutMs?: number;
};

/** What came back. */
export type RawResponse = {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Body as UTF-8 text. */
  readonly text: string;
  /**
   * Flat map of the `<Error>` document's children (Code, Message, RequestId, HostId, extras, EC…),
   * from the body — or, for a body-less answer (HEAD), from the base64 `x-oss-err` header. Empty when
   * there is no error document.
   */
  readonly xml: Record<string, string>;
  /** The error document's child element names in document order. */
  readonly xmlOrder: readonly string[];
  /** The StringToSign the helper signed, when it signed (a latin1 string of its bytes). */
  readonly stringToSign: string | undefined;
};

/** V1 sub-resources that enter the CanonicalizedResource (docs/protocol.md §3.1; everything else is unsigned). */
export const signedSubResources: ReadonlySet<string> = new Set([
  'acl', 'uploads', 'uploadId', 'partNumber', 'security-token', 'callback', 'callback-var',
  'response-content-type', 'response-content-language', 'response-expires', 'response-cache-control',
  'response-content-disposition', 'response-content-encoding', 'x-oss-process', 'x-oss-traffic-limit',
  'versionId', 'continuation-token', 'append', 'position', 'delete', 'objectMeta', 'tagging', 'symlink',
  'restore', 'location', 'cors', 'lifecycle', 'referer', 'website', 'logging', 'resourceGroup',
]);

/** RFC 1123 date as V1 expects it, e.g. `Wed, 28 Dec 2022 10:27:41 GMT`. */
export function rfc1123(ms: number = Date.now()): string {
  return new Date(ms).toUTCString();
}

/** `decodeURIComponent`, or the text itself where it is not valid percent-encoding. */
export function tryDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Query pairs, decoded (for signing) and the raw string (for sending). */
function renderQuery(query: RawQuery | undefined): { raw: string; pairs: Array<[string, string]> } {
  if (query === undefined) return { raw: '', pairs: [] };
  if (typeof query === 'string') {
    const pairs = query.split('&').filter((p) => p !== '').map((p): [string, string] => {
      const eq = p.indexOf('=');
      return eq === -1 ? [tryDecode(p), ''] : [tryDecode(p.slice(0, eq)), tryDecode(p.slice(eq + 1))];
    });
    return { raw: query, pairs };
  }
  const entries: Array<readonly [string, string?]> = Array.isArray(query)
    ? [...(query as ReadonlyArray<readonly [string, string?]>)]
    : Object.entries(query as Record<string, string>);
  const raw = entries.map(([k, v]) => (v === undefined ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&');
  return { raw, pairs: entries.map(([k, v]): [string, string] => [k, v ?? '']) };
}

/**
 * CanonicalizedResource (§3.1): `/bucket/<raw decoded key>` (or `/bucket/`, `/`), then `?` and the sorted
 * signed sub-resources as `name` or `name=value`, raw.
 */
export function canonicalizedResource(bucket: string | undefined, key: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  const base = bucket === undefined ? '/' : `/${bucket}/${key}`;
  const signed = pairs.filter(([name]) => signedSubResources.has(name))
    .slice().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  return signed.length === 0 ? base : `${base}?${signed.join('&')}`;
}

/** Bucket and decoded key as a path-style (or `<bucket>.localhost` virtual-hosted) server sees them. */
export function addressOf(path: string, host: string | undefined): { bucket: string | undefined; key: string } {
  let pathname = path;
  if (!pathname.startsWith('/')) {
    try {
      pathname = new URL(pathname).pathname;
    } catch {
      pathname = `/${pathname}`;
    }
  }
  const hostName = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (hostName.endsWith('.localhost')) return { bucket: hostName.slice(0, -'.localhost'.length), key: tryDecode(pathname.slice(1)) };
  const rest = pathname.slice(1);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (bucket === '') return { bucket: undefined, key: '' };
  return { bucket: tryDecode(bucket), key: slash === -1 ? '' : tryDecode(rest.slice(slash + 1)) };
}

/**
 * StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource,
 * as a latin1 string of the bytes signed (one character per byte): header values are already the wire
 * bytes (node:http sends a latin1 string byte for byte), the resource becomes its UTF-8 bytes.
 */
export function v1StringToSign(method: string, headers: Readonly<Record<string, string>>, resource: string): string {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  const ossHeaders = Object.keys(lower).filter((n) => n.startsWith('x-oss-')).sort()
    .map((n) => `${n}:${lower[n]!.replace(/^[\t ]+|[\t ]+$/g, '')}\n`).join('');
  const dateSlot = lower['date'] ?? lower['x-oss-date'] ?? '';
  const resourceBytes = Buffer.from(resource, 'utf8').toString('latin1');
  return `${method.toUpperCase()}\n${lower['content-md5'] ?? ''}\n${lower['content-type'] ?? ''}\n${dateSlot}\n${ossHeaders}${resourceBytes}`;
}

/** base64(HMAC-SHA1(secret, StringToSign)) over the bytes {@link v1StringToSign} stands for. */
export function v1Sign(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'latin1').digest('base64');
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_all, e: string) => {
    switch (e) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    }
  });
}

/** Flat map of the children of an `<Error>` document (empty when `text` is no error document). */
export function parseErrorXml(text: string): { map: Record<string, string>; order: string[] } {
  const map: Record<string, string> = {};
  const order: string[] = [];
  const root = /<Error>([\s\S]*)<\/Error>/.exec(text);
  if (!root) return { map, order };
  const child = /<([A-Za-z_][\w.-]*)>([\s\S]*?)<\/\1>|<([A-Za-z_][\w.-]*)\/>/g;
  for (let m = child.exec(root[1]!); m !== null; m = child.exec(root[1]!)) {
    const name = (m[1] ?? m[3])!;
    map[name] = decodeEntities(m[2] ?? '');
    order.push(name);
  }
  return { map, order };
}

/** Sends one request to 127.0.0.1:`port` with `Host: localhost:<port>` unless overridden. */
export function rawRequest(options: RawRequestOptions): Promise<RawResponse> {
  const method = (options.method ?? 'GET').toUpperCase();
  const { raw: rawQuery, pairs } = renderQuery(options.query);
  const target = rawQuery === '' ? options.path : `${options.path}${options.path.includes('?') ? '&' : '?'}${rawQuery}`;
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');

  const headers: Record<string, string> = {};
  const given = options.headers ?? {};
  const suppressed = new Set(Object.entries(given).filter(([, v]) => v === undefined).map(([k]) => k.toLowerCase()));
  if (!suppressed.has('host')) headers['host'] = `localhost:${options.port}`;
  for (const [name, value] of Object.entries(given)) if (value !== undefined) headers[name.toLowerCase()] = value;
  if (options.sign && !suppressed.has('x-oss-date') && headers['x-oss-date'] === undefined) headers['x-oss-date'] = rfc1123();
  if (body !== undefined) {
    if (options.chunked) headers['transfer-encoding'] = 'chunked';
    else if (headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  }

  let stringToSign: string | undefined;
  if (options.sign) {
    const credentials = options.sign === true ? defaultCredentials : options.sign;
    if (credentials.token !== undefined) headers['x-oss-security-token'] = credentials.token;
    let resource = options.resource;
    if (resource === undefined) {
      const { bucket, key } = addressOf(options.path.split('?')[0]!, headers['host']);
      const inPath = options.path.includes('?') ? renderQuery(options.path.slice(options.path.indexOf('?') + 1)).pairs : [];
      resource = canonicalizedResource(bucket, key, [...inPath, ...pairs]);
    }
    stringToSign = v1StringToSign(method, headers, resource);
    const signature = v1Sign(credentials.secret, stringToSign);
    headers['authorization'] = `OSS ${credentials.accessKeyId}:${options.mutateSignature ? options.mutateSignature(signature) : signature}`;
  }

  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: options.port, method, path: target, headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const text = buffer.toString('utf8');
        const errHeader = res.headers['x-oss-err'];
        const source = buffer.length === 0 && typeof errHeader === 'string' ? Buffer.from(errHeader, 'base64').toString('utf8') : text;
        const { map, order } = parseErrorXml(source);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, text, xml: map, xmlOrder: order, stringToSign });
      });
    });
    req.setTimeout(options.timeoutMs ?? 20_000, () => req.destroy(new Error(`rawRequest ${method} ${target} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
