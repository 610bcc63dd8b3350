/**
 * A plain static file server for the consumer pages (e2e/package.spec.ts): no transforms, no module
 * rewriting, no dev-server magic, so a page gets exactly the files a CDN or an app's web server would
 * send. Each mount maps a URL prefix to a directory; requests are logged so a spec can check which
 * modules a page really fetched.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};

export type StaticServer = {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Paths requested so far (`/prefix/…`), answered or not. */
  readonly requested: readonly string[];
  close(): Promise<void>;
};

/** Serves `mounts` (`{ '/vite-app/': dir }`); `…/` serves `index.html`. */
export async function startStaticServer(mounts: Readonly<Record<string, string>>): Promise<StaticServer> {
  const requested: string[] = [];
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requested.push(path);
    const prefix = Object.keys(mounts).find((candidate) => path.startsWith(candidate));
    const root = prefix === undefined ? undefined : resolve(mounts[prefix]!);
    const file = root === undefined ? undefined : resolve(join(root, path.slice(prefix!.length) || 'index.html'));
    if (root === undefined || file === undefined || (file !== root && !file.startsWith(root + sep))) {
      response.writeHead(404).end();
      return;
    }
    stat(file).then(
      (info) => {
        const target = info.isDirectory() ? join(file, 'index.html') : file;
        response.writeHead(200, { 'Content-Type': types[extname(target)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
        createReadStream(target).on('error', () => response.destroy()).pipe(response);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
