// Synthetic workloads for the simulator (simulator.ts): what runs on the simulated machine, when, and
// what each process demands. Pure data plus small deterministic generators; no I/O.
//
// Process kinds:
// - interactive: a UI loop. Every `frameMs` (± jitter) a frame of `burstCpuMs` CPU arrives; the
//   frame's completion time (arrival -> last CPU ms done) is the latency the simulator reports.
// - batch: always runnable on `threads` threads (a compiler, an encoder, a hog); its throughput is
//   the CPU time it gets.
// - demand: wants `demandPercent(tMs)` % of one core (e.g. replayed from a recorded trace); work that
//   does not get CPU waits in a backlog (bounded to `maxBacklogMs`).
import type { RulesFile } from '../../src-shared/rules';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export type SimRole = 'interactive' | 'batch' | 'background';

interface SimProcessBase {
  pid: number;
  ppid?: number;
  name: string;
  programId?: string;
  cmdline?: string;
  user?: string;
  /** Simulated ms at which it starts / exits (absent: runs to the end). */
  startMs?: number;
  endMs?: number;
  nice?: number;
  threads?: number;
  rssBytes?: number;
  /** RSS growth, bytes per second (a leak). */
  leakBytesPerSec?: number;
  /** Role for the report (defaults from the kind). */
  role?: SimRole;
}

export interface InteractiveSpec extends SimProcessBase {
  kind: 'interactive';
  frameMs: number;
  burstCpuMs: number;
  /** Uniform jitter of the frame spacing, ± ms. */
  frameJitterMs?: number;
  /** Relative spread of the burst size (0.2 = ±20 %). */
  burstSpread?: number;
}

export interface BatchSpec extends SimProcessBase {
  kind: 'batch';
}

export interface DemandSpec extends SimProcessBase {
  kind: 'demand';
  /** Demand at simulated time t, % of one core (may exceed 100 for multi-threaded programs). */
  demandPercent: (tMs: number) => number;
  maxBacklogMs?: number;
}

export type SimProcessSpec = InteractiveSpec | BatchSpec | DemandSpec;

export interface Scenario {
  name: string;
  description: string;
  cores: number;
  memoryBytes: number;
  /** Memory used by everything not modelled (kernel, caches that cannot be dropped). */
  baseUsedBytes?: number;
  /** Default length of a run. */
  seconds: number;
  /** Scheduling quantum for this scenario, ms (default 1). */
  quantumMs?: number;
  /** pid owning the focused window, if any. */
  foregroundPid?: number;
  processes: SimProcessSpec[];
  /** Rules that belong to the scenario (used when the caller gives none). */
  rules?: RulesFile;
}

const editor = (pid = 100, burstCpuMs = 6): InteractiveSpec => ({
  kind: 'interactive',
  pid,
  name: 'editor',
  frameMs: 30,
  frameJitterMs: 3,
  burstCpuMs,
  burstSpread: 0.25,
  rssBytes: 400 * MiB,
  threads: 1,
});

const hogs = (n: number, firstPid: number, startMs = 0, name = 'hog'): BatchSpec[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'batch' as const, pid: firstPid + i, name, startMs, rssBytes: 60 * MiB, threads: 1 }));

function editorHogs(): Scenario {
  return {
    name: 'editor-hogs',
    description: 'An editor drawing a 6 ms frame every 30 ms in the foreground, and 4 single-threaded CPU hogs started at 5 s, on 2 cores.',
    cores: 2,
    memoryBytes: 8 * GiB,
    baseUsedBytes: 1 * GiB,
    seconds: 60,
    foregroundPid: 100,
    processes: [editor(), ...hogs(4, 200, 5_000)],
  };
}

function editorBuild(): Scenario {
  // A build: waves of short compiler processes (named like the default rules' compilers).
  const procs: SimProcessSpec[] = [editor()];
  let pid = 1000;
  for (let wave = 0; wave < 20; wave++) {
    for (let j = 0; j < 3; j++) {
      const startMs = 5_000 + wave * 2_500 + j * 300;
      procs.push({ kind: 'batch', pid: pid++, ppid: 900, name: 'cc1', startMs, endMs: startMs + 2_200, rssBytes: 120 * MiB, threads: 1 });
    }
  }
  procs.push({ kind: 'demand', pid: 900, name: 'make', demandPercent: () => 2, rssBytes: 10 * MiB, startMs: 4_900 });
  return {
    name: 'editor-build',
    description: 'An editor in the foreground while a build runs waves of 3 compiler processes (cc1) on 2 cores.',
    cores: 2,
    memoryBytes: 8 * GiB,
    baseUsedBytes: 1 * GiB,
    seconds: 60,
    foregroundPid: 100,
    processes: procs,
  };
}

function leak(): Scenario {
  // The leak detector wants at least 5 minutes of sustained growth.
  return {
    name: 'leak',
    description: 'A service leaking 8 MiB/s for 10 minutes on an 8 GiB machine beside an editor.',
    cores: 2,
    memoryBytes: 8 * GiB,
    baseUsedBytes: 1 * GiB,
    seconds: 600,
    quantumMs: 5,
    foregroundPid: 100,
    processes: [
      editor(),
      { kind: 'demand', pid: 300, name: 'leaky-service', demandPercent: () => 10, rssBytes: 200 * MiB, leakBytesPerSec: 8 * MiB },
    ],
  };
}

function forkStorm(): Scenario {
  const procs: SimProcessSpec[] = [editor(), { kind: 'demand', pid: 400, name: 'spawner', demandPercent: () => 30, rssBytes: 20 * MiB }];
  let pid = 10_000;
  // 400 children per second for 10 s, each living 50 ms and burning CPU.
  for (let i = 0; i < 4000; i++) {
    const startMs = 10_000 + Math.floor((i * 1000) / 400);
    procs.push({ kind: 'batch', pid: pid++, ppid: 400, name: 'worker', startMs, endMs: startMs + 50, rssBytes: 8 * MiB, threads: 1 });
  }
  return {
    name: 'fork-storm',
    description: 'A spawner forking 400 short CPU-bound children per second for 10 s beside an editor.',
    cores: 2,
    memoryBytes: 8 * GiB,
    baseUsedBytes: 1 * GiB,
    seconds: 40,
    foregroundPid: 100,
    processes: procs,
  };
}

function periodicBatch(): Scenario {
  // A background job that wakes every 20 s for 10 s (the forecasters can learn the rhythm).
  return {
    name: 'periodic-batch',
    description: 'An editor plus a 2-thread batch job that runs 10 s out of every 20 s, on 2 cores.',
    cores: 2,
    memoryBytes: 8 * GiB,
    baseUsedBytes: 1 * GiB,
    seconds: 120,
    foregroundPid: 100,
    processes: [
      editor(),
      { kind: 'demand', pid: 500, name: 'indexer-job', threads: 2, demandPercent: (t) => (Math.floor(t / 10_000) % 2 === 1 ? 200 : 0), rssBytes: 150 * MiB },
    ],
  };
}

export const SCENARIOS: Record<string, () => Scenario> = {
  'editor-hogs': editorHogs,
  'editor-build': editorBuild,
  leak,
  'fork-storm': forkStorm,
  'periodic-batch': periodicBatch,
};

export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS);
}

/** A scenario by name, or undefined. */
export function getScenario(name: string): Scenario | undefined {
  const make = SCENARIOS[name];
  return make ? make() : undefined;
}
