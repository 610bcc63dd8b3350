/**
 * STS over HTTP on the server's own port: telling an STS call from an OSS request, reading its
 * parameters and sending the JSON answer. The action itself is in assume-role.ts.
 */
import type { ServerResponse } from 'node:http';
import { errors } from '../errors.js';
import { readLimited } from '../request-body.js';
import { queryValue, type OssRequest } from '../request.js';
import { handleStsRequest, type StsDependencies } from './assume-role.js';

/** Whether a request is an STS call rather than an OSS request: RPC on `/` with an `Action` or a form body. */
export function isStsCall(request: OssRequest): boolean {
  // STS is RPC over GET or POST; any other method on `/` is an OSS request (and gets an OSS error).
  if (request.bucket !== undefined || request.key || (request.method !== 'GET' && request.method !== 'POST')) return false;
  return queryValue(request, 'Action') !== undefined ||
    (request.method === 'POST' && (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'));
}

/** Answers an STS call: its parameters from the query and, for POST, the form body (at most 64 KB). */
export async function answerSts(request: OssRequest, res: ServerResponse, sts: StsDependencies, input: AsyncIterable<Buffer>): Promise<void> {
  let params: Array<readonly [string, string]> = request.query.map(([name, value]) => [name, value] as const);
  if (request.method === 'POST') {
    const body = await readLimited(input, request.headers['content-length'], 64 * 1024,
      () => errors.invalidArgument('The STS request body is larger than 64 KB.', 'Body', 'too large'));
    // Form bodies use `+` for spaces (unlike OSS query strings), so URLSearchParams is right here.
    params = [...params, ...new URLSearchParams(body.toString('utf8'))];
  }
  const answer = handleStsRequest({ method: request.method, params, requestId: request.requestId }, sts);
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'Content-Type': 'application/json;charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
