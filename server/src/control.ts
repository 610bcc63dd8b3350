/**
 * The fault-injection control endpoint, under the reserved path `/_local/` (bucket names cannot
 * start with `_`, so it never shadows a bucket). Only mounted with `--faults`; JSON in and out.
 *
 * - `POST /_local/faults` `{ rules: FaultRule[], seed? }` → `{ ids }`; `GET` lists rules with counters; `DELETE` clears.
 * - `POST /_local/sts/expire` → every STS token issued so far is expired from now on.
 * - `GET /_local/log?since=N` → answered requests (see request-log.ts); `DELETE` clears.
 * - `GET /_local/health` → `{ ok: true }`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults, FaultRule } from './faults.js';
import { readLimited } from './request-body.js';
import type { RequestLog } from './request-log.js';
import type { TokenAuthority } from './sts/token.js';

/** What the control endpoint can act on. */
export type ControlDeps = { readonly faults: Faults; readonly log: RequestLog; readonly authority: TokenAuthority; readonly now: () => number };

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readLimited(req as AsyncIterable<Buffer>, req.headers['content-length'], 1024 * 1024,
    () => new RangeError('Control body larger than 1 MiB'));
  const text = body.toString('utf8');
  return text === '' ? {} : JSON.parse(text);
}

/** Answers a `/_local/...` request. */
export async function handleControl(req: IncomingMessage, res: ServerResponse, deps: ControlDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const route = `${req.method} ${url.pathname}`;
  try {
    switch (route) {
      case 'GET /_local/health':
        return sendJson(res, 200, { ok: true });
      case 'POST /_local/faults': {
        const body = (await readJson(req)) as { rules?: FaultRule[]; seed?: number };
        if (typeof body.seed === 'number') deps.faults.seed(body.seed);
        return sendJson(res, 200, { ids: deps.faults.add(body.rules ?? []) });
      }
      case 'GET /_local/faults':
        return sendJson(res, 200, { rules: deps.faults.list() });
      case 'DELETE /_local/faults':
        deps.faults.clear();
        return sendJson(res, 200, { ok: true });
      case 'POST /_local/sts/expire':
        deps.authority.expireIssuedBefore(deps.now() + 1);
        return sendJson(res, 200, { expiredBefore: new Date(deps.now() + 1).toISOString() });
      case 'GET /_local/log':
        await deps.log.settled();
        return sendJson(res, 200, { entries: deps.log.entries(Number(url.searchParams.get('since') ?? '0') || 0) });
      case 'DELETE /_local/log':
        deps.log.clear();
        return sendJson(res, 200, { ok: true });
      default:
        return sendJson(res, 404, { error: `Unknown control route ${route}` });
    }
  } catch (error) {
    return sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}
