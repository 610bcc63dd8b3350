/**
 * The handler of each operation.
 */
import type { Context } from '../context.js';
import type { Operation } from '../operations.js';
import { deleteBucketCors, getBucketCors, putBucketCors } from './bucket-cors.js';
import { completeMultipartUpload } from './complete.js';
import { deleteMultipleObjects } from './delete-multiple.js';
import { listBuckets, listMultipartUploads, listObjects, listObjectsV2, listParts } from './listing.js';
import { abortMultipartUpload, initiateMultipartUpload, uploadPart, uploadPartCopy } from './multipart.js';
import { getObjectAcl, putObjectAcl } from './object-acl.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './object-tagging.js';
import { copyObject, deleteObject, getObject, headObject, putObject } from './objects.js';

/** Operation → handler; `satisfies` keeps the table complete at compile time. */
export const handlers = {
  ListBuckets: listBuckets,
  ListObjects: listObjects,
  ListMultipartUploads: listMultipartUploads,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  ListObjectsV2: listObjectsV2,
  DeleteMultipleObjects: deleteMultipleObjects,
  PutBucketCors: putBucketCors,
  GetBucketCors: getBucketCors,
  DeleteBucketCors: deleteBucketCors,
} satisfies Record<Operation, (ctx: Context) => Promise<void>>;
