/**
 * The attributes OSS keeps with an object besides its content metadata: storage class, object ACL,
 * server-side encryption and tags. Write requests set them with `x-oss-storage-class`,
 * `x-oss-object-acl`, `x-oss-server-side-encryption*` and `x-oss-tagging`; values outside OSS's sets
 * are refused with OSS's error instead of being dropped, and reads give them back as headers.
 */
import { errors } from './errors.js';
import type { OssRequest } from './request.js';
import type { Encryption, ObjectAcl, ObjectRecord, StorageClass, Tag } from './storage/object-store.js';

/** The storage classes OSS accepts in `x-oss-storage-class` (EC 0013-00000101 lists them). */
export const storageClasses: readonly StorageClass[] = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];
/** The object ACLs OSS accepts in `x-oss-object-acl` (EC 0017-00000105 lists them). */
export const objectAcls: readonly ObjectAcl[] = ['default', 'private', 'public-read', 'public-read-write'];
const algorithms: readonly Encryption['algorithm'][] = ['AES256', 'KMS', 'SM4'];

const maxTags = 10;
const maxTagKeyBytes = 128;
const maxTagValueBytes = 256;

/** The attribute fields of an object record (or upload); absent ones take their defaults. */
export type ObjectAttributes = Pick<ObjectRecord, 'storageClass' | 'acl' | 'encryption' | 'tags'>;

/** Builds {@link ObjectAttributes} from possibly-undefined values, leaving unset ones (and empty tag sets) off. */
export function attributesOf(fields: {
  readonly storageClass?: StorageClass | undefined;
  readonly acl?: ObjectAcl | undefined;
  readonly encryption?: Encryption | undefined;
  readonly tags?: readonly Tag[] | undefined;
}): ObjectAttributes {
  return {
    ...(fields.storageClass ? { storageClass: fields.storageClass } : {}),
    ...(fields.acl ? { acl: fields.acl } : {}),
    ...(fields.encryption ? { encryption: fields.encryption } : {}),
    ...(fields.tags?.length ? { tags: fields.tags } : {}),
  };
}

/** `x-oss-storage-class`, or undefined when absent. */
export function readStorageClass(request: OssRequest): StorageClass | undefined {
  const value = request.headers['x-oss-storage-class'];
  if (value === undefined) return undefined;
  if (value === '') throw errors.invalidArgument('The x-oss-storage-class header cannot be empty.', 'x-oss-storage-class', value, '0017-00000131');
  const found = storageClasses.find((c) => c === value);
  if (!found) throw errors.invalidArgument('No such object storage class exists.', 'x-oss-storage-class', value.slice(0, 256), '0013-00000101');
  return found;
}

/** `x-oss-object-acl`, or undefined when absent (`required`: PutObjectAcl, where absent is an error too). */
export function readObjectAcl(request: OssRequest, required = false): ObjectAcl | undefined {
  const value = request.headers['x-oss-object-acl'];
  if (value === undefined && !required) return undefined;
  if (value === undefined || value === '') {
    throw errors.invalidArgument('no such object access control exists', 'x-oss-object-acl', value ?? '', '0017-00000105');
  }
  const found = objectAcls.find((acl) => acl === value);
  if (!found) throw errors.invalidArgument('no such object access control exists', 'x-oss-object-acl', value.slice(0, 256));
  return found;
}

/**
 * `x-oss-server-side-encryption` with, for KMS, `x-oss-server-side-data-encryption` (SM4 only) and
 * `x-oss-server-side-encryption-key-id`. OSS reads the two KMS headers only with KMS, so they are
 * ignored otherwise.
 */
export function readEncryption(request: OssRequest): Encryption | undefined {
  const h = request.headers;
  const value = h['x-oss-server-side-encryption'];
  if (value === undefined) return undefined;
  const algorithm = algorithms.find((a) => a === value);
  if (!algorithm) throw errors.invalidEncryptionAlgorithm(value);
  if (algorithm !== 'KMS') return { algorithm };
  const data = h['x-oss-server-side-data-encryption'];
  if (data !== undefined && data !== 'SM4') throw errors.invalidDataEncryptionAlgorithm(data);
  const keyId = h['x-oss-server-side-encryption-key-id'];
  // The key id is echoed back in response headers; KMS key ids are visible ASCII.
  if (keyId !== undefined && !/^[\x21-\x7e]{1,256}$/.test(keyId)) {
    throw errors.invalidArgument('The specified parameter KMS keyId is not valid.', 'x-oss-server-side-encryption-key-id', keyId.slice(0, 256));
  }
  return { algorithm, ...(data ? { dataAlgorithm: 'SM4' as const } : {}), ...(keyId ? { keyId } : {}) };
}

/** The response headers naming an object's (or upload's) server-side encryption. */
export function encryptionHeaders(encryption: Encryption | undefined): Record<string, string> {
  if (!encryption) return {};
  const headers: Record<string, string> = { 'x-oss-server-side-encryption': encryption.algorithm };
  if (encryption.dataAlgorithm) headers['x-oss-server-side-data-encryption'] = encryption.dataAlgorithm;
  if (encryption.keyId) headers['x-oss-server-side-encryption-key-id'] = encryption.keyId;
  return headers;
}

function taggingHeaderError(value: string) {
  return errors.invalidArgument(
    "The header 'x-oss-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.",
    'x-oss-tagging', value.slice(0, 1024), '0010-00000219');
}

/** Enforces OSS's object tag limits: at most 10 tags, keys of 1–128 bytes, values of up to 256 bytes. */
export function checkTags(tags: readonly Tag[]): void {
  if (tags.length > maxTags) throw errors.tooManyObjectTags();
  for (const [key, value] of tags) {
    if (key === '' || Buffer.byteLength(key) > maxTagKeyBytes) throw errors.invalidTaggingKey();
    if (Buffer.byteLength(value) > maxTagValueBytes) throw errors.invalidTaggingValue();
  }
}

/**
 * `x-oss-tagging`: URL-encoded `k1=v1&k2=v2` (a bare `k` is a tag with an empty value), or undefined
 * when absent. `+` stays a plus, as in every OSS query string.
 */
export function readTaggingHeader(request: OssRequest): Tag[] | undefined {
  const value = request.headers['x-oss-tagging'];
  if (value === undefined) return undefined;
  const tags: Tag[] = [];
  if (value === '') return tags;
  // Keys and values must arrive URL-encoded: raw UTF-8 or control bytes are not that.
  if (/[^\x20-\x7e]/.test(value)) throw taggingHeaderError(value);
  for (const piece of value.split('&')) {
    const parts = piece.split('=');
    if (parts.length > 2 || parts[0] === '') throw taggingHeaderError(value);
    let key: string;
    let tagValue: string;
    try {
      key = decodeURIComponent(parts[0]!);
      tagValue = decodeURIComponent(parts[1] ?? '');
    } catch {
      throw taggingHeaderError(value); // bad percent escape or not UTF-8
    }
    if (tags.some(([k]) => k === key)) throw taggingHeaderError(value);
    tags.push([key, tagValue]);
  }
  checkTags(tags);
  return tags;
}

/** Reads (and validates) every attribute a write request sets: PutObject, InitiateMultipartUpload, CopyObject. */
export function readObjectAttributes(request: OssRequest): ObjectAttributes {
  return attributesOf({
    storageClass: readStorageClass(request),
    acl: readObjectAcl(request),
    encryption: readEncryption(request),
    tags: readTaggingHeader(request),
  });
}

/**
 * CopyObject's `x-oss-tagging-directive`: `Copy` (the default) keeps the source's tags, `Replace`
 * takes `x-oss-tagging` from the request (go-sdk-v2 CopyObjectRequest.TaggingDirective).
 */
export function readTaggingDirective(request: OssRequest): 'Copy' | 'Replace' {
  const value = request.headers['x-oss-tagging-directive'];
  if (value === undefined || value.toLowerCase() === 'copy') return 'Copy';
  if (value.toLowerCase() === 'replace') return 'Replace';
  throw errors.invalidArgument('The x-oss-tagging-directive must be Copy or Replace.', 'x-oss-tagging-directive', value.slice(0, 256));
}
