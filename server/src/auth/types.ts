/**
 * Contracts between request authentication, credential lookup (root keys and STS tokens) and
 * authorisation. The verifier is an independent implementation: it never imports SDK code.
 */
import type { PolicyDocument } from '../sts/policy.js';

/** Who signed a request. */
export type Principal = {
  readonly accessKeyId: string;
  readonly kind: 'root' | 'sts';
  /** Session policy carried by an STS token; undefined grants everything (root keys, or a token minted without a Policy). */
  readonly policy: PolicyDocument | undefined;
};

/** A signing secret and the principal it belongs to. */
export type ResolvedCredential = {
  readonly secret: string;
  readonly principal: Principal;
};

/**
 * Looks up the secret for an AccessKeyId (and security token, when one was sent).
 * Throws the matching OssError: InvalidAccessKeyId (unknown key, or an STS key without a token),
 * InvalidSecurityToken (forged token, or a token paired with another key id), SecurityTokenExpired.
 */
export type CredentialResolver = (accessKeyId: string, securityToken: string | undefined) => ResolvedCredential;

/** What `authenticate` needs besides the request. */
export type AuthOptions = {
  readonly resolve: CredentialResolver;
  /** Server clock in epoch milliseconds. */
  readonly now: () => number;
  /** Region accepted in V4 credential scopes, e.g. `cn-hangzhou`. */
  readonly region: string;
};
