/**
 * `npm run test:engines`: every scenario of `./scenarios.ts` in Firefox and WebKit, against one
 * local OSS server (faults on) and one vite page server, both started here once.
 *
 *   node --import tsx e2e/engines/run.ts [--engine firefox|webkit]... [--only <scenario id>]...
 *
 * Prints one line per scenario per engine, the capabilities each engine showed, and the summary
 * line `engines: firefox N passed, M failed; webkit …`. Exits 1 on any failure, including an engine
 * that cannot start. Bounded: every scenario has its own limit, each engine at most
 * `ENGINES_ENGINE_TIMEOUT_MS` (default 4 min), the whole run `ENGINES_TIMEOUT_MS` (default 9 min).
 *
 * The WebKit driver (`./webkit.ts`) is loaded only when that file exists, so this runs with
 * Firefox alone until it does; asking for `--engine webkit` without it is a failure.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startOss } from '../support/oss.js';
import { ossControl } from '../support/oss-control.js';
import { repoRoot, startPageServer } from '../support/pages.js';
import { withTimeout, type EngineFactory, type EnginePage, type EngineSession } from './driver.js';
import { firefox } from './firefox.js';
import { scenarios, type Scenario, type ScenarioContext } from './scenarios.js';

const here = dirname(fileURLToPath(import.meta.url));
const engineTimeoutMs = Number(process.env.ENGINES_ENGINE_TIMEOUT_MS ?? 240_000);
const overallTimeoutMs = Number(process.env.ENGINES_TIMEOUT_MS ?? 540_000);

type Result = { engine: string; scenario: string; ok: boolean; ms: number; notes: string[]; error?: string };

function parseArgs(argv: readonly string[]): { engines: string[]; only: string[] } {
  const engines: string[] = [];
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (flag: string) => {
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (arg === '--engine' || arg.startsWith('--engine=')) engines.push(...value('--engine').split(','));
    else if (arg === '--only' || arg.startsWith('--only=')) only.push(...value('--only').split(','));
    else throw new Error(`unknown argument ${arg} (use --engine firefox|webkit, --only <scenario id>)`);
  }
  return { engines, only };
}

/** The engines this checkout has drivers for: Firefox always, WebKit once `./webkit.ts` exists. */
async function registry(): Promise<Map<string, EngineFactory>> {
  const engines = new Map<string, EngineFactory>([[firefox.name, firefox]]);
  if (existsSync(join(here, 'webkit.ts'))) {
    const module = (await import(pathToFileURL(join(here, 'webkit.js')).href)) as { webkit?: EngineFactory; default?: EngineFactory };
    const webkit = module.webkit ?? module.default;
    if (!webkit) throw new Error('e2e/engines/webkit.ts exports neither `webkit` nor a default EngineFactory');
    engines.set(webkit.name, webkit);
  }
  return engines;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function runEngine(
  factory: EngineFactory, chosen: readonly Scenario[], shared: Pick<ScenarioContext, 'oss' | 'control' | 'pages'>,
  results: Result[], facts: Map<string, Map<string, string>>,
): Promise<void> {
  const deadline = Date.now() + engineTimeoutMs;
  const fail = (scenario: string, error: string) => {
    results.push({ engine: factory.name, scenario, ok: false, ms: 0, notes: [], error });
    console.log(`  ✗ ${factory.name} · ${scenario}: ${error}`);
  };
  const reason = await factory.unavailable();
  if (reason) {
    for (const scenario of chosen) fail(scenario.id, `engine unavailable: ${reason}`);
    return;
  }
  let session: EngineSession;
  const launchedAt = Date.now();
  try {
    session = await withTimeout(factory.launch(), 90_000, `${factory.name} launch`);
  } catch (error) {
    for (const scenario of chosen) fail(scenario.id, `the browser did not start: ${(error as Error).message}`);
    return;
  }
  const engineFacts = facts.get(factory.name) ?? new Map<string, string>();
  facts.set(factory.name, engineFacts);
  console.log(`${factory.name}: ${session.version} (started in ${seconds(Date.now() - launchedAt)}; offline emulation ${session.capabilities.canEmulateOffline ? 'yes' : 'no'})`);
  try {
    for (const scenario of chosen) {
      const left = deadline - Date.now();
      if (left <= 0) {
        fail(scenario.id, `not run: the engine's ${seconds(engineTimeoutMs)} budget is spent`);
        continue;
      }
      const opened: EnginePage[] = [];
      const launched: EngineSession[] = [];
      const notes: string[] = [];
      const ctx: ScenarioContext = {
        ...shared, engine: factory, session,
        async open(url, target = session) {
          const page = await target.open(url);
          opened.push(page);
          return page;
        },
        async launch(options) {
          const other = await withTimeout(factory.launch(options), 90_000, `${factory.name} launch`);
          launched.push(other);
          return other;
        },
        note: (text) => notes.push(text),
        fact: (capability, value) => engineFacts.set(capability, value),
      };
      const started = Date.now();
      let error: string | undefined;
      try {
        await withTimeout(scenario.run(ctx), Math.min(scenario.timeoutMs, left), `scenario ${scenario.id}`);
      } catch (caught) {
        error = caught instanceof Error ? `${caught.message}${caught.name === 'AssertionError' ? '' : `\n${caught.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`}` : String(caught);
      }
      for (const page of opened) await page.close();
      for (const other of launched) await other.close();
      await shared.control.clearFaults().catch(() => undefined);
      const ms = Date.now() - started;
      results.push({ engine: factory.name, scenario: scenario.id, ok: !error, ms, notes, ...(error ? { error } : {}) });
      console.log(`  ${error ? '✗' : '✓'} ${factory.name} · ${scenario.title} (${seconds(ms)})`);
      for (const note of notes) console.log(`      ${note}`);
      if (error) console.log(`      FAILED: ${error.replace(/\n/g, '\n      ')}`);
    }
  } finally {
    await session.close();
  }
}

async function main(): Promise<number> {
  const { engines: asked, only } = parseArgs(process.argv.slice(2));
  const available = await registry();
  const names = asked.length > 0 ? asked : ['firefox', 'webkit'];
  const chosen = only.length > 0 ? scenarios.filter((s) => only.includes(s.id)) : [...scenarios];
  if (chosen.length === 0) throw new Error(`no scenario matches ${only.join(', ')}; ids: ${scenarios.map((s) => s.id).join(', ')}`);

  const oss = await startOss({ faults: true });
  const pages = await startPageServer();
  const results: Result[] = [];
  const facts = new Map<string, Map<string, string>>();
  const skipped: string[] = [];
  const started = Date.now();
  try {
    const shared = { oss, control: ossControl(oss), pages };
    for (const name of names) {
      const factory = available.get(name);
      if (!factory) {
        if (asked.length === 0 && name === 'webkit') {
          // The default list names WebKit before its driver lands; an explicit --engine webkit fails below.
          skipped.push(`${name}: no driver in this checkout (e2e/engines/webkit.ts)`);
          continue;
        }
        for (const scenario of chosen) results.push({ engine: name, scenario: scenario.id, ok: false, ms: 0, notes: [], error: `no driver for engine ${name}` });
        console.log(`  ✗ ${name}: no driver (known: ${[...available.keys()].join(', ')})`);
        continue;
      }
      await runEngine(factory, chosen, shared, results, facts);
    }
  } finally {
    await pages.close();
    await oss.dispose();
  }

  for (const [engine, table] of facts) {
    console.log(`capabilities · ${engine}:`);
    for (const [capability, value] of table) console.log(`    ${capability}: ${value}`);
  }
  const out = join(repoRoot, 'test-results', 'engines');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'results.json'), JSON.stringify({ results, facts: Object.fromEntries([...facts].map(([e, t]) => [e, Object.fromEntries(t)])) }, null, 2));

  const summary = [...new Set(results.map((r) => r.engine))].map((engine) => {
    const mine = results.filter((r) => r.engine === engine);
    return `${engine} ${mine.filter((r) => r.ok).length} passed, ${mine.filter((r) => !r.ok).length} failed`;
  });
  for (const line of skipped) summary.push(line);
  console.log(`engines: ${summary.join('; ')} (${seconds(Date.now() - started)})`);
  return results.length > 0 && results.every((r) => r.ok) ? 0 : 1;
}

// The hard limit: whatever hangs (a browser, a server), the run ends and says so.
const hardStop = setTimeout(() => {
  console.log(`engines: hard timeout after ${seconds(overallTimeoutMs)}: stopping`);
  process.exit(1);
}, overallTimeoutMs);
hardStop.unref();

main().then((code) => {
  clearTimeout(hardStop);
  process.exitCode = code;
  // Browser drivers may keep sockets open for a moment; nothing is left to wait for.
  setTimeout(() => process.exit(code), 2_000).unref();
}, (error: unknown) => {
  console.error(`engines: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
