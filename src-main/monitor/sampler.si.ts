// Portable fallback collector on `systeminformation` (currentLoad, mem, networkStats, fsStats,
// disksIO, battery, processes) plus `pidusage` for per-tick process CPU and memory. Used where no
// native collector runs: platforms other than linux/win32/darwin, or when the koffi bindings fail
// to load.
//
// Measured on the Linux dev box (113 processes, CPU time per call incl. spawned children,
// calls 1.1 s apart): si.processes() 26 ms own + 138 ms in its `ps` child, 300 ms wall;
// pidusage(all pids) 9 ms (reads /proc/PID/stat, no child); a readFileSync loop over
// /proc/PID/{stat,statm} 11 ms. So the process *list* (names, users, command lines, start
// times) comes from si.processes() only every `processListRefreshMs` (default 5 s; one spawn, never
// one per process), and per-tick CPU and RSS come from pidusage's cumulative `ctime`, turned into
// rates here via rates.ts. pidusage is not used on win32, where it spawns wmic/PowerShell per call
// just like si.processes(); there the list is refreshed every tick and CPU is si's own value.
import os from 'node:os';
import type * as SiModule from 'systeminformation';
import { LINUX_ONLY_FIELDS, processingSampler, unsupportedFields } from './node-info';
import type { Battery, CoreSample, DiskIo, Memory, NetIo, ProcessSample, ProcessState, Sample, SystemInfo, Platform } from '../../src-shared/domain';
import { cpuPercentFromMs, ratePerSec } from './rates';
import type { Sampler } from './types';
import { errorMessage } from '../../src-shared/errors';
import { processKey } from '../../src-shared/identity';

/** The part of systeminformation this sampler calls; tests pass fakes typed against it. */
export type SiApi = Pick<typeof SiModule, 'currentLoad' | 'mem' | 'networkStats' | 'fsStats' | 'disksIO' | 'battery' | 'processes' | 'osInfo' | 'cpu'>;

/** pidusage's result for one pid (cpu %, memory bytes, ctime ms cumulative, elapsed ms). */
export interface PidusageStat {
  cpu: number;
  memory: number;
  ctime: number;
  elapsed: number;
  timestamp: number;
  pid: number;
  ppid: number;
}
/** pidusage over many pids; pids that vanished are missing or null in the result. */
export type PidusageFn = (pids: number[]) => Promise<Record<string, PidusageStat | null | undefined>>;

export interface SiSamplerDeps {
  si?: SiApi;
  /** null: do not use pidusage. Default: the real pidusage everywhere but win32. */
  pidusage?: PidusageFn | null;
  platform?: NodeJS.Platform;
  now?: () => number;
  monotonicNow?: () => number;
  /** How often to re-read the full process list with si.processes(). 0 = every tick. */
  processListRefreshMs?: number;
}

export const SI_UNAVAILABLE: readonly string[] = Object.freeze([
  ...unsupportedFields('exe', 'uid', 'swapBytes', 'privateBytes', 'handleCount', 'minorFaultsPerSec', 'majorFaultsPerSec', 'readBytesPerSec', 'writeBytesPerSec', 'readSyscallsPerSec', 'writeSyscallsPerSec', 'syscallsPerSec', 'ctxSwitchesPerSec', 'voluntaryCtxSwitchesPerSec', 'involuntaryCtxSwitchesPerSec', ...LINUX_ONLY_FIELDS),
]);

type SiProcess = SiModule.Systeminformation.ProcessesProcessData;

function platformOf(p: NodeJS.Platform): Platform {
  return p === 'linux' || p === 'win32' || p === 'darwin' ? p : 'other';
}

export function stateFromSi(state: string): ProcessState {
  switch (state) {
    case 'running':
      return 'running';
    case 'sleeping':
      return 'sleeping';
    case 'blocked':
      return 'disk-sleep';
    case 'stopped':
      return 'stopped';
    case 'zombie':
      return 'zombie';
    case 'idle':
      return 'idle';
    default:
      return 'unknown';
  }
}

/** si's `started` ("YYYY-MM-DD HH:MM:SS", local time) -> epoch ms; 0 when unparseable. */
export function startedToEpochMs(started: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(started);
  if (!m) return 0;
  const ms = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])).getTime();
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

const finite = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);
const clampNice = (n: number) => Math.max(-20, Math.min(19, Math.trunc(Number.isFinite(n) ? n : 0)));

/** How far si's second-resolution, elapsed-derived start time may move for the same process. */
export const START_TOLERANCE_MS = 2000;

/** Raw inputs of one tick, as read (systeminformation objects and pidusage stats). */
export interface SiRawTick {
  atMs: number;
  monotonicMs: number;
  list?: SiProcess[];
  usage?: Record<string, PidusageStat | null | undefined>;
  load?: SiModule.Systeminformation.CurrentLoadData;
  mem?: SiModule.Systeminformation.MemData;
  net?: SiModule.Systeminformation.NetworkStatsData[];
  fs?: SiModule.Systeminformation.FsStatsData;
  disks?: SiModule.Systeminformation.DisksIoData;
  battery?: SiModule.Systeminformation.BatteryData;
  loadAvg?: [number, number, number];
  uptimeSec?: number;
  errors: { source: string; message: string }[];
}

export interface SiState {
  monotonicMs: number;
  /** First start time seen per pid (si's `started` string jitters by a second between calls). */
  startByPid: Map<number, number>;
  ctimeByKey: Map<string, number>;
  net: Map<string, { rx: number; tx: number }>;
  fs?: { rx: number; wx: number };
  disks?: { rIO: number; wIO: number };
  list: SiProcess[];
  memory?: Memory;
}

/** Pure processing step for the si sampler. */
export function processSiTick(prev: SiState | undefined, raw: SiRawTick): { sample: Sample; state: SiState } {
  const intervalMs = prev ? Math.max(0, raw.monotonicMs - prev.monotonicMs) : 0;
  const list = raw.list ?? prev?.list ?? [];
  const ctimeByKey = new Map<string, number>();
  const startByPid = new Map<number, number>();
  const processes: ProcessSample[] = [];
  for (const p of list) {
    if (!Number.isInteger(p.pid) || p.pid <= 0) continue;
    // systeminformation derives `started` from elapsed time, so it moves by a second between
    // calls. Within START_TOLERANCE_MS of the start seen before, it is the same process; keep
    // the first value so identity (pid, startTime) stays stable.
    let startedAtMs = startedToEpochMs(p.started);
    const seenStart = prev?.startByPid.get(p.pid);
    if (seenStart !== undefined && Math.abs(startedAtMs - seenStart) <= START_TOLERANCE_MS) startedAtMs = seenStart;
    startByPid.set(p.pid, startedAtMs);
    const key = processKey({ pid: p.pid, startTime: startedAtMs });
    const usage = raw.usage ? raw.usage[String(p.pid)] : undefined;
    // With pidusage in use, a listed pid it could not read has exited since the list was taken.
    if (raw.usage && !usage) continue;
    const sample: ProcessSample = {
      pid: p.pid,
      ppid: Math.max(0, Math.trunc(p.parentPid) || 0),
      startTime: startedAtMs,
      startedAtMs,
      name: (p.name ?? '').slice(0, 1024),
      cmdline: [p.command, p.params].filter((s) => s).join(' ').slice(0, 16_384),
      user: (p.user ?? '').slice(0, 1024),
      state: stateFromSi(p.state),
      threads: 0,
      nice: clampNice(p.nice),
      priority: Number.isFinite(p.priority) ? Math.trunc(p.priority) : undefined,
      cpuPercent: 0,
      rssBytes: finite(p.memRss) * 1024,
      vmsBytes: finite(p.memVsz) * 1024,
      unavailable: [...SI_UNAVAILABLE, 'threads:unsupported'],
    };
    if (sample.priority === undefined) delete sample.priority;
    if (usage) {
      ctimeByKey.set(key, usage.ctime);
      sample.cpuPercent = cpuPercentFromMs(prev?.ctimeByKey.get(key), usage.ctime, intervalMs);
      sample.cpuTimeMs = finite(usage.ctime);
      sample.rssBytes = finite(usage.memory);
      sample.unavailable!.push('cpuUserPercent:unsupported', 'cpuSystemPercent:unsupported');
    } else {
      // si's own per-process CPU (from its previous call), split into user/system where it has it.
      sample.cpuPercent = finite(p.cpu);
      sample.cpuUserPercent = finite(p.cpuu);
      sample.cpuSystemPercent = finite(p.cpus);
      sample.unavailable!.push('cpuTimeMs:unsupported');
    }
    processes.push(sample);
  }

  const cores: CoreSample[] = (raw.load?.cpus ?? []).map((c, core) => ({
    core,
    cpuPercent: Math.min(100, finite(c.load)),
    userPercent: Math.min(100, finite(c.loadUser) + finite(c.loadNice)),
    systemPercent: Math.min(100, finite(c.loadSystem)),
  }));

  let memory: Memory = prev?.memory ?? { totalBytes: 0, availableBytes: 0, usedBytes: 0, swapTotalBytes: 0, swapUsedBytes: 0 };
  if (raw.mem) {
    const m = raw.mem;
    memory = {
      totalBytes: finite(m.total),
      availableBytes: finite(m.available),
      usedBytes: Math.max(0, finite(m.total) - finite(m.available)),
      freeBytes: finite(m.free),
      buffersBytes: finite(m.buffers),
      cachedBytes: finite(m.cached),
      swapTotalBytes: finite(m.swaptotal),
      swapUsedBytes: finite(m.swapused),
    };
  }

  const netState = new Map<string, { rx: number; tx: number }>();
  let net: NetIo[] | undefined;
  if (raw.net) {
    net = raw.net.slice(0, 1024).map((n) => {
      const last = prev?.net.get(n.iface);
      const cur = { rx: finite(n.rx_bytes), tx: finite(n.tx_bytes) };
      netState.set(n.iface, cur);
      return {
        iface: n.iface.slice(0, 1024),
        rxBytesPerSec: ratePerSec(last?.rx, cur.rx, intervalMs),
        txBytesPerSec: ratePerSec(last?.tx, cur.tx, intervalMs),
      };
    });
  }

  let disks: DiskIo[] | undefined;
  const fsCur = raw.fs ? { rx: finite(raw.fs.rx), wx: finite(raw.fs.wx) } : undefined;
  const diskCur = raw.disks ? { rIO: finite(raw.disks.rIO), wIO: finite(raw.disks.wIO) } : undefined;
  if (fsCur || diskCur) {
    // systeminformation only gives totals over all devices.
    const d: DiskIo = {
      device: 'all',
      readBytesPerSec: fsCur ? ratePerSec(prev?.fs?.rx, fsCur.rx, intervalMs) : 0,
      writeBytesPerSec: fsCur ? ratePerSec(prev?.fs?.wx, fsCur.wx, intervalMs) : 0,
    };
    if (diskCur) {
      d.readsPerSec = ratePerSec(prev?.disks?.rIO, diskCur.rIO, intervalMs);
      d.writesPerSec = ratePerSec(prev?.disks?.wIO, diskCur.wIO, intervalMs);
    }
    disks = [d];
  }

  let battery: Battery | undefined;
  if (raw.battery) {
    battery = { present: raw.battery.hasBattery };
    if (raw.battery.hasBattery) {
      battery.percent = Math.min(100, finite(raw.battery.percent));
      battery.charging = raw.battery.isCharging;
    }
    battery.acConnected = raw.battery.acConnected;
  }

  const sample: Sample = {
    at: raw.atMs,
    intervalMs,
    system: {
      cpuPercent: Math.min(100, finite(raw.load?.currentLoad)),
      cores,
      memory,
      processCount: processes.length,
    },
    processes,
  };
  if (raw.loadAvg) sample.system.loadAvg = raw.loadAvg;
  if (net) sample.system.net = net;
  if (disks) sample.system.disks = disks;
  if (battery) sample.system.battery = battery;
  if (raw.uptimeSec !== undefined) sample.system.uptimeSec = raw.uptimeSec;
  if (raw.errors.length > 0) sample.errors = raw.errors.slice(0, 64);
  return {
    sample,
    state: {
      monotonicMs: raw.monotonicMs,
      startByPid,
      ctimeByKey,
      net: raw.net ? netState : (prev?.net ?? new Map()),
      fs: fsCur ?? prev?.fs,
      disks: diskCur ?? prev?.disks,
      list,
      memory,
    },
  };
}


interface Resolved {
  si: SiApi;
  pidusage: PidusageFn | null;
  /** Releases pidusage's per-pid history (it keeps /proc/PID/stat descriptors open on Linux). */
  release?: () => void;
}

async function loadDefaults(platform: NodeJS.Platform): Promise<Resolved> {
  const siImported = (await import('systeminformation')) as typeof SiModule & { default?: typeof SiModule };
  const si = siImported.default ?? siImported;
  if (platform === 'win32') return { si, pidusage: null };
  const puImported = (await import('pidusage')) as { default?: unknown };
  const pu = (puImported.default ?? puImported) as ((pids: number[]) => Promise<Record<string, PidusageStat>>) & { clear?: () => void };
  return { si, pidusage: (pids) => pu(pids), release: () => pu.clear?.() };
}

export function createSiSampler(deps: SiSamplerDeps = {}): Sampler {
  const platform = deps.platform ?? process.platform;
  const now = deps.now ?? Date.now;
  const monotonicNow = deps.monotonicNow ?? (() => performance.now());
  let resolved: Promise<Resolved> | undefined;
  const apis = () =>
    (resolved ??=
      deps.si !== undefined
        ? Promise.resolve({ si: deps.si, pidusage: deps.pidusage ?? null })
        : loadDefaults(platform).then((d) => (deps.pidusage === undefined ? d : { si: d.si, pidusage: deps.pidusage })));
  let listAtMs = -Infinity;

  return processingSampler<SiRawTick, SiState>({
    name: 'systeminformation',
    async info(): Promise<SystemInfo> {
      const { si } = await apis();
      const [cpu, osInfo, mem] = await Promise.allSettled([si.cpu(), si.osInfo(), si.mem()]);
      const c = cpu.status === 'fulfilled' ? cpu.value : undefined;
      const o = osInfo.status === 'fulfilled' ? osInfo.value : undefined;
      const info: SystemInfo = {
        platform: platformOf(platform),
        hostname: (o?.hostname || os.hostname()).slice(0, 1024),
        osRelease: (o ? `${o.distro} ${o.release}`.trim() : os.release()).slice(0, 1024),
        cpuModel: (c ? `${c.manufacturer} ${c.brand}`.trim() : (os.cpus()[0]?.model ?? 'unknown')).slice(0, 1024) || 'unknown',
        logicalCores: Math.max(1, c?.cores || os.cpus().length),
        totalMemoryBytes: mem.status === 'fulfilled' ? mem.value.total : os.totalmem(),
        bootTimeMs: Math.max(0, now() - os.uptime() * 1000),
      };
      if (c && c.physicalCores > 0) info.physicalCores = c.physicalCores;
      return info;
    },
    async collect(state) {
      const { si, pidusage } = await apis();
      const monotonicMs = monotonicNow();
      const raw: SiRawTick = { atMs: now(), monotonicMs, errors: [] };
      const refreshMs = deps.processListRefreshMs ?? (pidusage ? 5000 : 0);
      const needList = !state || monotonicMs - listAtMs >= refreshMs;
      const [list, load, mem, net, fsStats, disks, battery] = await Promise.allSettled([
        needList ? si.processes() : Promise.resolve(undefined),
        si.currentLoad(),
        si.mem(),
        si.networkStats('*'),
        si.fsStats(),
        si.disksIO(),
        si.battery(),
      ]);
      const take = <T>(r: PromiseSettledResult<T>, source: string): T | undefined => {
        if (r.status === 'fulfilled') return r.value ?? undefined;
        raw.errors.push({ source, message: errorMessage(r.reason, 1024) });
        return undefined;
      };
      const listData = take(list, 'processes');
      if (listData) {
        raw.list = listData.list;
        listAtMs = monotonicMs;
      }
      raw.load = take(load, 'cpu');
      raw.mem = take(mem, 'memory');
      raw.net = take(net, 'net');
      raw.fs = take(fsStats, 'disks');
      raw.disks = take(disks, 'disks-io');
      raw.battery = take(battery, 'battery');
      if (pidusage) {
        const pids = (raw.list ?? state?.list ?? []).map((p) => p.pid).filter((pid) => Number.isInteger(pid) && pid > 0);
        if (pids.length > 0) {
          try {
            raw.usage = await pidusage(pids);
          } catch (e) {
            raw.errors.push({ source: 'pidusage', message: errorMessage(e, 1024) });
          }
        }
      }
      if (platform !== 'win32') raw.loadAvg = os.loadavg() as [number, number, number];
      return raw;
    },
    process: processSiTick,
    close() {
      void resolved?.then((r) => r.release?.()).catch(() => undefined);
    },
  });
}
