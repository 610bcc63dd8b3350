import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { workerSource } from '../../src/hashing/worker-source.generated.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('worker-source.generated.ts', () => {
  it('is exactly what scripts/build-worker.mjs builds from the current sources (run `npm run build:worker`)', () => {
    const rebuilt = execFileSync(process.execPath, ['scripts/build-worker.mjs', '--stdout'], { cwd: root, encoding: 'utf8' });
    const committed = readFileSync(`${root}src/hashing/worker-source.generated.ts`, 'utf8');
    // A boolean, not toBe: the diff of two 12 KB one-line strings would bury the message.
    expect(committed === rebuilt, 'src/hashing/worker-source.generated.ts is stale: run `npm run build:worker`').toBe(true);
  });

  it('is one self-contained script that drags no main-entry dependency along', () => {
    expect(workerSource).not.toMatch(/\bimport\s*[({'"]|\brequire\(|importScripts/);
    // Names that survive minification in ky, fast-xml-parser and idb-keyval.
    for (const marker of ['HTTPError', 'DANGEROUS_PROPERTY_NAMES', 'indexedDB', 'fetch(']) {
      expect(workerSource).not.toContain(marker);
    }
    // spark-md5 + CRC-64 + the job loop: about 4 KB gzipped. A big jump means something else got bundled.
    expect(gzipSync(workerSource).length).toBeLessThan(6 * 1024);
  });
});
