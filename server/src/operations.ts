/**
 * Maps (method, sub-resources, headers) to the OSS operation, and each operation to the RAM action
 * an STS policy is checked against.
 */
import { signedSubResources } from './auth/v1.js';
import { errors } from './errors.js';
import { hasQuery, queryValue, type OssRequest } from './request.js';

/** Every operation the local server answers. */
export const operations = [
  'ListBuckets', 'ListObjects', 'ListMultipartUploads',
  'PutObject', 'CopyObject', 'GetObject', 'HeadObject', 'DeleteObject',
  'InitiateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload',
  'AbortMultipartUpload', 'ListParts',
  'GetObjectAcl', 'PutObjectAcl', 'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging',
  'ListObjectsV2', 'DeleteMultipleObjects',
  'PutBucketCors', 'GetBucketCors', 'DeleteBucketCors',
] as const;

/** One of {@link operations}. */
export type Operation = (typeof operations)[number];

/** The RAM action checked for each operation (UploadPartCopy and CopyObject also need oss:GetObject on the source). */
export const ramActions: Readonly<Record<Operation, string>> = {
  ListBuckets: 'oss:ListBuckets',
  ListObjects: 'oss:ListObjects',
  ListMultipartUploads: 'oss:ListMultipartUploads',
  PutObject: 'oss:PutObject',
  CopyObject: 'oss:PutObject',
  GetObject: 'oss:GetObject',
  HeadObject: 'oss:GetObject',
  DeleteObject: 'oss:DeleteObject',
  InitiateMultipartUpload: 'oss:PutObject',
  UploadPart: 'oss:PutObject',
  UploadPartCopy: 'oss:PutObject',
  CompleteMultipartUpload: 'oss:PutObject',
  AbortMultipartUpload: 'oss:AbortMultipartUpload',
  ListParts: 'oss:ListParts',
  GetObjectAcl: 'oss:GetObjectAcl',
  PutObjectAcl: 'oss:PutObjectAcl',
  GetObjectTagging: 'oss:GetObjectTagging',
  PutObjectTagging: 'oss:PutObjectTagging',
  DeleteObjectTagging: 'oss:DeleteObjectTagging',
  ListObjectsV2: 'oss:ListObjects',
  // Checked per key by the handler (see keyAuthorized), against each object like DeleteObject.
  DeleteMultipleObjects: 'oss:DeleteObject',
  PutBucketCors: 'oss:PutBucketCors',
  GetBucketCors: 'oss:GetBucketCors',
  DeleteBucketCors: 'oss:DeleteBucketCors',
};

/**
 * Sub-resources this server answers (besides `?acl` / `?tagging` on objects). Any other OSS
 * sub-resource (`?symlink`, a bucket's `?acl`, `?bucketInfo`, …) is refused: treating `PUT ?symlink`
 * as PutObject would replace the object with nothing.
 */
const supportedSubResources = new Set(['uploads', 'uploadId', 'partNumber', 'security-token', 'objectMeta', 'cors']);

/**
 * Operations whose RAM action names objects the request lists in its body, so the dispatcher skips
 * its bucket-level check and the handler authorizes every key (a policy scoped to `bucket/dir/*`
 * would never match the bucket itself).
 */
export const keyAuthorized: ReadonlySet<Operation> = new Set<Operation>(['DeleteMultipleObjects']);

/**
 * Sub-resources answered only on a bucket and with one method: ListObjectsV2 (`GET ?list-type=2`)
 * and DeleteMultipleObjects (`POST ?delete`). Anywhere else they stay refused: `PUT /key?delete`
 * must not become PutObject.
 */
const bucketSubResources: Readonly<Record<string, ReadonlySet<string>>> = {
  GET: new Set(['list-type', 'continuation-token']),
  POST: new Set(['delete']),
};

/** Sub-resources answered on an object only: a bucket's `?acl` / `?tagging` are other operations. */
const objectSubResources = new Set(['acl', 'tagging']);

function refuseUnsupported(request: OssRequest): void {
  const bucketLevel = request.bucket !== undefined && !request.key ? bucketSubResources[request.method] : undefined;
  for (const [name] of request.query) {
    if (request.key && objectSubResources.has(name)) continue;
    if (supportedSubResources.has(name) || name.startsWith('response-') || bucketLevel?.has(name)) continue;
    if (signedSubResources.has(name) || name === 'list-type' || name === 'continuation-token') {
      throw errors.notImplemented(`The sub-resource "${name}"`);
    }
  }
}

/** `?cors` on a bucket; on an object it stays unsupported (it must never become PutObject). */
function bucketCorsOperation(request: OssRequest): Operation {
  if (request.key) throw errors.notImplemented('The sub-resource "cors" on an object');
  switch (request.method) {
    case 'PUT': return 'PutBucketCors';
    case 'GET': return 'GetBucketCors';
    case 'DELETE': return 'DeleteBucketCors';
    default: throw errors.methodNotAllowed(request.method);
  }
}

/** `?acl` / `?tagging` on an object: never PutObject or DeleteObject (`PUT ?acl` carries no object bytes). */
function objectSubResourceOperation(request: OssRequest): Operation | undefined {
  const { method } = request;
  if (hasQuery(request, 'acl')) {
    if (method === 'GET') return 'GetObjectAcl';
    if (method === 'PUT') return 'PutObjectAcl';
    throw errors.methodNotAllowed(method);
  }
  if (hasQuery(request, 'tagging')) {
    if (method === 'GET') return 'GetObjectTagging';
    if (method === 'PUT') return 'PutObjectTagging';
    if (method === 'DELETE') return 'DeleteObjectTagging';
    throw errors.methodNotAllowed(method);
  }
  return undefined;
}

/** Resolves the operation of a parsed request; unknown combinations are MethodNotAllowed. */
export function resolveOperation(request: OssRequest): Operation {
  const { method, bucket, key } = request;
  const notAllowed = () => errors.methodNotAllowed(method);
  refuseUnsupported(request);
  if (bucket === undefined) {
    if (method === 'GET') return 'ListBuckets';
    throw notAllowed();
  }
  if (hasQuery(request, 'cors')) return bucketCorsOperation(request);
  if (!key) {
    if (method === 'GET') {
      if (hasQuery(request, 'uploads')) return 'ListMultipartUploads';
      return queryValue(request, 'list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    if (method === 'POST' && hasQuery(request, 'delete')) return 'DeleteMultipleObjects';
    throw notAllowed();
  }
  const subResource = objectSubResourceOperation(request);
  if (subResource) return subResource;
  const uploadId = hasQuery(request, 'uploadId');
  const copy = request.headers['x-oss-copy-source'] !== undefined;
  switch (method) {
    case 'PUT':
      if (uploadId || hasQuery(request, 'partNumber')) {
        if (!hasQuery(request, 'partNumber')) {
          throw errors.invalidArgument('Unexpected query string parameter', 'ResourceType', 'partNumber', '0017-00000219');
        }
        return copy ? 'UploadPartCopy' : 'UploadPart';
      }
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (hasQuery(request, 'uploads')) return 'InitiateMultipartUpload';
      if (uploadId) return 'CompleteMultipartUpload';
      throw notAllowed();
    case 'GET':
      return uploadId ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject'; // also GetObjectMeta (`?objectMeta`): the same headers, no body
    case 'DELETE':
      return uploadId ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      throw notAllowed();
  }
}
