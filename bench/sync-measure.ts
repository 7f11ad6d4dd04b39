/**
 * What the W2 bulk-sync benchmark (bench/bulk-sync.ts) reads off processes while a phase runs:
 * CPU time from `/proc/<pid>/stat`, resident memory sampled from `/proc/<pid>/status` (and
 * `process.memoryUsage()` for this process), and the load average.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times (100 on every common Linux). */
function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}
const ticksPerSecond = clockTicks();

/** utime + stime of a process (all its threads), in milliseconds. */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** Current resident set size of a process (VmRSS), in MB. */
export function rssMbOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** CPU and peak RSS of this process and of the sandbox process over one phase. */
export interface PhaseUsage {
  seconds: number;
  /** CPU ms of this process (Weft, embedded, or the capacity client). */
  selfCpuMs: number;
  sandboxCpuMs: number;
  /** Highest sampled `process.memoryUsage().rss` of this process during the phase, MB. */
  selfPeakRssMb: number;
  /** Highest sampled VmRSS of the sandbox process during the phase, MB. */
  sandboxPeakRssMb: number;
  loadBefore: string;
  loadAfter: string;
}

/**
 * Starts measuring a phase: RSS of both processes is sampled every 100 ms (a peak between two
 * samples can be missed; at this allocation rate the heap does not swing that fast).
 */
export function startUsage(sandboxPid: number): { stop(): PhaseUsage } {
  const started = performance.now();
  const loadBefore = loadAverage();
  const selfCpu = process.cpuUsage();
  const sandboxCpu = cpuMsOf(sandboxPid);
  let selfPeak = process.memoryUsage().rss;
  let sandboxPeak = rssMbOf(sandboxPid);
  const sample = () => {
    selfPeak = Math.max(selfPeak, process.memoryUsage().rss);
    try {
      sandboxPeak = Math.max(sandboxPeak, rssMbOf(sandboxPid));
    } catch {
      // The sandbox died; the phase reports it on its own.
    }
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      const cpu = process.cpuUsage(selfCpu);
      return {
        seconds: (performance.now() - started) / 1000,
        selfCpuMs: (cpu.user + cpu.system) / 1000,
        sandboxCpuMs: cpuMsOf(sandboxPid) - sandboxCpu,
        selfPeakRssMb: selfPeak / 1024 / 1024,
        sandboxPeakRssMb: sandboxPeak,
        loadBefore,
        loadAfter: loadAverage(),
      };
    },
  };
}
