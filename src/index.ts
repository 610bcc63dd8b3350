/**
 * oss-resumable: resumable multipart uploads from the browser to Alibaba Cloud OSS.
 */
export { createUploader, type Uploader } from './create-uploader.js';
export { copyObject } from './copy-object.js';
export { discardPending, listPending, resumeAllPending, resumePending, sweepPending, type ResumeOutcome } from './pending.js';
export { uploaderDefaults } from './options.js';
export { createOssClient } from './oss/client.js';
export { signerV4 } from './oss/signing-v4.js';
export { signerV1 } from './oss/signing-v1.js';
export type { OssSigner, SignableRequest, SignContext, QueryEntry } from './oss/signing-types.js';
export type { OssClient, CompleteResult, CopySource, PartReference } from './oss/client.js';
export type { BodyProgressOption, RequestProgress, SignalOption, WriteOptions } from './oss/call-options.js';
export type { ObjectInfo, PutObjectResult } from './oss/client-objects.js';
export type { ListedPart, ListedUpload, ListPartsPage, ListUploadsPage } from './oss/xml.js';
export type { CredentialsInput, CredentialsSource } from './oss/credentials.js';
export type { CopyOptions, CopyResult } from './core/copy.js';
export {
  HashingError, OssError, OssIntegrityError, OssNetworkError, OssResponseError, OssServiceError, ResumeMismatchError, UploadLockedError,
  type HashingErrorKind, type OssIntegrityErrorInit, type OssNetworkErrorInit, type OssOperation, type OssResponseErrorInit, type OssServiceErrorInit,
} from './errors.js';
export type { PendingUpload, SweepResult } from './core/pending.js';
export { createMemoryStore, type CheckpointStore } from './persistence/store.js';
export { createHasher } from './hashing/hash-pool.js';
export { crc64, type Crc64Check } from './hashing/crc64-combine.js';
export type { Hasher, HasherOptions, PartDigest } from './hashing/hasher.js';
export { createIndexedDbStore } from './persistence/idb-store.js';
export type { JournalPart, UploadRecord } from './persistence/record.js';
export type { JournalErrorContext, JournalErrorListener } from './persistence/tolerant-store.js';
export type {
  CallbackOptions, CompletedPart, ConnectionOptions, RetryOptions, ContentDisposition, ObjectAcl, ObjectHeaderOptions, PartState, PartUpdate, ResumeInfo, ServerSideEncryption,
  StorageClass, UploaderOptions, UploadOptions, UploadPhase, UploadProgress, UploadResult,
} from './types.js';
