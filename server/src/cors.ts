/**
 * CORS as OSS applies it (docs/protocol.md §4): each bucket carries its own rules (PutBucketCors),
 * OPTIONS preflights are answered from them without a signature, and the first matching rule wins.
 * No match means no CORS headers on an actual response (the browser then hides its status, body
 * and headers) and `403 AccessForbidden` for a preflight — exactly what a misconfigured real bucket
 * does to a page.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { errors } from './errors.js';

/** One CORS rule, as in PutBucketCors. */
export type CorsRule = {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  /** Absent when the rule has no MaxAgeSeconds (no `Access-Control-Max-Age` then). */
  readonly maxAgeSeconds: number | undefined;
};

/** A bucket's CORS configuration: its rules in order, and whether every answer carries `Vary: Origin`. */
export type CorsConfiguration = {
  readonly rules: readonly CorsRule[];
  readonly responseVary: boolean;
};

/**
 * The rule README.md recommends for a real bucket ("Using real OSS", step 1), for `origins`. The
 * local server starts its buckets with it, so what works locally works on a bucket set up that way.
 */
export function recommendedCorsRule(origins: readonly string[]): CorsRule {
  return {
    allowedOrigins: origins,
    allowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma'],
    maxAgeSeconds: 600,
  };
}

/** `*` matches any run of characters; OSS compares origins and header names case-insensitively. */
function wildcard(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern.toLowerCase() === value.toLowerCase();
  const escaped = pattern.toLowerCase().split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value.toLowerCase());
}

/** The first rule allowing `origin`, `method` and every one of `requestHeaders`. */
function matchRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[]): CorsRule | undefined {
  return rules.find((rule) =>
    rule.allowedOrigins.some((o) => wildcard(o, origin)) &&
    rule.allowedMethods.includes(method) &&
    requestHeaders.every((h) => rule.allowedHeaders.some((a) => wildcard(a, h))));
}

/** Names of the CORS headers this module sets, so a later decision can take an earlier one back. */
const corsHeaderNames = [
  'Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
  'Access-Control-Expose-Headers', 'Access-Control-Max-Age', 'Vary',
];

function clear(response: ServerResponse): void {
  for (const name of corsHeaderNames) response.removeHeader(name);
}

/**
 * Answers an OPTIONS preflight from `config` (undefined: the bucket has no CORS configuration).
 * Missing `Origin` or `Access-Control-Request-Method` is `400 BadRequest`; no matching rule is
 * `403 AccessForbidden`, and then no `Access-Control-*` header is sent.
 */
export function answerPreflight(config: CorsConfiguration | undefined, headers: IncomingHttpHeaders, response: ServerResponse): void {
  clear(response);
  if (config?.responseVary) response.setHeader('Vary', 'Origin');
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (typeof origin !== 'string' || origin === '') throw errors.badRequest('Insufficient information. Origin request header needed.');
  if (typeof method !== 'string' || method === '') throw errors.badRequest('Insufficient information. Request Access-Control-Request-Method header needed.');
  const requested = (headers['access-control-request-headers'] ?? '')
    .toString().split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const rule = config && matchRule(config.rules, origin, method.toUpperCase(), requested);
  if (!rule) throw errors.accessForbidden(config !== undefined);
  response.setHeader('Access-Control-Allow-Origin', origin);
  response.setHeader('Access-Control-Allow-Methods', rule.allowedMethods.join(', '));
  if (requested.length > 0) response.setHeader('Access-Control-Allow-Headers', requested.join(', '));
  if (rule.exposeHeaders.length > 0) response.setHeader('Access-Control-Expose-Headers', rule.exposeHeaders.join(', '));
  if (rule.maxAgeSeconds !== undefined) response.setHeader('Access-Control-Max-Age', String(rule.maxAgeSeconds));
}

/**
 * Sets the CORS headers of an actual (non-preflight) response from `config`, replacing any set
 * before: Allow-Origin and Expose-Headers of the first rule matching the origin and the method, or
 * none at all. Errors get them too, or a page could not read an error document.
 */
export function decorateResponse(config: CorsConfiguration | undefined, headers: IncomingHttpHeaders, method: string, response: ServerResponse): void {
  clear(response);
  if (config?.responseVary) response.setHeader('Vary', 'Origin');
  const origin = headers.origin;
  if (!config || typeof origin !== 'string') return;
  const rule = matchRule(config.rules, origin, method.toUpperCase(), []);
  if (!rule) return;
  response.setHeader('Access-Control-Allow-Origin', origin);
  if (rule.exposeHeaders.length > 0) response.setHeader('Access-Control-Expose-Headers', rule.exposeHeaders.join(', '));
}
