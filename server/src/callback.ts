/**
 * Upload callbacks (docs/protocol.md §5): the `x-oss-callback` JSON is validated before anything is
 * stored; after the object is stored the server POSTs the templated body to the callback URLs in
 * order, and relays the first JSON answer — or reports 203 CallbackFailed, the object kept.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errors } from './errors.js';

/** A parsed, validated callback configuration. */
export type CallbackConfig = {
  readonly urls: readonly URL[];
  readonly host: string | undefined;
  readonly body: string;
  readonly bodyType: 'application/x-www-form-urlencoded' | 'application/json';
  readonly vars: Readonly<Record<string, string>>;
};

/** System variables of the stored object. */
export type CallbackObject = { bucket: string; object: string; etag: string; size: number; mimeType: string };

/** The callback server's answer, relayed to the uploader. */
export type CallbackAnswer = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly message: string };

const maxAnswerBytes = 3 * 1024 * 1024;

function decodeJson(value: string, name: string): Record<string, unknown> {
  const bad = () => errors.invalidArgument(`The ${name} is not a base64 encoded JSON object.`, name, value.slice(0, 128));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw bad();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad();
  return parsed as Record<string, unknown>;
}

/** Parses `x-oss-callback` / `x-oss-callback-var`; undefined when no callback was asked for. */
export function parseCallback(header: string | undefined, varsHeader: string | undefined): CallbackConfig | undefined {
  if (header === undefined) return undefined;
  const json = decodeJson(header, 'x-oss-callback');
  const { callbackUrl, callbackBody, callbackHost, callbackBodyType } = json;
  if (typeof callbackUrl !== 'string' || callbackUrl === '') throw errors.invalidArgument('callbackUrl is required.', 'callbackUrl', '');
  if (typeof callbackBody !== 'string' || callbackBody === '') throw errors.invalidArgument('callbackBody is required.', 'callbackBody', '');
  const pieces = callbackUrl.split(';').map((u) => u.trim()).filter(Boolean);
  if (pieces.length === 0 || pieces.length > 5) throw errors.invalidArgument('callbackUrl takes 1 to 5 URLs.', 'callbackUrl', callbackUrl);
  const urls = pieces.map((u) => {
    try {
      const url = new URL(u);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol);
      return url;
    } catch {
      throw errors.invalidArgument('callbackUrl is not a valid URL.', 'callbackUrl', u);
    }
  });
  const bodyType = callbackBodyType ?? 'application/x-www-form-urlencoded';
  if (bodyType !== 'application/x-www-form-urlencoded' && bodyType !== 'application/json') {
    throw errors.invalidArgument('callbackBodyType is not supported.', 'callbackBodyType', String(bodyType));
  }
  const vars: Record<string, string> = {};
  if (varsHeader !== undefined) {
    for (const [name, value] of Object.entries(decodeJson(varsHeader, 'x-oss-callback-var'))) {
      if (!/^x:[a-z0-9_-]+$/.test(name)) throw errors.invalidArgument('Custom callback variables must start with "x:" and be lower case.', 'x-oss-callback-var', name);
      vars[name] = String(value);
    }
  }
  if (callbackHost !== undefined && (typeof callbackHost !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(callbackHost))) {
    // It becomes the Host header of the callback request: anything else would make that request throw.
    throw errors.invalidArgument('callbackHost is not a valid host name.', 'callbackHost', String(callbackHost).slice(0, 128));
  }
  return { urls, host: typeof callbackHost === 'string' ? callbackHost : undefined, body: callbackBody, bodyType, vars };
}

/** Substitutes `${var}` (and the older `$(var)`) in the body template. */
export function renderCallbackBody(config: CallbackConfig, object: CallbackObject): string {
  const system: Record<string, string | number> = {
    bucket: object.bucket, object: object.object, etag: object.etag, size: object.size, mimeType: object.mimeType,
    'imageInfo.height': '', 'imageInfo.width': '', 'imageInfo.format': '',
  };
  const json = config.bodyType === 'application/json';
  return config.body.replace(/\$\{([\w.:-]+)\}|\$\(([\w.:-]+)\)/g, (_whole, a?: string, b?: string) => {
    const name = (a ?? b)!;
    const value = name in system ? system[name]! : config.vars[name];
    if (value === undefined) return json ? 'null' : '';
    if (json) return typeof value === 'number' ? String(value) : JSON.stringify(value);
    return encodeURIComponent(String(value));
  });
}

function post(url: URL, host: string | undefined, contentType: string, body: string, timeoutMs: number): Promise<CallbackAnswer> {
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      timeout: timeoutMs,
      headers: { Host: host ?? url.host, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'aliyun-oss-callback' },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxAnswerBytes) req.destroy(new Error('The callback response is larger than 3 MB.'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const answer = Buffer.concat(chunks);
        if (res.statusCode !== 200) return resolve({ ok: false, message: `Error status : ${res.statusCode}.` });
        try {
          JSON.parse(answer.toString('utf8'));
        } catch {
          return resolve({ ok: false, message: 'Response body is not valid json format.' });
        }
        resolve({ ok: true, body: answer });
      });
      res.on('error', (error) => resolve({ ok: false, message: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('OSS callback timed out.')));
    req.on('error', (error) => resolve({ ok: false, message: `Error status : -1. OSS can not connect to your callbackUrl, please check it. (${error.message})` }));
    req.end(body);
  });
}

/** Runs the callback: each URL in turn until one answers 200 with JSON. */
export async function runCallback(config: CallbackConfig, object: CallbackObject, timeoutMs: number): Promise<CallbackAnswer> {
  const body = renderCallbackBody(config, object);
  let last: CallbackAnswer = { ok: false, message: 'No callback URL.' };
  for (const url of config.urls) {
    last = await post(url, config.host, config.bodyType, body, timeoutMs);
    if (last.ok) return last;
  }
  return last;
}
