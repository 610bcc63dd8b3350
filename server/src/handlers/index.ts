/**
 * The handler of each operation.
 */
import type { Context } from '../context.js';
import type { Operation } from '../operations.js';
import { completeMultipartUpload } from './complete.js';
import { listBuckets, listMultipartUploads, listObjects, listParts } from './listing.js';
import { abortMultipartUpload, initiateMultipartUpload, uploadPart, uploadPartCopy } from './multipart.js';
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
} satisfies Record<Operation, (ctx: Context) => Promise<void>>;
