// Linux collector: reads /proc and /sys directly (no shell commands, no per-tick library calls).
//
// Per process it keeps file descriptors open (stat, schedstat, io, status) and re-reads them from
// offset 0 (pread) into one reused Buffer each tick; the hot files are parsed from bytes without
// splitting them into strings. cmdline and exe are read once per process (again only if the process
// exec()s, seen as a changed comm), cgroup/autogroup/oom_score_adj once and then every
// `slowRefreshTicks` (staggered by pid). I/O priority comes from the ioprio_get syscall via koffi
// (~0.6 µs per call, so every tick). Identity is (pid, starttime): a pid whose starttime changed is
// a new process (its fds are closed and reopened); fds of processes that are gone are closed.
//
// What is read when (the cheapest correct way found; numbers from test/bench/collector.bench.ts):
// - every tick, every process: /proc/PID/schedstat (~2 µs; run-queue wait, and an exact "did it
//   run" signal: ns on CPU and timeslice count of the thread-group leader).
// - An idle single-threaded process (schedstat unchanged) is not read further: nothing that only
//   changes by running can have changed (CPU, faults, I/O, context switches, state, comm). Its
//   previous raw record is reused, so its rates are 0. Exceptions: its ppid changes when its parent
//   exits (re-read when the parent pid is gone), and values another process can change while it
//   sleeps (nice, policy, ioprio, affinity, cgroup, autogroup, oom_score_adj, RSS/VmSwap under
//   reclaim, uid) are refreshed every `slowRefreshTicks` (default 10, staggered by pid).
// - A process that ran, or has more than one thread (other threads run unseen by the leader's
//   schedstat): stat (CPU, faults, state, threads, nice, policy, RSS, VMS), io, ioprio every tick;
//   status (~13 µs, the costliest file: VmSwap, context switches, affinity, uid) when the leader
//   ran, because its context-switch counters are the leader's, or on the slow refresh.
// - Limits of the kernel interface: voluntary/involuntary context switches in /proc/PID/status and
//   run-queue wait in /proc/PID/schedstat are the thread-group LEADER's, not the sum over threads
//   (summing /proc/PID/task/*/ costs one read per thread). CPU, faults and I/O are whole-process.
//
// Fields that cannot be read are absent and named in `unavailable` as "<part>:<reason>"
// (e.g. "io:permission" for another user's process when not root, "exe:permission").
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ProcessSample, Sample, SystemInfo, Battery } from '../../src-shared/domain';
import type { Sampler } from './types';
import {
  isKernelThread,
  looksLikePartition,
  normalizeExe,
  parseAutogroup,
  parseCgroup,
  parseCmdline,
  parseCpuList,
  parseCpuinfo,
  parseDiskstats,
  parseIo,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parsePasswd,
  parsePressure,
  parseProcStat,
  parseSchedstat,
  parseStat,
  parseStatus,
  parseUptime,
  type ProcSchedstat,
  type ProcStat,
  type ProcStatSystem,
} from './procfs.linux';
import { buildSample, sameRaw, type ProcessingContext, type RawProcess, type RawSnapshot, type RawSystem } from './snapshot.linux';
import { programIdOf } from './programs';
import { clockTicksPerSec, ioprioGet, openFileLimit, pageSizeBytes } from './native.linux';
import { readLinuxSystemInfo } from './static-info';
import { errorMessage } from '../../src-shared/errors';

export interface LinuxSamplerOptions {
  /** Root of procfs (tests point this at a fixture tree). Default "/proc". */
  procRoot?: string;
  /** Root of sysfs. Default "/sys". */
  sysRoot?: string;
  /** passwd file for uid -> user. Default "/etc/passwd". */
  passwdPath?: string;
  /** Refresh period, in ticks, of values that change without the process running. Default 10. */
  slowRefreshTicks?: number;
  /** Upper bound of file descriptors held open; beyond it files are opened per read. */
  maxHeldFds?: number;
  /** Read I/O priority with ioprio_get (koffi). Default true (only meaningful on the real /proc). */
  readIoprio?: boolean;
  /**
   * A process seen idle this many ticks in a row is cold: it is looked at only every
   * `coldEveryTicks` ticks (staggered by pid), unless the machine's CPU time is not accounted for
   * by the processes read (then every cold process is read that tick). Default 5; 0 turns it off.
   * Default off on a fixture procfs (its /proc/stat does not add up).
   */
  coldAfterTicks?: number;
  /**
   * Default 30, three slow-refresh periods (the period of cgroup/autogroup/oom_score_adj reads): a
   * cold process is looked at only on a tick that is also its slow refresh (both staggered by pid the
   * same way), so it costs one full read every 30 ticks and nothing in between. Changes Allot made are
   * checked by the core every tick through the adapter, not through this refresh.
   */
  coldEveryTicks?: number;
}

/** fd states: >= 0 held open, NOT_HELD = open per read, UNAVAILABLE = cannot be read (reason kept). */
const NOT_HELD = -1;
const UNAVAILABLE = -2;

interface Tracked {
  pid: number;
  startTime: number;
  comm: string;
  dir: string;
  statFd: number;
  schedFd: number;
  ioFd: number;
  statusFd: number;
  ioReason?: string;
  /** Last raw record (carried values come from here). */
  last?: RawProcess;
  /** Consecutive ticks this process was seen not to run (the idle fast path). */
  idleTicks: number;
  argv: string[];
  cmdline: string;
  exe?: string;
  exeReason?: string;
  programId: string;
}

const GONE = -1;
const NONE: string[] = [];
const DENIED = -2;

function errCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

function reasonOf(err: unknown): string {
  const code = errCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  if (code === 'ENOENT' || code === 'ESRCH') return 'missing';
  return 'error';
}

export function createLinuxSampler(options: LinuxSamplerOptions = {}): Sampler {
  const procRoot = options.procRoot ?? '/proc';
  const sysRoot = options.sysRoot ?? '/sys';
  const passwdPath = options.passwdPath ?? '/etc/passwd';
  const slowRefreshTicks = Math.max(1, Math.floor(options.slowRefreshTicks ?? 10));
  const realProc = procRoot === '/proc';
  const readIoprio = options.readIoprio ?? realProc;
  const coldAfterTicks = Math.max(0, Math.floor(options.coldAfterTicks ?? (realProc ? 5 : 0)));
  const coldEveryTicks = Math.max(1, Math.floor(options.coldEveryTicks ?? slowRefreshTicks * 3));
  const limit = openFileLimit();
  const maxHeldFds = Math.max(0, Math.floor(options.maxHeldFds ?? Math.min(16384, limit !== undefined ? limit / 2 : 512)));

  const clk = clockTicksPerSec();
  const ctx: ProcessingContext = { clockTicksPerSec: clk, pageSizeBytes: pageSizeBytes(), bootTimeSec: 0 };

  let buf = Buffer.allocUnsafe(64 * 1024);
  const tracked = new Map<number, Tracked>();
  let heldFds = 0;
  let tick = 0;
  /** CPU clock ticks of the processes read this tick (for the cold-process check in collect()). */
  let accountedTicks = 0;
  /** The pid list of the last /proc listing, and what /proc/loadavg said then. */
  let listed: { key: string; pids: number[]; alive: Set<number> } | undefined;
  /** Each pid's raw record handed over last tick (what buildSample computes rates against), kept in place. */
  const lastByPid = new Map<number, RawProcess>();
  /** /proc/stat busy clock ticks (user + nice + system) at the last tick. */
  let lastBusyTicks: number | undefined;
  let prev: RawSnapshot | undefined;
  let closed = false;
  /** ProcessSamples of processes that did not change, by their (reused) raw record. */
  const unchanged = new WeakMap<RawProcess, ProcessSample>();

  // ---- users -------------------------------------------------------------------------------
  let users = new Map<number, string>();
  let usersReadAtMs = -Infinity;
  function userOf(uid: number | undefined): string {
    if (uid === undefined) return '?';
    let name = users.get(uid);
    if (name === undefined && performance.now() - usersReadAtMs > 60_000) {
      usersReadAtMs = performance.now();
      try {
        users = parsePasswd(readFileSync(passwdPath, 'utf8'));
      } catch {
        /* keep the old map */
      }
      name = users.get(uid);
    }
    return name ?? String(uid);
  }

  // ---- low-level reads ---------------------------------------------------------------------
  /** pread into the shared buffer from offset 0; returns length, GONE or DENIED. Grows the buffer. */
  function preadAll(fd: number): number {
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, total);
      total += n;
      if (n === 0 || total < buf.length) return total;
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, total);
      buf = bigger;
      if (buf.length > 8 * 1024 * 1024) return total;
    }
  }

  function readHeld(fd: number): number {
    try {
      return preadAll(fd);
    } catch (err) {
      return reasonOf(err) === 'permission' ? DENIED : GONE;
    }
  }

  function readPath(path: string): number {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      return reasonOf(err) === 'permission' ? DENIED : GONE;
    }
    try {
      return preadAll(fd);
    } catch (err) {
      return reasonOf(err) === 'permission' ? DENIED : GONE;
    } finally {
      closeSync(fd);
    }
  }

  function readText(path: string): string | undefined {
    const n = readPath(path);
    return n >= 0 ? buf.toString('utf8', 0, n) : undefined;
  }

  /** Open a per-process file to hold; NOT_HELD if over budget, UNAVAILABLE if it cannot be opened. */
  function openHeld(path: string): { fd: number; reason?: string } {
    if (heldFds >= maxHeldFds) {
      // Probe once so unavailability is still reported.
      try {
        closeSync(openSync(path, 'r'));
        return { fd: NOT_HELD };
      } catch (err) {
        return { fd: UNAVAILABLE, reason: reasonOf(err) };
      }
    }
    try {
      const fd = openSync(path, 'r');
      heldFds++;
      return { fd };
    } catch (err) {
      const code = errCode(err);
      if (code === 'EMFILE' || code === 'ENFILE') return { fd: NOT_HELD };
      return { fd: UNAVAILABLE, reason: reasonOf(err) };
    }
  }

  function closeFd(fd: number): void {
    if (fd < 0) return;
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    heldFds--;
  }

  function forget(t: Tracked): void {
    closeFd(t.statFd);
    closeFd(t.schedFd);
    closeFd(t.ioFd);
    closeFd(t.statusFd);
    tracked.delete(t.pid);
    lastByPid.delete(t.pid);
  }

  function readFile(fd: number, dir: string, file: string): number {
    if (fd >= 0) return readHeld(fd);
    if (fd === NOT_HELD) return readPath(`${dir}/${file}`);
    return GONE;
  }

  // ---- identity (once per process, again after exec) ----------------------------------------
  function readIdentity(t: Tracked, stat: ProcStat): void {
    const n = readPath(`${t.dir}/cmdline`);
    t.argv = n > 0 ? parseCmdline(buf, Math.min(n, 256 * 1024)) : [];
    let cmdline = t.argv.join(' ');
    if (cmdline.length > 16384) cmdline = cmdline.slice(0, 16384);
    t.cmdline = cmdline;
    t.exe = undefined;
    t.exeReason = undefined;
    if (!isKernelThread(stat)) {
      try {
        t.exe = normalizeExe(readlinkSync(`${t.dir}/exe`));
      } catch (err) {
        const reason = reasonOf(err);
        // A zombie or a process exiting has no exe: missing, not a privilege problem.
        t.exeReason = reason === 'permission' ? 'exe:permission' : undefined;
      }
    }
    t.programId = programIdOf({
      name: stat.comm,
      cmdline: t.cmdline,
      exe: t.exe,
      kernelThread: isKernelThread(stat),
      argv: t.argv,
    });
    t.comm = stat.comm;
  }

  function readSlowParts(t: Tracked, raw: RawProcess): void {
    const cg = readText(`${t.dir}/cgroup`);
    if (cg !== undefined) raw.cgroup = parseCgroup(cg);
    const ag = readText(`${t.dir}/autogroup`);
    const agp = ag !== undefined ? parseAutogroup(ag) : undefined;
    if (agp) {
      raw.autogroup = agp.autogroup;
      raw.autogroupNice = agp.nice;
    }
    const oom = readText(`${t.dir}/oom_score_adj`);
    if (oom !== undefined) {
      const v = Number(oom.trim());
      if (Number.isInteger(v)) raw.oomScoreAdj = v;
    }
  }

  // ---- one process --------------------------------------------------------------------------
  function sampleProcess(pid: number, alive: ReadonlySet<number>): RawProcess | undefined {
    let t = tracked.get(pid);
    let stat: ProcStat | undefined;
    let sched: ProcSchedstat | undefined;
    let schedDenied = false;
    if (t) {
      const last = t.last;
      const slowDue = (pid + tick) % slowRefreshTicks === 0;
      // Fast path for an idle single-threaded process: a successful read on the held schedstat fd
      // proves it is the same process (a held /proc/PID fd never follows a reused pid: it reads
      // ESRCH), and unchanged run time + timeslices prove it did not run, so nothing that only
      // changes by running (CPU, faults, I/O, context switches, state, RSS growth, comm) changed.
      // Its ppid changes only if its parent exits: re-read when the parent is gone.
      if (t.schedFd >= 0) {
        const sn = readHeld(t.schedFd);
        if (sn === GONE) {
          forget(t);
          t = undefined;
        } else if (sn > 0) {
          sched = parseSchedstat(buf, sn);
          if (
            last !== undefined &&
            !slowDue &&
            last.threads === 1 &&
            sched !== undefined &&
            last.schedstat !== undefined &&
            sched.runNs === last.schedstat.runNs &&
            sched.timeslices === last.schedstat.timeslices &&
            alive.has(last.ppid)
          ) {
            t.idleTicks++;
            return last; // the same object: every rate against it is 0
          }
        } else if (sn === DENIED) schedDenied = true;
      }
    }
    if (t) {
      const n = readFile(t.statFd, t.dir, 'stat');
      stat = n > 0 ? parseStat(buf, n) : undefined;
      if (!stat || stat.startTime !== t.startTime) {
        // Gone, or the pid was reused by a new process: start over with fresh fds.
        forget(t);
        t = undefined;
        sched = undefined;
      } else if (t.last) {
        const ranTicks = stat.utimeTicks + stat.stimeTicks - (t.last.utimeTicks + t.last.stimeTicks);
        // Children it reaped since the last read count too: the CPU of processes that lived less than
        // a tick (a build's compilers, a shell loop's commands) shows up only there, and without it
        // every tick of process churn looked like a cold process waking up (all of them re-read).
        // A long-lived child's whole lifetime lands at once, which can hide a cold process waking
        // in that same tick; it is read on its next tick that does not balance, or on its schedule.
        const reapedTicks = stat.cutimeTicks + stat.cstimeTicks - (t.last.cutimeTicks + t.last.cstimeTicks);
        accountedTicks += ranTicks + Math.max(0, reapedTicks);
        // Idle (cold-eligible) while its CPU time, faults and the leader's run time stay still; a
        // slow refresh of an idle process does not make it warm again.
        const still =
          ranTicks === 0 &&
          stat.minflt === t.last.minflt &&
          stat.majflt === t.last.majflt &&
          (sched === undefined || (sched.runNs === t.last.schedstat?.runNs && sched.timeslices === t.last.schedstat?.timeslices));
        t.idleTicks = still ? t.idleTicks + 1 : 0;
      }
    }
    let isNew = false;
    if (!t) {
      const dir = `${procRoot}/${pid}`;
      const statOpen = openHeld(`${dir}/stat`);
      if (statOpen.fd === UNAVAILABLE) return undefined; // vanished between readdir and open
      const n = readFile(statOpen.fd, dir, 'stat');
      stat = n > 0 ? parseStat(buf, n) : undefined;
      if (!stat) {
        closeFd(statOpen.fd);
        return undefined;
      }
      const schedOpen = openHeld(`${dir}/schedstat`);
      const io = openHeld(`${dir}/io`);
      const status = openHeld(`${dir}/status`);
      t = {
        pid,
        startTime: stat.startTime,
        comm: stat.comm,
        dir,
        statFd: statOpen.fd,
        schedFd: schedOpen.fd,
        ioFd: io.fd,
        statusFd: status.fd,
        ioReason: io.fd === UNAVAILABLE ? `io:${io.reason ?? 'missing'}` : undefined,
        argv: [],
        cmdline: '',
        programId: '',
        idleTicks: 0,
      };
      readIdentity(t, stat);
      tracked.set(pid, t);
      isNew = true;
      // A process first seen after start-up started within the last tick or so: its CPU is this tick's.
      if (tick > 1) accountedTicks += stat.utimeTicks + stat.stimeTicks + stat.cutimeTicks + stat.cstimeTicks;
    }
    if (!stat) return undefined;
    if (stat.comm !== t.comm) readIdentity(t, stat); // exec(): new program in the same process

    const last = t.last;
    // Extend the freshly parsed stat object in place (no copy); every process gets the same
    // property order, so V8 keeps one hidden class for all of them.
    const raw = stat as RawProcess;
    raw.cmdline = t.cmdline;
    raw.user = '?';
    raw.programId = t.programId;
    raw.unavailable = NONE;
    raw.exe = t.exe;
    const unavailable: string[] = [];
    if (t.exeReason) unavailable.push(t.exeReason);

    // schedstat: already read above for a known process; read now for a new or NOT_HELD one.
    if (sched === undefined && !schedDenied) {
      const sn = readFile(t.schedFd, t.dir, 'schedstat');
      if (sn > 0) sched = parseSchedstat(buf, sn);
      else if (sn === DENIED) schedDenied = true;
    }
    if (sched) raw.schedstat = sched;
    else if (schedDenied) unavailable.push('schedstat:permission');

    const slowDue = isNew || (pid + tick) % slowRefreshTicks === 0;
    // Did the thread-group leader run since the last tick? schedstat counts ns on CPU and
    // timeslices exactly (not in clock ticks), so "no change" means it did not run at all.
    const leaderRan =
      !last ||
      raw.schedstat === undefined ||
      raw.schedstat.runNs !== last.schedstat?.runNs ||
      raw.schedstat.timeslices !== last.schedstat?.timeslices;
    // Did any thread run? Exact for one thread; with more, other threads may run unseen by the
    // leader's schedstat, so io (whole-process counters) is read every tick for them.
    const anyRan =
      leaderRan ||
      stat.threads > 1 ||
      last.threads > 1 ||
      stat.utimeTicks !== last.utimeTicks ||
      stat.stimeTicks !== last.stimeTicks ||
      stat.minflt !== last.minflt ||
      stat.majflt !== last.majflt;

    // io
    if (t.ioFd === UNAVAILABLE) {
      unavailable.push(t.ioReason ?? 'io:missing');
    } else if (anyRan || slowDue) {
      const n = readFile(t.ioFd, t.dir, 'io');
      const io = n > 0 ? parseIo(buf, n) : undefined;
      if (io) raw.io = io;
      else if (n === DENIED) unavailable.push('io:permission');
    } else if (last?.io) raw.io = last.io;

    // status: its context-switch counters are the leader's, so the leader's schedstat is the exact
    // gate; uid, VmSwap and affinity can change without the leader running: slow refresh.
    if (leaderRan || slowDue || !last) {
      const n = readFile(t.statusFd, t.dir, 'status');
      if (n > 0) {
        const st = parseStatus(buf, n);
        raw.uid = st.uid;
        raw.swapKb = st.swapKb;
        raw.voluntaryCtxSwitches = st.voluntaryCtxSwitches;
        raw.involuntaryCtxSwitches = st.involuntaryCtxSwitches;
        if (st.cpusAllowedList !== undefined) {
          raw.affinity =
            last?.affinity && last.affinityList === st.cpusAllowedList ? last.affinity : parseCpuList(st.cpusAllowedList);
          raw.affinityList = st.cpusAllowedList;
        }
      } else if (n === DENIED) unavailable.push('status:permission');
    } else if (last) {
      raw.uid = last.uid;
      raw.swapKb = last.swapKb;
      raw.voluntaryCtxSwitches = last.voluntaryCtxSwitches;
      raw.involuntaryCtxSwitches = last.involuntaryCtxSwitches;
      raw.affinity = last.affinity;
      raw.affinityList = last.affinityList;
    }
    raw.user = userOf(raw.uid);

    // cgroup, autogroup, oom_score_adj: rarely changed, and each needs an open + read + close, so on
    // every third slow refresh (Allot reads back what it changes itself through the adapter).
    if (isNew || !last || (pid + tick) % (slowRefreshTicks * 3) === 0) readSlowParts(t, raw);
    else {
      raw.cgroup = last.cgroup;
      raw.autogroup = last.autogroup;
      raw.autogroupNice = last.autogroupNice;
      raw.oomScoreAdj = last.oomScoreAdj;
    }

    // I/O priority
    if (readIoprio) {
      const r = ioprioGet(pid);
      if (r.ok) raw.ioprio = r.value;
      else if (r.reason !== 'gone') unavailable.push(`ioprio:${r.reason}`);
    }

    if (unavailable.length > 0) raw.unavailable = unavailable;
    // A full read that found nothing new (a slow refresh of an idle process, an idle process with
    // several threads) hands over last tick's object: downstream, "the same object" means "did not
    // change", and everything worked out for it is reused.
    if (last !== undefined && sameRaw(raw, last)) return last;
    t.last = raw;
    return raw;
  }

  // ---- system -------------------------------------------------------------------------------
  const systemFds = new Map<string, number>();
  function readSystemFile(path: string): string | undefined {
    let fd = systemFds.get(path);
    if (fd === undefined) {
      try {
        fd = openSync(path, 'r');
      } catch {
        fd = -1;
      }
      systemFds.set(path, fd);
    }
    if (fd < 0) return undefined;
    try {
      const n = preadAll(fd);
      return buf.toString('latin1', 0, n);
    } catch {
      return undefined;
    }
  }

  let wholeDisks: Set<string> | undefined;
  function refreshWholeDisks(): void {
    try {
      wholeDisks = new Set(readdirSync(`${sysRoot}/block`));
    } catch {
      wholeDisks = undefined;
    }
  }

  let freqFiles: string[] | undefined;
  let cpuinfoMhz: Array<number | undefined> | undefined;
  let powerSupplies: Array<{ dir: string; type: string }> | undefined;
  let tempFiles: Array<{ path: string; label: string }> | undefined;

  function discoverSysfs(): void {
    freqFiles = [];
    try {
      for (const n of readdirSync(`${sysRoot}/devices/system/cpu`)) {
        if (!/^cpu\d+$/.test(n)) continue;
        const f = `${sysRoot}/devices/system/cpu/${n}/cpufreq/scaling_cur_freq`;
        try {
          closeSync(openSync(f, 'r'));
          freqFiles[Number(n.slice(3))] = f;
        } catch {
          /* no cpufreq for this cpu */
        }
      }
    } catch {
      /* no sysfs */
    }
    powerSupplies = [];
    try {
      for (const n of readdirSync(`${sysRoot}/class/power_supply`)) {
        const dir = `${sysRoot}/class/power_supply/${n}`;
        const type = readText(`${dir}/type`)?.trim() ?? '';
        powerSupplies.push({ dir, type });
      }
    } catch {
      /* none */
    }
    tempFiles = [];
    try {
      for (const h of readdirSync(`${sysRoot}/class/hwmon`)) {
        const dir = `${sysRoot}/class/hwmon/${h}`;
        const chip = readText(`${dir}/name`)?.trim() ?? h;
        for (const f of readdirSync(dir)) {
          const m = /^temp(\d+)_input$/.exec(f);
          if (!m) continue;
          const label = readText(`${dir}/temp${m[1]}_label`)?.trim();
          tempFiles.push({ path: `${dir}/${f}`, label: label ? `${chip} ${label}` : `${chip} temp${m[1]}` });
        }
      }
    } catch {
      /* no hwmon */
    }
    if (tempFiles.length === 0) {
      try {
        for (const z of readdirSync(`${sysRoot}/class/thermal`)) {
          if (!z.startsWith('thermal_zone')) continue;
          const dir = `${sysRoot}/class/thermal/${z}`;
          tempFiles.push({ path: `${dir}/temp`, label: readText(`${dir}/type`)?.trim() ?? z });
        }
      } catch {
        /* no thermal zones */
      }
    }
  }

  function readBattery(): Battery | undefined {
    if (!powerSupplies || powerSupplies.length === 0) return undefined;
    let present = false;
    let percent: number | undefined;
    let charging: boolean | undefined;
    let acConnected: boolean | undefined;
    for (const ps of powerSupplies) {
      if (ps.type === 'Battery') {
        const p = readText(`${ps.dir}/present`)?.trim();
        if (p === '0') continue;
        present = true;
        const cap = Number(readText(`${ps.dir}/capacity`)?.trim());
        if (Number.isFinite(cap)) percent = Math.max(0, Math.min(100, cap));
        const status = readText(`${ps.dir}/status`)?.trim();
        if (status) charging = status === 'Charging' || status === 'Full';
      } else if (ps.type === 'Mains' || ps.type === 'USB' || ps.type === 'USB_C' || ps.type === 'USB_PD') {
        const online = readText(`${ps.dir}/online`)?.trim();
        if (online !== undefined) acConnected = acConnected === true || online === '1';
      }
    }
    const b: Battery = { present };
    if (percent !== undefined) b.percent = percent;
    if (charging !== undefined) b.charging = charging;
    if (acConnected !== undefined) b.acConnected = acConnected;
    return b;
  }

  function sampleSystem(errors: RawSnapshot['errors'], procStat: ProcStatSystem | undefined, loadavgText: string | undefined): RawSystem {
    const sys: RawSystem = {};
    const guard = (source: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        errors.push({ source, message: err instanceof Error ? err.message.slice(0, 1000) : String(err).slice(0, 1000) });
      }
    };
    guard('proc/stat', () => {
      if (procStat === undefined) throw new Error('cannot read /proc/stat');
      sys.procStat = procStat;
      if (procStat.bootTimeSec !== undefined) ctx.bootTimeSec = procStat.bootTimeSec;
    });
    guard('meminfo', () => {
      const text = readSystemFile(`${procRoot}/meminfo`);
      if (text === undefined) throw new Error('cannot read /proc/meminfo');
      sys.meminfo = parseMeminfo(text);
    });
    guard('vmstat', () => {
      // Only two of ~180 lines are used: pick them instead of parsing the whole file.
      const text = readSystemFile(`${procRoot}/vmstat`);
      if (text === undefined) return;
      const vm = new Map<string, number>();
      for (const key of ['pswpin', 'pswpout']) {
        const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
        if (m) vm.set(key, Number(m[1]));
      }
      sys.vmstat = vm;
    });
    guard('diskstats', () => {
      const text = readSystemFile(`${procRoot}/diskstats`);
      if (text === undefined) return;
      const all = parseDiskstats(text);
      if (wholeDisks === undefined || all.some((d) => !wholeDisks!.has(d.device) && !looksLikePartition(d.device))) {
        refreshWholeDisks();
      }
      sys.disks = all.filter((d) => {
        const whole = wholeDisks !== undefined && wholeDisks.size > 0 ? wholeDisks.has(d.device) : !looksLikePartition(d.device);
        if (!whole) return false;
        const virtual = /^(loop|ram|zram)\d+$/.test(d.device);
        return !virtual || d.reads + d.writes > 0;
      });
    });
    guard('net/dev', () => {
      const text = readSystemFile(`${procRoot}/net/dev`);
      if (text === undefined) return;
      sys.net = parseNetDev(text).filter((n) => n.rxBytes + n.txBytes > 0);
    });
    guard('pressure', () => {
      const psi: NonNullable<RawSystem['psi']> = {};
      for (const kind of ['cpu', 'memory', 'io'] as const) {
        const text = readSystemFile(`${procRoot}/pressure/${kind}`);
        const p = text !== undefined ? parsePressure(text) : undefined;
        if (p) psi[kind] = p;
      }
      if (psi.cpu || psi.memory || psi.io) sys.psi = psi;
    });
    guard('loadavg', () => {
      if (loadavgText !== undefined) sys.loadAvg = parseLoadavg(loadavgText);
    });
    guard('uptime', () => {
      const text = readSystemFile(`${procRoot}/uptime`);
      if (text !== undefined) sys.uptimeSec = parseUptime(text);
    });
    guard('cpufreq', () => {
      if (freqFiles === undefined) discoverSysfs();
      const mhz: Array<number | undefined> = [];
      if (freqFiles && freqFiles.length > 0) {
        freqFiles.forEach((f, core) => {
          const khz = Number(readSystemFile(f)?.trim());
          if (Number.isFinite(khz) && khz > 0) mhz[core] = khz / 1000;
        });
      } else if (cpuinfoMhz === undefined || tick % slowRefreshTicks === 0) {
        // No cpufreq in sysfs: /proc/cpuinfo is large and costly to produce; read it on the slow refresh.
        const text = readSystemFile(`${procRoot}/cpuinfo`);
        if (text !== undefined) for (const c of parseCpuinfo(text)) if (c.mhz !== undefined) mhz[c.processor] = c.mhz;
        cpuinfoMhz = mhz;
      }
      sys.coreMhz = freqFiles && freqFiles.length > 0 ? mhz : cpuinfoMhz;
    });
    guard('power_supply', () => {
      const b = readBattery();
      if (b) sys.battery = b;
    });
    guard('temperatures', () => {
      if (!tempFiles || tempFiles.length === 0) return;
      const temps: Array<{ label: string; celsius: number }> = [];
      for (const t of tempFiles) {
        const milli = Number(readSystemFile(t.path)?.trim());
        if (Number.isFinite(milli)) temps.push({ label: t.label.slice(0, 128), celsius: milli / 1000 });
        if (temps.length >= 256) break;
      }
      sys.temperaturesC = temps;
    });
    return sys;
  }

  // ---- the tick -----------------------------------------------------------------------------
  /**
   * The pids in /proc. The listing (getdents over every pid) is skipped when /proc/loadavg shows
   * that no task was created (same last pid) and none ended (same number of tasks) since the last
   * one: then the set of processes is the same. Only on the real /proc (a fixture's loadavg is static).
   */
  function listPids(errors: RawSnapshot['errors'], loadavg: string | undefined): { pids: number[]; alive: ReadonlySet<number> } {
    let key: string | undefined;
    if (realProc) {
      const load = loadavg?.trim().split(/\s+/);
      if (load && load.length >= 5) key = `${load[3]!.slice(load[3]!.indexOf('/') + 1)} ${load[4]}`;
    }
    if (key !== undefined && listed?.key === key) return listed;
    let names: string[] = [];
    try {
      names = readdirSync(procRoot);
    } catch (err) {
      errors.push({ source: 'proc', message: `cannot list ${procRoot}: ${errCode(err) || String(err)}`.slice(0, 1000) });
    }
    const pids: number[] = [];
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 0x30 || c > 0x39) continue;
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      pids.push(pid);
    }
    const alive = new Set<number>(pids);
    alive.add(0); // the parent of pid 1 and 2
    listed = key !== undefined && names.length > 0 ? { key, pids, alive } : undefined;
    return { pids, alive };
  }

  function collect(): RawSnapshot {
    const monoMs = performance.now();
    const atMs = Date.now();
    const errors: RawSnapshot['errors'] = [];
    const processes: RawProcess[] = [];
    // /proc/stat and /proc/loadavg are read once per tick, before the processes: the listing and the
    // cold-process check use them, and so does the system part of the sample.
    const statText = readSystemFile(`${procRoot}/stat`);
    const procStat = statText !== undefined ? parseProcStat(statText) : undefined;
    const loadavgText = readSystemFile(`${procRoot}/loadavg`);
    const { pids, alive } = listPids(errors, loadavgText);
    /** Busy CPU clock ticks of the whole machine (user + nice + system). */
    const busy = coldAfterTicks > 0 && procStat ? procStat.total.user + procStat.total.nice + procStat.total.system : undefined;
    accountedTicks = 0;
    /** Cold processes not looked at in the first pass. */
    const deferred: Tracked[] = [];
    const visit = (pid: number): void => {
      try {
        const raw = sampleProcess(pid, alive);
        if (raw) processes.push(raw);
      } catch (err) {
        // A process vanishing mid-read lands in the silent paths above; anything else is reported
        // once per tick and never breaks the tick.
        if (errors.length < 8) {
          errors.push({ source: `process:${pid}`, message: errorMessage(err).slice(0, 1000) });
        }
      }
    };
    for (const pid of pids) {
      const t = tracked.get(pid);
      if (
        busy !== undefined &&
        t?.last !== undefined &&
        t.idleTicks >= coldAfterTicks &&
        (pid + tick) % coldEveryTicks !== 0 &&
        alive.has(t.last.ppid)
      ) {
        deferred.push(t);
        continue;
      }
      visit(pid);
    }
    if (deferred.length > 0) {
      // Cold processes may be skipped only when the CPU time the machine spent since the last tick
      // is accounted for by the processes read (within a few clock ticks: accounting granularity,
      // processes that ended). Otherwise something cold woke up: read them all.
      const spent = busy !== undefined && lastBusyTicks !== undefined ? busy - lastBusyTicks : Infinity;
      const slack = 3 + (clk * Math.max(1, os.availableParallelism()) * (prev ? Math.max(0, monoMs - prev.monoMs) : 1000)) / 100_000;
      if (spent - accountedTicks > slack) {
        for (const t of deferred) visit(t.pid);
      } else {
        for (const t of deferred) processes.push(t.last!);
      }
    }
    lastBusyTicks = busy;
    if (deferred.length > 0) processes.sort((a, b) => a.pid - b.pid);
    // Every process handed over is tracked; more tracked than handed over means some are gone.
    if (tracked.size !== processes.length) {
      const seen = new Set<number>();
      for (const raw of processes) seen.add(raw.pid);
      for (const t of [...tracked.values()]) if (!seen.has(t.pid)) forget(t);
    }
    const system = sampleSystem(errors, procStat, loadavgText);
    tick++;
    return { atMs, monoMs, system, processes, errors };
  }

  let infoCache: SystemInfo | undefined;

  // CPU time of the sampling thread itself, in ns, from /proc/thread-self/schedstat (exact, and only
  // this thread: process.cpuUsage() would also count the UI thread when sampling runs in a worker).
  // Opened on the first sample(), in the thread that samples; process.cpuUsage() if unavailable.
  let threadSchedFd: number | undefined;
  function threadCpuNs(): number | undefined {
    if (threadSchedFd === undefined) {
      try {
        threadSchedFd = openSync('/proc/thread-self/schedstat', 'r');
      } catch {
        threadSchedFd = -1;
      }
    }
    if (threadSchedFd < 0) return undefined;
    try {
      const n = preadAll(threadSchedFd);
      return parseSchedstat(buf, n)?.runNs;
    } catch {
      return undefined;
    }
  }

  return {
    name: 'linux-procfs',
    async info(): Promise<SystemInfo> {
      infoCache ??= readLinuxSystemInfo({ procRoot, sysRoot, clockTicksPerSec: clk });
      return infoCache;
    },
    async sample(): Promise<Sample> {
      if (closed) throw new Error('sampler is closed');
      const thread0 = threadCpuNs();
      const cpu0 = process.cpuUsage();
      const cur = collect();
      const sample = buildSample(prev, cur, ctx, unchanged, lastByPid);
      for (const raw of cur.processes) if (lastByPid.get(raw.pid) !== raw) lastByPid.set(raw.pid, raw);
      prev = cur;
      const thread1 = thread0 !== undefined ? threadCpuNs() : undefined;
      if (thread0 !== undefined && thread1 !== undefined && thread1 >= thread0) {
        sample.collectCpuMs = (thread1 - thread0) / 1e6;
      } else {
        const used = process.cpuUsage(cpu0);
        sample.collectCpuMs = (used.user + used.system) / 1000;
      }
      return sample;
    },
    close(): void {
      closed = true;
      for (const t of [...tracked.values()]) forget(t);
      for (const fd of systemFds.values()) if (fd >= 0) closeSync(fd);
      if (threadSchedFd !== undefined && threadSchedFd >= 0) closeSync(threadSchedFd);
      threadSchedFd = undefined;
      systemFds.clear();
      prev = undefined;
    },
  };
}
