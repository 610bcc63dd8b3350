// `npm run lint:package`: publint (strict) and Are the Types Wrong? (ESM-only profile: the package
// has no CommonJS entry) on the tarball npm would publish.
//
//   node scripts/lint-package.mjs               builds and packs the package, then lints the tarball
//   node scripts/lint-package.mjs path/to.tgz   lints a tarball packed already (e2e/package.spec.ts)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);

function run(command, args) {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.error) throw result.error;
  return result;
}

let tarball = process.argv[2];
let packDir;
if (tarball === undefined) {
  packDir = mkdtempSync(join(tmpdir(), 'oss-resumable-pack-'));
  // `npm run build` is what prepack does; run apart so its output stays out of pack's JSON.
  if (run('npm', ['run', 'build']).status !== 0) throw new Error('npm run build failed');
  const packed = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir]);
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stdout}`);
  tarball = join(packDir, JSON.parse(packed.stdout)[0].filename);
}

try {
  let failed = false;
  for (const [name, args] of [
    ['publint', ['run', tarball, '--strict']],
    ['attw', [tarball, '--profile', 'esm-only', '--no-emoji', '--no-color']],
  ]) {
    const result = run(bin(name), args);
    process.stdout.write(result.stdout);
    if (result.status !== 0) {
      console.error(`${name} failed (exit ${result.status})`);
      failed = true;
    }
  }
  process.exitCode = failed ? 1 : 0;
} finally {
  if (packDir !== undefined) rmSync(packDir, { recursive: true, force: true });
}
