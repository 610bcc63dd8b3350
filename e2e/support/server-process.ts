/**
 * The local OSS server as its own process (`node --import tsx server/src/main.ts`), so its memory is
 * its own and can be read from `/proc/<pid>/status` while browsers and Node upload to it, and so it
 * can be SIGKILLed and started again on the same port and data directory (the chaos spec). By
 * default: a free port, a temporary data directory, fsync off, CORS `*`. Plus an RSS sampler and
 * the official ali-oss client for reading objects back.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { streamedMd5 } from './oss.js';
import { repoRoot } from './pages.js';

/** The slice of ali-oss 6.x used here (the package ships no type declarations). */
type AliClient = {
  put(name: string, body: Buffer): Promise<{ res: { status: number } }>;
  getStream(name: string): Promise<{ stream: Readable; res: { status: number; headers: Record<string, string> } }>;
};
const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (options: Record<string, unknown>) => AliClient;

/** The server's default root keys (server/src/main.ts). */
export const rootKeys = { accessKeyId: 'oss-local-ak', accessKeySecret: 'oss-local-sk' } as const;

/** A running server process. */
export type ServerProcess = {
  readonly pid: number;
  readonly port: number;
  /** `http://localhost:PORT`: the SDK's endpoint (path style `…/demo/key`). */
  readonly endpoint: string;
  readonly dataDir: string;
  /** The official ali-oss client (V1, path style, root keys). */
  readonly client: AliClient;
  /** Lower-case hex MD5, size and ETag of an object, streamed through ali-oss. */
  objectMd5(key: string): Promise<{ md5: string; size: number; etag: string | undefined }>;
  /** Everything the process printed (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM (graceful close), SIGKILL after 10 s; deletes the data directory unless the caller gave it. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: resolves once the process is gone; the data directory stays. */
  kill(): Promise<void>;
};

/** How to start the server process. */
export type ServerProcessOptions = {
  /** More CLI flags (e.g. `--faults`). */
  readonly args?: readonly string[];
  /** Port to listen on. @default 0 (a free one; the banner tells which) */
  readonly port?: number;
  /** Data directory to use (and keep): a restart after `kill()` passes the dead server's. @default a new temporary one */
  readonly dataDir?: string;
  /** fsync before acknowledging writes (crash safety); off is faster. @default false */
  readonly fsync?: boolean | undefined;
  /** More Node flags (e.g. `--cpu-prof`). @default none */
  readonly nodeArgs?: readonly string[];
  /** Run `server/src/main.ts` of another checkout (benchmark experiments). @default this repository */
  readonly serverRoot?: string | undefined;
};

/** Starts the server and waits until it listens. */
export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'oss-resumable-e2e-proc-')));
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, [
    // The orphan guard ends the server when this test process is gone (e.g. killed by the runner).
    '--import', 'tsx', '--import', join(repoRoot, 'e2e', 'bench', 'orphan-guard.ts'), ...(options.nodeArgs ?? []),
    join(options.serverRoot ?? repoRoot, 'server', 'src', 'main.ts'),
    '--port', String(options.port ?? 0), '--data', dataDir, ...(options.fsync ? [] : ['--no-fsync']), '--cors-origin', '*', ...(options.args ?? []),
  ], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 50_000) out = out.slice(-50_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The OSS server did not listen within 30 s:\n${out}`)), 30_000);
    const onData = () => {
      const match = /listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The OSS server exited (${code ?? signal}) before listening:\n${out}`));
    });
  }).catch(async (error: unknown) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const endpoint = `http://localhost:${port}`;
  const client = new OSS({ endpoint, bucket: 'demo', sldEnable: true, region: 'oss-cn-hangzhou', timeout: 120_000, ...rootKeys });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    port,
    endpoint,
    dataDir,
    client,
    objectMd5: (key) => streamedMd5(client, key),
    output: () => out,
    async stop() {
      if (running()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resident memory of a process in bytes: `VmRSS` and the high-water mark `VmHWM` of /proc/<pid>/status. */
export async function readRss(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Resets `VmHWM` to the current RSS (`echo 5 > /proc/<pid>/clear_refs`); false where that is not allowed. */
export async function resetPeakRss(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples a process's RSS every `intervalMs` until `stop()`, which returns the samples and the peak. */
export function sampleRss(pid: number, intervalMs = 50) {
  const samples: Array<{ at: number; rss: number }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      samples.push({ at: Date.now(), rss: (await readRss(pid)).rss });
    } catch {
      // the process is gone; the caller's checks will say why
    }
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  void tick();
  return {
    samples,
    async stop(): Promise<{ samples: typeof samples; peak: number; hwm: number }> {
      stopped = true;
      clearTimeout(timer);
      const { rss, hwm } = await readRss(pid);
      samples.push({ at: Date.now(), rss });
      return { samples, peak: Math.max(...samples.map((s) => s.rss)), hwm };
    },
  };
}
