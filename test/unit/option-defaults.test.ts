/**
 * The defaults are declared once, in src/options.ts, and written a second time as `@default` in the
 * TSDoc of src/types.ts, which is what apps read in their editor. This holds the two to each other:
 * every default written as a value in the TSDoc is the declared one, every declared default is
 * documented, and the defaults written in words are exactly those resolved in code. It also checks
 * that resolving empty options gives the declared defaults.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { createMemoryStore } from '../../src/index.js';
import {
  resolveConnectionOptions, resolveUploaderOptions, resolveUploadOptions, retryDefaults, uploadDefaults, uploaderDefaults,
} from '../../src/options.js';

const typesFile = fileURLToPath(new URL('../../src/types.ts', import.meta.url));
const source = ts.createSourceFile(typesFile, readFileSync(typesFile, 'utf8'), ts.ScriptTarget.Latest, true);

/** `@default` text of each property of the type alias `name` (intersections included, references followed). */
function documentedDefaults(name: string): Map<string, string> {
  const defaults = new Map<string, string>();
  const visit = (node: ts.TypeNode): void => {
    if (ts.isIntersectionTypeNode(node)) node.types.forEach(visit);
    else if (ts.isTypeReferenceNode(node)) {
      const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === node.typeName.getText());
      if (alias) visit(alias.type);
    } else if (ts.isTypeLiteralNode(node)) {
      for (const member of node.members) {
        const tag = ts.getJSDocTags(member).find((t) => t.tagName.text === 'default');
        if (!tag || !member.name) continue;
        const text = typeof tag.comment === 'string' ? tag.comment : ts.getTextOfJSDocComment(tag.comment) ?? '';
        defaults.set(member.name.getText(), text.trim());
      }
    }
  };
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name);
  if (!alias) throw new Error(`no type ${name} in src/types.ts`);
  visit(alias.type);
  return defaults;
}

/**
 * The value a `@default` text starts with (`'fail'`, `30000`, `false`, `{ limit: 8, … }: …`, or the
 * name of a package export such as `signerV4`), or `words` when it is prose.
 */
function leadingValue(text: string): { value: unknown } | 'words' {
  const exported = /^(\w+)\b/.exec(text)?.[1];
  if (exported !== undefined && Object.hasOwn(api, exported)) return { value: api[exported as keyof typeof api] };
  const literal = /^('[^']*'|true\b|false\b|-?\d+(?:\.\d+)?\b|\{[^{}]*\})/.exec(text)?.[1];
  // Our own source, in JavaScript literal syntax (object keys unquoted): evaluated as such.
  return literal === undefined ? 'words' : { value: new Function(`return (${literal});`)() };
}

function split(defaults: Map<string, string>) {
  const values = new Map<string, unknown>();
  const words = new Set<string>();
  for (const [name, text] of defaults) {
    const parsed = leadingValue(text);
    if (parsed === 'words') words.add(name);
    else values.set(name, parsed.value);
  }
  return { values, words };
}

describe('the TSDoc @default values are the declared defaults', () => {
  it('createUploader (connection options included): every value default is uploaderDefaults, and back', () => {
    const { values, words } = split(documentedDefaults('UploaderOptions'));
    expect(Object.fromEntries(values)).toEqual(uploaderDefaults);
    // Written in words because they depend on the platform or the file; resolved in code (options.ts).
    expect([...words].sort()).toEqual(['multipartThreshold', 'onJournalError', 'store', 'workers']);
  });

  it('retry: RetryOptions and the default of `retry` itself are retryDefaults', () => {
    const { values, words } = split(documentedDefaults('RetryOptions'));
    expect(Object.fromEntries(values)).toEqual(retryDefaults);
    expect(words.size).toBe(0);
    expect(uploaderDefaults.retry).toBe(retryDefaults);
  });

  it('upload(): every value default is uploadDefaults, except those that, left out, send nothing', () => {
    const { values, words } = split(documentedDefaults('UploadOptions'));
    // What the server does when the header is absent: nothing to fill in, so not declared.
    const sentOnlyWhenGiven = { acl: 'default', forbidOverwrite: false, metadata: {}, tags: {} };
    expect(Object.fromEntries(values)).toEqual({ ...sentOnlyWhenGiven, ...uploadDefaults });
    expect(Object.keys(uploadDefaults).filter((name) => name in sentOnlyWhenGiven)).toEqual([]);
    // Prose: the object's Content-Type (resolved from the file) and what OSS or browsers do without a header.
    expect([...words].sort()).toEqual([
      'cacheControl', 'contentDisposition', 'contentEncoding', 'contentLanguage', 'contentType', 'expires', 'kmsKeyId', 'serverSideEncryption', 'storageClass',
    ]);
  });
});

describe('resolving applies the declared defaults', () => {
  const connection = { endpoint: 'http://localhost:9000', bucket: 'demo', region: 'oss-cn-hangzhou', credentials: { accessKeyId: 'a', accessKeySecret: 'b' } };

  it('connection options', () => {
    const resolved = resolveConnectionOptions(connection);
    expect(resolved).toMatchObject({
      bucket: 'demo', region: 'cn-hangzhou', signer: uploaderDefaults.signer, retry: retryDefaults, stallTimeoutMs: uploaderDefaults.stallTimeout,
    });
    expect(resolved.endpoint.pathStyle).toBe(uploaderDefaults.pathStyle);
  });

  it('uploader options: settings without an optional field, and the defaults resolved in code', () => {
    const { settings, store, onJournalError, hasher } = resolveUploaderOptions(connection);
    const { pathStyle: _p, signer: _s, stallTimeout: _t, ...engine } = uploaderDefaults;
    expect(settings).toEqual({ ...engine, multipartThreshold: 'partSize' });
    expect(typeof store.get).toBe('function');
    expect(typeof onJournalError).toBe('function');
    expect(hasher).toEqual({});
    const given = createMemoryStore();
    expect(resolveUploaderOptions({ ...connection, store: given, multipartThreshold: 0, workers: 2 })).toMatchObject({
      store: given, settings: { multipartThreshold: 0 }, hasher: { workers: 2 },
    });
  });

  it('upload options: lock and the Content-Type', () => {
    const file = new Blob(['x'], { type: 'text/plain' });
    expect(resolveUploadOptions({}, file)).toMatchObject({ lock: uploadDefaults.lock, contentType: 'text/plain', contentTypeGiven: false });
    expect(resolveUploadOptions({}, new Blob(['x']))).toMatchObject({ contentType: 'application/octet-stream', contentTypeGiven: false });
    expect(resolveUploadOptions({ contentType: 'a/b', lock: 'wait' }, file)).toMatchObject({ lock: 'wait', contentType: 'a/b', contentTypeGiven: true });
  });
});
