/**
 * GetObjectAcl (`GET /<key>?acl`) and PutObjectAcl (`PUT /<key>?acl` with `x-oss-object-acl`).
 * The ACL is kept and reported; the local server does not enforce it (every request is signed).
 */
import type { Context } from '../context.js';
import { errors } from '../errors.js';
import { readObjectAcl } from '../object-attributes.js';
import { sendEmpty, sendXml } from './send.js';

/** GetObjectAcl: `default` unless an ACL was set (go-sdk-v2 GetObjectAclResult). */
export async function getObjectAcl(ctx: Context): Promise<void> {
  const key = ctx.request.key!;
  const record = await ctx.storage.objects.get(ctx.request.bucket!, key);
  if (!record) throw errors.noSuchKey(key);
  sendXml(ctx, 'AccessControlPolicy', {
    Owner: { ID: 'oss-local', DisplayName: 'oss-local' },
    AccessControlList: { Grant: record.acl ?? 'default' },
  });
}

/** PutObjectAcl: replaces the ACL only; the bytes, ETag and Last-Modified stay. */
export async function putObjectAcl(ctx: Context): Promise<void> {
  const key = ctx.request.key!;
  const acl = readObjectAcl(ctx.request, true)!;
  const updated = await ctx.storage.objects.update(ctx.request.bucket!, key, (record) => ({ ...record, acl }));
  if (!updated) throw errors.noSuchKey(key);
  sendEmpty(ctx, 200);
}
