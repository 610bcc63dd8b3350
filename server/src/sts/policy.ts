/**
 * Session policies carried by STS tokens: a strict parser for the RAM policy subset the local
 * server understands, and the evaluator the OSS handlers ask before touching a bucket or object.
 *
 * Actions the server asks about, and the resource each is checked against:
 *
 * | action                     | asked by                                                                  | resource            |
 * |----------------------------|---------------------------------------------------------------------------|---------------------|
 * | `oss:PutObject`            | PutObject, InitiateMultipartUpload, UploadPart, UploadPartCopy (target), CompleteMultipartUpload | object |
 * | `oss:GetObject`            | GetObject, HeadObject, UploadPartCopy (source)                            | object              |
 * | `oss:DeleteObject`         | DeleteObject, DeleteMultipleObjects (each key of the body)                | object              |
 * | `oss:AbortMultipartUpload` | AbortMultipartUpload                                                      | object              |
 * | `oss:ListParts`            | ListParts                                                                 | object              |
 * | `oss:ListMultipartUploads` | ListMultipartUploads                                                      | bucket              |
 * | `oss:ListObjects`          | ListObjects (GetBucket), ListObjectsV2 (GetBucketV2)                      | bucket              |
 * | `oss:ListBuckets`          | ListBuckets (GetService)                                                  | `acs:oss:*:*:*`     |
 * | `oss:GetObjectAcl`         | GetObjectAcl                                                              | object              |
 * | `oss:PutObjectAcl`         | PutObjectAcl                                                              | object              |
 * | `oss:GetObjectTagging`     | GetObjectTagging; GetObject/HeadObject send `x-oss-tagging-count` only with it | object         |
 * | `oss:PutObjectTagging`     | PutObjectTagging; PutObject, InitiateMultipartUpload, CopyObject with `x-oss-tagging` | object  |
 * | `oss:DeleteObjectTagging`  | DeleteObjectTagging                                                       | object              |
 */

/** One statement of a session policy, with the JSON shape RAM uses. */
export type PolicyStatement = {
  readonly Effect: 'Allow' | 'Deny';
  /** Action patterns such as `oss:PutObject` or `oss:*`; compared case-insensitively. */
  readonly Action: string | readonly string[];
  /** Resource patterns such as `acs:oss:*:*:demo/uploads/*`; compared case-sensitively. */
  readonly Resource: string | readonly string[];
};

/**
 * A RAM session policy, as passed in the `Policy` parameter of AssumeRole.
 * `Condition`, `NotAction`, `NotResource` and `Principal` are not supported: {@link parsePolicy}
 * rejects them, because ignoring a condition would grant more than the policy author meant.
 */
export type PolicyDocument = {
  /** Always `"1"`, the only version RAM defines. */
  readonly Version: string;
  readonly Statement: readonly PolicyStatement[];
};

/** The action names the local server evaluates; see the module comment for which operation asks what. */
export type OssAction =
  | 'oss:PutObject'
  | 'oss:GetObject'
  | 'oss:DeleteObject'
  | 'oss:AbortMultipartUpload'
  | 'oss:ListParts'
  | 'oss:ListMultipartUploads'
  | 'oss:ListObjects'
  | 'oss:ListBuckets'
  | 'oss:GetObjectAcl'
  | 'oss:PutObjectAcl'
  | 'oss:GetObjectTagging'
  | 'oss:PutObjectTagging'
  | 'oss:DeleteObjectTagging';

/**
 * A policy that fails the grammar check. It lives here rather than in `errors.ts` because it is an
 * STS error (a JSON answer), not an OSS `<Error>` document.
 */
export class PolicyGrammarError extends Error {
  override readonly name = 'PolicyGrammarError' as const;
  /** The STS error code this maps to. */
  readonly code = 'InvalidParameter.PolicyGrammar' as const;
}

const statementKeys = new Set(['Effect', 'Action', 'Resource']);
// Keys RAM understands but this server does not evaluate; named in the error so the author knows why.
const unsupportedKeys = new Set(['Condition', 'NotAction', 'NotResource', 'Principal', 'NotPrincipal']);

/**
 * Parses and validates a session policy.
 *
 * @param json - The `Policy` parameter, a JSON document.
 * @returns The policy with the same shape as the JSON.
 * @throws {@link PolicyGrammarError} when the JSON is malformed, a field is missing or mistyped,
 * or the policy uses a feature the local server cannot enforce (such as `Condition`).
 * @example
 * parsePolicy('{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:demo/uploads/*"}]}')
 */
export function parsePolicy(json: string): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new PolicyGrammarError('The policy is not valid JSON.', { cause: error });
  }
  if (!isRecord(value)) throw new PolicyGrammarError('The policy must be a JSON object.');
  for (const key of Object.keys(value)) {
    if (key !== 'Version' && key !== 'Statement') throw new PolicyGrammarError(`Unknown policy element \`${key}\`.`);
  }
  if (value['Version'] !== '1') {
    throw new PolicyGrammarError(`Expected \`Version\` to be "1", got \`${JSON.stringify(value['Version'])}\`.`);
  }
  const statements = value['Statement'];
  if (!Array.isArray(statements)) throw new PolicyGrammarError('Expected `Statement` to be an array.');
  return { Version: '1', Statement: statements.map((statement: unknown, index) => parseStatement(statement, index)) };
}

function parseStatement(value: unknown, index: number): PolicyStatement {
  const where = `Statement[${index}]`;
  if (!isRecord(value)) throw new PolicyGrammarError(`Expected \`${where}\` to be an object.`);
  for (const key of Object.keys(value)) {
    if (unsupportedKeys.has(key)) {
      throw new PolicyGrammarError(`\`${where}.${key}\` is not supported by the local OSS server; remove it or use a narrower Resource.`);
    }
    if (!statementKeys.has(key)) throw new PolicyGrammarError(`Unknown element \`${where}.${key}\`.`);
  }
  const effect = value['Effect'];
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new PolicyGrammarError(`Expected \`${where}.Effect\` to be "Allow" or "Deny", got \`${JSON.stringify(effect)}\`.`);
  }
  return {
    Effect: effect,
    Action: parsePatterns(value['Action'], `${where}.Action`),
    Resource: parsePatterns(value['Resource'], `${where}.Resource`),
  };
}

function parsePatterns(value: unknown, where: string): string | readonly string[] {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '')) {
    return value.map(String);
  }
  throw new PolicyGrammarError(`Expected \`${where}\` to be a non-empty string or a non-empty array of non-empty strings.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decides whether a policy permits an action on a resource.
 *
 * An explicit `Deny` wins over any `Allow`; without a matching `Allow` the answer is no.
 * Patterns support `*` (any run of characters, including `/`) and `?` (one character).
 *
 * @param policy - The session policy, or undefined for a principal without one (allows everything).
 * @param action - An {@link OssAction} such as `oss:PutObject`; matched case-insensitively.
 * @param resource - A resource built by {@link ossResource}; matched case-sensitively.
 */
export function isAllowed(policy: PolicyDocument | undefined, action: string, resource: string): boolean {
  if (policy === undefined) return true;
  let allowed = false;
  for (const statement of policy.Statement) {
    const matches =
      toArray(statement.Action).some((pattern) => globMatch(pattern.toLowerCase(), action.toLowerCase())) &&
      toArray(statement.Resource).some((pattern) => globMatch(pattern, resource));
    if (!matches) continue;
    if (statement.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}

/**
 * The resource string the server checks policies against. Region and account are always `*`:
 * the local server has neither, so a policy naming a concrete account (`acs:oss:*:1234:…`) will not
 * match and fails closed.
 *
 * @example
 * ossResource('demo') // 'acs:oss:*:*:demo'
 * ossResource('demo', 'uploads/a.bin') // 'acs:oss:*:*:demo/uploads/a.bin'
 */
export function ossResource(bucket: string, key?: string): string {
  return key === undefined ? `acs:oss:*:*:${bucket}` : `acs:oss:*:*:${bucket}/${key}`;
}

function toArray(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

/**
 * Wildcard match with the classic greedy-star backtracking loop rather than a RegExp: object keys
 * are attacker-chosen, and a pattern like `*a*a*a*b` compiled to a regex backtracks exponentially.
 * This loop is O(pattern × text). Works on code points so `?` matches one character, not half a pair.
 */
function globMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let starPi = -1;
  let starTi = 0;
  while (ti < t.length) {
    const pc = p[pi];
    if (pc === '*') {
      starPi = pi++;
      starTi = ti;
    } else if (pc !== undefined && (pc === '?' || pc === t[ti])) {
      pi++;
      ti++;
    } else if (starPi >= 0) {
      pi = starPi + 1;
      ti = ++starTi;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}
