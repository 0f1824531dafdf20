// A deterministic model of a multiprogramming machine, for replaying a recorded trace or a synthetic
// scenario (scenarios.ts) through a policy: the real engine, the real forecasts and the real intent
// mapping (engine/intents.ts), with the decisions applied to the model instead of the OS.
//
// The model, per quantum (default 1 ms):
// - CPU: N cores shared by weighted fair sharing (the fluid limit of CFS): each runnable process gets
//   weight(nice) = 1024 at nice 0, ×1.25 per step (the kernel's table), and capacity is water-filled:
//   a process never gets more than it can use (threads, its runnable work, its CPU cap, the number of
//   CPUs in its affinity); what it cannot use goes to the others in proportion to their weights.
//   Affinity to a subset of cores also bounds what all processes pinned inside that subset get together.
//   Not modelled: wake-up preemption and sleeper credit (a real CFS favours a task that just woke a bit
//   more), per-core run queues, SMT, frequency, and sched_autogroup (the model is one session).
// - Memory: base + Σ RSS. A process above its soft limit is reclaimed to the limit (the excess goes to
//   swap) and runs at 70 % speed while over it. When used memory exceeds the machine, the excess is
//   swapped and every process stalls for a share of each quantum that grows with the excess
//   (PSI memory "some").
// - Each sample interval (default 1 s) it emits a `Sample` in the collector's schema (CPU %, RSS,
//   run-queue wait ms/s, voluntary/involuntary context switches, PSI, forks/s), runs the engine on it
//   with the forecasts, maps the decisions to OS changes and applies them to the model.
// Deterministic: time is simulated, randomness comes from a seeded PRNG; the same inputs give the
// same report. Pure: no I/O (the CLI reads trace files and hands the samples in).
import type { ProcessSample, Sample } from '../../src-shared/domain';
import type { ActionResult as OsResult, Change as OsChange } from '../../src-shared/actions';
import type { IntentResult, Mode, Tier } from '../../src-shared/engine';
import type { RulesFile } from '../../src-shared/rules';
import { intentToChanges, toEngineResult, type IntentOptions } from './intents';
import { ForecastBank } from './forecast-bank';
import { fairShares, niceWeight } from './common';
import { createEngine, type EngineConfig } from './engine';
import { createPrng, type Prng } from './forecast/prng';
import type { Scenario, SimProcessSpec, SimRole } from './scenarios';
import { processKey, programKey } from '../../src-shared/identity';

export const SIM_START_MS = Date.UTC(2025, 0, 6, 9, 0, 0);

export interface TraceInput {
  /** Label for the report (file name). */
  name: string;
  intervalMs: number;
  samples: readonly Sample[];
  cores?: number;
  memoryBytes?: number;
  foregroundPid?: number;
}

export interface SimulationOptions {
  scenario?: Scenario;
  trace?: TraceInput;
  rules?: RulesFile;
  mode: Mode;
  engineConfig?: Omit<EngineConfig, 'mode' | 'rules'>;
  seed: number;
  /** Length of the run; default the scenario's or the trace's. */
  seconds?: number;
  /** Scheduling quantum, ms. Default 1 for scenarios, 10 for traces. */
  quantumMs?: number;
  /** Sample (engine tick) interval, ms. Default 1000 (a trace's own interval for traces). */
  intervalMs?: number;
  /** Feed the planner forecasts (default true). */
  forecasts?: boolean;
  intents?: IntentOptions;
  /** Decisions kept in the report's log (default 200). */
  maxDecisionLog?: number;
}

export interface LatencySummary {
  frames: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Frames that took longer than their frame period. */
  lateFraction: number;
}

export interface SimProcessReport {
  pid: number;
  name: string;
  role: SimRole;
  cpuSeconds: number;
  /** Mean run-queue wait while alive, ms per second. */
  waitMsPerSec: number;
  finalNice: number;
  latency?: LatencySummary;
}

export interface TierReport {
  /** Process-seconds observed in this tier (engine classification). */
  processSeconds: number;
  cpuSeconds: number;
  /** Mean run-queue wait, ms per second per process. */
  waitMsPerSec: number;
  /** wait / (cpu + wait): 0 = never waited. */
  slowdown: number;
}

export interface SimulationReport {
  source: string;
  mode: Mode;
  seed: number;
  seconds: number;
  cores: number;
  quantumMs: number;
  interactive: LatencySummary;
  /** CPU time done by batch processes, core-seconds, and per second of run. */
  batch: { cpuSeconds: number; throughputCores: number };
  background: { cpuSeconds: number };
  tiers: Partial<Record<Tier, TierReport>>;
  processes: SimProcessReport[];
  actions: { decisions: number; applied: number; advised: number; failed: number; byOp: Record<string, number>; bySource: Record<string, number> };
  /** The first `maxDecisionLog` decisions, for reading what the engine did. */
  decisionLog: { atMs: number; source: string; target: string; change: string; applied: boolean; reason: string }[];
  alerts: Record<string, number>;
  peakMemoryUsedBytes: number;
  meanPsiCpuSomePercent: number;
}

// ---------------------------------------------------------------------------------------------
// Scheduling math (exported for tests)

export { fairShares, type ShareRequest } from './common';

/** Weight of a process: an explicit cgroup weight (v2 scale, 100 = nice 0) wins over its nice. */
export function processWeight(nice: number, cgroupWeight?: number): number {
  return cgroupWeight !== undefined ? (cgroupWeight * 1024) / 100 : niceWeight(nice);
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}

// ---------------------------------------------------------------------------------------------
// Traces -> scenario

/** Turn recorded samples into a scenario: each process demands what it used (per interval). */
export function scenarioFromTrace(trace: TraceInput): Scenario {
  const first = trace.samples[0];
  if (!first) throw new Error(`trace ${trace.name} has no samples`);
  const t0 = first.at;
  const interval = trace.intervalMs;
  interface Acc { p: ProcessSample; firstIdx: number; lastIdx: number; cpu: Map<number, number>; rss: number }
  const byKey = new Map<string, Acc>();
  trace.samples.forEach((s, idx) => {
    for (const p of s.processes) {
      if (p.kernelThread) continue;
      const key = processKey(p);
      const a = byKey.get(key);
      if (a) {
        a.lastIdx = idx;
        a.cpu.set(idx, p.cpuPercent);
        a.rss = Math.max(a.rss, p.rssBytes);
      } else byKey.set(key, { p, firstIdx: idx, lastIdx: idx, cpu: new Map([[idx, p.cpuPercent]]), rss: p.rssBytes });
    }
  });
  const usedPids = new Set<number>();
  let nextPid = 1 + Math.max(0, ...[...byKey.values()].map((a) => a.p.pid));
  const processes: SimProcessSpec[] = [];
  const seconds = Math.max(1, Math.round((trace.samples.length * interval) / 1000));
  for (const a of byKey.values()) {
    let pid = a.p.pid;
    if (usedPids.has(pid)) pid = nextPid++;
    usedPids.add(pid);
    const cpu = a.cpu;
    const maxCpu = Math.max(...cpu.values());
    processes.push({
      kind: 'demand',
      pid,
      ppid: a.p.ppid,
      name: a.p.name,
      ...(a.p.programId !== undefined ? { programId: a.p.programId } : {}),
      cmdline: a.p.cmdline,
      user: a.p.user,
      nice: a.p.nice,
      threads: Math.max(1, Math.min(a.p.threads || 1, Math.ceil(maxCpu / 100) || 1)),
      rssBytes: a.rss,
      ...(a.firstIdx > 0 ? { startMs: a.firstIdx * interval } : {}),
      ...(a.lastIdx < trace.samples.length - 1 ? { endMs: (a.lastIdx + 1) * interval } : {}),
      // The sample at index i reports CPU used over (i-1, i]: demand in that interval.
      demandPercent: (t) => cpu.get(Math.floor(t / interval) + 1) ?? 0,
      role: 'background',
    });
  }
  const cores = trace.cores ?? Math.max(1, first.system.cores.length);
  return {
    name: `trace:${trace.name}`,
    description: `${trace.samples.length} samples recorded at ${interval} ms starting ${new Date(t0).toISOString()}`,
    cores,
    memoryBytes: trace.memoryBytes ?? first.system.memory.totalBytes,
    baseUsedBytes: Math.max(0, first.system.memory.usedBytes - first.processes.reduce((s, p) => s + (p.kernelThread ? 0 : p.rssBytes), 0) * 0.5),
    seconds,
    ...(trace.foregroundPid !== undefined ? { foregroundPid: trace.foregroundPid } : {}),
    processes,
  };
}

// ---------------------------------------------------------------------------------------------
// The machine

interface Frame {
  arrival: number;
  remaining: number;
}

interface SimProc {
  spec: SimProcessSpec;
  pid: number;
  startTime: number;
  startedAt: number;
  role: SimRole;
  threads: number;
  nice: number;
  cgroupWeight?: number;
  capCores?: number;
  affinity?: number[];
  ioClass: 'none' | 'realtime' | 'best-effort' | 'idle';
  ioLevel: number;
  softLimitBytes?: number;
  frames: Frame[];
  nextFrameAt: number;
  backlogMs: number;
  rssBytes: number;
  // interval counters
  cpuMs: number;
  waitMs: number;
  vol: number;
  inv: number;
  cpuTimeMs: number;
  // run totals
  cpuTotalMs: number;
  waitTotalMs: number;
  aliveMs: number;
  latencies: number[];
  late: number;
}

function roleOf(spec: SimProcessSpec): SimRole {
  if (spec.role) return spec.role;
  return spec.kind === 'interactive' ? 'interactive' : spec.kind === 'batch' ? 'batch' : 'background';
}

function summarize(latencies: number[], late: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    frames: n,
    p50Ms: round3(percentile(sorted, 0.5)),
    p99Ms: round3(percentile(sorted, 0.99)),
    maxMs: round3(n ? sorted[n - 1]! : 0),
    meanMs: round3(n ? sorted.reduce((s, x) => s + x, 0) / n : 0),
    lateFraction: round3(n ? late / n : 0),
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Apply one OS change to a simulated process (what an adapter would do). */
function applyToModel(p: SimProc | undefined, change: OsChange, cores: number): OsResult {
  if (!p) return { kind: 'refused', reason: 'gone', message: 'the process has exited; nothing was changed' };
  switch (change.op) {
    case 'priority': {
      const before: OsChange = { op: 'priority', value: { nice: p.nice } };
      p.nice = change.value.nice;
      return { kind: 'applied', before, after: { op: 'priority', value: { nice: p.nice } } };
    }
    case 'cpuWeight': {
      const before: OsChange = { op: 'cpuWeight', value: { weight: p.cgroupWeight ?? null } };
      if (change.value.weight === null) delete p.cgroupWeight;
      else p.cgroupWeight = change.value.weight;
      return { kind: 'applied', before, after: change };
    }
    case 'affinity': {
      const bad = change.value.cpus.filter((c) => c >= cores);
      if (bad.length) return { kind: 'refused', reason: 'invalid', message: `CPU ${bad.join(', ')} is not online (${cores} cores)` };
      const before: OsChange = { op: 'affinity', value: { cpus: p.affinity ?? Array.from({ length: cores }, (_, i) => i) } };
      p.affinity = change.value.cpus.length >= cores ? undefined : [...change.value.cpus];
      return { kind: 'applied', before, after: change };
    }
    case 'ioPriority': {
      const before: OsChange = { op: 'ioPriority', value: { ioClass: p.ioClass, level: p.ioLevel } };
      p.ioClass = change.value.ioClass;
      p.ioLevel = change.value.level;
      return { kind: 'applied', before, after: change };
    }
    case 'cpuCap': {
      const before: OsChange = { op: 'cpuCap', value: { percentOfOneCore: p.capCores !== undefined ? p.capCores * 100 : null } };
      if (change.value.percentOfOneCore === null) delete p.capCores;
      else p.capCores = change.value.percentOfOneCore / 100;
      return { kind: 'applied', before, after: change };
    }
    case 'memoryLimit': {
      const before: OsChange = { op: 'memoryLimit', value: { softLimitBytes: p.softLimitBytes ?? null } };
      if (change.value.softLimitBytes === null) delete p.softLimitBytes;
      else p.softLimitBytes = change.value.softLimitBytes;
      return { kind: 'applied', before, after: change };
    }
    default:
      return { kind: 'refused', reason: 'unsupported', message: `the simulator does not model ${change.op}` };
  }
}

export function runSimulation(options: SimulationOptions): SimulationReport {
  const scenario = options.scenario ?? (options.trace ? scenarioFromTrace(options.trace) : undefined);
  if (!scenario) throw new Error('runSimulation needs a scenario or a trace');
  if (!(scenario.cores >= 1)) throw new Error(`a scenario needs at least one core, got ${scenario.cores}`);
  const isTrace = !options.scenario && options.trace !== undefined;
  const q = options.quantumMs ?? scenario.quantumMs ?? (isTrace ? 10 : 1);
  const intervalMs = options.intervalMs ?? (isTrace ? options.trace!.intervalMs : 1000);
  if (!(q > 0) || !(intervalMs >= q) || Math.abs(intervalMs / q - Math.round(intervalMs / q)) > 1e-9) {
    throw new Error(`the sample interval (${intervalMs} ms) must be a positive multiple of the quantum (${q} ms)`);
  }
  const seconds = options.seconds ?? scenario.seconds;
  const totalMs = Math.round(seconds * 1000);
  const cores = scenario.cores;
  const rng: Prng = createPrng(options.seed);
  const rules = options.rules ?? scenario.rules;
  const engine = createEngine({ ...options.engineConfig, ...(rules ? { rules } : {}), mode: options.mode });
  const bank = options.forecasts === false ? undefined : new ForecastBank({ stepMs: intervalMs, cores });

  const pending = [...scenario.processes].sort((a, b) => (a.startMs ?? 0) - (b.startMs ?? 0) || a.pid - b.pid);
  let nextStart = 0;
  const live = new Map<number, SimProc>();
  const finished: SimProc[] = [];
  const baseUsed = scenario.baseUsedBytes ?? 0;
  let forksInInterval = 0;
  let psiCpuSomeMs = 0;
  let psiMemSomeMs = 0;
  const psi = { cpu10: 0, cpu60: 0, cpu300: 0, mem10: 0, mem60: 0, mem300: 0, cpuTotalUs: 0, memTotalUs: 0 };
  let psiSum = 0;
  let samples = 0;
  let peakUsed = 0;
  let memStall = 0;
  const actions = { decisions: 0, applied: 0, advised: 0, failed: 0, byOp: {} as Record<string, number>, bySource: {} as Record<string, number> };
  const alerts: Record<string, number> = {};
  const decisionLog: SimulationReport['decisionLog'] = [];
  const maxLog = options.maxDecisionLog ?? 200;
  const tiers: Partial<Record<Tier, { processMs: number; cpuMs: number; waitMs: number }>> = {};

  function start(spec: SimProcessSpec, t: number) {
    const p: SimProc = {
      spec,
      pid: spec.pid,
      startTime: Math.round((t + 1) / 10) + spec.pid,
      startedAt: SIM_START_MS + t,
      role: roleOf(spec),
      threads: Math.max(1, spec.threads ?? 1),
      nice: spec.nice ?? 0,
      ioClass: 'best-effort',
      ioLevel: 4,
      frames: [],
      nextFrameAt: t + (spec.kind === 'interactive' ? rng.next() * spec.frameMs : 0),
      backlogMs: 0,
      rssBytes: spec.rssBytes ?? 32 * 1024 * 1024,
      cpuMs: 0,
      waitMs: 0,
      vol: 0,
      inv: 0,
      cpuTimeMs: 0,
      cpuTotalMs: 0,
      waitTotalMs: 0,
      aliveMs: 0,
      latencies: [],
      late: 0,
    };
    live.set(p.pid, p);
    forksInInterval++;
  }

  function memoryUsed(): { used: number; swapped: number } {
    let used = baseUsed;
    let swapped = 0;
    for (const p of live.values()) {
      const rss = p.softLimitBytes !== undefined ? Math.min(p.rssBytes, p.softLimitBytes) : p.rssBytes;
      swapped += p.rssBytes - rss;
      used += rss;
    }
    if (used > scenario!.memoryBytes) {
      swapped += used - scenario!.memoryBytes;
      used = scenario!.memoryBytes;
    }
    return { used, swapped };
  }

  function makeSample(at: number): Sample {
    const seconds = intervalMs / 1000;
    const { used, swapped } = memoryUsed();
    peakUsed = Math.max(peakUsed, used);
    let totalCpuMs = 0;
    let ctx = 0;
    const processes: ProcessSample[] = [];
    for (const p of [...live.values()].sort((a, b) => a.pid - b.pid)) {
      totalCpuMs += p.cpuMs;
      ctx += p.vol + p.inv;
      const rss = p.softLimitBytes !== undefined ? Math.min(p.rssBytes, p.softLimitBytes) : p.rssBytes;
      const s = p.spec;
      processes.push({
        pid: p.pid,
        ppid: s.ppid ?? 1,
        startTime: p.startTime,
        startedAtMs: p.startedAt,
        name: s.name,
        cmdline: s.cmdline ?? s.name,
        user: s.user ?? 'user',
        state: p.cpuMs > 0 || p.waitMs > 0 ? 'running' : 'sleeping',
        threads: p.threads,
        nice: p.nice,
        cpuPercent: (p.cpuMs / intervalMs) * 100,
        rssBytes: rss,
        cpuTimeMs: p.cpuTimeMs,
        voluntaryCtxSwitchesPerSec: p.vol / seconds,
        involuntaryCtxSwitchesPerSec: p.inv / seconds,
        runQueueWaitMsPerSec: p.waitMs / seconds,
        ...(p.rssBytes > rss ? { swapBytes: p.rssBytes - rss } : {}),
        affinity: p.affinity ?? Array.from({ length: cores }, (_, i) => i),
        ioClass: p.ioClass,
        ioLevel: p.ioLevel,
        schedPolicy: 'other',
        programId: programKey(s),
      });
    }
    const cpuPercent = Math.min(100, (totalCpuMs / (intervalMs * cores)) * 100);
    const someCpu = (psiCpuSomeMs / intervalMs) * 100;
    const someMem = (psiMemSomeMs / intervalMs) * 100;
    const ew = (prev: number, x: number, windowSec: number) => prev + (1 - Math.exp(-seconds / windowSec)) * (x - prev);
    psi.cpu10 = ew(psi.cpu10, someCpu, 10);
    psi.cpu60 = ew(psi.cpu60, someCpu, 60);
    psi.cpu300 = ew(psi.cpu300, someCpu, 300);
    psi.mem10 = ew(psi.mem10, someMem, 10);
    psi.mem60 = ew(psi.mem60, someMem, 60);
    psi.mem300 = ew(psi.mem300, someMem, 300);
    psi.cpuTotalUs += psiCpuSomeMs * 1000;
    psi.memTotalUs += psiMemSomeMs * 1000;
    psiSum += someCpu;
    samples++;
    const sample: Sample = {
      at,
      intervalMs,
      system: {
        cpuPercent,
        cores: Array.from({ length: cores }, (_, core) => ({ core, cpuPercent })),
        memory: {
          totalBytes: scenario!.memoryBytes,
          availableBytes: Math.max(0, scenario!.memoryBytes - used),
          usedBytes: used,
          swapTotalBytes: 16 * scenario!.memoryBytes,
          swapUsedBytes: swapped,
        },
        psi: {
          cpu: { someAvg10: psi.cpu10, someAvg60: psi.cpu60, someAvg300: psi.cpu300, someTotalUs: psi.cpuTotalUs },
          memory: { someAvg10: psi.mem10, someAvg60: psi.mem60, someAvg300: psi.mem300, someTotalUs: psi.memTotalUs },
        },
        processCount: processes.length,
        threadCount: processes.reduce((s, p) => s + p.threads, 0),
        contextSwitchesPerSec: ctx / seconds,
        forksPerSec: forksInInterval / seconds,
      },
      processes,
    };
    psiCpuSomeMs = 0;
    psiMemSomeMs = 0;
    forksInInterval = 0;
    for (const p of live.values()) {
      p.cpuMs = 0;
      p.waitMs = 0;
      p.vol = 0;
      p.inv = 0;
    }
    return sample;
  }

  function tickEngine(sample: Sample) {
    const keep = new Set<string>();
    if (bank) {
      for (const p of sample.processes) {
        const c = engine.classification(p.pid);
        if (c && c.policy.ruleIds.length > 0) keep.add(programKey(p));
      }
      bank.update(sample, keep);
    }
    const out = engine.tick(sample, {
      ...(scenario!.foregroundPid !== undefined && live.has(scenario!.foregroundPid) ? { foregroundPid: scenario!.foregroundPid } : {}),
      ...(bank ? { forecast: bank.plannerForecast() } : {}),
    });
    for (const a of out.alerts) alerts[a.kind] = (alerts[a.kind] ?? 0) + 1;
    const results: IntentResult[] = [];
    for (const d of out.decisions) {
      actions.decisions++;
      actions.bySource[d.source] = (actions.bySource[d.source] ?? 0) + 1;
      actions.byOp[d.change.op] = (actions.byOp[d.change.op] ?? 0) + 1;
      const willApply = d.apply && (options.mode === 'auto' || d.revertOf !== undefined);
      if (decisionLog.length < maxLog) {
        decisionLog.push({ atMs: sample.at - SIM_START_MS, source: d.source, target: `${d.target.name}[${d.target.pid}]`, change: `${d.change.op}=${JSON.stringify(d.change.value)}`, applied: willApply, reason: d.reason });
      }
      if (!willApply) {
        actions.advised++;
        continue;
      }
      const mapping = intentToChanges(d.change, options.intents);
      if (!mapping.ok) {
        actions.failed++;
        results.push({ decisionId: d.id, at: sample.at, status: 'failed', message: mapping.error });
        continue;
      }
      const target = live.get(d.target.pid);
      const same = target && target.startTime === d.target.startTime ? target : undefined;
      const osResults = mapping.changes.map((c) => applyToModel(same, c, cores));
      const r = toEngineResult(d.id, sample.at, mapping.changes, osResults);
      if (r.status === 'applied') actions.applied++;
      else actions.failed++;
      results.push(r);
    }
    if (results.length) engine.onResults(results);
    // Tier accounting from the engine's view of each process.
    for (const p of sample.processes) {
      const tier = engine.classification(p.pid)?.tier ?? 'normal';
      const acc = (tiers[tier] ??= { processMs: 0, cpuMs: 0, waitMs: 0 });
      acc.processMs += intervalMs;
      acc.cpuMs += (p.cpuPercent / 100) * intervalMs;
      acc.waitMs += ((p.runQueueWaitMsPerSec ?? 0) * intervalMs) / 1000;
    }
  }

  const fullAffinity = (p: SimProc) => !p.affinity || p.affinity.length >= cores;

  for (let t = 0; t < totalMs; t += q) {
    // Starts and exits.
    while (nextStart < pending.length && (pending[nextStart]!.startMs ?? 0) <= t) {
      const spec = pending[nextStart++]!;
      if (spec.endMs !== undefined && spec.endMs <= t) continue;
      start(spec, t);
    }
    for (const p of [...live.values()]) {
      if (p.spec.endMs !== undefined && p.spec.endMs <= t) {
        live.delete(p.pid);
        finished.push(p);
      }
    }
    // Work arriving.
    const procs = [...live.values()];
    const want: number[] = [];
    for (const p of procs) {
      const s = p.spec;
      p.aliveMs += q;
      if (s.leakBytesPerSec) p.rssBytes += (s.leakBytesPerSec * q) / 1000;
      if (s.kind === 'interactive') {
        while (p.nextFrameAt <= t) {
          const burst = s.burstCpuMs * (1 + (s.burstSpread ?? 0) * (2 * rng.next() - 1));
          // The frame becomes runnable at the start of the quantum it falls in (arrival on the grid).
          p.frames.push({ arrival: t, remaining: Math.max(0.01, burst) });
          p.nextFrameAt += Math.max(1, s.frameMs + (s.frameJitterMs ?? 0) * (2 * rng.next() - 1));
        }
        const work = p.frames.reduce((a, f) => a + f.remaining, 0);
        want.push(Math.min(1, work / q));
      } else if (s.kind === 'batch') {
        want.push(p.threads);
      } else {
        const d = Math.max(0, s.demandPercent(t) || 0);
        p.backlogMs = Math.min(p.backlogMs + (d / 100) * q, s.maxBacklogMs ?? 2000);
        want.push(Math.min(Math.max(p.threads, Math.ceil(d / 100)), p.backlogMs / q));
      }
    }
    // Memory stall.
    const { used } = memoryUsed();
    let rawUsed = baseUsed;
    for (const p of procs) rawUsed += p.softLimitBytes !== undefined ? Math.min(p.rssBytes, p.softLimitBytes) : p.rssBytes;
    memStall = rawUsed > scenario.memoryBytes ? Math.min(0.9, ((rawUsed - scenario.memoryBytes) / scenario.memoryBytes) * 4) : used > scenario.memoryBytes * 0.95 ? 0.02 : 0;
    // Shares.
    const maxCores = procs.map((p, i) => Math.min(want[i]!, p.capCores ?? Infinity, p.affinity ? p.affinity.length : cores));
    const capacity = cores * (1 - memStall);
    let alloc = fairShares(procs.map((p, i) => ({ weight: processWeight(p.nice, p.cgroupWeight), maxCores: maxCores[i]! })), capacity);
    if (procs.some((p) => !fullAffinity(p))) {
      // Processes pinned inside a subset of cores share that subset.
      const fixed = new Map<number, number>();
      const sets = new Map<string, number[]>();
      procs.forEach((p, i) => {
        if (!fullAffinity(p)) sets.set(p.affinity!.join(','), p.affinity!);
      });
      for (const set of sets.values()) {
        const inside = procs.map((p, i) => i).filter((i) => !fullAffinity(procs[i]!) && procs[i]!.affinity!.every((c) => set.includes(c)));
        const sum = inside.reduce((s, i) => s + alloc[i]!, 0);
        const cap = set.length * (1 - memStall);
        if (sum > cap + 1e-9) {
          const sub = fairShares(inside.map((i) => ({ weight: processWeight(procs[i]!.nice, procs[i]!.cgroupWeight), maxCores: maxCores[i]! })), cap);
          inside.forEach((i, k) => fixed.set(i, sub[k]!));
        }
      }
      if (fixed.size) {
        const used = [...fixed.values()].reduce((a, b) => a + b, 0);
        const others = procs.map((_, i) => i).filter((i) => !fixed.has(i));
        const rest = fairShares(others.map((i) => ({ weight: processWeight(procs[i]!.nice, procs[i]!.cgroupWeight), maxCores: maxCores[i]! })), Math.max(0, capacity - used));
        alloc = procs.map((_, i) => fixed.get(i) ?? 0);
        others.forEach((i, k) => (alloc[i] = rest[k]!));
      }
    }
    // Run.
    let anyWaiting = false;
    procs.forEach((p, i) => {
      const a = alloc[i]!;
      const speed = p.softLimitBytes !== undefined && p.rssBytes > p.softLimitBytes ? 0.7 : 1;
      const cpu = a * q;
      const work = cpu * speed;
      const wanted = Math.min(want[i]!, p.affinity ? p.affinity.length : cores);
      const waiting = Math.max(0, Math.min(wanted, p.capCores ?? Infinity) - a) * q;
      if (waiting > 1e-6) anyWaiting = true;
      p.cpuMs += cpu;
      p.cpuTimeMs += cpu;
      p.cpuTotalMs += cpu;
      p.waitMs += waiting;
      p.waitTotalMs += waiting;
      if (waiting > 1e-6 && cpu > 0) p.inv += cpu / 4;
      const s = p.spec;
      if (s.kind === 'interactive') {
        let left = work;
        let spent = 0;
        while (left > 1e-12 && p.frames.length > 0) {
          const f = p.frames[0]!;
          const use = Math.min(left, f.remaining);
          f.remaining -= use;
          left -= use;
          spent += use;
          if (f.remaining <= 1e-9) {
            const doneAt = t + (a > 0 ? spent / (a * speed) : q);
            const latency = doneAt - f.arrival;
            p.latencies.push(latency);
            if (latency > s.frameMs) p.late++;
            p.frames.shift();
            p.vol++;
          }
        }
      } else if (s.kind === 'demand') {
        p.backlogMs = Math.max(0, p.backlogMs - work);
        if (p.backlogMs <= 1e-9 && work > 0) p.vol += q / 10;
      }
    });
    if (anyWaiting) psiCpuSomeMs += q;
    psiMemSomeMs += memStall * q;
    // Sample boundary.
    const next = t + q;
    if (Math.round(next) % intervalMs === 0) tickEngine(makeSample(SIM_START_MS + next));
  }

  const all = [...finished, ...live.values()].sort((a, b) => a.pid - b.pid);
  const interactiveLat: number[] = [];
  let interactiveLate = 0;
  let batchMs = 0;
  let backgroundMs = 0;
  const processes: SimProcessReport[] = [];
  for (const p of all) {
    if (p.role === 'interactive') {
      interactiveLat.push(...p.latencies);
      interactiveLate += p.late;
    } else if (p.role === 'batch') batchMs += p.cpuTotalMs;
    else backgroundMs += p.cpuTotalMs;
    if (all.length <= 200 || p.role !== 'background' || p.cpuTotalMs > 1000) {
      processes.push({
        pid: p.pid,
        name: p.spec.name,
        role: p.role,
        cpuSeconds: round3(p.cpuTotalMs / 1000),
        waitMsPerSec: round3(p.aliveMs > 0 ? (p.waitTotalMs / p.aliveMs) * 1000 : 0),
        finalNice: p.nice,
        ...(p.spec.kind === 'interactive' ? { latency: summarize(p.latencies, p.late) } : {}),
      });
    }
  }
  const tierReport: Partial<Record<Tier, TierReport>> = {};
  for (const [tier, acc] of Object.entries(tiers) as [Tier, { processMs: number; cpuMs: number; waitMs: number }][]) {
    tierReport[tier] = {
      processSeconds: round3(acc.processMs / 1000),
      cpuSeconds: round3(acc.cpuMs / 1000),
      waitMsPerSec: round3(acc.processMs > 0 ? (acc.waitMs / acc.processMs) * 1000 : 0),
      slowdown: round3(acc.cpuMs + acc.waitMs > 0 ? acc.waitMs / (acc.cpuMs + acc.waitMs) : 0),
    };
  }
  return {
    source: scenario.name,
    mode: options.mode,
    seed: options.seed,
    seconds,
    cores,
    quantumMs: q,
    interactive: summarize(interactiveLat, interactiveLate),
    batch: { cpuSeconds: round3(batchMs / 1000), throughputCores: round3(batchMs / Math.max(1, totalMs)) },
    background: { cpuSeconds: round3(backgroundMs / 1000) },
    tiers: tierReport,
    processes,
    actions,
    decisionLog,
    alerts,
    peakMemoryUsedBytes: peakUsed,
    meanPsiCpuSomePercent: round3(samples ? psiSum / samples : 0),
  };
}
