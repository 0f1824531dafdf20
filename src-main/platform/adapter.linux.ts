// Linux adapter. OS APIs: setpriority/getpriority (node:os, on every thread in /proc/PID/task, each
// thread moved by the same step and put back to its own value, since Linux nice is per thread),
// /proc/PID/autogroup, sched_setaffinity/sched_getaffinity,
// ioprio_set/ioprio_get, sched_setattr (uclamp) and pidfd_open/pidfd_send_signal through koffi
// (native.linux.ts), cgroup v2 or v1 files (cgroup.linux.ts), /proc/PID/stat for identity and state.
//
// Decisions:
// - Autogroup. With sched_autogroup_enabled=1 the scheduler first shares CPU between sessions
//   (autogroups), and nice only ranks threads inside one session. setPriority always sets the
//   per-thread nice (exact, visible in top, inherited by children). When the target is ALONE in its
//   autogroup it also sets the autogroup's nice to the same value, so the change counts against
//   other sessions too. When the autogroup is shared it is left alone (its nice would move the whole
//   session, e.g. every program started from one terminal) and the result carries a note; cgroup
//   weight is then the lever that works across sessions. A caller can set `autogroupNice`
//   explicitly (restore does, with the value read before).
// - Efficiency mode is the per-thread utilization clamp (uclamp max = 512 of 1024): on schedutil it
//   keeps the CPU frequency low for the process and, on hybrid CPUs with EAS, steers it to efficient
//   cores, without lowering its share, which is what EcoQoS does on Windows. SCHED_IDLE is a priority,
//   not efficiency, and the engine already has priority. Kernels without CONFIG_UCLAMP_TASK report
//   `unsupported` with that reason.
// - Suspend/resume and terminate signal through the pidfd, never a bare pid.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { cpus as osCpus, getPriority, setPriority } from 'node:os';
import type { IoClass, ProcessIdentity } from '../../src-shared/domain';
import { MAX_THREAD_VALUES, type ActionResult, type Capabilities, type Capability, type Change, type Operation, type Reading, type ReadableOperation, type ReadResult, type Refusal, type ValueOf } from '../../src-shared/actions';
import { namedOperations, type ApplyOptions, type PlatformAdapter } from './types';
import { codeOf, errnoName, refused, refusalFromCode, refusalFromError } from './errors';
import { identityMatches, readStat, threadIds, withProcess, type ProcessHandle } from './identity.linux';
import {
  getAffinity,
  getUtilClampMax,
  ioprioGet,
  ioprioSet,
  isErrno,
  nativeAvailable,
  pidfdExited,
  pidfdSendSignal,
  setAffinity,
  setUtilClampMax,
  UCLAMP_MAX_NONE,
  type Errno,
} from './native.linux';
import {
  applyCgroupSetting,
  cgroupCapability,
  cgroupMoveIrreversible,
  cgroupPathOf,
  detectCgroups,
  groupName,
  readCgroupSetting,
  sweepEmptyGroups,
  type CgroupSetting,
  cpuGroupOverridingSession,
} from './cgroup.linux';
import { describeLinux } from './protect.linux';
import {
  currentRights,
  efficiencyIrreversible,
  effectiveCaps,
  ioPriorityIrreversible,
  mayChange,
  priorityIrreversible,
  priorityReversibility,
  sessionPriorityIrreversible,
  sessionPriorityReversibility,
} from './reversible.linux';
import { matches } from '../../src-shared/action-values';
import { guardAdapter, type GuardedAdapter } from './guard';
import type { ProtectionPolicy } from './protect';

/** uclamp max used for efficiency mode (of 1024). */
export const EFFICIENCY_UTIL_MAX = 512;

const SIGKILL = 9;
const SIGTERM = 15;
const SIGCONT = 18;
const SIGSTOP = 19;

export function autogroupEnabled(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** "/autogroup-4 nice 0" -> { id: 4, nice: 0 } */
export function readAutogroup(pid: number): { id: number; nice: number } | null {
  try {
    const match = /autogroup-(\d+)\s+nice\s+(-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return match ? { id: Number(match[1]), nice: Number(match[2]) } : null;
  } catch {
    return null;
  }
}

/** True when no other process shares this process's autogroup (scans /proc/PID/autogroup). */
export function aloneInAutogroup(pid: number, autogroupId: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const entry of entries) {
    const other = Number(entry);
    if (!Number.isInteger(other) || other === pid) continue;
    if (readAutogroup(other)?.id === autogroupId) return false;
  }
  return true;
}

/**
 * Write a session's autogroup nice. The file is opened first and `stillOurs` checked after: an open
 * /proc/PID file stays bound to the process it was opened on (a write after it exits fails with
 * ESRCH), so a pid reused meanwhile never receives the write. Without CAP_SYS_ADMIN the kernel
 * accepts one write per 100 ms (EAGAIN otherwise), so a write right after another waits that long once.
 */
export function writeAutogroup(pid: number, nice: number, stillOurs: () => boolean = () => true): void {
  const fd = openSync(`/proc/${pid}/autogroup`, 'r+');
  try {
    if (!stillOurs()) throw Object.assign(new Error('the process exited'), { code: 'ESRCH' });
    try {
      writeSync(fd, String(nice));
    } catch (error) {
      if (codeOf(error) !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 110);
      writeSync(fd, String(nice));
    }
  } finally {
    closeSync(fd);
  }
}

function onlineCpus(): Set<number> {
  try {
    const text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    const result = new Set<number>();
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || !Number.isInteger(a)) continue;
      for (let cpu = a; cpu <= (b ?? a); cpu++) result.add(cpu);
    }
    return result;
  } catch {
    return new Set(osCpus().map((_, index) => index));
  }
}

function uclampSupported(): boolean {
  return existsSync('/proc/sys/kernel/sched_util_clamp_max');
}

const CAP_KILL = 5n;
function hasCap(bit: bigint): boolean {
  return ((effectiveCaps() >> bit) & 1n) === 1n;
}

function errnoRefusal(result: Errno, op: Operation, raising = false): Refusal {
  return refusalFromCode(errnoName(result.errno), op, raising);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


// ---- reads ----

function readOp(handle: ProcessHandle, op: ReadableOperation): Reading | Refusal {
  const pid = handle.target.pid;
  switch (op) {
    case 'priority': {
      let nice: number;
      try {
        nice = getPriority(pid);
      } catch (error) {
        return refusalFromError(error, 'priority');
      }
      const group = autogroupEnabled() ? readAutogroup(pid) : null;
      const threads = threadsApart(pid, getPriority, (other) => other === nice);
      return { op, value: { nice, ...(group ? { autogroupNice: group.nice } : {}), ...(threads.length > 0 ? { threadNice: threads } : {}) } };
    }
    case 'sessionPriority': {
      if (!autogroupEnabled()) return unsupportedSession();
      const group = readAutogroup(pid);
      if (!group) return existsSync(`/proc/${pid}`) ? refused('unsupported', 'this kernel has no /proc/PID/autogroup (built without CONFIG_SCHED_AUTOGROUP)') : refused('gone', 'the process has exited');
      return { op, value: { nice: group.nice, autogroupId: group.id } };
    }
    case 'affinity': {
      const cpus = getAffinity(pid);
      if (isErrno(cpus)) return errnoRefusal(cpus, op);
      const threads = threadsApart(pid, getAffinity, (other) => sameCpus(other, cpus));
      return { op, value: { cpus, ...(threads.length > 0 ? { threadCpus: threads } : {}) } };
    }
    case 'ioPriority': {
      const io = ioprioGet(pid);
      if (isErrno(io)) return errnoRefusal(io, op);
      const threads = threadsApart(pid, ioprioGet, (other) => other.ioClass === io.ioClass && other.level === io.level);
      return { op, value: { ...io, ...(threads.length > 0 ? { threadIo: threads.map(([tid, t]): [number, IoClass, number] => [tid, t.ioClass, t.level]) } : {}) } };
    }
    case 'cpuWeight':
    case 'cpuCap':
    case 'memoryLimit': {
      const reading = readCgroup(pid, op);
      if ('kind' in reading) return reading;
      if (op === 'cpuWeight') return { op, value: { weight: reading.value === null ? null : Math.round(reading.value), cgroupPath: reading.cgroupPath } };
      if (op === 'cpuCap') return { op, value: { percentOfOneCore: reading.value, cgroupPath: reading.cgroupPath } };
      return { op, value: { softLimitBytes: reading.value === null ? null : Math.round(reading.value), cgroupPath: reading.cgroupPath } };
    }
    case 'efficiencyMode': {
      if (!uclampSupported()) return unsupportedEfficiency();
      const max = getUtilClampMax(pid);
      if (isErrno(max)) return max.errno === 38 || max.errno === 22 ? unsupportedEfficiency() : errnoRefusal(max, op);
      return { op, value: { enabled: max < UCLAMP_MAX_NONE } };
    }
    case 'suspend': {
      const stat = readStat(pid);
      if (!stat) return refused('gone', 'the process has exited');
      return { op, value: { suspended: stat.state === 'T' } };
    }
  }
}

function readCgroup(pid: number, setting: CgroupSetting): { value: number | null; cgroupPath: string } | Refusal {
  const detection = detectCgroups();
  const backend = detection.backends[setting === 'memoryLimit' ? 'memory' : 'cpu'];
  if (!backend) return refused('unsupported', detection.detail[setting === 'memoryLimit' ? 'memory' : 'cpu']);
  const reading = readCgroupSetting(backend, pid, setting);
  return reading ?? refused('gone', 'the process has exited');
}

function unsupportedSession(): Refusal {
  return refused('unsupported', 'sched_autogroup_enabled=0: the kernel does not share CPU by session here, so there is no session priority; nice and CPU weights rank processes directly');
}

function unsupportedEfficiency(): Refusal {
  return refused('unsupported', 'efficiency mode needs a kernel with utilization clamping (CONFIG_UCLAMP_TASK); lower its priority instead');
}

// ---- acts ----

/** Apply fn to every thread; the main thread's error decides; threads that exited meanwhile are skipped. */
/**
 * The threads of `pid` whose value (read by `read`) is not the main thread's, as [tid, value], at
 * most MAX_THREAD_VALUES; threads that exit or refuse meanwhile are skipped.
 */
function threadsApart<T>(pid: number, read: (tid: number) => T | Errno, same: (value: T) => boolean): [number, T][] {
  const differing: [number, T][] = [];
  for (const tid of threadIds(pid)) {
    if (tid === pid) continue;
    let value: T | Errno;
    try {
      value = read(tid);
    } catch {
      continue;
    }
    if (!isErrno(value) && !same(value)) differing.push([tid, value]);
    if (differing.length >= MAX_THREAD_VALUES) break;
  }
  return differing;
}

const sameCpus = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((cpu, i) => cpu === b[i]);

/**
 * The nice each thread gets for `change`, given the reading `before`. With per-thread values in the
 * change (a restore), exactly those, and the process's value for the rest. Without them, every
 * thread moves by the main thread's step, clamped to -20..19, so a program's own ranking of its
 * threads (a browser's compositor above its workers) survives the change.
 */
export function threadNiceFor(change: ValueOf<'priority'>, before: ValueOf<'priority'> | undefined, pid: number): (tid: number) => number {
  if (change.threadNice) {
    const exact = new Map(change.threadNice);
    return (tid) => exact.get(tid) ?? change.nice;
  }
  if (!before?.threadNice) return () => change.nice;
  const current = new Map(before.threadNice);
  const step = change.nice - before.nice;
  return (tid) => (tid === pid ? change.nice : Math.max(-20, Math.min(19, (current.get(tid) ?? before.nice) + step)));
}

/**
 * PID reuse (issue 11 §3). setpriority, sched_setaffinity, ioprio_set, sched_setattr and a
 * cgroup.procs write take a pid number; Linux has no pidfd form of them. A process that exits and
 * is reaped between Allot's identity check and such a call could hand its pid to a newcomer, which
 * would receive Allot's value. Narrowed as far as the kernel allows: the pidfd (held since before
 * the check) is polled right before EVERY pid-addressed call (a process that has not exited cannot
 * have been reaped, so its pid is still its own at that instant), each thread is checked to still be
 * in /proc/PID/task right before its call, the autogroup is written through a file opened while the
 * process was verified, and after acting the identity is verified again: if a newcomer took the pid
 * and has Allot's value, it is put back to what it inherited (undoOnNewcomer). What remains open:
 * the few microseconds between the poll and the syscall; and, for the newcomer, its "original" is
 * taken from its parent (what fork gave it), which is wrong only if it changed its own value in
 * that same instant.
 */
function stillOurs(handle: ProcessHandle): boolean {
  return handle.pidfd !== null ? !pidfdExited(handle.pidfd) : identityMatches(handle.target);
}

/** Test-only fault injection: runs inside the window between the last check and the main thread's pid-addressed call. */
let pidWindowHook: ((target: ProcessIdentity) => void) | null = null;
export function setPidWindowHookForTests(hook: ((target: ProcessIdentity) => void) | null): void {
  pidWindowHook = hook;
}

/** Apply fn to every thread, main thread first, each right after checking it is still ours. */
function eachThread(handle: ProcessHandle, fn: (tid: number) => void | Errno): Errno | { thrown: unknown } | null {
  const pid = handle.target.pid;
  for (const tid of [pid, ...threadIds(pid).filter((t) => t !== pid)]) {
    if (!stillOurs(handle)) return { errno: 3 };
    if (tid !== pid && !existsSync(`/proc/${pid}/task/${tid}`)) continue;
    if (tid === pid) pidWindowHook?.(handle.target);
    try {
      const result = fn(tid);
      if (isErrno(result) && (tid === pid || result.errno !== 3)) return result;
    } catch (error) {
      if (tid === pid || (error as { info?: { code?: string } }).info?.code !== 'ESRCH') return { thrown: error };
    }
  }
  return null;
}

/**
 * After a change found the process gone: if a newcomer now has its pid and got Allot's value inside
 * the window, give it back what it inherited from its parent (see the comment above stillOurs).
 * Returns a sentence for the result, or null when no newcomer was touched.
 */
function undoOnNewcomer(target: ProcessIdentity, change: Exclude<Change, { op: 'terminate' | 'suspend' }>): string | null {
  const stat = readStat(target.pid);
  if (!stat || stat.startTime === target.startTime) return null;
  const pid = target.pid;
  const ppid = stat.ppid;
  const put = (what: string, fn: () => unknown): string => {
    try {
      const r = fn();
      return isErrno(r) ? `a new process took pid ${pid} while Allot acted and received its ${what}; putting it back failed (errno ${r.errno})` : `a new process took pid ${pid} while Allot acted and received its ${what}; it was put back to what it inherited`;
    } catch (error) {
      return `a new process took pid ${pid} while Allot acted and received its ${what}; putting it back failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  switch (change.op) {
    case 'sessionPriority':
      // Written through a file opened on the verified process (writeAutogroup): a newcomer never receives it.
      return null;
    case 'priority': {
      let inherited = 0;
      try {
        inherited = getPriority(ppid);
      } catch {
        inherited = 0;
      }
      const hit = threadIds(pid).filter((tid) => {
        try {
          return getPriority(tid) === change.value.nice && inherited !== change.value.nice;
        } catch {
          return false;
        }
      });
      return hit.length === 0 ? null : put('nice', () => hit.forEach((tid) => setPriority(tid, inherited)));
    }
    case 'affinity': {
      const now = getAffinity(pid);
      const inherited = getAffinity(ppid);
      if (isErrno(now) || isErrno(inherited) || !sameCpus(now, [...new Set(change.value.cpus)].sort((a, b) => a - b)) || sameCpus(now, inherited)) return null;
      return put('CPU affinity', () => threadIds(pid).forEach((tid) => setAffinity(tid, inherited)));
    }
    case 'ioPriority': {
      const now = ioprioGet(pid);
      const inherited = ioprioGet(ppid);
      if (isErrno(now) || isErrno(inherited) || now.ioClass !== change.value.ioClass || (now.ioClass === inherited.ioClass && now.level === inherited.level)) return null;
      return put('I/O priority', () => threadIds(pid).forEach((tid) => ioprioSet(tid, inherited.ioClass, inherited.level)));
    }
    case 'efficiencyMode': {
      const now = getUtilClampMax(pid);
      if (!change.value.enabled || isErrno(now) || now !== EFFICIENCY_UTIL_MAX) return null;
      return put('efficiency mode', () => threadIds(pid).forEach((tid) => setUtilClampMax(tid, UCLAMP_MAX_NONE)));
    }
    case 'cpuWeight':
    case 'cpuCap':
    case 'memoryLimit': {
      const backend = detectCgroups().backends[change.op === 'memoryLimit' ? 'memory' : 'cpu'];
      const where = backend ? cgroupPathOf(pid, backend) : null;
      if (!backend || where === null || where.split('/').pop() !== groupName(target.pid, target.startTime)) return null;
      const home = cgroupPathOf(ppid, backend) ?? undefined;
      return put(`cgroup (${where})`, () => applyCgroupSetting(backend, pid, target.startTime, change.op, null, home));
    }
  }
}

function threadFailure(failure: Errno | { thrown: unknown }, op: Operation, raising: boolean): Refusal {
  return 'errno' in failure ? errnoRefusal(failure, op, raising) : refusalFromError(failure.thrown, op, raising);
}

function act(handle: ProcessHandle, change: Exclude<Change, { op: 'terminate' | 'suspend' }>, before: Reading): Refusal | { note?: string } {
  const pid = handle.target.pid;
  switch (change.op) {
    case 'priority': {
      const previous = before.op === 'priority' ? before.value : undefined;
      const raising = previous !== undefined && change.value.nice < previous.nice;
      const niceOf = threadNiceFor(change.value, previous, pid);
      const failure = eachThread(handle, (tid) => setPriority(tid, niceOf(tid)));
      if (failure) return threadFailure(failure, 'priority', raising);
      let note: string | undefined;
      const group = autogroupEnabled() ? readAutogroup(pid) : null;
      if (group) {
        const wanted = change.value.autogroupNice ?? (aloneInAutogroup(pid, group.id) ? change.value.nice : undefined);
        if (wanted === undefined) {
          note = 'nice ranks it only inside its session (autogroup shared with other processes); use a CPU weight to rank it against other sessions';
        } else if (wanted !== group.nice) {
          try {
            writeAutogroup(pid, wanted, () => stillOurs(handle));
          } catch (error) {
            return refusalFromError(error, 'priority', wanted < group.nice, 'session autogroup');
          }
        }
      }
      return note ? { note } : {};
    }
    case 'sessionPriority': {
      if (!autogroupEnabled()) return unsupportedSession();
      const previous = before.op === 'sessionPriority' ? before.value.nice : undefined;
      if (previous === change.value.nice) return {};
      // Never Allot's own session (whatever the sample said): lowering it would lower Allot and
      // everything started beside it.
      const own = readAutogroup(process.pid);
      const theirs = readAutogroup(pid);
      if (own && theirs && own.id === theirs.id) return refused('protected', 'it shares Allot\'s own session: lowering the session would lower Allot and everything started beside it');
      const group = cpuGroupOverridingSession(pid);
      if (group !== null) return refused('unsupported', `its session nice would have no effect: the process is scheduled by its CPU cgroup ${group}, not by its session`);
      try {
        // Through a file opened while the process is verified: a reused pid never receives it.
        writeAutogroup(pid, change.value.nice, () => stillOurs(handle));
      } catch (error) {
        return refusalFromError(error, 'sessionPriority', previous !== undefined && change.value.nice < previous, 'session autogroup');
      }
      return {};
    }
    case 'affinity': {
      const online = onlineCpus();
      const offline = change.value.cpus.filter((cpu) => !online.has(cpu));
      if (offline.length > 0) return refused('invalid', `CPU ${offline.join(', ')} is not online (online: ${[...online].join(', ')})`);
      // A restore puts threads pinned apart back to their own sets; a change sets every thread.
      const own = new Map(change.value.threadCpus ?? []);
      const failure = eachThread(handle, (tid) => {
        const r = setAffinity(tid, own.get(tid) ?? change.value.cpus);
        return isErrno(r) ? r : undefined;
      });
      return failure ? threadFailure(failure, 'affinity', false) : {};
    }
    case 'ioPriority': {
      const previous = before.op === 'ioPriority' ? before.value : undefined;
      const raising = change.value.ioClass === 'realtime' || (previous !== undefined && previous.ioClass === change.value.ioClass && change.value.level < previous.level);
      const own = new Map((change.value.threadIo ?? []).map(([tid, ioClass, level]) => [tid, { ioClass, level }]));
      const failure = eachThread(handle, (tid) => {
        const wanted = own.get(tid) ?? change.value;
        const r = ioprioSet(tid, wanted.ioClass, wanted.level);
        return isErrno(r) ? r : undefined;
      });
      if (!failure) return {};
      const refusal = threadFailure(failure, 'ioPriority', raising);
      return change.value.ioClass === 'realtime' && refusal.reason === 'permission'
        ? { ...refusal, message: 'the realtime I/O class needs root or CAP_SYS_ADMIN' }
        : refusal;
    }
    case 'cpuWeight':
    case 'cpuCap':
    case 'memoryLimit': {
      const detection = detectCgroups();
      const backend = detection.backends[change.op === 'memoryLimit' ? 'memory' : 'cpu'];
      if (!backend) return refused('unsupported', detection.detail[change.op === 'memoryLimit' ? 'memory' : 'cpu']);
      const value = change.op === 'cpuWeight' ? change.value.weight : change.op === 'cpuCap' ? change.value.percentOfOneCore : change.value.softLimitBytes;
      const failure = applyCgroupSetting(backend, pid, handle.target.startTime, change.op, value, change.value.cgroupPath, () => {
        const ours = stillOurs(handle);
        if (ours) pidWindowHook?.(handle.target);
        return ours;
      });
      return failure ?? {};
    }
    case 'efficiencyMode': {
      if (!uclampSupported()) return unsupportedEfficiency();
      const failure = eachThread(handle, (tid) => {
        const r = setUtilClampMax(tid, change.value.enabled ? EFFICIENCY_UTIL_MAX : UCLAMP_MAX_NONE);
        return isErrno(r) ? r : undefined;
      });
      return failure ? threadFailure(failure, 'efficiencyMode', !change.value.enabled) : {};
    }
  }
}

async function signalAndWait(handle: ProcessHandle, signal: number, done: () => boolean, waitMs: number): Promise<Refusal | 'done' | 'timeout'> {
  if (handle.pidfd !== null) {
    const r = pidfdSendSignal(handle.pidfd, signal);
    if (isErrno(r)) return errnoRefusal(r, signal === SIGSTOP || signal === SIGCONT ? 'suspend' : 'terminate');
  } else {
    // Kernel without pidfd (< 5.3): the identity was just checked; the window is the time to this call.
    if (!identityMatches(handle.target)) return refused('gone', 'the process has exited; nothing was changed');
    try {
      process.kill(handle.target.pid, signal);
    } catch (error) {
      return refusalFromError(error, signal === SIGSTOP || signal === SIGCONT ? 'suspend' : 'terminate');
    }
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (done()) return 'done';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(10);
  }
}

function exited(handle: ProcessHandle): boolean {
  if (handle.pidfd !== null) return pidfdExited(handle.pidfd);
  return !identityMatches(handle.target);
}

async function terminate(handle: ProcessHandle, graceMs: number): Promise<ActionResult> {
  const graceful = await signalAndWait(handle, SIGTERM, () => exited(handle), graceMs);
  if (typeof graceful === 'object') return graceful;
  if (graceful === 'done') return { kind: 'applied', note: 'ended after the graceful request (SIGTERM)' };
  const forced = await signalAndWait(handle, SIGKILL, () => exited(handle), 5000);
  if (typeof forced === 'object') return forced;
  if (forced === 'done') return { kind: 'applied', note: `did not end within ${graceMs} ms of SIGTERM; forced with SIGKILL` };
  return refused('ineffective', 'still running 5 s after SIGKILL (probably stuck in uninterruptible I/O)');
}

/**
 * Why Allot could not put `before` back after making `change` with the rights it has now, or null
 * (see reversible.linux.ts). Terminate is an end, not a change: a person's explicit request.
 */
export function irreversibleReason(handle: ProcessHandle, change: Exclude<Change, { op: 'terminate' }>, before: Reading): string | null {
  const pid = handle.target.pid;
  if (change.op !== 'cpuWeight' && change.op !== 'cpuCap' && change.op !== 'memoryLimit' && !mayChange(pid)) return null;
  switch (change.op) {
    case 'priority': {
      if (before.op !== 'priority') return null;
      const autogroupBelowZero = before.value.autogroupNice !== undefined && before.value.autogroupNice < 0;
      const wanted = autogroupBelowZero ? { ...change.value, autogroupNice: change.value.autogroupNice ?? change.value.nice } : change.value;
      return priorityIrreversible(pid, before.value, wanted, threadNiceFor(change.value, before.value, pid), threadIds(pid));
    }
    case 'sessionPriority':
      return before.op === 'sessionPriority' ? sessionPriorityIrreversible(before.value, change.value) : null;
    case 'ioPriority':
      return before.op === 'ioPriority' ? ioPriorityIrreversible(before.value) : null;
    case 'efficiencyMode':
      return before.op === 'efficiencyMode' ? efficiencyIrreversible(before.value, change.value) : null;
    case 'cpuWeight':
    case 'cpuCap':
    case 'memoryLimit': {
      const backend = detectCgroups().backends[change.op === 'memoryLimit' ? 'memory' : 'cpu'];
      return backend ? cgroupMoveIrreversible(backend, pid, handle.target.startTime) : null;
    }
    case 'affinity':
    case 'suspend':
      return null;
  }
}

async function applyLinux(target: ProcessIdentity, change: Change, options: ApplyOptions = {}): Promise<ActionResult> {
  return withProcess<ActionResult>(target, async (handle) => {
    if (change.op === 'terminate') return terminate(handle, change.value.graceMs);
    const before = readOp(handle, change.op);
    if ('kind' in before) return before;
    if (options.irreversible !== 'allow') {
      const why = irreversibleReason(handle, change, before);
      if (why !== null) return refused('irreversible', why, { before });
    }
    if (change.op === 'suspend') {
      const wanted = change.value.suspended;
      const r = await signalAndWait(handle, wanted ? SIGSTOP : SIGCONT, () => (readStat(target.pid)?.state === 'T') === wanted || exited(handle), 1000);
      if (typeof r === 'object') return { ...r, before };
    } else {
      const outcome = act(handle, change, before);
      if ('kind' in outcome) {
        const newcomer = outcome.reason === 'gone' || !handle.alive() ? undoOnNewcomer(target, change) : null;
        return newcomer ? refused('gone', `the process exited while the change was made; ${newcomer}`, { before }) : { ...outcome, before };
      }
      if (!handle.alive()) {
        const newcomer = undoOnNewcomer(target, change);
        return refused('gone', `the process exited while the change was made${newcomer ? `; ${newcomer}` : ''}`, { before });
      }
      const after = readOp(handle, change.op);
      if ('kind' in after) return { ...after, before };
      if (!matches(change, after)) {
        return refused('ineffective', `the system accepted the change but reads back ${JSON.stringify(after.value)}`, { before });
      }
      return { kind: 'applied', before, after, ...(outcome.note ? { note: outcome.note } : {}) };
    }
    if (!handle.alive()) return refused('gone', 'the process exited while the change was made', { before });
    const after = readOp(handle, change.op);
    if ('kind' in after) return { ...after, before };
    if (!matches(change, after)) return refused('ineffective', `signal sent but the process reads back ${JSON.stringify(after.value)}`, { before });
    return { kind: 'applied', before, after };
  });
}

function capability(supported: boolean, detail: string, limits?: string[]): Capability {
  return limits && limits.length > 0 ? { supported, detail, limits } : { supported, detail };
}

export function linuxCapabilities(): Capabilities {
  const rights = currentRights();
  const root = rights.root;
  const nice = rights.capSysNice;
  const admin = rights.capSysAdmin;
  const kill = root || hasCap(CAP_KILL);
  const native = nativeAvailable();
  const detection = detectCgroups();
  const notes: string[] = [];
  const autogroup = autogroupEnabled();
  if (autogroup) notes.push('sched_autogroup_enabled=1: nice ranks processes only inside one session; Allot also sets the autogroup nice when the target is alone in its session, and cgroup weights rank across sessions');
  const nativeDetail = native ? 'via koffi syscalls' : `koffi/libc or syscall numbers unavailable on ${process.arch}`;
  const others = kill ? [] : ["other users' processes need root or CAP_KILL"];
  const operations: Record<Operation, Capability> = {
    priority: capability(true, `setpriority on every thread${autogroup ? ' (+ /proc/PID/autogroup)' : ''}`, nice ? [] : ['raising priority needs root or CAP_SYS_NICE', "other users' processes need root or CAP_SYS_NICE"]),
    sessionPriority: autogroup
      ? capability(true, "the session's autogroup nice through /proc/PID/autogroup (lowers everything the session runs, and what it starts later)", [...(nice ? [] : ['a session nice below 0 needs root or CAP_SYS_NICE']), ...(root ? [] : ["other users' sessions need root"])])
      : capability(false, 'sched_autogroup_enabled=0: the kernel does not share CPU by session here; nice and CPU weights rank processes directly'),
    affinity: capability(native, `sched_setaffinity ${nativeDetail}`, nice ? [] : ["other users' processes need root or CAP_SYS_NICE"]),
    ioPriority: capability(native, `ioprio_set ${nativeDetail}`, [
      ...(admin ? [] : ['the realtime I/O class needs root or CAP_SYS_ADMIN']),
      ...(nice ? [] : ['raising I/O priority needs root or CAP_SYS_NICE']),
    ]),
    cpuWeight: cgroupCapability('cpuWeight', detection),
    cpuCap: cgroupCapability('cpuCap', detection),
    memoryLimit: cgroupCapability('memoryLimit', detection),
    efficiencyMode: uclampSupported()
      ? capability(native, `utilization clamp (uclamp max ${EFFICIENCY_UTIL_MAX}/1024) via sched_setattr`)
      : capability(false, 'kernel built without utilization clamping (CONFIG_UCLAMP_TASK); use priority or a CPU cap instead'),
    suspend: capability(true, `SIGSTOP/SIGCONT through ${native ? 'pidfd_send_signal' : 'kill(2)'}`, others),
    terminate: capability(true, `SIGTERM, then SIGKILL after the grace period, through ${native ? 'pidfd_send_signal' : 'kill(2)'}`, others),
  };
  const reversible = (detail: string): Pick<Capability, 'reversibility' | 'reversibilityDetail'> => ({ reversibility: 'reversible', reversibilityDetail: detail });
  Object.assign(operations.priority, priorityReversibility(rights));
  Object.assign(operations.sessionPriority, operations.sessionPriority.supported ? sessionPriorityReversibility(rights) : { reversibility: 'unavailable', reversibilityDetail: operations.sessionPriority.detail });
  Object.assign(operations.affinity, operations.affinity.supported ? reversible('an owner may always set the CPU set back') : {});
  Object.assign(operations.ioPriority, operations.ioPriority.supported ? { ...reversible('best-effort, idle and none can be set back without privileges (only a realtime original needs root)'), withService: 'as the system service (root): every I/O class, realtime included' } : {});
  for (const op of ['cpuWeight', 'cpuCap', 'memoryLimit'] as const) {
    const c = operations[op];
    Object.assign(c, c.supported
      ? { reversibility: 'reversible', reversibilityDetail: 'a group Allot creates in a writable (delegated) subtree can be set back and removed', withService: 'as the system service (root): every process, not only those in your delegated subtree' }
      : { reversibility: 'unavailable', reversibilityDetail: c.detail, withService: 'as the system service (root) where the kernel offers this controller' });
  }
  Object.assign(operations.efficiencyMode, operations.efficiencyMode.supported
    ? nice ? reversible('root/CAP_SYS_NICE: the clamp can be lifted again') : { reversibility: 'needs-helper', reversibilityDetail: 'an ordinary user cannot lift the utilization clamp again', withService: 'as the system service (root): reversible' }
    : { reversibility: 'unavailable', reversibilityDetail: operations.efficiencyMode.detail });
  Object.assign(operations.suspend, reversible('SIGCONT resumes what SIGSTOP suspended'));
  Object.assign(operations.terminate, { reversibility: 'unavailable', reversibilityDetail: 'ending a process cannot be undone; only a person does it' });
  const engineLevers = (['priority', 'sessionPriority', 'ioPriority', 'cpuWeight'] as const).filter((op) => operations[op].reversibility === 'reversible');
  const engineScope = engineLevers.length > 0
    ? `The engine acts with reversible levers only: ${engineLevers.join(', ')}.${engineLevers.includes('priority') ? '' : ` Not priority: ${operations.priority.reversibilityDetail ?? ''}`}`
    : `The engine only advises: no lever it uses can be put back with these rights (${operations.priority.reversibilityDetail ?? ''}; CPU weight: ${operations.cpuWeight.detail}). Running Allot as the system service would let it act.`;
  return { platform: 'linux', privileged: root, operations, notes, engineScope: engineScope.slice(0, 1024) };
}

/**
 * The Linux adapter, wrapped in the never-touch guard. This is what the composition root uses.
 * `policy.selfPids` should name Allot's own processes (at least process.pid).
 */
export function createLinuxAdapter(policy: ProtectionPolicy): GuardedAdapter {
  return guardAdapter(unguardedLinuxAdapter(), policy);
}

/** UNGUARDED: only for tests of the raw adapter and for wrapping in guardAdapter. */
export function unguardedLinuxAdapter(): PlatformAdapter {
  let caps: Capabilities | undefined;
  const core = {
    read: async (target: ProcessIdentity, op: ReadableOperation): Promise<ReadResult> =>
      withProcess<ReadResult>(target, (handle) => {
        const value = readOp(handle, op);
        return 'kind' in value ? value : { kind: 'value' as const, value };
      }),
    apply: (target: ProcessIdentity, change: Change, options?: ApplyOptions) => applyLinux(target, change, options),
  };
  return {
    platform: 'linux',
    capabilities: () => (caps ??= linuxCapabilities()),
    ...core,
    ...namedOperations(core),
    describe: async (target) => describeLinux(target),
    cleanup: async () => sweepEmptyGroups(),
  };
}
