/**
 * Request authentication for the four OSS schemes (docs/protocol.md §3): V1 header, V1 presigned URL,
 * V4 header and V4 presigned URL. Checks the clock, resolves the key (and STS token), recomputes the
 * signature independently of any SDK and returns who signed the request.
 */
import { errors } from '../errors.js';
import { hasQuery, queryValue } from '../request.js';
import type { OssRequest, QueryParam } from '../request.js';
import type { AuthOptions, Principal } from './types.js';
import { checkClock, hexBytes, iso, malformedAuthorization, maxClockSkewMs, requiredQuery, signaturesMatch } from './checks.js';
import { parseV1Date, signedSubResources, v1Signature, v1StringToSign } from './v1.js';
import {
  parseV4Authorization,
  parseV4Credential,
  parseV4DateTime,
  unsignedPayload,
  v4Algorithm,
  v4CanonicalRequest,
  v4Product,
  v4Signature,
  v4StringToSign,
  v4Terminator,
} from './v4.js';

/** Upper bound of `x-oss-expires` (§3.4: 1..604800 seconds, i.e. seven days). */
const maxPresignedExpiresSeconds = 604_800;
const v1Prefix = 'OSS ';

/**
 * Verifies the signature of a request and returns its principal.
 *
 * Scheme detection: an `Authorization` header wins (`OSS <ak>:<sig>` is V1, `OSS4-HMAC-SHA256 …` is V4);
 * otherwise `x-oss-signature-version` in the query means a V4 presigned URL and `OSSAccessKeyId`/`Signature`
 * a V1 presigned URL. Anonymous requests are refused because every bucket of this server is private.
 *
 * @throws OssError AccessDenied (anonymous, missing/invalid date, expired URL), RequestTimeTooSkewed,
 *   InvalidArgument (malformed Authorization or presigned parameters), SignatureDoesNotMatch, and whatever
 *   `options.resolve` throws (InvalidAccessKeyId, InvalidSecurityToken, SecurityTokenExpired).
 */
export function authenticate(request: OssRequest, options: AuthOptions): Principal {
  const authorization = request.headers['authorization'];
  if (authorization !== undefined) {
    if (authorization.startsWith(`${v4Algorithm} `)) return verifyV4Header(request, options, authorization);
    if (authorization.startsWith(v1Prefix)) return verifyV1Header(request, options, authorization);
    throw malformedAuthorization(authorization);
  }
  if (hasQuery(request, 'x-oss-signature-version')) return verifyV4Query(request, options);
  if (hasQuery(request, 'OSSAccessKeyId') || hasQuery(request, 'Signature')) return verifyV1Query(request, options);
  throw errors.accessDenied();
}

function verifyV1Header(request: OssRequest, options: AuthOptions, authorization: string): Principal {
  const credential = authorization.slice(v1Prefix.length).trim();
  const colon = credential.lastIndexOf(':');
  const accessKeyId = credential.slice(0, colon);
  const signature = credential.slice(colon + 1);
  if (colon <= 0 || signature === '') throw malformedAuthorization(authorization);

  const date = request.headers['date'];
  const ossDate = request.headers['x-oss-date'];
  // §3.1: the Date slot holds `Date` when sent, else `x-oss-date` (browsers cannot set `Date`).
  const dateSlot = date ?? ossDate;
  if (dateSlot === undefined) throw errors.missingDate();
  // The clock check uses x-oss-date when present, as it overrides Date (precedence unverified, §3.1).
  const timeValue = ossDate ?? dateSlot;
  checkClock(parseV1Date(timeValue), timeValue, options.now());

  const { secret, principal } = options.resolve(accessKeyId, request.headers['x-oss-security-token']);
  const stringToSign = v1StringToSign({ ...v1Parts(request), dateSlot });
  if (!signaturesMatch(signature, v1Signature(secret, stringToSign))) throw v1Mismatch(accessKeyId, signature, stringToSign);
  return principal;
}

function verifyV1Query(request: OssRequest, options: AuthOptions): Principal {
  const accessKeyId = requiredQuery(request, 'OSSAccessKeyId');
  const expires = requiredQuery(request, 'Expires');
  const signature = requiredQuery(request, 'Signature');
  if (!/^\d{1,12}$/.test(expires)) {
    throw errors.invalidArgument('Expires must be an absolute Unix time in seconds.', 'Expires', expires);
  }
  // §3.2: Expires is absolute; the URL stays valid up to and including that second.
  const expiresMs = Number(expires) * 1000;
  const now = options.now();
  if (expiresMs < now) throw errors.requestExpired(iso(expiresMs), iso(now));

  // §3.5: a V1 URL carries the STS token as the signed sub-resource `security-token`.
  const { secret, principal } = options.resolve(accessKeyId, queryValue(request, 'security-token'));
  const stringToSign = v1StringToSign({ ...v1Parts(request), dateSlot: expires });
  if (!signaturesMatch(signature, v1Signature(secret, stringToSign))) throw v1Mismatch(accessKeyId, signature, stringToSign);
  return principal;
}

function verifyV4Header(request: OssRequest, options: AuthOptions, authorization: string): Principal {
  const fields = parseV4Authorization(authorization);
  if (fields === undefined) throw malformedAuthorization(authorization);

  const dateTime = request.headers['x-oss-date'];
  if (dateTime === undefined) throw errors.missingDate();
  checkClock(parseV4DateTime(dateTime), dateTime, options.now());

  return verifyV4(request, options, {
    credential: fields.credential,
    credentialArgument: 'Authorization',
    signature: fields.signature,
    dateTime,
    additionalHeaders: fields.additionalHeaders,
    additionalArgument: 'AdditionalHeaders',
    securityToken: request.headers['x-oss-security-token'],
    query: request.query,
  });
}

function verifyV4Query(request: OssRequest, options: AuthOptions): Principal {
  const version = queryValue(request, 'x-oss-signature-version') ?? '';
  if (version !== v4Algorithm) {
    throw errors.invalidArgument(`x-oss-signature-version must be ${v4Algorithm}.`, 'x-oss-signature-version', version);
  }
  const credential = requiredQuery(request, 'x-oss-credential');
  const dateTime = requiredQuery(request, 'x-oss-date');
  const expires = requiredQuery(request, 'x-oss-expires');
  const signature = requiredQuery(request, 'x-oss-signature');
  const requestMs = parseV4DateTime(dateTime);
  if (Number.isNaN(requestMs)) throw errors.invalidDate(dateTime);
  if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > maxPresignedExpiresSeconds) {
    throw errors.invalidArgument(
      `x-oss-expires must be an integer between 1 and ${maxPresignedExpiresSeconds} seconds.`, 'x-oss-expires', expires);
  }
  const now = options.now();
  // A URL signed in the future is as suspicious as a skewed header; a past one only has to be unexpired.
  if (requestMs - now > maxClockSkewMs) throw errors.requestTimeTooSkewed(iso(requestMs), iso(now));
  const expiresMs = requestMs + Number(expires) * 1000;
  if (expiresMs < now) throw errors.requestExpired(iso(expiresMs), iso(now));

  return verifyV4(request, options, {
    credential,
    credentialArgument: 'x-oss-credential',
    signature,
    dateTime,
    additionalHeaders: queryValue(request, 'x-oss-additional-headers'),
    additionalArgument: 'x-oss-additional-headers',
    securityToken: queryValue(request, 'x-oss-security-token'),
    // §3.4: every query parameter except the signature itself is signed.
    query: request.query.filter(([name]) => name !== 'x-oss-signature'),
  });
}

/** What the V4 header and presigned forms have in common once their own fields are parsed. */
type V4Claim = {
  readonly credential: string;
  readonly credentialArgument: string;
  readonly signature: string;
  readonly dateTime: string;
  readonly additionalHeaders: string | undefined;
  readonly additionalArgument: string;
  readonly securityToken: string | undefined;
  readonly query: readonly QueryParam[];
};

function verifyV4(request: OssRequest, options: AuthOptions, claim: V4Claim): Principal {
  const credential = parseV4Credential(claim.credential);
  if (credential === undefined) {
    throw errors.invalidArgument(
      `Credential must be <AccessKeyId>/<yyyymmdd>/<region>/${v4Product}/${v4Terminator}.`, claim.credentialArgument, claim.credential);
  }
  const { accessKeyId } = credential;
  if (credential.date !== claim.dateTime.slice(0, 8)) {
    throw errors.invalidCredentialScope('The signing date in credential does not match x-oss-date.', accessKeyId);
  }
  if (credential.region !== options.region) throw errors.invalidCredentialScope('The signing region in credential is invalid.', accessKeyId);
  if (credential.product !== v4Product) throw errors.invalidCredentialScope('The signing product in credential is invalid.', accessKeyId);
  if (credential.terminator !== v4Terminator) throw errors.invalidCredentialScope('The terminator in credential is invalid.', accessKeyId);

  const additionalHeaders = (claim.additionalHeaders ?? '').split(';').filter((name) => name !== '').map((name) => name.toLowerCase());
  for (const name of additionalHeaders) {
    if (request.headers[name] === undefined) {
      throw errors.invalidArgument(`Additional header ${name} is not present in the request.`, claim.additionalArgument, claim.additionalHeaders ?? '');
    }
  }
  const hashedPayload = request.headers['x-oss-content-sha256'] ?? unsignedPayload;
  // Body hashing is verified elsewhere; here the value only has to be well-formed to enter the canonical request.
  if (hashedPayload !== unsignedPayload && !/^[0-9a-fA-F]{64}$/.test(hashedPayload)) {
    throw errors.invalidArgument('x-oss-content-sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256.', 'x-oss-content-sha256', hashedPayload);
  }

  const { secret, principal } = options.resolve(accessKeyId, claim.securityToken);
  const sign = (keepEquals?: (name: string) => boolean) => {
    const canonical = v4CanonicalRequest({
      method: request.method, bucket: request.bucket, key: request.key, query: claim.query,
      headers: request.headers, additionalHeaders, hashedPayload, ...(keepEquals ? { keepEquals } : {}),
    });
    const toSign = v4StringToSign(claim.dateTime, options.region, canonical);
    return { canonical, toSign, ok: signaturesMatch(claim.signature, v4Signature(secret, credential.date, options.region, toSign)) };
  };
  // SDKs disagree on an empty value sent as `k=` (docs/protocol.md §8 item 7): Go signs bare `k`;
  // ali-oss signs sub-resources bare and plain parameters as `k=`. Accept either reading of the same request.
  const bare = sign();
  const asSent = bare.ok || !claim.query.some(([, value, equals]) => value === '' && equals === true)
    ? bare
    : sign((name) => !signedSubResources.has(name));
  const { canonical: canonicalRequest, toSign: stringToSign } = bare;
  if (!bare.ok && !asSent.ok) {
    // §2.9: V4 mismatches also echo the canonical request, EC 0002-00000201.
    throw errors.signatureDoesNotMatch({
      OSSAccessKeyId: accessKeyId,
      SignatureProvided: claim.signature,
      StringToSign: stringToSign,
      StringToSignBytes: hexBytes(stringToSign),
      // The XML document is UTF-8: header bytes that are UTF-8 (the usual case) read as sent.
      CanonicalRequest: canonicalRequest.toString('utf8'),
    }, '0002-00000201');
  }
  return principal;
}

function v1Parts(request: OssRequest) {
  return { method: request.method, headers: request.headers, bucket: request.bucket, key: request.key, query: request.query };
}

/**
 * §2.9: V1 mismatches echo what the server signed so a client can diff it, EC 0002-00000040. The bytes
 * are exact; the text reads them as UTF-8 (the XML document's encoding).
 */
function v1Mismatch(accessKeyId: string, signature: string, stringToSign: Buffer) {
  return errors.signatureDoesNotMatch({
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: signature,
    StringToSign: stringToSign.toString('utf8'),
    StringToSignBytes: hexBytes(stringToSign),
  }, '0002-00000040');
}
