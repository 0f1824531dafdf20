// macOS collector: proc_listallpids once per tick, then proc_pidinfo(PROC_PIDTASKALLINFO) and
// proc_pid_rusage(RUSAGE_INFO_V2) per pid (in-process libproc calls through koffi, never a shell),
// PROC_PIDT_SHORTBSDINFO for other users' processes when not root; host_statistics64 and sysctl
// for memory and swap; host_processor_info (via os.cpus()) for per-core CPU. The native calls live
// behind `DarwinProcessApi` (bindings.darwin.ts); here are the collect step and a pure processing
// step that turns raw counters into rates.
import { LINUX_ONLY_FIELDS, nodeSystemInfo, processingSampler, unsupportedFields } from './node-info';
import type { CoreSample, Memory, ProcessSample, ProcessState, Sample } from '../../src-shared/domain';
import { cpuPercentFromMs, ratePerSec } from './rates';
import type { Sampler } from './types';
import type { DarwinCpuTimes, DarwinProcessApi } from './bindings.darwin';
import {
  machToMs,
  parseRusageV2,
  parseShortBsdInfo,
  parseTaskAllInfo,
  parseVmStatistics64,
  parseXswUsage,
  PROC_STATUS,
} from './libproc.darwin';
import type { DarwinRusage, DarwinShortBsdInfo, DarwinSwapUsage, DarwinTaskAllInfo, DarwinVmStatistics } from './libproc.darwin';
import { errorMessage } from '../../src-shared/errors';
import { processKey } from '../../src-shared/identity';

/** Fields macOS never provides through this collector, as `field:reason`. */
export const DARWIN_UNAVAILABLE: readonly string[] = Object.freeze([
  ...unsupportedFields('cmdline', 'swapBytes', 'handleCount', 'readSyscallsPerSec', 'writeSyscallsPerSec', 'voluntaryCtxSwitchesPerSec', 'involuntaryCtxSwitchesPerSec', ...LINUX_ONLY_FIELDS),
]);

/** What proc_pidinfo(TASKALLINFO) cannot read for another user's process without root. */
export const DARWIN_DENIED_FIELDS: readonly string[] = Object.freeze([
  'startTime:denied',
  'cpuPercent:denied',
  'rssBytes:denied',
  'threads:denied',
  'nice:denied',
  'cpuUserPercent:denied',
  'cpuSystemPercent:denied',
  'cpuTimeMs:denied',
  'vmsBytes:denied',
  'minorFaultsPerSec:denied',
  'majorFaultsPerSec:denied',
  'ctxSwitchesPerSec:denied',
  'syscallsPerSec:denied',
  'readBytesPerSec:denied',
  'writeBytesPerSec:denied',
  'privateBytes:denied',
  ...unsupportedFields(),
]);

/** One process as the collect step read it. */
export type DarwinRawProcess =
  | { kind: 'full'; task: DarwinTaskAllInfo; rusage?: DarwinRusage; exe?: string; user?: string }
  | { kind: 'short'; info: DarwinShortBsdInfo; exe?: string; user?: string };

export interface DarwinRawTick {
  atMs: number;
  monotonicMs: number;
  timebase: { numer: number; denom: number };
  processes: DarwinRawProcess[];
  cpuTimes?: DarwinCpuTimes[];
  vm?: DarwinVmStatistics;
  swap?: DarwinSwapUsage;
  memSizeBytes?: number;
  pageSizeBytes?: number;
  uptimeSec?: number;
  errors: { source: string; message: string }[];
}

interface ProcessCounters {
  userMs: number;
  systemMs: number;
  faults: number;
  pageins: number;
  csw: number;
  syscalls: number;
  readBytes?: number;
  writeBytes?: number;
}

export interface DarwinState {
  monotonicMs: number;
  processes: Map<string, ProcessCounters>;
  cpuTimes?: DarwinCpuTimes[];
  vm?: DarwinVmStatistics;
  memory?: Memory;
}

/** Identity start value: process start in µs since the epoch (pbi_start_tvsec/tvusec). */
export function darwinStartTimeUs(task: Pick<DarwinTaskAllInfo, 'startTvSec' | 'startTvUsec'>): number {
  return task.startTvSec * 1_000_000 + task.startTvUsec;
}

function stateOf(status: number, runningThreads: number | undefined): ProcessState {
  switch (status) {
    case PROC_STATUS.SRUN:
      // macOS reports SRUN for nearly every live process; running threads tell the truth.
      return runningThreads === undefined || runningThreads > 0 ? 'running' : 'sleeping';
    case PROC_STATUS.SSLEEP:
      return 'sleeping';
    case PROC_STATUS.SSTOP:
      return 'stopped';
    case PROC_STATUS.SZOMB:
      return 'zombie';
    default:
      return 'unknown';
  }
}

const clampNice = (n: number) => Math.max(-20, Math.min(19, Math.trunc(n)));

function coreTotal(c: DarwinCpuTimes): number {
  return c.user + c.nice + c.sys + c.idle;
}

function coresFrom(prev: DarwinCpuTimes[] | undefined, cur: DarwinCpuTimes[]): CoreSample[] {
  return cur.map((c, core) => {
    const p = prev?.[core];
    const total = p ? coreTotal(c) - coreTotal(p) : 0;
    if (!p || total <= 0 || c.idle < p.idle) return { core, cpuPercent: 0, userPercent: 0, systemPercent: 0 };
    const pct = (v: number) => Math.max(0, Math.min(100, (v / total) * 100));
    return {
      core,
      cpuPercent: pct(total - (c.idle - p.idle)),
      userPercent: pct(c.user - p.user + (c.nice - p.nice)),
      systemPercent: pct(c.sys - p.sys),
    };
  });
}

/**
 * Memory like psutil/Activity Monitor: available = free + inactive pages (inactive pages are
 * reclaimable), used = total - available, cached = file-backed (external) pages.
 */
export function darwinMemory(
  vm: DarwinVmStatistics,
  swap: DarwinSwapUsage | undefined,
  totalBytes: number,
  pageSizeBytes: number,
): Memory {
  const availableBytes = Math.min(totalBytes, (vm.freePages + vm.inactivePages) * pageSizeBytes);
  return {
    totalBytes,
    availableBytes,
    usedBytes: Math.max(0, totalBytes - availableBytes),
    freeBytes: vm.freePages * pageSizeBytes,
    cachedBytes: vm.externalPages * pageSizeBytes,
    swapTotalBytes: swap?.totalBytes ?? 0,
    swapUsedBytes: swap?.usedBytes ?? 0,
  };
}

const EMPTY_MEMORY: Memory = { totalBytes: 0, availableBytes: 0, usedBytes: 0, swapTotalBytes: 0, swapUsedBytes: 0 };

/** Pure processing step: raw counters of this tick + last state -> one Sample + new state. */
export function processDarwinTick(prev: DarwinState | undefined, raw: DarwinRawTick): { sample: Sample; state: DarwinState } {
  const intervalMs = prev ? Math.max(0, raw.monotonicMs - prev.monotonicMs) : 0;
  const { numer, denom } = raw.timebase;
  const counters = new Map<string, ProcessCounters>();
  const processes: ProcessSample[] = [];
  let threadTotal = 0;
  let cswTotal = 0;

  for (const rp of raw.processes) {
    if (rp.kind === 'short') {
      const s = rp.info;
      if (s.pid <= 0) continue;
      const sample: ProcessSample = {
        pid: s.pid,
        ppid: s.ppid,
        startTime: 0,
        startedAtMs: 0,
        name: s.comm,
        cmdline: '',
        user: rp.user ?? String(s.uid),
        uid: s.uid,
        state: stateOf(s.status, undefined),
        threads: 0,
        nice: 0,
        cpuPercent: 0,
        rssBytes: 0,
        unavailable: [...DARWIN_UNAVAILABLE, ...DARWIN_DENIED_FIELDS],
      };
      if (rp.exe) sample.exe = rp.exe;
      processes.push(sample);
      continue;
    }
    const t = rp.task;
    if (t.pid <= 0) continue; // pid 0 is kernel_task's placeholder; not a process Allot manages
    const startTime = darwinStartTimeUs(t);
    const key = processKey({ pid: t.pid, startTime });
    const cur: ProcessCounters = {
      userMs: machToMs(t.totalUserMach, numer, denom),
      systemMs: machToMs(t.totalSystemMach, numer, denom),
      faults: t.faults,
      pageins: t.pageins,
      csw: t.contextSwitches,
      syscalls: t.syscallsMach + t.syscallsUnix,
    };
    if (rp.rusage) {
      cur.readBytes = rp.rusage.diskReadBytes;
      cur.writeBytes = rp.rusage.diskWriteBytes;
    }
    counters.set(key, cur);
    const last = prev?.processes.get(key);
    threadTotal += t.threads;
    const cswRate = ratePerSec(last?.csw, cur.csw, intervalMs);
    cswTotal += cswRate;
    const userPercent = cpuPercentFromMs(last?.userMs, cur.userMs, intervalMs);
    const systemPercent = cpuPercentFromMs(last?.systemMs, cur.systemMs, intervalMs);
    const unavailable = [...DARWIN_UNAVAILABLE];
    const sample: ProcessSample = {
      pid: t.pid,
      ppid: t.ppid,
      startTime,
      startedAtMs: startTime / 1000,
      name: t.name,
      cmdline: '',
      user: rp.user ?? String(t.uid),
      uid: t.uid,
      state: stateOf(t.status, t.runningThreads),
      threads: t.threads,
      nice: clampNice(t.nice),
      priority: t.priority,
      cpuPercent: userPercent + systemPercent,
      rssBytes: t.residentSizeBytes,
      cpuUserPercent: userPercent,
      cpuSystemPercent: systemPercent,
      cpuTimeMs: cur.userMs + cur.systemMs,
      vmsBytes: t.virtualSizeBytes,
      // pti_faults counts every fault; pageins are the ones that read from disk.
      minorFaultsPerSec: ratePerSec(last && last.faults - last.pageins, Math.max(0, cur.faults - cur.pageins), intervalMs),
      majorFaultsPerSec: ratePerSec(last?.pageins, cur.pageins, intervalMs),
      ctxSwitchesPerSec: cswRate,
      syscallsPerSec: ratePerSec(last?.syscalls, cur.syscalls, intervalMs),
    };
    if (rp.exe) sample.exe = rp.exe;
    if (rp.rusage && cur.readBytes !== undefined && cur.writeBytes !== undefined) {
      sample.readBytesPerSec = ratePerSec(last?.readBytes, cur.readBytes, intervalMs);
      sample.writeBytesPerSec = ratePerSec(last?.writeBytes, cur.writeBytes, intervalMs);
      sample.privateBytes = rp.rusage.physFootprintBytes;
    } else {
      unavailable.push('readBytesPerSec:denied', 'writeBytesPerSec:denied', 'privateBytes:denied');
    }
    sample.unavailable = unavailable;
    processes.push(sample);
  }

  let memory = prev?.memory ?? EMPTY_MEMORY;
  if (raw.vm && raw.memSizeBytes !== undefined && raw.pageSizeBytes !== undefined) {
    memory = darwinMemory(raw.vm, raw.swap, raw.memSizeBytes, raw.pageSizeBytes);
    if (prev?.vm) {
      memory.swapInBytesPerSec = ratePerSec(prev.vm.swapins, raw.vm.swapins, intervalMs) * raw.pageSizeBytes;
      memory.swapOutBytesPerSec = ratePerSec(prev.vm.swapouts, raw.vm.swapouts, intervalMs) * raw.pageSizeBytes;
    }
  }
  const cores = raw.cpuTimes ? coresFrom(prev?.cpuTimes, raw.cpuTimes) : [];
  const sample: Sample = {
    at: raw.atMs,
    intervalMs,
    system: {
      cpuPercent: cores.length > 0 ? cores.reduce((a, c) => a + c.cpuPercent, 0) / cores.length : 0,
      cores,
      memory,
      processCount: processes.length,
      threadCount: threadTotal,
      contextSwitchesPerSec: cswTotal,
    },
    processes,
  };
  if (raw.uptimeSec !== undefined) sample.system.uptimeSec = raw.uptimeSec;
  if (raw.errors.length > 0) sample.errors = raw.errors.slice(0, 64);
  return {
    sample,
    state: {
      monotonicMs: raw.monotonicMs,
      processes: counters,
      cpuTimes: raw.cpuTimes ?? prev?.cpuTimes,
      vm: raw.vm ?? prev?.vm,
      memory,
    },
  };
}

const EPERM = 1;


/** Per-process things read once per process lifetime (exe path) or per uid (user name). */
export interface DarwinCaches {
  exeByKey: Map<string, string | undefined>;
  userByUid: Map<number, string | undefined>;
}

export function newDarwinCaches(): DarwinCaches {
  return { exeByKey: new Map(), userByUid: new Map() };
}

/**
 * Collect step. A pid that vanished between proc_listallpids and proc_pidinfo (ESRCH, or any
 * failure of both calls) is skipped; one owned by another user falls back to SHORTBSDINFO.
 */
export function collectDarwin(api: DarwinProcessApi, caches: DarwinCaches, atMs: number, monotonicMs: number): DarwinRawTick {
  const raw: DarwinRawTick = { atMs, monotonicMs, timebase: { numer: 1, denom: 1 }, processes: [], errors: [] };
  try {
    raw.timebase = api.machTimebase();
  } catch (e) {
    raw.errors.push({ source: 'timebase', message: errorMessage(e, 1024) });
  }
  const userOf = (uid: number): string | undefined => {
    if (!api.userName) return undefined;
    if (!caches.userByUid.has(uid)) caches.userByUid.set(uid, api.userName(uid));
    return caches.userByUid.get(uid);
  };
  try {
    const pids = api.listAllPids();
    const seen = new Set<string>();
    for (const pid of pids) {
      if (pid <= 0) continue;
      const full = api.taskAllInfo(pid);
      if (full.ok) {
        const task = parseTaskAllInfo(full.bytes);
        const key = processKey({ pid: task.pid, startTime: darwinStartTimeUs(task) });
        seen.add(key);
        const ru = api.rusageV2(pid);
        if (api.pidPath && !caches.exeByKey.has(key)) caches.exeByKey.set(key, api.pidPath(pid));
        const entry: DarwinRawProcess = { kind: 'full', task };
        if (ru.ok) entry.rusage = parseRusageV2(ru.bytes);
        const exe = caches.exeByKey.get(key);
        if (exe) entry.exe = exe;
        const user = userOf(task.uid);
        if (user !== undefined) entry.user = user;
        raw.processes.push(entry);
        continue;
      }
      if (full.errno !== EPERM) continue; // gone since the pid list was read
      const short = api.shortBsdInfo(pid);
      if (!short.ok) continue;
      const info = parseShortBsdInfo(short.bytes);
      const entry: DarwinRawProcess = { kind: 'short', info };
      const user = userOf(info.uid);
      if (user !== undefined) entry.user = user;
      raw.processes.push(entry);
    }
    for (const key of caches.exeByKey.keys()) if (!seen.has(key)) caches.exeByKey.delete(key);
  } catch (e) {
    raw.errors.push({ source: 'processes', message: errorMessage(e, 1024) });
  }
  try {
    raw.cpuTimes = api.cpuTimes();
  } catch (e) {
    raw.errors.push({ source: 'cores', message: errorMessage(e, 1024) });
  }
  try {
    raw.vm = parseVmStatistics64(api.vmStatistics64());
    raw.memSizeBytes = api.memSizeBytes();
    raw.pageSizeBytes = api.pageSizeBytes();
  } catch (e) {
    raw.errors.push({ source: 'memory', message: errorMessage(e, 1024) });
  }
  try {
    raw.swap = parseXswUsage(api.swapUsage());
  } catch (e) {
    raw.errors.push({ source: 'swap', message: errorMessage(e, 1024) });
  }
  return raw;
}

export interface DarwinSamplerOptions {
  now?: () => number;
  monotonicNow?: () => number;
}

export function createDarwinSampler(api: DarwinProcessApi, options: DarwinSamplerOptions = {}): Sampler {
  const now = options.now ?? Date.now;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const caches = newDarwinCaches();
  return processingSampler<DarwinRawTick, DarwinState>({
    name: 'darwin-libproc',
    info: async () => nodeSystemInfo('darwin', now(), { totalMemoryBytes: () => api.memSizeBytes(), logicalCores: () => api.cpuTimes().length }),
    collect: () => collectDarwin(api, caches, now(), monotonicNow()),
    process: processDarwinTick,
    close: () => api.close(),
  });
}
