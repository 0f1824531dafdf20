// Processing step of the Linux collector: raw /proc counters (two snapshots) -> one Sample.
// Pure: no I/O, no clock. The sampler (sampler.linux.ts) fills RawSnapshot from /proc and /sys.
import type {
  Battery,
  CoreSample,
  DiskIo,
  Memory,
  NetIo,
  ProcessSample,
  Psi,
  Sample,
  SystemSample,
} from '../../src-shared/domain';
import { cpuPercentFromMs, ratePerSec } from './rates';
import {
  decodeIoprio,
  isKernelThread,
  schedPolicyFromNumber,
  stateFromChar,
  type CpuTimes,
  type DiskStat,
  type NetDevStat,
  type ProcIo,
  type ProcSchedstat,
  type ProcStat,
  type ProcStatSystem,
  type PsiRaw,
} from './procfs.linux';

/** Raw counters of one process at one tick. Optional parts were unreadable (see `unavailable`). */
export interface RawProcess extends ProcStat {
  cmdline: string;
  exe?: string;
  uid?: number;
  user: string;
  programId: string;
  schedstat?: ProcSchedstat;
  io?: ProcIo;
  swapKb?: number;
  voluntaryCtxSwitches?: number;
  involuntaryCtxSwitches?: number;
  affinity?: number[];
  /** Cpus_allowed_list text `affinity` was parsed from (lets the sampler reuse the array). */
  affinityList?: string;
  /** Raw ioprio_get value. */
  ioprio?: number;
  cgroup?: string;
  autogroup?: number;
  autogroupNice?: number;
  oomScoreAdj?: number;
  /** "<part>:<reason>", e.g. "io:permission", "exe:permission", "ioprio:unsupported". */
  unavailable: string[];
}

export interface RawSystem {
  procStat?: ProcStatSystem;
  meminfo?: Map<string, number>;
  vmstat?: Map<string, number>;
  disks?: DiskStat[];
  net?: NetDevStat[];
  psi?: { cpu?: PsiRaw; memory?: PsiRaw; io?: PsiRaw };
  loadAvg?: [number, number, number];
  uptimeSec?: number;
  /** Current frequency per logical core, MHz. */
  coreMhz?: Array<number | undefined>;
  battery?: Battery;
  temperaturesC?: Array<{ label: string; celsius: number }>;
}

export interface RawSnapshot {
  /** Epoch ms. */
  atMs: number;
  /** Monotonic ms (performance.now), for intervals. */
  monoMs: number;
  system: RawSystem;
  processes: RawProcess[];
  errors: Array<{ source: string; message: string }>;
}

export interface ProcessingContext {
  clockTicksPerSec: number;
  pageSizeBytes: number;
  /** Seconds since epoch of boot (btime). */
  bootTimeSec: number;
}

/**
 * Two raw records of one process hold the same values: every field equal, nested records
 * (schedstat, io) and lists (affinity, unavailable) compared one level down. A full read of an idle
 * process usually finds exactly what the last one did; the caller then keeps the last object.
 */
export function sameRaw(a: RawProcess, b: RawProcess): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let keys = 0;
  for (const k in x) {
    keys++;
    const u = x[k];
    const v = y[k];
    if (u === v) continue;
    if (typeof u !== 'object' || typeof v !== 'object' || u === null || v === null || !sameShallow(u, v)) return false;
  }
  for (const k in y) if (--keys < 0 || !(k in x)) return false;
  return keys === 0;
}

function sameShallow(u: object, v: object): boolean {
  if (Array.isArray(u) !== Array.isArray(v)) return false;
  const x = u as Record<string, unknown>;
  const y = v as Record<string, unknown>;
  let keys = 0;
  for (const k in x) {
    keys++;
    if (x[k] !== y[k]) return false;
  }
  for (const k in y) if (--keys < 0 || !(k in x)) return false;
  return keys === 0;
}

const ticksToMs = (ticks: number, ctx: ProcessingContext) => (ticks * 1000) / ctx.clockTicksPerSec;

function busyOf(t: CpuTimes): number {
  return t.user + t.nice + t.system + t.irq + t.softirq + t.steal;
}
function totalOf(t: CpuTimes): number {
  return busyOf(t) + t.idle + t.iowait;
}

/** CPU percentages (0..100 of the given CPU set) between two /proc/stat lines. */
export function cpuPercentsBetween(
  prev: CpuTimes | undefined,
  cur: CpuTimes,
): { cpuPercent: number; userPercent: number; systemPercent: number; iowaitPercent: number } {
  const zero = { cpuPercent: 0, userPercent: 0, systemPercent: 0, iowaitPercent: 0 };
  if (!prev) return zero;
  const dTotal = totalOf(cur) - totalOf(prev);
  if (dTotal <= 0) return zero;
  const pct = (a: number, b: number) => Math.min(100, Math.max(0, ((a - b) / dTotal) * 100));
  return {
    cpuPercent: pct(busyOf(cur), busyOf(prev)),
    userPercent: pct(cur.user + cur.nice, prev.user + prev.nice),
    systemPercent: pct(cur.system + cur.irq + cur.softirq, prev.system + prev.irq + prev.softirq),
    iowaitPercent: pct(cur.iowait, prev.iowait),
  };
}

function psiOf(raw: PsiRaw | undefined): Psi | undefined {
  if (!raw) return undefined;
  const psi: Psi = {
    someAvg10: raw.someAvg10,
    someAvg60: raw.someAvg60,
    someAvg300: raw.someAvg300,
    someTotalUs: raw.someTotalUs,
  };
  if (raw.full) {
    psi.fullAvg10 = raw.full.avg10;
    psi.fullAvg60 = raw.full.avg60;
    psi.fullAvg300 = raw.full.avg300;
    psi.fullTotalUs = raw.full.totalUs;
  }
  return psi;
}

/** System part of a sample. `system.cpuPercent` is 0..100 of the whole machine (all cores). */
export function buildSystemSample(
  prev: RawSnapshot | undefined,
  cur: RawSnapshot,
  intervalMs: number,
  ctx: ProcessingContext,
): SystemSample {
  const s = cur.system;
  const p = prev?.system;
  const cores: CoreSample[] = [];
  let cpuPercent = 0;
  if (s.procStat) {
    cpuPercent = cpuPercentsBetween(p?.procStat?.total, s.procStat.total).cpuPercent;
    s.procStat.cores.forEach((times, core) => {
      if (!times) return;
      const r = cpuPercentsBetween(p?.procStat?.cores[core], times);
      const c: CoreSample = { core, ...r };
      const mhz = s.coreMhz?.[core];
      if (mhz !== undefined && Number.isFinite(mhz) && mhz >= 0) c.frequencyMhz = mhz;
      cores.push(c);
    });
  }

  const mi = s.meminfo ?? new Map<string, number>();
  const totalBytes = mi.get('MemTotal') ?? 0;
  const freeBytes = mi.get('MemFree');
  const availableBytes = mi.get('MemAvailable') ?? freeBytes ?? 0;
  const swapTotalBytes = mi.get('SwapTotal') ?? 0;
  const memory: Memory = {
    totalBytes,
    availableBytes,
    usedBytes: Math.max(0, totalBytes - availableBytes),
    swapTotalBytes,
    swapUsedBytes: Math.max(0, swapTotalBytes - (mi.get('SwapFree') ?? swapTotalBytes)),
  };
  if (freeBytes !== undefined) memory.freeBytes = freeBytes;
  const opt = (key: string) => mi.get(key);
  if (opt('Buffers') !== undefined) memory.buffersBytes = opt('Buffers');
  if (opt('Cached') !== undefined) memory.cachedBytes = opt('Cached');
  if (opt('Shmem') !== undefined) memory.sharedBytes = opt('Shmem');
  if (opt('Dirty') !== undefined) memory.dirtyBytes = opt('Dirty');
  const swapIn = s.vmstat?.get('pswpin');
  const swapOut = s.vmstat?.get('pswpout');
  if (swapIn !== undefined) memory.swapInBytesPerSec = ratePerSec(p?.vmstat?.get('pswpin'), swapIn, intervalMs) * ctx.pageSizeBytes;
  if (swapOut !== undefined) memory.swapOutBytesPerSec = ratePerSec(p?.vmstat?.get('pswpout'), swapOut, intervalMs) * ctx.pageSizeBytes;

  let threadCount = 0;
  for (const proc of cur.processes) threadCount += proc.threads;

  const system: SystemSample = {
    cpuPercent,
    cores,
    memory,
    processCount: cur.processes.length,
    threadCount,
  };
  if (s.loadAvg) system.loadAvg = s.loadAvg;
  if (s.uptimeSec !== undefined) system.uptimeSec = s.uptimeSec;
  if (s.psi) {
    const psi: NonNullable<SystemSample['psi']> = {};
    const cpu = psiOf(s.psi.cpu);
    const mem = psiOf(s.psi.memory);
    const io = psiOf(s.psi.io);
    if (cpu) psi.cpu = cpu;
    if (mem) psi.memory = mem;
    if (io) psi.io = io;
    system.psi = psi;
  }
  if (s.procStat?.ctxt !== undefined) system.contextSwitchesPerSec = ratePerSec(p?.procStat?.ctxt, s.procStat.ctxt, intervalMs);
  if (s.procStat?.forks !== undefined) system.forksPerSec = ratePerSec(p?.procStat?.forks, s.procStat.forks, intervalMs);

  if (s.disks) {
    const prevDisks = new Map((p?.disks ?? []).map((d) => [d.device, d]));
    const disks: DiskIo[] = [];
    for (const d of s.disks) {
      const pd = prevDisks.get(d.device);
      disks.push({
        device: d.device,
        readBytesPerSec: ratePerSec(pd?.sectorsRead, d.sectorsRead, intervalMs) * 512,
        writeBytesPerSec: ratePerSec(pd?.sectorsWritten, d.sectorsWritten, intervalMs) * 512,
        readsPerSec: ratePerSec(pd?.reads, d.reads, intervalMs),
        writesPerSec: ratePerSec(pd?.writes, d.writes, intervalMs),
        busyPercent: Math.min(100, ratePerSec(pd?.ioTicksMs, d.ioTicksMs, intervalMs) / 10),
      });
    }
    system.disks = disks;
  }
  if (s.net) {
    const prevNet = new Map((p?.net ?? []).map((n) => [n.iface, n]));
    const net: NetIo[] = [];
    for (const n of s.net) {
      const pn = prevNet.get(n.iface);
      net.push({
        iface: n.iface,
        rxBytesPerSec: ratePerSec(pn?.rxBytes, n.rxBytes, intervalMs),
        txBytesPerSec: ratePerSec(pn?.txBytes, n.txBytes, intervalMs),
        rxPacketsPerSec: ratePerSec(pn?.rxPackets, n.rxPackets, intervalMs),
        txPacketsPerSec: ratePerSec(pn?.txPackets, n.txPackets, intervalMs),
      });
    }
    system.net = net;
  }
  if (s.battery) system.battery = s.battery;
  if (s.temperaturesC && s.temperaturesC.length > 0) system.temperaturesC = s.temperaturesC;
  return system;
}

/**
 * One process's sample. `prev` must be the same process (same pid AND startTime) or undefined;
 * without it every rate is 0 (the first sight of a process primes its counters).
 */
export function buildProcessSample(
  prev: RawProcess | undefined,
  cur: RawProcess,
  intervalMs: number,
  ctx: ProcessingContext,
): ProcessSample {
  const same = prev !== undefined && prev.pid === cur.pid && prev.startTime === cur.startTime ? prev : undefined;
  const userMs = ticksToMs(cur.utimeTicks, ctx);
  const sysMs = ticksToMs(cur.stimeTicks, ctx);
  const prevUserMs = same ? ticksToMs(same.utimeTicks, ctx) : undefined;
  const prevSysMs = same ? ticksToMs(same.stimeTicks, ctx) : undefined;
  const cpuUserPercent = cpuPercentFromMs(prevUserMs, userMs, intervalMs);
  const cpuSystemPercent = cpuPercentFromMs(prevSysMs, sysMs, intervalMs);
  const kernelThread = isKernelThread(cur);

  const out: ProcessSample = {
    pid: cur.pid,
    ppid: cur.ppid,
    startTime: cur.startTime,
    startedAtMs: Math.max(0, ctx.bootTimeSec * 1000 + ticksToMs(cur.startTime, ctx)),
    name: cur.comm,
    cmdline: cur.cmdline,
    user: cur.user,
    state: stateFromChar(cur.stateChar),
    threads: cur.threads,
    nice: Math.max(-20, Math.min(19, cur.nice)),
    priority: cur.priority,
    cpuPercent: cpuUserPercent + cpuSystemPercent,
    cpuUserPercent,
    cpuSystemPercent,
    cpuTimeMs: userMs + sysMs,
    childrenCpuPercent: same ? cpuPercentFromMs(ticksToMs(same.cutimeTicks + same.cstimeTicks, ctx), ticksToMs(cur.cutimeTicks + cur.cstimeTicks, ctx), intervalMs) : 0,
    rssBytes: Math.max(0, cur.rssPages) * ctx.pageSizeBytes,
    vmsBytes: cur.vsizeBytes,
    kernelThread,
    minorFaultsPerSec: ratePerSec(same?.minflt, cur.minflt, intervalMs),
    majorFaultsPerSec: ratePerSec(same?.majflt, cur.majflt, intervalMs),
    programId: cur.programId,
    rtPriority: Math.max(0, cur.rtPriority),
  };
  if (cur.exe !== undefined) out.exe = cur.exe;
  if (cur.uid !== undefined) out.uid = cur.uid;
  const policy = schedPolicyFromNumber(cur.policy);
  if (policy) out.schedPolicy = policy;
  if (cur.swapKb !== undefined) out.swapBytes = cur.swapKb * 1024;
  if (cur.io) {
    const pio = same?.io;
    out.readBytesPerSec = ratePerSec(pio?.readBytes, cur.io.readBytes, intervalMs);
    out.writeBytesPerSec = ratePerSec(pio?.writeBytes, cur.io.writeBytes, intervalMs);
    out.readSyscallsPerSec = ratePerSec(pio?.syscr, cur.io.syscr, intervalMs);
    out.writeSyscallsPerSec = ratePerSec(pio?.syscw, cur.io.syscw, intervalMs);
  }
  if (cur.voluntaryCtxSwitches !== undefined) {
    out.voluntaryCtxSwitchesPerSec = ratePerSec(same?.voluntaryCtxSwitches, cur.voluntaryCtxSwitches, intervalMs);
  }
  if (cur.involuntaryCtxSwitches !== undefined) {
    out.involuntaryCtxSwitchesPerSec = ratePerSec(same?.involuntaryCtxSwitches, cur.involuntaryCtxSwitches, intervalMs);
  }
  if (cur.schedstat) {
    // ns waited per second of wall time -> ms per second
    out.runQueueWaitMsPerSec = ratePerSec(same?.schedstat?.runDelayNs, cur.schedstat.runDelayNs, intervalMs) / 1e6;
  }
  if (cur.affinity) out.affinity = cur.affinity;
  if (cur.ioprio !== undefined) Object.assign(out, decodeIoprio(cur.ioprio, cur.nice));
  if (cur.cgroup !== undefined) out.cgroup = cur.cgroup;
  if (cur.autogroup !== undefined) out.autogroup = cur.autogroup;
  if (cur.autogroupNice !== undefined) out.autogroupNice = Math.max(-20, Math.min(19, cur.autogroupNice));
  if (cur.oomScoreAdj !== undefined) out.oomScoreAdj = Math.max(-1000, Math.min(1000, cur.oomScoreAdj));
  if (cur.unavailable.length > 0) out.unavailable = cur.unavailable.slice(0, 64);
  return out;
}

/**
 * The processing step: previous + current raw snapshot -> Sample.
 *
 * `unchanged` (optional, kept by the caller between ticks) makes an idle process cost nothing
 * downstream: when the collector hands over the very same raw record as last tick (it proved the
 * process did not run), the process's sample depends on nothing else (every rate is 0), so the
 * ProcessSample built for it the first time is handed out again, the identical object. Consumers
 * may then treat `p === previous p` as "nothing about this process changed".
 */
export function buildSample(
  prev: RawSnapshot | undefined,
  cur: RawSnapshot,
  ctx: ProcessingContext,
  unchanged?: WeakMap<RawProcess, ProcessSample>,
  /** `prev`'s processes by pid, when the caller keeps that map between ticks (saves building it). */
  prevByPidKept?: ReadonlyMap<number, RawProcess>,
): Sample {
  const intervalMs = prev ? Math.max(0, cur.monoMs - prev.monoMs) : 0;
  let prevByPid: ReadonlyMap<number, RawProcess>;
  if (!prev) prevByPid = new Map();
  else if (prevByPidKept) prevByPid = prevByPidKept;
  else {
    const m = new Map<number, RawProcess>();
    for (const p of prev.processes) m.set(p.pid, p);
    prevByPid = m;
  }
  const processes: ProcessSample[] = new Array(cur.processes.length);
  for (let i = 0; i < cur.processes.length; i++) {
    const p = cur.processes[i]!;
    const before = prevByPid.get(p.pid);
    if (unchanged && before === p) {
      let same = unchanged.get(p);
      if (!same) unchanged.set(p, (same = buildProcessSample(p, p, intervalMs, ctx)));
      processes[i] = same;
    } else processes[i] = buildProcessSample(before, p, intervalMs, ctx);
  }
  const sample: Sample = {
    at: cur.atMs,
    intervalMs,
    system: buildSystemSample(prev, cur, intervalMs, ctx),
    processes,
  };
  if (cur.errors.length > 0) sample.errors = cur.errors.slice(0, 64);
  return sample;
}
