/**
 * The local STS endpoint: the RPC-style `AssumeRole` action of API version 2015-04-01, signed with
 * POP signature 1.0 (HMAC-SHA1) the way `@alicloud/pop-core`'s RPCClient and the STS SDKs sign it.
 * Only the root key may assume a role; the answer and error bodies use real STS field names and codes.
 */
import { createHash, createHmac } from 'node:crypto';
import { signaturesMatch } from '../auth/checks.js';
import { parsePolicy, PolicyGrammarError } from './policy.js';
import type { PolicyDocument } from './policy.js';
import { parseTimestamp } from './timestamp.js';
import { isStsAccessKeyId } from './token.js';
import type { TokenAuthority } from './token.js';

/** One STS call, with its parameters already decoded from the query (GET) or form body (POST). */
export type StsRequestInput = {
  readonly method: string;
  readonly params: ReadonlyArray<readonly [string, string]>;
  /** Echoed as `RequestId`. */
  readonly requestId: string;
};

/** What the STS endpoint needs from the server. */
export type StsDependencies = {
  readonly rootAccessKeyId: string;
  readonly rootAccessKeySecret: string;
  readonly authority: TokenAuthority;
  /** Server clock in epoch milliseconds, used for the `Timestamp` window. */
  readonly now: () => number;
};

/** The HTTP status and JSON body to send back (`Content-Type: application/json`). */
export type StsResponse = {
  readonly status: number;
  readonly body: Record<string, unknown>;
};

const apiVersion = '2015-04-01';
// POP rejects a Timestamp more than 15 minutes away from its clock.
const maxTimestampSkewMs = 15 * 60 * 1000;
const minDurationSeconds = 900;
const maxDurationSeconds = 43_200;
const defaultDurationSeconds = 3600;
const maxPolicyChars = 2048;
const roleArnPattern = /^acs:ram::(\d+):role\/([A-Za-z0-9.-]{1,64})$/;
const sessionNamePattern = /^[\w.@-]{2,64}$/;

/** A failure that becomes an STS error body; never leaves this module. */
class StsFailure extends Error {
  override readonly name = 'StsFailure' as const;
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/**
 * Answers one STS request.
 *
 * Checks, in order: parameters not repeated; `SignatureMethod` HMAC-SHA1, `SignatureVersion` 1.0,
 * `Version` 2015-04-01; `Timestamp` within 15 minutes of `deps.now()`; `AccessKeyId` is the root key
 * (an STS key gets `NoPermission`, anything else `InvalidAccessKeyId.NotFound`); the signature; then
 * `Action=AssumeRole` and its parameters. `SignatureNonce` must be present but is not remembered, so
 * a captured request can be replayed within the Timestamp window — acceptable for a local server.
 *
 * @returns 200 with `{RequestId, AssumedRoleUser, Credentials}`, or an error status with
 * `{RequestId, HostId, Code, Message, Recommend}`. The body is always JSON, whatever `Format` asks.
 * @example
 * const { status, body } = handleStsRequest({ method: 'POST', params, requestId }, deps);
 * response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
 */
export function handleStsRequest(input: StsRequestInput, deps: StsDependencies): StsResponse {
  try {
    const params = toMap(input.params);
    authenticate(input.method.toUpperCase(), params, deps);
    return { status: 200, body: { RequestId: input.requestId, ...assumeRole(params, deps) } };
  } catch (error) {
    if (!(error instanceof StsFailure)) throw error;
    return {
      status: error.status,
      body: {
        RequestId: input.requestId,
        HostId: 'sts.aliyuncs.com',
        Code: error.code,
        Message: error.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Sts&requestId=${encodeURIComponent(input.requestId)}`,
      },
    };
  }
}

function toMap(pairs: ReadonlyArray<readonly [string, string]>): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of pairs) {
    // A repeated name would be signed one way and read another; refuse rather than pick one.
    if (params.has(name)) throw new StsFailure(400, 'InvalidParameter', `The parameter ${name} is repeated.`);
    params.set(name, value);
  }
  return params;
}

function required(params: ReadonlyMap<string, string>, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw new StsFailure(400, `Missing${name}`, `${name} is mandatory for this action.`);
  return value;
}

function authenticate(method: string, params: ReadonlyMap<string, string>, deps: StsDependencies): void {
  if (method !== 'GET' && method !== 'POST') {
    throw new StsFailure(400, 'UnsupportedHTTPMethod', `Specified HTTP method ${method} is not supported; use GET or POST.`);
  }
  if (required(params, 'SignatureMethod') !== 'HMAC-SHA1') {
    throw new StsFailure(400, 'InvalidSignatureMethod', 'Specified signature method is not supported; use HMAC-SHA1.');
  }
  if (required(params, 'SignatureVersion') !== '1.0') {
    throw new StsFailure(400, 'InvalidSignatureVersion', 'Specified signature version is not supported; use 1.0.');
  }
  if (required(params, 'Version') !== apiVersion) {
    throw new StsFailure(400, 'InvalidVersion', `Specified parameter Version is not valid; the local STS implements ${apiVersion}.`);
  }
  required(params, 'SignatureNonce');
  checkTimestamp(required(params, 'Timestamp'), deps.now());

  const accessKeyId = required(params, 'AccessKeyId');
  if (accessKeyId !== deps.rootAccessKeyId) {
    if (isStsAccessKeyId(accessKeyId)) {
      // Real STS allows role chaining; the local server keeps one issuer so policies never nest.
      throw new StsFailure(403, 'NoPermission', 'Temporary credentials may not assume a role on the local STS; sign with the root AccessKey.');
    }
    throw new StsFailure(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
  }

  const provided = required(params, 'Signature');
  const stringToSign = popStringToSign(method, params);
  const expected = createHmac('sha1', `${deps.rootAccessKeySecret}&`).update(stringToSign).digest('base64');
  if (!signaturesMatch(provided, expected)) {
    throw new StsFailure(400, 'SignatureDoesNotMatch', `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`);
  }
}

function checkTimestamp(value: string, now: number): void {
  const time = parseTimestamp(value);
  if (Number.isNaN(time)) {
    throw new StsFailure(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted; expected YYYY-MM-DDThh:mm:ss[.sss]Z.');
  }
  if (Math.abs(now - time) > maxTimestampSkewMs) {
    throw new StsFailure(400, 'InvalidTimeStamp.Expired', `Specified time stamp or date value is expired; it must be within 15 minutes of ${new Date(now).toISOString()}.`);
  }
}

/**
 * POP signature 1.0 string to sign: `METHOD&%2F&` + encode(sorted `k=v` pairs joined by `&`), every
 * name and value RFC 3986-encoded. Written from the algorithm, not copied from pop-core, so the
 * end-to-end test against pop-core is a real cross-check.
 */
function popStringToSign(method: string, params: ReadonlyMap<string, string>): string {
  // Sorted by UTF-16 code units of the decoded name, as the SDKs do with a default sort.
  const names = [...params.keys()].filter((name) => name !== 'Signature').sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = names.map((name) => `${percentEncode(name)}=${percentEncode(params.get(name) ?? '')}`).join('&');
  return `${method}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/** RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes. */
function percentEncode(value: string): string {
  try {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch (error) {
    // encodeURIComponent throws on lone surrogates, which no client could have signed.
    throw new StsFailure(400, 'InvalidParameter', 'A parameter is not valid UTF-8.', { cause: error });
  }
}

function assumeRole(params: ReadonlyMap<string, string>, deps: StsDependencies): Record<string, unknown> {
  const action = required(params, 'Action');
  if (action !== 'AssumeRole') {
    throw new StsFailure(400, 'InvalidAction.NotFound', `Specified api ${action} is not found; the local STS implements AssumeRole only.`);
  }
  const roleArn = required(params, 'RoleArn');
  const arn = roleArnPattern.exec(roleArn);
  if (arn === null) throw new StsFailure(400, 'InvalidParameter.RoleArn', 'The parameter RoleArn is wrongly formed; expected acs:ram::<account id>:role/<role name>.');
  const [, account = '', roleName = ''] = arn;
  const sessionName = required(params, 'RoleSessionName');
  if (!sessionNamePattern.test(sessionName)) {
    throw new StsFailure(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed; use 2-64 characters from [A-Za-z0-9_.@-].');
  }
  const durationSeconds = parseDuration(params.get('DurationSeconds'));
  const policy = parsePolicyParam(params.get('Policy'));

  const credentials = deps.authority.mint({ durationSeconds, policy, roleArn, sessionName });
  const roleId = derivedRoleId(roleArn);
  return {
    AssumedRoleUser: {
      Arn: `acs:ram::${account}:assumed-role/${roleName}/${sessionName}`,
      AssumedRoleId: `${roleId}:${sessionName}`,
    },
    Credentials: {
      AccessKeyId: credentials.AccessKeyId,
      AccessKeySecret: credentials.AccessKeySecret,
      SecurityToken: credentials.SecurityToken,
      Expiration: credentials.Expiration,
    },
  };
}

function parseDuration(value: string | undefined): number {
  if (value === undefined) return defaultDurationSeconds;
  const seconds = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seconds >= minDurationSeconds && seconds <= maxDurationSeconds)) {
    throw new StsFailure(400, 'InvalidParameter.DurationSeconds', `The Min/Max value of DurationSeconds is 15min/12hr, got ${value}.`);
  }
  return seconds;
}

function parsePolicyParam(value: string | undefined): PolicyDocument | undefined {
  if (value === undefined) return undefined;
  // Literal unverified against real STS; an over-long policy is refused rather than truncated.
  if (value.length > maxPolicyChars) {
    throw new StsFailure(400, 'InvalidParameter.PolicyLength', `The parameter Policy is longer than ${maxPolicyChars} characters.`);
  }
  try {
    return parsePolicy(value);
  } catch (error) {
    if (!(error instanceof PolicyGrammarError)) throw error;
    // An empty Policy also lands here: treating it as "no policy" would silently grant everything.
    throw new StsFailure(400, error.code, `The parameter Policy has not passed grammar check: ${error.message}`);
  }
}

/** A stable 18-digit role id, shaped like RAM's, so the same RoleArn always yields the same AssumedRoleId. */
function derivedRoleId(roleArn: string): string {
  const hex = createHash('sha256').update(roleArn).digest('hex').slice(0, 14);
  return `3${BigInt(`0x${hex}`).toString().padStart(17, '0')}`;
}
