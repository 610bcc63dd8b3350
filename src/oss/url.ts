/**
 * Request URLs: virtual-hosted (`<bucket>.<endpoint host>`, the OSS default) or path style
 * (`<endpoint>/<bucket>`, e.g. a local server), keys percent-encoded as the signer expects.
 */
import { encodeKeyForPath, encodeRfc3986 } from './canonical.js';
import type { QueryEntry } from './signing-types.js';

/** Where requests go. */
export type Endpoint = { readonly url: URL; readonly pathStyle: boolean };

/** Parses the `endpoint` option: an absolute http(s) URL without path, query or credentials. */
export function parseEndpoint(endpoint: string, pathStyle: boolean): Endpoint {
  let url: URL;
  try {
    url = new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`);
  } catch {
    throw new TypeError(`Expected \`endpoint\` to be a URL like 'https://oss-cn-hangzhou.aliyuncs.com', got \`${endpoint}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Expected \`endpoint\` to use http or https, got \`${endpoint}\``);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username) {
    throw new TypeError(`Expected \`endpoint\` to have no path, query or credentials, got \`${endpoint}\``);
  }
  return { url, pathStyle };
}

/** Renders a query string in the form V4 signs (RFC 3986, bare names for undefined values). */
export function renderQuery(query: readonly QueryEntry[]): string {
  return query.map(([name, value]) => (value === undefined ? encodeRfc3986(name) : `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)).join('&');
}

/** The URL of an object (`key`) or a bucket (`key` undefined). */
export function buildUrl(endpoint: Endpoint, bucket: string, key: string | undefined, query: readonly QueryEntry[]): string {
  const { url, pathStyle } = endpoint;
  const host = pathStyle ? url.host : `${bucket}.${url.host}`;
  const path = pathStyle ? `/${bucket}/${key === undefined ? '' : encodeKeyForPath(key)}` : `/${key === undefined ? '' : encodeKeyForPath(key)}`;
  const search = query.length > 0 ? `?${renderQuery(query)}` : '';
  return `${url.protocol}//${host}${path}${search}`;
}

/** Region without the `oss-` prefix, as V4 scopes want it (`oss-cn-hangzhou` → `cn-hangzhou`). */
export function normalizeRegion(region: string): string {
  if (typeof region !== 'string' || !/^(oss-)?[a-z0-9-]+$/.test(region)) {
    throw new TypeError(`Expected \`region\` to be a region id like 'cn-hangzhou', got \`${String(region)}\``);
  }
  return region.replace(/^oss-/, '');
}
