/**
 * Authorization, after authentication: whether the signer may do what it asks. A principal
 * without a session policy (root keys, a token minted without one) may do anything; any other is
 * held to its token's policy.
 */
import { errors } from '../errors.js';
import { isAllowed, ossResource } from '../sts/policy.js';
import type { Principal } from './types.js';

/** Throws AccessDenied unless the principal's policy allows `action` on the bucket/key. */
export function authorize(principal: Principal, action: string, bucket: string, key?: string): void {
  if (!isAllowed(principal.policy, action, ossResource(bucket, key))) {
    throw errors.stsPolicyDenied({
      AuthAction: action,
      AuthResource: ossResource(bucket, key),
    });
  }
}
