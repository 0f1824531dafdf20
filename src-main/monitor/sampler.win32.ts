// Windows collector: NtQuerySystemInformation(SystemProcessInformation) returns every process in
// one call; GetSystemTimes gives total CPU, NtQuerySystemInformation(SystemProcessorPerformance-
// Information) per-core CPU, GlobalMemoryStatusEx and K32GetPerformanceInfo memory. The native
// calls live behind `Win32ProcessApi` (bindings.win32.ts); this file is the collect step (one call
// per source, errors per source) and a pure processing step that turns raw counters into rates.
import { LINUX_ONLY_FIELDS, nodeSystemInfo, processingSampler, unsupportedFields } from './node-info';
import type { CoreSample, Memory, ProcessSample, ProcessState, Sample } from '../../src-shared/domain';
import { cpuPercentFromMs, ratePerSec } from './rates';
import type { Sampler } from './types';
import type { Win32ProcessApi, Win32SystemTimes } from './bindings.win32';
import type { MemoryStatusEx, PerformanceInformation } from './sysinfo.win32';
import {
  fileTimeToEpochMs,
  niceFromPriorityClass,
  parseProcessorPerformance,
  parseSystemProcessInformation,
  priorityClassFromBasePriority,
} from './spi.win32';
import type { Win32ProcessorTimes, Win32RawProcess } from './spi.win32';
import { errorMessage } from '../../src-shared/errors';

/**
 * Fields this collector never fills on Windows, as `field:reason`. `cmdline` and `user` need
 * OpenProcess + PEB reads / OpenProcessToken per process, which a 1 Hz collector over every
 * process does not do; the rest has no Windows equivalent.
 */
export const WIN32_UNAVAILABLE: readonly string[] = Object.freeze([
  ...unsupportedFields('cmdline', 'user', 'uid', 'exe', 'swapBytes', 'syscallsPerSec', 'voluntaryCtxSwitchesPerSec', 'involuntaryCtxSwitchesPerSec', ...LINUX_ONLY_FIELDS),
]);

/** Everything one collect step read, before any rate is computed. */
export interface Win32RawTick {
  /** Epoch ms of the sample. */
  atMs: number;
  /** Monotonic ms (performance.now()) used for intervals. */
  monotonicMs: number;
  processes: Win32RawProcess[];
  systemTimes?: Win32SystemTimes;
  processors?: Win32ProcessorTimes[];
  memory?: MemoryStatusEx;
  performance?: PerformanceInformation;
  uptimeSec?: number;
  errors: { source: string; message: string }[];
}

interface ProcessCounters {
  userMs: number;
  kernelMs: number;
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
  softFaults: number;
  hardFaults: number;
  contextSwitches: number;
}

/** What the processing step carries from one tick to the next. */
export interface Win32State {
  monotonicMs: number;
  processes: Map<string, ProcessCounters>;
  systemTimes?: Win32SystemTimes;
  processors?: Win32ProcessorTimes[];
  memory?: Memory;
}

const ms100ns = (v: bigint): number => Number(v) / 10_000;

/** Identity key: pid + CreateTime, so a reused pid starts fresh instead of inheriting counters. */
function keyOf(p: Win32RawProcess): string {
  return `${p.pid}:${p.createTime}`;
}

function stateOf(p: Win32RawProcess): ProcessState {
  if (p.threadCount === 0) return 'zombie';
  if (p.runningThreads > 0) return 'running';
  if (p.suspendedThreads === p.threadCount) return 'stopped';
  return 'sleeping';
}

function countersOf(p: Win32RawProcess): ProcessCounters {
  return {
    userMs: ms100ns(p.userTime100ns),
    kernelMs: ms100ns(p.kernelTime100ns),
    readBytes: Number(p.readTransferBytes),
    writeBytes: Number(p.writeTransferBytes),
    readOps: Number(p.readOperationCount),
    writeOps: Number(p.writeOperationCount),
    softFaults: Math.max(0, p.pageFaultCount - p.hardFaultCount),
    hardFaults: p.hardFaultCount,
    contextSwitches: p.contextSwitches,
  };
}

function percentOf(part: number, total: number): number {
  if (total <= 0 || part <= 0) return 0;
  return Math.min(100, (part / total) * 100);
}

function cpuFromTimes(prev: Win32SystemTimes | undefined, cur: Win32SystemTimes): number {
  if (!prev) return 0;
  const idle = Number(cur.idle100ns - prev.idle100ns);
  const total = Number(cur.kernel100ns - prev.kernel100ns) + Number(cur.user100ns - prev.user100ns);
  if (idle < 0 || total <= 0) return 0;
  return percentOf(total - idle, total);
}

function coresFrom(prev: Win32ProcessorTimes[] | undefined, cur: Win32ProcessorTimes[]): CoreSample[] {
  return cur.map((c, core) => {
    const p = prev?.[core];
    if (!p) return { core, cpuPercent: 0, userPercent: 0, systemPercent: 0 };
    const idle = Number(c.idle100ns - p.idle100ns);
    const kernel = Number(c.kernel100ns - p.kernel100ns);
    const user = Number(c.user100ns - p.user100ns);
    const total = kernel + user;
    if (idle < 0 || kernel < 0 || user < 0 || total <= 0) return { core, cpuPercent: 0, userPercent: 0, systemPercent: 0 };
    return {
      core,
      cpuPercent: percentOf(total - idle, total),
      userPercent: percentOf(user, total),
      systemPercent: percentOf(kernel - idle, total),
    };
  });
}

/**
 * Memory from GlobalMemoryStatusEx. Windows reports the commit limit (RAM + page files), not
 * swap; swap is estimated as commit limit minus RAM, and swap used as commit charge beyond the
 * RAM in use (the same approximation psutil used for years). Clamped to [0, swap total].
 */
export function memoryFromStatus(m: MemoryStatusEx, perf?: PerformanceInformation): Memory {
  const usedPhys = Math.max(0, m.totalPhysBytes - m.availPhysBytes);
  const swapTotalBytes = Math.max(0, m.totalPageFileBytes - m.totalPhysBytes);
  const commitUsed = Math.max(0, m.totalPageFileBytes - m.availPageFileBytes);
  const swapUsedBytes = Math.min(swapTotalBytes, Math.max(0, commitUsed - usedPhys));
  const memory: Memory = {
    totalBytes: m.totalPhysBytes,
    availableBytes: m.availPhysBytes,
    usedBytes: usedPhys,
    swapTotalBytes,
    swapUsedBytes,
  };
  if (perf) memory.cachedBytes = perf.systemCacheBytes;
  return memory;
}

const EMPTY_MEMORY: Memory = { totalBytes: 0, availableBytes: 0, usedBytes: 0, swapTotalBytes: 0, swapUsedBytes: 0 };

/** Pure processing step: raw counters of this tick + state of the last -> one Sample + new state. */
export function processWin32Tick(prev: Win32State | undefined, raw: Win32RawTick): { sample: Sample; state: Win32State } {
  const intervalMs = prev ? Math.max(0, raw.monotonicMs - prev.monotonicMs) : 0;
  const counters = new Map<string, ProcessCounters>();
  const processes: ProcessSample[] = [];
  let threadTotal = 0;
  let ctxSwitchesPerSecTotal = 0;
  for (const p of raw.processes) {
    threadTotal += p.threadCount;
    const key = keyOf(p);
    const cur = countersOf(p);
    counters.set(key, cur);
    const last = prev?.processes.get(key);
    const ctxRate = ratePerSec(last?.contextSwitches, cur.contextSwitches, intervalMs);
    ctxSwitchesPerSecTotal += ctxRate;
    // pid 0 is the System Idle Process: its "CPU time" is idle time. It is not a process.
    if (p.pid === 0) continue;
    const userPercent = cpuPercentFromMs(last?.userMs, cur.userMs, intervalMs);
    const systemPercent = cpuPercentFromMs(last?.kernelMs, cur.kernelMs, intervalMs);
    const priorityClass = priorityClassFromBasePriority(p.basePriority);
    const unavailable = [...WIN32_UNAVAILABLE];
    if (p.nameOutOfRange) unavailable.push('name:invalid');
    // Identity start value: the CreateTime FILETIME as a JS number. FILETIMEs are ~1.3e17, above
    // 2^53, so Number() rounds to a multiple of 16 (1.6 us): deterministic, so the actuator gets
    // the same value from GetProcessTimes + Number(), and still unique per pid in practice.
    const startTime = Math.max(0, Number(p.createTime));
    processes.push({
      pid: p.pid,
      ppid: p.ppid,
      startTime,
      startedAtMs: fileTimeToEpochMs(p.createTime),
      name: p.name || (p.pid === 4 ? 'System' : ''),
      cmdline: '',
      user: '',
      state: stateOf(p),
      threads: p.threadCount,
      nice: niceFromPriorityClass(priorityClass),
      priority: p.basePriority,
      cpuPercent: userPercent + systemPercent,
      rssBytes: p.workingSetBytes,
      kernelThread: p.pid === 4 || (p.ppid === 4 && !p.name.toLowerCase().endsWith('.exe')),
      cpuUserPercent: userPercent,
      cpuSystemPercent: systemPercent,
      cpuTimeMs: cur.userMs + cur.kernelMs,
      vmsBytes: p.virtualSizeBytes,
      privateBytes: p.privateBytes,
      handleCount: p.handleCount,
      minorFaultsPerSec: ratePerSec(last?.softFaults, cur.softFaults, intervalMs),
      majorFaultsPerSec: ratePerSec(last?.hardFaults, cur.hardFaults, intervalMs),
      readBytesPerSec: ratePerSec(last?.readBytes, cur.readBytes, intervalMs),
      writeBytesPerSec: ratePerSec(last?.writeBytes, cur.writeBytes, intervalMs),
      readSyscallsPerSec: ratePerSec(last?.readOps, cur.readOps, intervalMs),
      writeSyscallsPerSec: ratePerSec(last?.writeOps, cur.writeOps, intervalMs),
      ctxSwitchesPerSec: ctxRate,
      unavailable,
    });
  }

  const memory = raw.memory ? memoryFromStatus(raw.memory, raw.performance) : (prev?.memory ?? EMPTY_MEMORY);
  const sample: Sample = {
    at: raw.atMs,
    intervalMs,
    system: {
      cpuPercent: raw.systemTimes ? cpuFromTimes(prev?.systemTimes, raw.systemTimes) : 0,
      cores: raw.processors ? coresFrom(prev?.processors, raw.processors) : [],
      memory,
      processCount: processes.length,
      threadCount: raw.performance?.threadCount ?? threadTotal,
      contextSwitchesPerSec: ctxSwitchesPerSecTotal,
    },
    processes,
  };
  if (raw.uptimeSec !== undefined) sample.system.uptimeSec = raw.uptimeSec;
  if (raw.errors.length > 0) sample.errors = raw.errors.slice(0, 64);
  const state: Win32State = {
    monotonicMs: raw.monotonicMs,
    processes: counters,
    systemTimes: raw.systemTimes ?? prev?.systemTimes,
    processors: raw.processors ?? prev?.processors,
    memory: raw.memory ? memory : prev?.memory,
  };
  return { sample, state };
}

export interface Win32SamplerOptions {
  /** Epoch ms clock (default Date.now). */
  now?: () => number;
  /** Monotonic ms clock for intervals (default performance.now). */
  monotonicNow?: () => number;
}


/** Collect step: one call per source; a failing source becomes an entry in `errors`. */
export function collectWin32(api: Win32ProcessApi, atMs: number, monotonicMs: number): Win32RawTick {
  const raw: Win32RawTick = { atMs, monotonicMs, processes: [], errors: [] };
  try {
    const spi = api.querySystemProcessInformation();
    const parsed = parseSystemProcessInformation(spi.bytes, spi.baseAddress, spi.byteLength);
    raw.processes = parsed.processes;
    if (!parsed.ok) raw.errors.push({ source: 'processes', message: parsed.error });
  } catch (e) {
    raw.errors.push({ source: 'processes', message: errorMessage(e, 1024) });
  }
  try {
    raw.systemTimes = api.getSystemTimes();
  } catch (e) {
    raw.errors.push({ source: 'cpu', message: errorMessage(e, 1024) });
  }
  try {
    const perf = api.queryProcessorPerformance();
    raw.processors = parseProcessorPerformance(perf.bytes, perf.byteLength);
  } catch (e) {
    raw.errors.push({ source: 'cores', message: errorMessage(e, 1024) });
  }
  try {
    raw.memory = api.globalMemoryStatusEx();
  } catch (e) {
    raw.errors.push({ source: 'memory', message: errorMessage(e, 1024) });
  }
  if (api.getPerformanceInfo) {
    try {
      raw.performance = api.getPerformanceInfo();
    } catch (e) {
      raw.errors.push({ source: 'performance', message: errorMessage(e, 1024) });
    }
  }
  return raw;
}

export function createWin32Sampler(api: Win32ProcessApi, options: Win32SamplerOptions = {}): Sampler {
  const now = options.now ?? Date.now;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  return processingSampler<Win32RawTick, Win32State>({
    name: 'win32-ntquery',
    info: async () =>
      nodeSystemInfo('win32', now(), {
        totalMemoryBytes: () => api.globalMemoryStatusEx().totalPhysBytes,
        logicalCores: () => {
          const perf = api.queryProcessorPerformance();
          return parseProcessorPerformance(perf.bytes, perf.byteLength).length;
        },
      }),
    collect: () => collectWin32(api, now(), monotonicNow()),
    process: processWin32Tick,
    close: () => api.close(),
  });
}
