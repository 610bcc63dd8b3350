/**
 * Maps (method, sub-resources, headers) to the OSS operation, and each operation to the RAM action
 * an STS policy is checked against.
 */
import { signedSubResources } from './auth/v1.js';
import { errors } from './errors.js';
import { hasQuery, type OssRequest } from './request.js';

/** Every operation the local server answers. */
export const operations = [
  'ListBuckets', 'ListObjects', 'ListMultipartUploads',
  'PutObject', 'CopyObject', 'GetObject', 'HeadObject', 'DeleteObject',
  'InitiateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload',
  'AbortMultipartUpload', 'ListParts',
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
};

/**
 * Sub-resources this server answers. Any other OSS sub-resource (`?acl`, `?tagging`, `?symlink`,
 * `?bucketInfo`, `list-type=2`, …) is refused: treating `PUT ?acl` as PutObject would replace the
 * object with the ACL document.
 */
const supportedSubResources = new Set(['uploads', 'uploadId', 'partNumber', 'security-token', 'objectMeta']);

function refuseUnsupported(request: OssRequest): void {
  for (const [name] of request.query) {
    if (supportedSubResources.has(name) || name.startsWith('response-')) continue;
    if (signedSubResources.has(name) || name === 'list-type' || name === 'continuation-token') {
      throw errors.notImplemented(`The sub-resource "${name}"`);
    }
  }
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
  if (!key) {
    if (method === 'GET') return hasQuery(request, 'uploads') ? 'ListMultipartUploads' : 'ListObjects';
    throw notAllowed();
  }
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
