/**
 * Issue 8: the package as users get it. One `npm pack` (its `prepack` runs `npm run build`), the
 * tarball installed into three fresh projects, and in each a page that uploads a file to the local
 * OSS server in Chromium:
 *
 * - `vite-app`: `vite build` of an app importing 'oss-resumable';
 * - `esbuild-app`: `esbuild app.js --bundle --format=esm`;
 * - `import-map-page`: no bundler at all, `<script type="importmap">` pointing into node_modules.
 *
 * The OSS server is the packaged one too: `import { createOssServer } from 'oss-resumable/server'`
 * under plain Node in a consumer project (e2e/consumers/start-server.mjs). Pages are served by a
 * plain static server (e2e/consumers/static-server.ts). Everything is built once, in `beforeAll`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expect, test, type Page, type Request } from '@playwright/test';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { startStaticServer, type StaticServer } from './consumers/static-server.js';
import type { AliOssClient, StsCredentials } from './support/oss.js';
import { repoRoot } from './support/pages.js';
import { createTestFile, type TestFile } from './support/test-file.js';

const consumersDir = join(repoRoot, 'e2e', 'consumers');
const consumerNames = ['vite-app', 'esbuild-app', 'import-map-page'] as const;
type ConsumerName = (typeof consumerNames)[number];

const require = createRequire(import.meta.url);
const OSS = require('ali-oss') as new (options: Record<string, unknown>) => AliOssClient;

/** What `npm pack --json` reports about the tarball. */
type PackReport = { filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> };
/** The line e2e/consumers/start-server.mjs prints once it listens. */
type ServerReady = { port: number; accessKeyId: string; accessKeySecret: string; sts: StsCredentials };
/** What `window.consumerApp.upload` resolves with (e2e/consumers/app.js). */
type UploadOutcome = { ok: boolean; etag?: string; size?: number; error?: string; parts: number[] };

/** Parts of 256 KiB; the file is a little over five of them, so six parts and a short last one. */
const partSize = 256 * 1024;
const fileSize = 5 * partSize + 12_345;

let workDir: string;
let pack: PackReport;
let tarball: string;
let consumers: Record<ConsumerName, string>;
let serverProcess: ChildProcessWithoutNullStreams | undefined;
let server: ServerReady;
let pages: StaticServer | undefined;
let file: TestFile | undefined;

/** Runs a command to completion; throws with its output when it fails. */
function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Async so three installs can overlap. */
function runAsync(command: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${output}`))));
  });
}

/** A fresh project with the tarball installed and the consumer's page files. */
async function createConsumer(name: ConsumerName): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }, null, 2)}\n`);
  await copyFile(join(consumersDir, 'app.js'), join(dir, 'app.js'));
  await copyFile(join(consumersDir, name, 'index.html'), join(dir, 'index.html'));
  // The registry is reachable, but the dependencies are normally in npm's cache already.
  await runAsync('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], dir);
  return dir;
}

/**
 * fast-xml-parser 4 is CommonJS only, so a bundler-free page needs it as ES modules, as an ESM CDN
 * (esm.sh, jspm) serves it. This converts the three parser modules the SDK imports, nothing else.
 */
const fastXmlParserModules = ['OptionsBuilder', 'OrderedObjParser', 'node2json'] as const;

async function vendorCommonJs(dir: string): Promise<void> {
  for (const name of fastXmlParserModules) {
    await esbuild({
      absWorkingDir: dir,
      entryPoints: [`node_modules/fast-xml-parser/src/xmlparser/${name}.js`],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outfile: `vendor/fast-xml-parser-${name}.js`,
      logLevel: 'warning',
    });
  }
}

/** Starts the packaged OSS server in the vite consumer's project and waits for its ready line. */
async function startPackagedServer(dir: string): Promise<ServerReady> {
  await copyFile(join(consumersDir, 'start-server.mjs'), join(dir, 'start-server.mjs'));
  const child = spawn(process.execPath, ['start-server.mjs', join(workDir, 'oss-data')], { cwd: dir });
  serverProcess = child;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as ServerReady));
    child.once('exit', (code) => reject(new Error(`start-server.mjs exited (${code}) before listening:\n${stderr}`)));
  });
}

const gz = (bytes: Uint8Array) => gzipSync(bytes, { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  workDir = await mkdtemp(join(tmpdir(), 'oss-resumable-package-'));
  // What `prepack` would do, run on its own so its output stays out of the JSON `npm pack` prints.
  run('npm', ['run', 'build'], repoRoot);
  [pack] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], repoRoot)) as [PackReport];
  tarball = join(workDir, pack.filename);
  const dirs = await Promise.all(consumerNames.map((name) => createConsumer(name)));
  consumers = Object.fromEntries(consumerNames.map((name, i) => [name, dirs[i]!])) as Record<ConsumerName, string>;

  // base './': the page is served under /vite-app/, not at the site root.
  await viteBuild({ root: consumers['vite-app'], configFile: false, base: './', logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } });
  run(join(repoRoot, 'node_modules', '.bin', 'esbuild'), ['app.js', '--bundle', '--format=esm', '--minify', '--outfile=bundle.js', '--log-level=warning'], consumers['esbuild-app']);
  await vendorCommonJs(consumers['import-map-page']);

  server = await startPackagedServer(consumers['vite-app']);
  pages = await startStaticServer({
    '/vite-app/': join(consumers['vite-app'], 'dist'),
    '/esbuild-app/': consumers['esbuild-app'],
    '/import-map-page/': consumers['import-map-page'],
  });
  file = await createTestFile(fileSize, 'consumer.bin');
});

test.afterAll(async () => {
  await pages?.close();
  if (serverProcess && serverProcess.exitCode === null) {
    const child = serverProcess;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end(); // start-server.mjs closes the server and exits
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  await file?.dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test('npm pack ships dist (JS, types, source maps), the docs and package.json, nothing else', () => {
  const paths = pack.files.map((entry) => entry.path);
  for (const expected of [
    'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE',
    'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map',
    'dist/hashing/worker-source.generated.js', 'dist/hashing/hash-worker.js',
    'dist/server/server.js', 'dist/server/server.d.ts',
  ]) {
    expect(paths, expected).toContain(expected);
  }
  const strays = paths.filter((path) => !path.startsWith('dist/') && !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(path));
  expect(strays).toEqual([]);
  // Sources are not shipped: the maps carry them inline instead of pointing at missing files.
  expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  test.info().annotations.push({ type: 'tarball', description: `${pack.files.length} files, ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked` });
});

test('publint and Are the Types Wrong? pass on the tarball (npm run lint:package)', () => {
  // Exits non-zero on any publint warning (--strict) or attw problem outside the ignored resolutions.
  const output = run(process.execPath, ['scripts/lint-package.mjs', tarball], repoRoot);
  expect(output).toContain('All good!');
});

/** Opens a consumer page, uploads the test file through it, and checks what reached the server. */
async function uploadThrough(page: Page, name: ConsumerName): Promise<{ requested: string[] }> {
  if (!pages || !file) throw new Error('beforeAll did not finish');
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  const workers: string[] = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  const ossOrigin = `http://localhost:${server.port}`;
  const partRequests: Array<Promise<{ url: URL; headers: Record<string, string> }>> = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.origin === ossOrigin && request.method() === 'PUT' && url.searchParams.has('partNumber')) {
      partRequests.push(request.allHeaders().then((headers) => ({ url, headers })));
    }
  });
  const firstRequest = pages.requested.length;

  await page.goto(`${pages.url}/${name}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 }).catch((error: unknown) => {
    throw new Error(`The ${name} page did not start; page errors: ${errors.join('; ') || 'none'}`, { cause: error });
  });
  await page.locator('#file').setInputFiles(file.path);
  const key = `consumers/${name}/${file.name}`;
  const outcome = await page.evaluate(
    (options) => window.consumerApp!.upload(options),
    { endpoint: ossOrigin, bucket: 'demo', region: 'cn-hangzhou', credentials: server.sts, key, partSize },
  );

  expect(errors).toEqual([]);
  expect(outcome, outcome.error).toMatchObject({ ok: true, size: file.size });
  const partCount = Math.ceil(file.size / partSize);
  expect([...outcome.parts].sort((a, b) => a - b)).toEqual(Array.from({ length: partCount }, (_, i) => i + 1));
  expect(outcome.etag?.replaceAll('"', '').toUpperCase()).toBe(file.multipartEtag(partSize));

  // MD5s were computed in a Web Worker started from the Blob URL of the shipped worker string.
  expect(workers.length, 'hash workers started').toBeGreaterThan(0);
  expect(workers.every((url) => url.startsWith('blob:'))).toBe(true);
  const sent = await Promise.all(partRequests);
  expect(sent).toHaveLength(partCount);
  for (const { url, headers } of sent) {
    const number = Number(url.searchParams.get('partNumber'));
    const start = (number - 1) * partSize;
    expect(headers['content-md5'], `Content-MD5 of part ${number}`).toBe(file.md5Base64(start, Math.min(start + partSize, file.size)));
  }

  // The stored object, read back in Node through the official client.
  const client = new OSS({
    endpoint: ossOrigin, bucket: 'demo', sldEnable: true, region: 'oss-cn-hangzhou',
    accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret,
  });
  const { stream } = await client.getStream(key);
  const hash = createHash('md5');
  for await (const chunk of stream as Readable as AsyncIterable<Buffer>) hash.update(chunk);
  expect(hash.digest('hex')).toBe(file.md5Hex());

  const requested = pages.requested.slice(firstRequest);
  // The Node-only inline hashing path (hash-worker.js and spark-md5) is never fetched by a browser.
  expect(requested.filter((path) => /hash-worker|spark-md5/.test(path))).toEqual([]);
  return { requested };
}

/** Total and gzipped size of the JavaScript files a page fetched from `dir`. */
async function fetchedJs(requested: readonly string[], prefix: string, dir: string): Promise<string> {
  const files = requested.filter((path) => path.endsWith('.js')).map((path) => join(dir, path.slice(prefix.length)));
  let raw = 0;
  let packed = 0;
  for (const path of files) {
    const bytes = await readFile(path);
    raw += bytes.length;
    packed += gz(bytes);
  }
  return `${files.length} JS file(s), ${kb(raw)}, ${kb(packed)} gz`;
}

test('a vite app (vite build) uploads through the package in Chromium', async ({ page }) => {
  const { requested } = await uploadThrough(page, 'vite-app');
  const dist = join(consumers['vite-app'], 'dist');
  const emitted = (await readdir(join(dist, 'assets'))).filter((name) => name.endsWith('.js'));
  test.info().annotations.push({
    type: 'vite',
    description: `page fetched ${await fetchedJs(requested, '/vite-app/', dist)}; emitted ${emitted.join(', ')}`,
  });
});

test('an esbuild bundle (esbuild --bundle --format=esm) uploads through the package in Chromium', async ({ page }) => {
  const { requested } = await uploadThrough(page, 'esbuild-app');
  test.info().annotations.push({ type: 'esbuild', description: `page fetched ${await fetchedJs(requested, '/esbuild-app/', consumers['esbuild-app'])}` });
});

test('a page with an import map and no bundler uploads through the package in Chromium', async ({ page }) => {
  const { requested } = await uploadThrough(page, 'import-map-page');
  // The modules really came one by one from node_modules, as published.
  for (const path of ['oss-resumable/dist/index.js', 'oss-resumable/dist/core/upload.js', 'oss-resumable/dist/hashing/worker-source.generated.js', 'ky/distribution/index.js', 'idb-keyval/dist/index.js']) {
    expect(requested).toContain(`/import-map-page/node_modules/${path}`);
  }
  test.info().annotations.push({ type: 'import map', description: `page fetched ${await fetchedJs(requested, '/import-map-page/', consumers['import-map-page'])}` });
});

declare global {
  interface Window {
    consumerApp?: {
      upload(options: {
        endpoint: string; bucket: string; region: string; credentials: StsCredentials; key: string; partSize: number;
      }): Promise<UploadOutcome>;
    };
  }
}
