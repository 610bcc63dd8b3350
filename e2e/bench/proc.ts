/**
 * Linux /proc readings for the benchmark: resident memory of a process (current and peak), a
 * resettable peak (`clear_refs`), per-thread CPU time (which thread was busy), and a sampler that
 * polls a reading every 100 ms and keeps the maximum.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const clockTicks = 100; // getconf CLK_TCK on Linux

/** VmRSS and VmHWM of a process, in bytes; undefined once it is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`); false when not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) per thread name of a process, plus the process total. */
export type CpuSnapshot = { readonly total: number; readonly threads: Readonly<Record<string, number>> };

function ticksOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU seconds of the whole process (threads that already exited included). */
export function processCpu(pid: number): number {
  try {
    return ticksOf(`/proc/${pid}/stat`) / clockTicks;
  } catch {
    return 0;
  }
}

/** Current CPU seconds of every live thread of `pid`, by tid, with its name. */
function threadsOf(pid: number): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { name, seconds: ticksOf(`/proc/${pid}/task/${tid}/stat`) / clockTicks });
    } catch {
      // thread ended meanwhile
    }
  }
  return out;
}

/** Busy and steal CPU seconds of the whole machine so far (/proc/stat, all cores). */
export function systemCpu(): { busy: number; steal: number } {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq! + steal!) / clockTicks, steal: steal! / clockTicks };
}

/**
 * Tracks the CPU time of processes by thread from now on. Threads are polled every `intervalMs` so
 * one that starts and ends inside the window (a hash worker terminated at the end of an upload) is
 * still counted up to its last poll; whatever no poll saw is reported as `(exited threads)`.
 */
export function trackCpu(pids: Readonly<Record<string, number>>, intervalMs = 200) {
  const state = Object.entries(pids).map(([label, pid]) => ({
    label, pid, processStart: processCpu(pid),
    start: threadsOf(pid), latest: new Map<string, { name: string; seconds: number }>(),
  }));
  const poll = () => {
    for (const entry of state) for (const [tid, value] of threadsOf(entry.pid)) entry.latest.set(tid, value);
  };
  const systemStart = systemCpu();
  const wallStart = performance.now();
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    /**
     * CPU seconds spent since the start, per process label, by thread name (largest first), plus
     * `(machine)`: everything else the machine did meanwhile (other processes, kernel threads such
     * as writeback; `steal` is time the hypervisor gave to other guests) and the seconds of capacity.
     */
    stop(): Record<string, CpuSnapshot> {
      clearInterval(timer);
      poll();
      const report: Record<string, CpuSnapshot> = {};
      for (const entry of state) {
        const threads: Record<string, number> = {};
        let seen = 0;
        for (const [tid, { name, seconds }] of entry.latest) {
          const spent = seconds - (entry.start.get(tid)?.seconds ?? 0);
          seen += spent;
          threads[name] = (threads[name] ?? 0) + spent;
        }
        const total = processCpu(entry.pid) - entry.processStart;
        if (total - seen >= 0.02) threads['(exited threads)'] = total - seen;
        const rounded = Object.entries(threads).filter(([, v]) => v >= 0.005).map(([k, v]) => [k, Math.round(v * 100) / 100] as const).sort((a, b) => b[1] - a[1]);
        report[entry.label] = { total: Math.round(total * 100) / 100, threads: Object.fromEntries(rounded) };
      }
      const system = systemCpu();
      const ours = Object.values(report).reduce((sum, r) => sum + r.total, 0);
      const r2 = (v: number) => Math.round(v * 100) / 100;
      report['(machine)'] = {
        total: r2(system.busy - systemStart.busy - ours),
        threads: { steal: r2(system.steal - systemStart.steal), capacity: r2(((performance.now() - wallStart) / 1000) * cpus().length) },
      };
      return report;
    },
  };
}

/** Total CPU seconds of a process so far (for telling which renderer is busy). */
export function cpuOf(pid: number): { total: number } {
  return { total: processCpu(pid) };
}

/** Polls `read` every `intervalMs` (never overlapping) and keeps the largest value seen. */
export function startSampler(read: () => number | undefined | Promise<number | undefined>, intervalMs = 100) {
  let peak = 0;
  let samples = 0;
  let busy = false;
  const take = async () => {
    if (busy) return;
    busy = true;
    try {
      const value = await read();
      if (value !== undefined && Number.isFinite(value)) {
        peak = Math.max(peak, value);
        samples += 1;
      }
    } catch {
      // the target went away; keep what was seen
    } finally {
      busy = false;
    }
  };
  void take();
  const timer = setInterval(() => void take(), intervalMs);
  return {
    /** Stops polling after one last reading; resolves with the peak. */
    async stop(): Promise<{ peak: number; samples: number }> {
      clearInterval(timer);
      while (busy) await new Promise((resolve) => setTimeout(resolve, 5));
      await take();
      return { peak, samples };
    },
  };
}
