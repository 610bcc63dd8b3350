/**
 * Temporary-credential cache: one fetch at a time shared by every caller (single flight), refreshed
 * proactively before `expiration` and reactively when the server rejects the token — unlike
 * ali-oss's timer, which lets concurrent parts reuse an expired token (docs/protocol.md §3.5).
 */
import { raceAbort } from '../async/abort.js';
import { describeValue } from '../describe.js';
import type { Credentials } from './credentials-types.js';

/** Credentials as apps pass them: camelCase, or the STS `Credentials` object as AssumeRole returns it. */
export type CredentialsInput =
  | {
    readonly accessKeyId: string;
    readonly accessKeySecret: string;
    readonly securityToken?: string | undefined;
    /** ISO string, epoch ms or Date. */
    readonly expiration?: string | number | Date | undefined;
  }
  | {
    readonly AccessKeyId: string;
    readonly AccessKeySecret: string;
    readonly SecurityToken?: string | undefined;
    readonly Expiration?: string | undefined;
  };

/** A static value, or a function that fetches fresh credentials (e.g. from your STS backend). */
export type CredentialsSource = CredentialsInput | ((options: { signal?: AbortSignal | undefined }) => Promise<CredentialsInput> | CredentialsInput);

/** The cache the transport uses. */
export type CredentialCache = {
  /** Current credentials, fetching or refreshing when needed. */
  get(signal?: AbortSignal): Promise<Credentials>;
  /** Marks `stale` as rejected by the server; the next `get` fetches anew (once, however many callers). */
  invalidate(stale: Credentials): void;
  /** Whether credentials come from a function (and can therefore be refreshed). */
  readonly refreshable: boolean;
};

function field(input: Record<string, unknown>, camel: string, pascal: string): unknown {
  return input[camel] ?? input[pascal];
}

/** Validates and normalises a credentials object; TypeError names the missing field. */
export function normalizeCredentials(input: CredentialsInput): Credentials {
  if (input === null || typeof input !== 'object') {
    throw new TypeError(`Expected credentials to be an object, got ${describeValue(input)}`);
  }
  const record = input as Record<string, unknown>;
  const accessKeyId = field(record, 'accessKeyId', 'AccessKeyId');
  const accessKeySecret = field(record, 'accessKeySecret', 'AccessKeySecret');
  const securityToken = field(record, 'securityToken', 'SecurityToken') ?? record['stsToken'];
  const expiration = field(record, 'expiration', 'Expiration');
  if (typeof accessKeyId !== 'string' || accessKeyId === '') throw new TypeError('Expected credentials `accessKeyId` to be a non-empty string');
  if (typeof accessKeySecret !== 'string' || accessKeySecret === '') throw new TypeError('Expected credentials `accessKeySecret` to be a non-empty string');
  if (securityToken !== undefined && typeof securityToken !== 'string') throw new TypeError('Expected credentials `securityToken` to be a string');
  let expires: Date | undefined;
  if (expiration !== undefined && expiration !== null && expiration !== '') {
    expires = new Date(expiration as string | number | Date);
    if (Number.isNaN(expires.getTime())) throw new TypeError(`Expected credentials \`expiration\` to be a date, got \`${String(expiration)}\``);
  }
  return { accessKeyId, accessKeySecret, securityToken: securityToken || undefined, expiration: expires };
}

/** Refresh this long before expiry: 5 minutes, or a quarter of a shorter lifetime. */
function refreshMarginMs(credentials: Credentials, obtainedAt: number): number {
  if (!credentials.expiration) return 0;
  return Math.min(5 * 60_000, (credentials.expiration.getTime() - obtainedAt) / 4);
}

/** Creates the cache for a credentials source. `now` is the (skew-corrected) clock. */
export function createCredentialCache(source: CredentialsSource, now: () => number = Date.now): CredentialCache {
  if (typeof source !== 'function') {
    const fixed = normalizeCredentials(source);
    return { get: async () => fixed, invalidate: () => undefined, refreshable: false };
  }
  let current: { credentials: Credentials; refreshAt: number } | undefined;
  let inFlight: Promise<Credentials> | undefined;
  // The shared fetch is not tied to any one caller's signal: one paused upload must not fail the
  // refresh that other uploads are waiting for. Each caller only stops waiting (raceAbort).
  const fetchFresh = (): Promise<Credentials> => {
    inFlight ??= (async () => {
      try {
        const credentials = normalizeCredentials(await source({ signal: undefined }));
        const obtainedAt = now();
        const refreshAt = credentials.expiration ? credentials.expiration.getTime() - refreshMarginMs(credentials, obtainedAt) : Infinity;
        current = { credentials, refreshAt };
        return credentials;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
  return {
    refreshable: true,
    get: async (signal) => (current && now() < current.refreshAt ? current.credentials : raceAbort(fetchFresh(), signal)),
    invalidate: (stale) => {
      if (current?.credentials === stale) current = undefined;
    },
  };
}
