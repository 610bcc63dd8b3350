/**
 * The upload callback (docs/protocol.md §5): the headers that ask OSS to call the app's server after
 * PutObject or Complete, and the reading of what that server answered.
 */
import { OssServiceError } from '../errors.js';
import type { CallbackOptions } from '../types.js';
import { binaryUtf8 } from './canonical.js';
import { parseError } from './xml.js';

/** Base64 of a string's UTF-8 bytes (btoa alone only takes Latin-1). */
function base64Utf8(text: string): string {
  return btoa(binaryUtf8(text));
}

/** `x-oss-callback` / `x-oss-callback-var` headers of a callback (docs/protocol.md §5). */
export function callbackHeaders(callback: CallbackOptions | undefined): Record<string, string> {
  if (!callback) return {};
  const urls = typeof callback.url === 'string' ? [callback.url] : callback.url;
  const config: Record<string, string> = { callbackUrl: urls.map((u) => encodeURI(u)).join(';'), callbackBody: callback.body };
  if (callback.bodyType) config['callbackBodyType'] = callback.bodyType;
  if (callback.host) config['callbackHost'] = callback.host;
  const headers: Record<string, string> = { 'x-oss-callback': base64Utf8(JSON.stringify(config)) };
  const vars = Object.entries(callback.customVars ?? {});
  if (vars.length > 0) headers['x-oss-callback-var'] = base64Utf8(JSON.stringify(Object.fromEntries(vars.map(([k, v]) => [`x:${k}`, v]))));
  return headers;
}

/**
 * Parses a callback answer (JSON), or returns the text when it is not JSON. A 203 means the object
 * was stored but the callback failed (docs/protocol.md §5): that is an error for the caller, and its
 * message says the object exists.
 */
export async function readCallbackResult(response: Response, operation: 'PutObject' | 'CompleteMultipartUpload'): Promise<unknown> {
  const text = await response.text();
  if (response.status === 203) {
    const details = { ...(parseError(text) ?? {}) };
    const { Code = 'CallbackFailed', Message = 'the upload callback failed', RequestId, HostId, ...rest } = details;
    throw new OssServiceError({
      status: 203, code: Code, message: `${Message} The object was stored; only the callback failed.`,
      requestId: response.headers.get('x-oss-request-id') ?? RequestId, hostId: HostId, operation,
      method: operation === 'PutObject' ? 'PUT' : 'POST', url: response.url, details: { ...rest, ETag: response.headers.get('etag') ?? '' },
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
