/**
 * The SDK's error classes: one flat hierarchy under {@link OssError} (house style rule 19). ky's
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
// ES2022 field would also emit a define-as-undefined step per field (issue 8 size budget).

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

/** No usable response: the network failed, the request timed out, or CORS hid the answer. */
export class OssNetworkError extends OssError {
  override readonly name = 'OssNetworkError' as const;
  declare readonly operation: OssOperation;
  declare readonly partNumber: number | undefined;
  /** Whether the last attempt was given up because nothing moved for `stallTimeout`, rather than failing outright. */
  declare readonly timedOut: boolean;
  /** Attempts made (retries included), when the request was sent at all. */
  declare readonly attempts: number | undefined;
  /** Milliseconds from the first attempt to giving up, when the request was sent at all. */
  declare readonly waitedMs: number | undefined;

  constructor(
    operation: OssOperation, partNumber: number | undefined, message: string,
    options: { cause?: unknown; timedOut?: boolean; attempts?: number; waitedMs?: number } = {},
  ) {
    const part = partNumber === undefined ? '' : ` #${partNumber}`;
    super(`${operation}${part} failed: ${message}`, { cause: options.cause });
    this.operation = operation;
    this.partNumber = partNumber;
    this.timedOut = options.timedOut ?? false;
    this.attempts = options.attempts;
    this.waitedMs = options.waitedMs;
  }
}

/** The upload's result could not be trusted: a checksum differs or a required header is missing. */
export class OssIntegrityError extends OssError {
  override readonly name = 'OssIntegrityError' as const;
}

/**
 * A stored checkpoint does not match the file or the server (issue 4 uses it for resume), or the file
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
