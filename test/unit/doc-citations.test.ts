/**
 * Every citation in the code resolves inside the repository: `docs/<file>.md` names a file of
 * `docs/`, `docs/<file>.md#anchor` one of its headings, and `§N` (with `docs/protocol.md` or alone,
 * as comments write it after naming the file once) a numbered section of `docs/protocol.md` —
 * `§N item K` also a numbered item of that section. Reference files that were never part of the
 * repository, and rule numbers of a style guide it does not hold, may not be cited at all; nor may
 * the SDK's and the server's sources (`src/`, `server/src/`) cite issue numbers.
 * Sections of RFCs (`RFC 9112 §6.1`) are left alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docsDir = join(root, 'docs');
const scannedDirs = ['src', 'server/src', 'server/test', 'e2e', 'test', 'scripts', 'demo', 'docs'];
const scannedExtensions = /\.(ts|tsx|mts|cts|js|mjs|cjs|html|sh|md)$/;
const self = fileURLToPath(import.meta.url);

/** Files that were only ever outside the repository, and style-guide rule tags. */
const forbidden = [
  { pattern: /oss-protocol\.md/i, why: 'oss-protocol.md is not in the repository: cite docs/protocol.md §N' },
  { pattern: /\banchors\.md/i, why: 'anchors.md is not in the repository: cite docs/architecture.md#… or say it in the comment' },
  { pattern: /house-style\.md/i, why: 'house-style.md is not in the repository' },
  { pattern: /house[ -]style/i, why: 'the house style guide is not in the repository: say the reason in the comment itself' },
];

/** Shipped code: its comments stand alone, without the tracker's issue numbers. */
const issueFree = ['src', 'server/src'];

type Section = { readonly level: number; readonly body: readonly string[] };
type Doc = { readonly sections: ReadonlyMap<string, Section>; readonly anchors: ReadonlySet<string> };

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function readDoc(name: string): Doc | undefined {
  let text: string;
  try {
    text = readFileSync(join(docsDir, name), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const headings: Array<{ line: number; level: number; title: string }> = [];
  let fenced = false;
  lines.forEach((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (match) headings.push({ line: index, level: match[1]!.length, title: match[2]! });
  });
  const sections = new Map<string, Section>();
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  headings.forEach((heading, i) => {
    const base = slug(heading.title);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
    const number = /^(\d+(?:\.\d+)*)\.?\s/.exec(heading.title)?.[1];
    if (number === undefined) return;
    const next = headings.slice(i + 1).find((h) => h.level <= heading.level);
    sections.set(number, { level: heading.level, body: lines.slice(heading.line + 1, next?.line ?? lines.length) });
  });
  return { sections, anchors };
}

function listFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(path);
    return scannedExtensions.test(name) && !name.includes('.generated.') && path !== self ? [path] : [];
  });
}

type Citation = { readonly where: string; readonly text: string };
type Scan = { readonly problems: string[]; readonly fileCitations: Citation[]; readonly sectionCitations: Citation[] };

function scan(): Scan {
  const docs = new Map<string, Doc | undefined>();
  const doc = (name: string) => {
    if (!docs.has(name)) docs.set(name, readDoc(name));
    return docs.get(name);
  };
  const problems: string[] = [];
  const fileCitations: Citation[] = [];
  const sectionCitations: Citation[] = [];
  // The tool configuration at the top level (vite.config.ts, …) too, without descending.
  const topLevel = readdirSync(root).filter((name) => scannedExtensions.test(name) && statSync(join(root, name)).isFile());
  const files = [...topLevel.map((name) => join(root, name)), ...scannedDirs.flatMap((dir) => listFiles(join(root, dir)))];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const where = `${relative(root, file)}:${index + 1}`;
      for (const { pattern, why } of forbidden) if (pattern.test(line)) problems.push(`${where}: ${why}`);
      if (issueFree.some((dir) => file.startsWith(join(root, dir, '/'))) && /\bissues? #?\d/i.test(line)) {
        problems.push(`${where}: an issue number: the shipped code says why in its own words (tests may name the issue they come from)`);
      }

      for (const match of line.matchAll(/docs\/([\w.-]+\.md)(#[\w-]+)?/g)) {
        fileCitations.push({ where, text: match[0] });
        const target = doc(match[1]!);
        if (!target) problems.push(`${where}: ${match[0]} — docs/${match[1]} does not exist`);
        else if (match[2] && !target.anchors.has(match[2].slice(1))) problems.push(`${where}: ${match[0]} — no such heading in docs/${match[1]}`);
      }

      // Bare sections belong to docs/protocol.md, the only document with numbered sections.
      for (const match of line.matchAll(/§\s?(\d+(?:\.\d+)*)(?:\s*[–-]\s*§?\s?(\d+(?:\.\d+)*))?(?:,?\s+(?:item|field)\s+(\d+))?/g)) {
        const before = line.slice(Math.max(0, match.index - 12), match.index);
        if (/RFC\s?\d{3,5}\s*$/.test(before)) continue;
        sectionCitations.push({ where, text: match[0] });
        const protocol = doc('protocol.md');
        for (const number of [match[1], match[2]]) {
          if (number !== undefined && !protocol?.sections.has(number)) problems.push(`${where}: ${match[0]} — docs/protocol.md has no section ${number}`);
        }
        const item = match[3];
        const section = protocol?.sections.get(match[1]!);
        if (item !== undefined && section && !section.body.some((text) => text.startsWith(`${item}. `))) {
          problems.push(`${where}: ${match[0]} — docs/protocol.md §${match[1]} has no item ${item}`);
        }
      }
    });
  }
  return { problems, fileCitations, sectionCitations };
}

describe('citations in code comments', () => {
  const result = scan();

  it('finds the citations it checks', () => {
    // Guards against the scan silently matching nothing (a moved directory, a changed pattern).
    expect(result.fileCitations.filter((c) => c.text.startsWith('docs/protocol.md')).length).toBeGreaterThan(20);
    expect(result.sectionCitations.length).toBeGreaterThan(50);
  });

  it('cite only documents, headings, sections and items that exist in docs/', () => {
    expect(result.problems).toEqual([]);
  });
});

describe('the checker itself', () => {
  it('derives GitHub heading anchors', () => {
    expect(slug('The part queue')).toBe('the-part-queue');
    expect(slug('Resume reconciliation')).toBe('resume-reconciliation');
    expect(slug('1.1 Addressing, object keys and bucket names')).toBe('11-addressing-object-keys-and-bucket-names');
  });

  it('reads the numbered sections and items of docs/protocol.md', () => {
    const protocol = readDoc('protocol.md');
    expect(protocol?.sections.has('3.3')).toBe(true);
    expect(protocol?.sections.get('3.3')?.body.some((line) => line.startsWith('2. '))).toBe(true);
    expect(protocol?.sections.has('99')).toBe(false);
  });
});
