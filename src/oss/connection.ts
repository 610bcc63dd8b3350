/**
 * Validates connection options once, synchronously (a bad option throws at the call, not later
 * as a failed request), and builds the transport.
 */
import { normalizeRetry } from './retry.js';
import type { ConnectionOptions } from '../types.js';
import { createCredentialCache } from './credentials.js';
import { createTransport, type Transport } from './transport.js';
import { normalizeRegion, parseEndpoint } from './url.js';

const bucketPattern = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Defaults of {@link ConnectionOptions}. */
export const connectionDefaults = { pathStyle: false, signatureVersion: 'v4', stallTimeout: 30_000 } as const satisfies Partial<ConnectionOptions>;

function describe(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)}\` (${typeof value})`;
}

/** Throws TypeError unless `options` is an object; used by every factory. */
export function requireObject(options: unknown, name: string): asserts options is Record<string, unknown> {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected \`${name}\` options to be an object, got ${describe(options)}`);
}

/** Checks connection options and creates the transport. */
export function resolveConnection(options: ConnectionOptions): { transport: Transport } {
  requireObject(options, 'createOssClient');
  const { endpoint, bucket, region, credentials } = options;
  const pathStyle = options.pathStyle ?? connectionDefaults.pathStyle;
  const signatureVersion = options.signatureVersion ?? connectionDefaults.signatureVersion;
  const stallTimeout = options.stallTimeout ?? connectionDefaults.stallTimeout;
  // 0.2.0 replaced the whole-attempt `timeout` with `stallTimeout`; a silently ignored option would
  // bring back the very cut-offs it caused on slow links.
  if ('timeout' in options) throw new TypeError('The `timeout` option was replaced by `stallTimeout` (ms without any byte moving; see the CHANGELOG for 0.2.0)');
  if (typeof endpoint !== 'string') throw new TypeError(`Expected \`endpoint\` to be a string, got ${describe(endpoint)}`);
  if (typeof bucket !== 'string' || !bucketPattern.test(bucket)) throw new TypeError(`Expected \`bucket\` to be a bucket name (3–63 of a-z, 0-9, -), got ${describe(bucket)}`);
  if (typeof pathStyle !== 'boolean') throw new TypeError(`Expected \`pathStyle\` to be a boolean, got ${describe(pathStyle)}`);
  if (signatureVersion !== 'v4' && signatureVersion !== 'v1') throw new TypeError(`Expected \`signatureVersion\` to be 'v4' or 'v1', got ${describe(signatureVersion)}`);
  if (typeof stallTimeout !== 'number') throw new TypeError(`Expected \`stallTimeout\` to be a number of milliseconds, got ${describe(stallTimeout)}`);
  if (!Number.isInteger(stallTimeout) || stallTimeout < 1000 || stallTimeout > 3_600_000) {
    throw new RangeError(`Expected \`stallTimeout\` to be an integer within 1000..3600000 (ms), got ${describe(stallTimeout)}`);
  }
  if (credentials === null || (typeof credentials !== 'object' && typeof credentials !== 'function')) {
    throw new TypeError(`Expected \`credentials\` to be an object or a function, got ${describe(credentials)}`);
  }
  // Refresh-before-expiry must use the server-corrected clock, which the transport learns.
  let learnt: Transport | undefined;
  const now = () => Date.now() + (learnt?.clockOffsetMs() ?? 0);
  const transport = createTransport({
    endpoint: parseEndpoint(endpoint, pathStyle),
    bucket,
    region: normalizeRegion(region),
    signatureVersion,
    credentials: createCredentialCache(credentials, now),
    retry: normalizeRetry(options.retry),
    stallTimeoutMs: stallTimeout,
  });
  learnt = transport;
  return { transport };
}
