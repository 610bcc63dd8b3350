/**
 * `scripts/ensure-browsers.sh` (the `pretest` step and `.ci/run`'s browser check) run for real, as a
 * user who cannot install anything: with browser paths pointed nowhere it must stop at once with
 * one line per missing package and the command that would fix it — never try to install, never a
 * stack trace. Run as root (CI), the script is started as `nobody` through `setpriv`, so the test
 * sees exactly what a non-root developer sees and cannot install anything by accident.
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('../../scripts/ensure-browsers.sh', import.meta.url));
const nobody = 65_534;

type Run = { code: number | null; stdout: string; stderr: string; ms: number };

/** Runs the script (`script`, a copy `nobody` can read) with `env`, killed after 20 s so a hang fails the test instead of stalling it. */
function runScript(script: string, env: Record<string, string>): Promise<Run> {
  const root = process.getuid?.() === 0;
  const [command, args] = root
    ? ['/usr/bin/setpriv', ['--reuid', String(nobody), '--regid', String(nobody), '--clear-groups', '/bin/bash', script]]
    : ['/bin/bash', [script]];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

describe('scripts/ensure-browsers.sh without the right to install', () => {
  // A PATH holding only what the script needs besides bash's builtins: no sudo, no apt-get, so a
  // developer with password-less sudo running this test does not get packages installed.
  let bin: string;
  let script: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'ensure-browsers-'));
    await symlink('/usr/bin/uname', join(bin, 'uname'));
    // `nobody` must be able to look into it, and to read the script: the checkout itself may sit in
    // a directory only root can enter (a CI clone under `mktemp -d`, mode 700).
    await chmod(bin, 0o755);
    script = join(bin, 'ensure-browsers.sh');
    await copyFile(source, script);
    await chmod(script, 0o644);
  });
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  it('stops within seconds: one line per missing package, the apt-get command, exit status 1', async () => {
    const run = await runScript(script, {
      PATH: bin,
      CHROMIUM_PATH: '/nonexistent/chromium',
      FIREFOX_PATH: '/nonexistent/firefox-esr',
      WEBKIT_DRIVER_PATH: '/nonexistent/WebKitWebDriver',
      WEBKIT_BROWSER_PATH: '/nonexistent/MiniBrowser',
      XVFB_PATH: '/nonexistent/Xvfb',
    });
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(5_000);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    // Every line is the script's own; nothing else (a stack trace, bash's complaints) got through.
    for (const line of lines) expect(line).toMatch(/^ensure-browsers: /);
    const missing = [
      ['chromium', 'chromium', 'CHROMIUM_PATH'],
      ['firefox', 'firefox-esr', 'FIREFOX_PATH'],
      ['WebKitWebDriver', 'webkit2gtk-driver', 'WEBKIT_DRIVER_PATH'],
      ['MiniBrowser', 'libwebkit2gtk-4.1-0', 'WEBKIT_BROWSER_PATH'],
      ['Xvfb', 'xvfb', 'XVFB_PATH'],
    ] as const;
    for (const [label, pkg, variable] of missing) {
      expect(lines.filter((line) => line.startsWith(`ensure-browsers: missing ${label}: `))).toEqual([
        `ensure-browsers: missing ${label}: no executable at /nonexistent/${label === 'firefox' ? 'firefox-esr' : label} (Debian package ${pkg}; or set ${variable} to another path)`,
      ]);
    }
    expect(lines).toHaveLength(missing.length + 1);
    const last = lines.at(-1)!;
    expect(last).toMatch(/^ensure-browsers: not root, so nothing was installed; run as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium firefox-esr webkit2gtk-driver libwebkit2gtk-4\.1-0 xvfb$/);
  });

  it('names only what is missing', async () => {
    const run = await runScript(script, { PATH: bin, CHROMIUM_PATH: '/bin/sh', FIREFOX_PATH: '/nonexistent/firefox-esr', WEBKIT_DRIVER_PATH: '/bin/sh', WEBKIT_BROWSER_PATH: '/bin/sh', XVFB_PATH: '/bin/sh' });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('ensure-browsers: missing firefox: no executable at /nonexistent/firefox-esr (Debian package firefox-esr; or set FIREFOX_PATH to another path)');
    expect(lines[1]).toMatch(/^ensure-browsers: not root, so nothing was installed; run as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y firefox-esr$/);
  });
});
