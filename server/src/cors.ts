/**
 * CORS as OSS applies it (oss-protocol.md §4): OPTIONS preflights are answered from the bucket's
 * rules without a signature, the first matching rule wins, and every actual response — errors
 * included — carries the allow-origin and expose headers, or the browser hides status and body.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { errors } from './errors.js';

/** One CORS rule, as in PutBucketCors. */
export type CorsRule = {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
};

/** The rule the local server uses for each `--cors-origin`. */
export function defaultCorsRule(origins: readonly string[]): CorsRule {
  return {
    allowedOrigins: origins,
    allowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma', 'x-oss-version-id', 'x-oss-object-type', 'Content-MD5', 'Content-Range'],
    maxAgeSeconds: 600,
  };
}

function wildcard(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern.toLowerCase() === value.toLowerCase();
  const escaped = pattern.toLowerCase().split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(value.toLowerCase());
}

function matchRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[]): CorsRule | undefined {
  return rules.find((rule) =>
    rule.allowedOrigins.some((o) => wildcard(o, origin)) &&
    rule.allowedMethods.includes(method) &&
    requestHeaders.every((h) => rule.allowedHeaders.some((a) => wildcard(a, h))));
}

/** Answers an OPTIONS preflight; throws AccessForbidden (no CORS headers) when no rule matches. */
export function answerPreflight(rules: readonly CorsRule[], headers: IncomingHttpHeaders, response: ServerResponse): void {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (typeof origin !== 'string' || typeof method !== 'string') throw errors.accessForbidden();
  const requested = (headers['access-control-request-headers'] ?? '')
    .toString().split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  const rule = matchRule(rules, origin, method.toUpperCase(), requested);
  if (!rule) throw errors.accessForbidden();
  response.setHeader('Access-Control-Allow-Origin', origin);
  response.setHeader('Access-Control-Allow-Methods', rule.allowedMethods.join(', '));
  if (requested.length > 0) response.setHeader('Access-Control-Allow-Headers', requested.join(', '));
  response.setHeader('Access-Control-Expose-Headers', rule.exposeHeaders.join(', '));
  response.setHeader('Access-Control-Max-Age', String(rule.maxAgeSeconds));
  response.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
}

/** Adds the CORS headers an actual (non-preflight) response needs, when the origin is allowed. */
export function decorateResponse(rules: readonly CorsRule[], headers: IncomingHttpHeaders, response: ServerResponse): void {
  const origin = headers.origin;
  if (typeof origin !== 'string') return;
  const rule = rules.find((r) => r.allowedOrigins.some((o) => wildcard(o, origin)));
  if (!rule) return;
  response.setHeader('Access-Control-Allow-Origin', origin);
  response.setHeader('Access-Control-Expose-Headers', rule.exposeHeaders.join(', '));
  response.setHeader('Vary', 'Origin');
}
