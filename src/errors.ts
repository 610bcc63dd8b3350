/**
 * The SDK's error classes: one flat hierarchy under {@link OssError}. ky's
 * own error types never leave `oss/client.ts`.
 */

/** Which OSS operation a request belonged to. */
export type OssOperation =
  | 'PutObject' | 'GetObject' | 'HeadObject' | 'DeleteObject'
  | 'InitiateMultipartUpload' | 'UploadPart' | 'UploadPartCopy' | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload' | 'ListParts' | 'ListMultipartUploads' | 'GetObjectAcl' | 'GetObjectTagging';

/** Base class of every error the SDK throws on purpose (besides TypeError/RangeError for bad options and aborts). */
export class OssError extends Error {
  override readonly name: string = 'OssError';
}

/** Facts about a failed request. */
export type OssServiceErrorInit = {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly requestId: string | undefined;
  readonly hostId: string | undefined;
  readonly operation: OssOperation;
  readonly partNumber?: number | undefined;
  readonly method: string;
  readonly url: string;
  /** Other `<Error>` children (e.g. `ServerTime`, `UploadId`, `Condition`). */
  readonly details?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
};

// The fields below are `declare`d because the constructors assign every one of them: a plain
// ES2022 field would also emit a define-as-undefined step per field (size budget: scripts/measure-size.ts).

/** The server answered with an OSS `<Error>` document (or an error status). */
export class OssServiceError extends OssError {
  override readonly name = 'OssServiceError' as const;
  /** HTTP status. */
  declare readonly status: number;
  /** OSS error code, e.g. `NoSuchUpload`. */
  declare readonly code: string;
  /** `x-oss-request-id` (or `<RequestId>`), for support tickets. */
  declare readonly requestId: string | undefined;
  declare readonly hostId: string | undefined;
  declare readonly operation: OssOperation;
  declare readonly partNumber: number | undefined;
  declare readonly method: string;
  declare readonly url: string;
  /** Other `<Error>` elements, verbatim. */
  declare readonly details: Readonly<Record<string, string>>;

  constructor(init: OssServiceErrorInit) {
    const part = init.partNumber === undefined ? '' : ` #${init.partNumber}`;
    const id = init.requestId ? ` (request id ${init.requestId})` : '';
    super(`${init.operation}${part} failed: ${init.status} ${init.code}, ${init.message}${id}`, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.hostId = init.hostId;
    this.operation = init.operation;
    this.partNumber = init.partNumber;
    this.method = init.method;
    this.url = init.url;
    this.details = init.details ?? {};
  }
}

/** Facts about a request that got no usable response. */
export type OssNetworkErrorInit = {
  readonly operation: OssOperation;
  readonly partNumber?: number | undefined;
  /** What went wrong, for the message (`<operation> #<part> failed: <message>`). */
  readonly message: string;
  readonly method: string;
  readonly url: string;
  /** @default false */
  readonly timedOut?: boolean | undefined;
  readonly attempts?: number | undefined;
  readonly waitedMs?: number | undefined;
  readonly cause?: unknown;
};

/** No usable response: the network failed, the request timed out, or CORS hid the answer. */
export class OssNetworkError extends OssError {
  override readonly name = 'OssNetworkError' as const;
  declare readonly operation: OssOperation;
  declare readonly partNumber: number | undefined;
  /** HTTP method of the request. */
  declare readonly method: string;
  /** URL of the request (unsigned: signatures travel in headers). */
  declare readonly url: string;
  /** Whether the last attempt was given up because nothing moved for `stallTimeout`, rather than failing outright. */
  declare readonly timedOut: boolean;
  /** Attempts made (retries included), when the request was sent at all. */
  declare readonly attempts: number | undefined;
  /** Milliseconds from the first attempt to giving up, when the request was sent at all. */
  declare readonly waitedMs: number | undefined;

  constructor(init: OssNetworkErrorInit) {
    const part = init.partNumber === undefined ? '' : ` #${init.partNumber}`;
    super(`${init.operation}${part} failed: ${init.message}`, { cause: init.cause });
    this.operation = init.operation;
    this.partNumber = init.partNumber;
    this.method = init.method;
    this.url = init.url;
    this.timedOut = init.timedOut ?? false;
    this.attempts = init.attempts;
    this.waitedMs = init.waitedMs;
  }
}

/** Facts about a response whose body is not the document its operation answers with. */
export type OssResponseErrorInit = {
  readonly operation: OssOperation;
  readonly partNumber?: number | undefined;
  /** What is wrong with the body, for the message. */
  readonly message: string;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly method: string;
  readonly url: string;
  /** The body as received; the error keeps only its beginning. */
  readonly body: string;
  readonly cause?: unknown;
};

/** How much of an unreadable body {@link OssResponseError} keeps: enough to recognise it, never a whole page. */
const bodySnippetLength = 256;

/**
 * The server answered with a success status, but its body is not the XML document the operation
 * answers with (malformed, or another root element): typically a proxy or captive portal answering
 * in the server's place. Nothing the caller passed is wrong; `bodySnippet` shows what came back.
 */
export class OssResponseError extends OssError {
  override readonly name = 'OssResponseError' as const;
  declare readonly operation: OssOperation;
  declare readonly partNumber: number | undefined;
  /** HTTP status of the answer (a success status: error statuses are {@link OssServiceError}s). */
  declare readonly status: number;
  /** `x-oss-request-id` of the answer, when it has one. */
  declare readonly requestId: string | undefined;
  declare readonly method: string;
  declare readonly url: string;
  /** The first 256 characters of the body. */
  declare readonly bodySnippet: string;

  constructor(init: OssResponseErrorInit) {
    const part = init.partNumber === undefined ? '' : ` #${init.partNumber}`;
    const id = init.requestId ? `, request id ${init.requestId}` : '';
    super(`${init.operation}${part} failed: ${init.message} (status ${init.status}${id})`, { cause: init.cause });
    this.operation = init.operation;
    this.partNumber = init.partNumber;
    this.status = init.status;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.bodySnippet = init.body.slice(0, bodySnippetLength);
  }
}

/** Facts about a failed integrity check. */
export type OssIntegrityErrorInit = {
  readonly operation: OssOperation;
  readonly partNumber?: number | undefined;
  /** Which check failed: the ETag against the MD5 of the bytes sent, or the CRC-64. */
  readonly check: 'md5' | 'crc64';
  /** The local value: lower-case hex MD5, or unsigned decimal CRC-64. */
  readonly expected: string;
  /** The server's value (ETag as sent, quotes included; or `x-oss-hash-crc64ecma`); undefined when the header was not readable. */
  readonly actual: string | undefined;
};

/** The upload's result could not be trusted: a checksum differs or a required header is missing. */
export class OssIntegrityError extends OssError {
  override readonly name = 'OssIntegrityError' as const;
  /** The request whose answer failed the check (`CompleteMultipartUpload` for the whole object's CRC-64). */
  declare readonly operation: OssOperation;
  /** The part, for `UploadPart`. */
  declare readonly partNumber: number | undefined;
  /** `'md5'`: the ETag is not the MD5 of the bytes sent; `'crc64'`: the CRC-64 differs or could not be read. */
  declare readonly check: 'md5' | 'crc64';
  /** What the SDK computed from the local bytes: lower-case hex MD5, or unsigned decimal CRC-64. */
  declare readonly expected: string;
  /** What the server reported (the ETag as sent, or `x-oss-hash-crc64ecma`); undefined when the header was not readable. */
  declare readonly actual: string | undefined;

  constructor(init: OssIntegrityErrorInit) {
    const part = init.partNumber === undefined ? '' : ` #${init.partNumber}`;
    let problem: string;
    if (init.check === 'md5') problem = `the server's ETag ${init.actual} is not the MD5 of the bytes sent`;
    else if (init.actual === undefined) problem = "the x-oss-hash-crc64ecma header is not readable; is it in the bucket's CORS ExposeHeaders?";
    else problem = `CRC-64 mismatch, local ${init.expected} vs server ${init.actual}`;
    super(`${init.operation}${part}: ${problem}`);
    this.operation = init.operation;
    this.partNumber = init.partNumber;
    this.check = init.check;
    this.expected = init.expected;
    this.actual = init.actual;
  }
}

/** What a hasher could not do: start a worker, keep it alive, finish a job, or work at all once disposed. */
export type HashingErrorKind = 'start' | 'crash' | 'job' | 'disposed';

/**
 * Hashing (Content-MD5, CRC-64, the fingerprint) failed. A failure to read a file that changed on
 * disk reaches an upload as {@link ResumeMismatchError} instead; this is every other hashing failure.
 */
export class HashingError extends OssError {
  override readonly name = 'HashingError' as const;
  /**
   * `'start'`: a worker could not be created (e.g. a Content-Security-Policy forbids `blob:`
   * workers); `'crash'`: a worker died mid-job or its answer could not be read; `'job'`: the job itself failed, typically reading
   * the Blob (a worker reports only the failure's text, in the message); `'disposed'`: the hasher
   * was disposed before the job ended. `cause` holds the underlying failure when the page saw it.
   */
  declare readonly kind: HashingErrorKind;

  constructor(kind: HashingErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/**
 * A stored checkpoint does not match the file or the server (a resume that cannot go on), or the file
 * changed on disk while it was being uploaded, so it can no longer be read as it was (`cause` holds
 * the original failure, e.g. a DOMException `NotReadableError`).
 */
export class ResumeMismatchError extends OssError {
  override readonly name = 'ResumeMismatchError' as const;
}

/** Another tab (or caller) is already driving this upload; only one writer per uploadId is allowed. */
export class UploadLockedError extends OssError {
  override readonly name = 'UploadLockedError' as const;
  /** The pending upload's id (see `listPending()`). */
  declare readonly uploadRecordId: string;

  constructor(id: string) {
    super(`Upload ${id} is already running in another tab or call; pass \`lock: 'wait'\` to wait for it instead`);
    this.uploadRecordId = id;
  }
}
