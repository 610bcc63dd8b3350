/**
 * Long main-thread tasks in a Chromium trace (`--trace DIR` of run.ts): for every task of the page's
 * main thread longer than a threshold, its wall time, the CPU time the thread really got during it
 * (the trace's thread clock, `tdur`), and the heaviest events inside it. A long task with little
 * CPU time was the thread waiting for a core (the machine was saturated), not work the page did.
 *
 *   node --import tsx e2e/bench/trace-tasks.ts TRACE.json [--min-ms 50]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

type TraceEvent = { name: string; cat: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: Record<string, unknown> };

/** One long task of the renderer main thread. */
export type TraceTask = { readonly startMs: number; readonly wallMs: number; readonly cpuMs: number | undefined; readonly inside: ReadonlyArray<{ name: string; wallMs: number; cpuMs: number | undefined }> };

/** Long tasks on `CrRendererMain` threads (of renderer `pid`, if given), longest first. */
export async function longTasksInTrace(path: string, minMs = 50, pid?: number): Promise<TraceTask[]> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.['name'] === 'CrRendererMain' && (pid === undefined || e.pid === pid)).map((e) => `${e.pid}:${e.tid}`));
  const onMain = events.filter((e) => e.ph === 'X' && mainThreads.has(`${e.pid}:${e.tid}`));
  const firstTs = Math.min(...onMain.map((e) => e.ts));
  const tasks = onMain.filter((e) => e.name === 'RunTask' && (e.dur ?? 0) / 1000 >= minMs);
  return tasks.map((task) => {
    const end = task.ts + task.dur!;
    const inside = onMain
      .filter((e) => e !== task && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= end && e.name !== 'RunTask')
      .map((e) => ({ name: e.name === 'FunctionCall' || e.name === 'EventDispatch' ? `${e.name} ${JSON.stringify((e.args?.['data'] as Record<string, unknown> | undefined)?.['functionName'] ?? (e.args?.['data'] as Record<string, unknown> | undefined)?.['type'] ?? '')}` : e.name, wallMs: (e.dur ?? 0) / 1000, cpuMs: e.tdur === undefined ? undefined : e.tdur / 1000 }))
      .sort((a, b) => b.wallMs - a.wallMs)
      .slice(0, 5);
    return { startMs: (task.ts - firstTs) / 1000, wallMs: task.dur! / 1000, cpuMs: task.tdur === undefined ? undefined : task.tdur / 1000, inside };
  }).sort((a, b) => b.wallMs - a.wallMs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, flag, value] = process.argv.slice(2);
  if (!path) {
    console.error('Usage: node --import tsx e2e/bench/trace-tasks.ts TRACE.json [--min-ms 50]');
    process.exit(2);
  }
  const tasks = await longTasksInTrace(path, flag === '--min-ms' ? Number(value) : 50);
  for (const task of tasks) {
    console.log(`task at ${task.startMs.toFixed(0)} ms: wall ${task.wallMs.toFixed(1)} ms, thread CPU ${task.cpuMs?.toFixed(1) ?? '?'} ms`);
    for (const e of task.inside) console.log(`    ${e.name}: wall ${e.wallMs.toFixed(1)} ms, CPU ${e.cpuMs?.toFixed(1) ?? '?'} ms`);
  }
  if (tasks.length === 0) console.log('no long task');
}
