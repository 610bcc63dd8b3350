import { beforeAll, describe, expect, it } from 'vitest';
import { formatReport, measureBrowserBundle, targetBytes, type SizeReport } from '../../scripts/measure-size.js';

/**
 * Issue 8 asks for ≤ 28 KB (targetBytes) gzipped in all. Not reachable without removing features:
 * the dependencies fixed by the design come to ≈ 16.2 KB gz bundled on their own (fast-xml-parser's
 * parser modules ≈ 7.5 KB, ky ≈ 5.0 KB, the hash worker with spark-md5 and the CRC-64 hasher
 * ≈ 3.9 KB, idb-keyval ≈ 0.2 KB) and the SDK's own code added ≈ 17.9 KB, 34.1 KB in all. Issue 12
 * (real networks: the XMLHttpRequest transport with byte-level progress, stall detection, the part
 * board, adaptive lanes and part sizes) added 3.1 KB: 37.2 KB; issue 13 (object-header options,
 * UTF-8 header values, copy keeping ACL and tags) 1.7 KB: 38.9 KB; issue 14 (the completed
 * marker for `lock: 'wait'`, storage fallbacks, file-change checks for Firefox and WebKit) 0.7 KB:
 * 39.6 KB. This ceiling is that figure plus 0.1 KB, so the bundle cannot grow unnoticed; issue 15
 * replaces it with per-import budgets.
 */
const ceilingBytes = 39_700;

describe('browser bundle size (issue 8)', () => {
  let report: SizeReport;
  beforeAll(async () => {
    report = await measureBrowserBundle();
  });

  it('stays within the ceiling: entry + statically imported chunks, minified and gzipped', () => {
    console.log(formatReport(report));
    expect(report.uncountedLazyChunks, 'a lazily loaded chunk browsers could fetch').toEqual([]);
    expect(report.totalGzBytes, `over the ceiling; issue 8's target is ${targetBytes} B`).toBeLessThanOrEqual(ceilingBytes);
  });

  it('keeps Node-only and unused dependency code out of what browsers load', () => {
    const loaded = report.chunks.filter((chunk) => chunk.loaded).flatMap((chunk) => chunk.modules);
    // spark-md5 ships inside the worker string only; as code it belongs to the Node-only inline fallback.
    expect(loaded.filter((module) => /spark-md5|hash-worker\.ts/.test(module))).toEqual([]);
    expect(report.chunks.some((chunk) => chunk.nodeOnly && chunk.modules.some((module) => module.includes('spark-md5')))).toBe(true);
    // xml.ts imports fast-xml-parser's parser modules, not the package entry that also brings
    // XMLBuilder, nor XMLParser.js that also brings the validator.
    expect(loaded.filter((module) => /fast-xml-parser\/src\/(fxp\.js|xmlbuilder\/|validator\.js|xmlparser\/XMLParser\.js)/.test(module))).toEqual([]);
  });
});
