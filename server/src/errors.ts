/**
 * OSS error documents. Every failure the server reports is an {@link OssError}; the HTTP layer
 * renders it as the `<Error>` XML of docs/protocol.md §1.3 with the status of §2.9.
 */

/** Extra elements rendered after `HostId`, in insertion order (docs/protocol.md §2.9). */
export type ErrorExtras = Readonly<Record<string, string>>;

/** A protocol error with its OSS code, HTTP status and optional extra XML elements. */
export class OssError extends Error {
  override readonly name = 'OssError' as const;
  readonly status: number;
  readonly code: string;
  readonly extras: ErrorExtras;
  /** EC code (`x-oss-ec` header and `<EC>` element), e.g. `0002-00000040`. */
  readonly ec: string | undefined;

  constructor(status: number, code: string, message: string, extras: ErrorExtras = {}, ec?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.extras = extras;
    this.ec = ec;
  }
}

/** Factories for the errors the server raises, so codes, statuses and messages stay consistent. */
export const errors = {
  accessDenied: (message = 'You have no right to access this object because of bucket acl.', extras: ErrorExtras = {}) =>
    new OssError(403, 'AccessDenied', message, extras, '0003-00000001'),
  /**
   * A request an STS token's session policy does not allow. Message as OSS answers it (ali-oss's
   * test/node/sts.test.js and the Java SDK's integration tests expect it); EC page 0003-00000301.
   */
  stsPolicyDenied: (extras: ErrorExtras = {}) =>
    new OssError(403, 'AccessDenied', 'Access denied by authorizer\'s policy.', extras, '0003-00000301'),
  /**
   * A preflight no CORS rule allows (ossutil cors-options docs: 403 AccessForbidden). EC
   * 0003-00000601 when the bucket has no rules at all, 0003-00000602 when none matches.
   */
  accessForbidden: (bucketHasRules: boolean) =>
    new OssError(403, 'AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource\'s CORS spec.', {}, bucketHasRules ? '0003-00000602' : '0003-00000601'),
  /** An OPTIONS preflight without `Origin` or `Access-Control-Request-Method` (OSS "HTTP status code 400" page). */
  badRequest: (message: string) => new OssError(400, 'BadRequest', message),
  /** GetBucketCors on a bucket without CORS rules (EC page 0034-00000001; message as ali-oss's test against OSS expects). */
  noSuchCorsConfiguration: (bucket: string) =>
    new OssError(404, 'NoSuchCORSConfiguration', 'The CORS Configuration does not exist.', { BucketName: bucket }, '0034-00000001'),
  /** PutBucketCors with more than 10 rules (OSS "HTTP status code 400" page). */
  corsRuleBeyondLimit: () => new OssError(400, 'CORSRuleBeyondLimit', 'The CORS Rules num is beyond limit.', {}, '0034-00000006'),
  invalidAccessKeyId: (accessKeyId: string, message = 'The OSS Access Key Id you provided does not exist in our records.', ec = '0002-00000902') =>
    new OssError(403, 'InvalidAccessKeyId', message, { OSSAccessKeyId: accessKeyId }, ec),
  stsKeyWithoutToken: (accessKeyId: string) =>
    errors.invalidAccessKeyId(
      accessKeyId,
      'The OSS Access Key Id you provided does not exist in our records. The Security Token may be lost to specify that it is a STS Access Id.',
      '0002-00000003',
    ),
  securityTokenExpired: (token: string) =>
    new OssError(403, 'SecurityTokenExpired', 'The security token you provided has expired.', { SecurityToken: token }, '0002-00000007'),
  invalidSecurityToken: (token: string) =>
    new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.', { SecurityToken: token }, '0002-00000006'),
  signatureDoesNotMatch: (extras: ErrorExtras, ec = '0002-00000040') =>
    new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', extras, ec),
  /** V4 credential scope that does not fit this server (wrong region/date/product/terminator), docs/protocol.md §3.3. */
  invalidCredentialScope: (message: string, accessKeyId: string) =>
    new OssError(403, 'SignatureDoesNotMatch', message, { OSSAccessKeyId: accessKeyId }),
  requestTimeTooSkewed: (requestTime: string, serverTime: string) =>
    new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: requestTime,
      ServerTime: serverTime,
      MaxAllowedSkewMilliseconds: '900000',
    }, '0002-00000504'),
  missingDate: () => new OssError(403, 'AccessDenied', 'Missing Date Header or x-oss-date Header.', {}, '0002-00000503'),
  invalidDate: (value: string) => new OssError(403, 'AccessDenied', `Invalid date format: ${value}`, {}, '0002-00000502'),
  requestExpired: (expires: string, serverTime: string) =>
    new OssError(403, 'AccessDenied', 'Request has expired.', { Expires: expires, ServerTime: serverTime }, '0002-00000069'),
  invalidArgument: (message: string, name: string, value: string, ec?: string) =>
    new OssError(400, 'InvalidArgument', message, { ArgumentName: name, ArgumentValue: value }, ec),
  invalidPartNumber: (value: string) =>
    errors.invalidArgument('Part number must be an integer between 1 and 10000, inclusive.', 'PartNumber', value, '0017-00000220'),
  noSuchUpload: (uploadId: string) =>
    new OssError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId }, '0017-00000244'),
  noSuchBucket: (bucket: string) =>
    new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }, '0015-00000101'),
  noSuchKey: (key: string) => new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }, '0026-00000001'),
  invalidBucketName: (bucket: string) =>
    new OssError(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket }, '0015-00000001'),
  invalidObjectName: (message = 'The name of the object is not valid.') =>
    new OssError(400, 'InvalidObjectName', message, {}, '0016-00000005'),
  invalidUri: (message = 'Could not parse the specified URI.') => new OssError(400, 'InvalidURI', message),
  invalidDigest: (provided: string) =>
    new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': provided }, '0016-00000004'),
  badDigest: (provided: string, calculated: string) =>
    new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified did not match what we received.', {
      'Content-MD5': provided,
      CalculatedContentMD5: calculated,
    }, '0016-00000004'),
  malformedXml: (message = 'The XML you provided was not well-formed or did not validate against our published schema.') =>
    new OssError(400, 'MalformedXML', message, {}, '0016-00000608'),
  /** DeleteMultipleObjects without Content-MD5 (EC page 0016-00000606; code and message as OSS answers it). */
  missingContentMd5: () => new OssError(400, 'MissingArgument', 'Missing Some Required Arguments', {}, '0016-00000606'),
  invalidPart: () =>
    new OssError(400, 'InvalidPart', 'One or more of the specified parts could not be found or the specified entity tag might not have matched the part\'s entity tag.', {}, '0042-00000208'),
  invalidPartOrder: () =>
    new OssError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts list must specified in order by part number.', {}, '0042-00000209'),
  entityTooSmall: (partNumber: number, size: number) =>
    new OssError(400, 'EntityTooSmall', 'Your proposed upload smaller than the minimum allowed size.', {
      PartNumber: String(partNumber),
      ProposedSize: String(size),
      MinSizeAllowed: '102400',
    }, '0042-00000213'),
  entityTooLarge: (maxSize: number) =>
    new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxSizeAllowed: String(maxSize) }, '0017-00000702'),
  fileAlreadyExists: (ec = '0026-00000002') =>
    new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', {}, ec),
  preconditionFailed: (condition: string) =>
    new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: condition }, '0042-00000304'),
  /** `x-oss-server-side-encryption` outside AES256/KMS/SM4 (OSS "HTTP status code 400" page). */
  invalidEncryptionAlgorithm: (value: string) =>
    new OssError(400, 'InvalidEncryptionAlgorithmError', 'The Encryption request you specified is not valid. Supported value: AES256/SM4/KMS.', {
      ArgumentName: 'x-oss-server-side-encryption', ArgumentValue: value.slice(0, 256),
    }),
  /** `x-oss-server-side-data-encryption` other than SM4 with KMS (OSS "HTTP status code 400" page). */
  invalidDataEncryptionAlgorithm: (value: string) =>
    new OssError(400, 'InvalidDataEncryptionAlgorithmError', 'The KMS Data Encryption request you specified is not valid. Supported value:SM4', {
      ArgumentName: 'x-oss-server-side-data-encryption', ArgumentValue: value.slice(0, 256),
    }),
  tooManyObjectTags: () => new OssError(400, 'BadRequest', 'Object tags cannot be greater than 10.'),
  invalidTaggingKey: () => new OssError(400, 'InvalidTaggingKey', 'The tagging key you provided is invalid.'),
  invalidTaggingValue: () => new OssError(400, 'InvalidTaggingValue', 'The tagging value you provided is invalid.'),
  repeatedTags: () => new OssError(400, 'RepeatedTags', 'Tag keys must be unique.', {}, '0010-00000210'),
  invalidRange: (range: string, size: number) =>
    new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied.', { RangeRequested: range, ActualObjectSize: String(size) }, '0003-00000312'),
  methodNotAllowed: (method: string) =>
    new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method }),
  notImplemented: (what: string) => new OssError(501, 'NotImplemented', `${what} is not implemented by the local OSS server.`),
  missingContentLength: () => new OssError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'),
  requestTimeout: () => new OssError(400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.'),
  /** The request line and headers exceed the server's `maxHeaderBytes` (node:http answers this before any handler runs). */
  requestHeaderTooLarge: () => new OssError(431, 'RequestHeaderTooLarge', 'Your request header section exceeds the maximum allowed size.'),
  /** One client holds more connections than `maxConnectionsPerClient` (OSS's 503 for too many concurrent requests). */
  activeRequestLimitExceeded: () => new OssError(503, 'ActiveRequestLimitExceeded', 'Max active request limit is exceeded. Reduce the number of concurrent connections.'),
  callbackFailed: (message: string) => new OssError(203, 'CallbackFailed', message, {}, '0007-00000203'),
  internal: () => new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.'),
} as const;
