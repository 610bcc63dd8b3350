/**
 * Temporary credentials for the local STS. Tokens are self-contained and MAC-protected with a key
 * derived from the root secret, so nothing is stored: a token minted before a server restart keeps
 * working after it, as long as the root secret is the same.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors } from '../errors.js';
import type { ResolvedCredential } from '../auth/types.js';
import { parsePolicy } from './policy.js';
import type { PolicyDocument } from './policy.js';

/** What {@link TokenAuthority.mint} needs. */
export type MintOptions = {
  /** Lifetime in whole seconds (AssumeRole validates 900..43200 before calling). */
  readonly durationSeconds: number;
  /** Session policy; undefined means the token may do anything the root key may. */
  readonly policy?: PolicyDocument | undefined;
  readonly roleArn: string;
  readonly sessionName: string;
};

/** A freshly minted credential set, with the field names of the STS `Credentials` element. */
export type MintResult = {
  readonly AccessKeyId: string;
  readonly AccessKeySecret: string;
  readonly SecurityToken: string;
  /** UTC, second precision, e.g. `2025-01-01T12:00:00Z`; the token is valid until exactly this instant. */
  readonly Expiration: string;
  /** Epoch milliseconds at which the token was minted. */
  readonly issuedAt: number;
};

/** Mints and verifies STS credentials. */
export interface TokenAuthority {
  /** Issues a new AccessKeyId/secret/token triple. */
  mint(options: MintOptions): MintResult;
  /**
   * Returns the secret and principal for an STS AccessKeyId and its token.
   * @throws OssError `InvalidAccessKeyId` (no token), `InvalidSecurityToken` (forged, unparsable or
   * paired with another key id), `SecurityTokenExpired` (past `Expiration`, or revoked by
   * {@link TokenAuthority.expireIssuedBefore}).
   */
  resolve(accessKeyId: string, securityToken: string | undefined): ResolvedCredential;
  /**
   * Treats every token issued before `ms` (epoch milliseconds) as expired, to test refresh paths.
   * The watermark only moves forward and lives in memory, so a restart forgets it.
   */
  expireIssuedBefore(ms: number): void;
}

/** What {@link createTokenAuthority} needs. */
export type TokenAuthorityOptions = {
  /** The root AccessKeySecret; every STS key and token derives from it. */
  readonly rootSecret: string;
  /** Clock in epoch milliseconds; injectable so tests can expire tokens without waiting. */
  readonly now: () => number;
};

type TokenPayload = {
  readonly v: 1;
  readonly akid: string;
  /** Epoch ms. */
  readonly iat: number;
  /** Epoch ms, a whole second so it equals the advertised `Expiration`. */
  readonly exp: number;
  readonly policy?: PolicyDocument;
  readonly role: string;
  readonly session: string;
};

const stsPrefix = 'STS.';
const accessKeyIdRandomLength = 24;
const accessKeySecretLength = 40;
// Bitcoin's alphabet: no 0/O/I/l, so ids read back unambiguously from logs.
const base58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Whether an AccessKeyId was minted by the local STS (real STS ids share the `STS.` prefix). */
export function isStsAccessKeyId(accessKeyId: string): boolean {
  return accessKeyId.startsWith(stsPrefix);
}

/**
 * Creates the token authority.
 *
 * Token format: `base64url(JSON payload) + '.' + base64url(HMAC-SHA256(k, encoded payload))` with
 * `k = HMAC-SHA256(rootSecret, 'oss-local-sts-token')`. The AccessKeySecret is
 * `HMAC-SHA512(k2, AccessKeyId)` mapped onto base58, so it need not be stored either.
 */
export function createTokenAuthority(options: TokenAuthorityOptions): TokenAuthority {
  const { now } = options;
  // Separate derived keys, so a leaked STS secret says nothing about the token MAC key.
  const tokenKey = createHmac('sha256', options.rootSecret).update('oss-local-sts-token').digest();
  const secretKey = createHmac('sha256', options.rootSecret).update('oss-local-sts-secret').digest();
  let watermark = Number.NEGATIVE_INFINITY;

  const secretFor = (accessKeyId: string): string => {
    const digest = createHmac('sha512', secretKey).update(accessKeyId).digest();
    return mapToBase58(digest.subarray(0, accessKeySecretLength));
  };
  const mac = (encodedPayload: string): Buffer => createHmac('sha256', tokenKey).update(encodedPayload).digest();

  const verify = (token: string): TokenPayload | undefined => {
    const parts = token.split('.');
    if (parts.length !== 2) return undefined;
    const [encodedPayload = '', encodedMac = ''] = parts;
    const provided = Buffer.from(encodedMac, 'base64url');
    // Reject non-canonical encodings, so one token has exactly one spelling.
    if (provided.toString('base64url') !== encodedMac) return undefined;
    const expected = mac(encodedPayload);
    if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return undefined;
    return decodePayload(encodedPayload);
  };

  return {
    mint({ durationSeconds, policy, roleArn, sessionName }) {
      if (!Number.isInteger(durationSeconds) || durationSeconds <= 0) {
        throw new RangeError(`Expected \`durationSeconds\` to be a positive integer, got \`${durationSeconds}\` (${typeof durationSeconds})`);
      }
      const iat = now();
      const exp = Math.floor(iat / 1000 + durationSeconds) * 1000;
      const accessKeyId = stsPrefix + randomBase58(accessKeyIdRandomLength);
      const payload: TokenPayload = {
        v: 1,
        akid: accessKeyId,
        iat,
        exp,
        ...(policy === undefined ? {} : { policy }),
        role: roleArn,
        session: sessionName,
      };
      const encodedPayload = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return {
        AccessKeyId: accessKeyId,
        AccessKeySecret: secretFor(accessKeyId),
        SecurityToken: `${encodedPayload}.${mac(encodedPayload).toString('base64url')}`,
        Expiration: new Date(exp).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        issuedAt: iat,
      };
    },

    resolve(accessKeyId, securityToken) {
      if (securityToken === undefined || securityToken === '') throw errors.stsKeyWithoutToken(accessKeyId);
      const payload = verify(securityToken);
      if (payload === undefined || payload.akid !== accessKeyId) throw errors.invalidSecurityToken(securityToken);
      if (payload.exp <= now() || payload.iat < watermark) throw errors.securityTokenExpired(securityToken);
      return {
        secret: secretFor(accessKeyId),
        principal: { accessKeyId, kind: 'sts', policy: payload.policy },
      };
    },

    expireIssuedBefore(ms) {
      watermark = Math.max(watermark, ms);
    },
  };
}

/**
 * Parses a payload whose MAC already verified. The shape is still checked because tokens from an
 * older server build (another `v`) share the key, and the policy is re-parsed so its type is earned.
 */
function decodePayload(encodedPayload: string): TokenPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, akid, iat, exp, policy, role, session } = value as Record<string, unknown>;
  if (v !== 1 || typeof akid !== 'string' || typeof role !== 'string' || typeof session !== 'string') return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  if (policy === undefined) return { v, akid, iat, exp, role, session };
  try {
    return { v, akid, iat, exp, policy: parsePolicy(JSON.stringify(policy)), role, session };
  } catch {
    return undefined;
  }
}

/** Uniform random base58 characters; rejection sampling avoids the modulo bias of `byte % 58`. */
function randomBase58(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 232 = 4 × 58: bytes at or above it would favour the first characters.
      if (byte < 232 && out.length < length) out += base58[byte % 58];
    }
  }
  return out;
}

/**
 * Maps MAC bytes to base58. The slight modulo bias is harmless here: 40 characters still carry
 * well over 200 bits, and the input is already a keyed hash.
 */
function mapToBase58(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += base58[byte % 58];
  return out;
}
