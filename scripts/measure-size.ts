// Measures what a browser downloads for `import … from 'oss-resumable'` (issue 8's size budget):
// src/index.ts bundled by esbuild the way an app's bundler would (browser platform, ESM, code
// splitting, minified, every dependency included, the hash worker being a string inside the entry),
// then gzipped (level 9) chunk by chunk.
//
// What counts: the entry chunk plus every chunk it loads through static imports, i.e. everything a
// page fetches before the SDK can run. A chunk reached only through a dynamic `import()` is left
// out only when it is Node-only: the inline hashing fallback (hash-pool.ts imports ./hash-worker.js
// where `Worker` is missing; browsers hash in the worker built from worker-source.generated.ts, which
// *is* counted, inside the entry). Any other lazy chunk would be downloaded by browsers too, so the
// size test fails on it rather than leave it out. e2e/package.spec.ts checks in Chromium that no
// page fetches the Node-only chunk.
//
//   npm run size            prints the breakdown of each budgeted import (sizeEntries)
//   test/unit/size.test.ts  checks the total in `npm test`
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

/** Issue 8's target: ≤ 28 KB min+gz in all (KB = 1,000 bytes). */
export const targetBytes = 28_000;

/**
 * The budgets are per import, because an app pays for what it imports: the common case (only
 * `createUploader`, with its defaults) and the whole API. `target` is the budget issue 15 set;
 * `ceiling` is what `npm test` enforces today (test/unit/size.test.ts says why they differ).
 */
export const sizeEntries = [
  { name: 'createUploader with defaults', entry: 'scripts/size-entries/create-uploader.ts', target: 28_000 },
  { name: 'whole API', entry: 'src/index.ts', target: 34_500 },
] as const;

/** Dynamic imports that browsers never execute, so their chunks are not counted. */
export const nodeOnlyModules: readonly string[] = ['src/hashing/hash-worker.ts'];

export type ChunkReport = {
  readonly name: string;
  /** Fetched by a page that imports the package (the entry and its static imports). */
  readonly loaded: boolean;
  /** Reached only through the Node-only dynamic import. */
  readonly nodeOnly: boolean;
  readonly minBytes: number;
  readonly gzBytes: number;
  /** Minified bytes per package (node_modules) or source file. */
  readonly inputs: Readonly<Record<string, number>>;
  /** The input files with code in this chunk, as esbuild names them. */
  readonly modules: readonly string[];
};

export type SizeReport = {
  readonly chunks: readonly ChunkReport[];
  /** What a browser downloads, gzipped: the budgeted figure. */
  readonly totalGzBytes: number;
  readonly totalMinBytes: number;
  /** Lazily loaded chunks that are not Node-only: browsers might fetch them, so they must not exist. */
  readonly uncountedLazyChunks: readonly string[];
};

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Who an input belongs to: a package name or a path under src/. */
function owner(input: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input;
}

export async function measureBrowserBundle(entry = 'src/index.ts'): Promise<SizeReport> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outdir: 'size-out',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs: Metafile['outputs'] = result.metafile.outputs;
  const contents = new Map(result.outputFiles.map((file) => [file.path.slice(repoRoot.length).replace(/^\//, ''), file.contents]));
  const entryOutput = Object.keys(outputs).find((name) => outputs[name]?.entryPoint === entry);
  if (entryOutput === undefined) throw new Error(`esbuild emitted no chunk for ${entry}`);
  const loaded = new Set<string>();
  const visit = (name: string): void => {
    if (loaded.has(name)) return;
    loaded.add(name);
    for (const { path, kind } of outputs[name]?.imports ?? []) if (kind === 'import-statement' && path in outputs) visit(path);
  };
  visit(entryOutput);

  const chunks = Object.entries(outputs)
    .filter(([name]) => name.endsWith('.js'))
    .map(([name, output]): ChunkReport => {
      const bytes = contents.get(name);
      if (bytes === undefined) throw new Error(`esbuild reported ${name} but wrote nothing for it`);
      const inputs: Record<string, number> = {};
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        inputs[owner(input)] = (inputs[owner(input)] ?? 0) + bytesInOutput;
      }
      return {
        name,
        loaded: loaded.has(name),
        nodeOnly: !loaded.has(name) && Object.keys(output.inputs).some((input) => nodeOnlyModules.includes(input)),
        minBytes: bytes.length,
        gzBytes: gzipSync(bytes, { level: 9 }).length,
        inputs,
        modules: Object.entries(output.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) => input),
      };
    });
  const counted = chunks.filter((chunk) => chunk.loaded);
  return {
    chunks,
    totalGzBytes: counted.reduce((sum, chunk) => sum + chunk.gzBytes, 0),
    totalMinBytes: counted.reduce((sum, chunk) => sum + chunk.minBytes, 0),
    uncountedLazyChunks: chunks.filter((chunk) => !chunk.loaded && !chunk.nodeOnly).map((chunk) => chunk.name),
  };
}

const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} KB`;

/** The breakdown as text: each chunk, then its inputs by minified size. */
export function formatReport(report: SizeReport): string {
  const lines: string[] = [];
  for (const chunk of report.chunks) {
    const tag = chunk.loaded ? 'loaded by browsers' : chunk.nodeOnly ? 'Node-only, not counted' : 'lazy, NOT COUNTED';
    lines.push(`${chunk.name}: ${kb(chunk.minBytes)} min, ${kb(chunk.gzBytes)} gz (${tag})`);
    const rows = Object.entries(chunk.inputs).filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
    for (const [input, bytes] of rows) lines.push(`  ${input.padEnd(48)} ${String(bytes).padStart(7)} B min`);
  }
  lines.push('', `Loaded by a browser: ${kb(report.totalMinBytes)} min, ${kb(report.totalGzBytes)} gz (issue 8 target: ${kb(targetBytes)})`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] !== undefined) {
    console.log(formatReport(await measureBrowserBundle(process.argv[2])));
  } else {
    const lines: string[] = [];
    for (const { name, entry, target } of sizeEntries) {
      const report = await measureBrowserBundle(entry);
      console.log(`== ${name} (${entry})\n${formatReport(report)}\n`);
      lines.push(`${name.padEnd(30)} ${kb(report.totalGzBytes)} gz (${kb(report.totalMinBytes)} min); budget ${kb(target)}`);
    }
    console.log(lines.join('\n'));
  }
}
