// Windows adapter. OS APIs (through the Win32ActuationApi in bindings.win32.ts): OpenProcess with the
// least access each operation needs, GetProcessTimes on the held handle for identity,
// Get/SetPriorityClass, Get/SetProcessAffinityMask, NtQuery/NtSetInformationProcess(ProcessIoPriority),
// Get/SetProcessInformation(ProcessPowerThrottling) for EcoQoS, job objects with
// JOBOBJECT_CPU_RATE_CONTROL_INFORMATION (HARD_CAP) for CPU caps, Get/SetProcessWorkingSetSizeEx for
// the soft memory limit, NtSuspendProcess/NtResumeProcess, EnumWindows + PostMessage(WM_CLOSE) then
// TerminateProcess, and one NtQuerySystemInformation snapshot for the guard's facts and suspend state.
//
// Decisions:
// - Identity. The process is opened once per operation; the creation FILETIME read with
//   GetProcessTimes on that handle (as a JS number, exactly like the Windows sampler's startTime) must
//   equal target.startTime before acting, and the process must still be running (GetExitCodeProcess)
//   after. A handle names one process object for as long as it is open, so a reused pid cannot be hit.
// - Priority. nice maps to classes: >= 15 IDLE, 5..14 BELOW_NORMAL, -4..4 NORMAL, -9..-5 ABOVE_NORMAL,
//   <= -10 HIGH. REALTIME is never set (it can starve the input and disk threads of the system). Reads
//   report the class's canonical nice (19, 10, 0, -5, -10; REALTIME reads as -20), the same numbers the
//   Windows sampler shows; a change is effective when the class read back is the class asked for.
// - Affinity: processor group 0 only in this version (CPUs 0..63). A process whose threads span several
//   groups reads as unsupported (GetProcessAffinityMask returns 0 for it).
// - I/O priority has three usable levels: idle -> very low, best-effort 5..7 -> low, none and best-effort
//   0..4 -> normal; realtime -> high, which needs SeIncreaseBasePriorityPrivilege.
// - Efficiency mode is EcoQoS: PROCESS_POWER_THROTTLING_EXECUTION_SPEED in both masks; off hands the
//   decision back to the system (both masks 0). Task Manager also lowers the priority class; Allot
//   keeps priority a separate operation.
// - CPU cap: Allot creates one job object per process it caps, assigns the process (and so its future
//   children) and sets a hard CPU rate in 1/100 of a percent of the whole machine:
//   cpuRate = percentOfOneCore * 100 / logical CPUs. A process cannot leave a job, so restoring
//   "no cap" turns the job's rate control off; cleanup() closes job handles whose process exited or
//   whose limits are all off.
// - Memory limit. A job's JobMemoryLimit is hard: allocations beyond it fail and most programs then
//   crash, which breaks the contract of a soft limit ("reclaimed first under pressure, never killed for
//   it"). Allot instead sets the working-set maximum with QUOTA_LIMITS_HARDWS_MAX_DISABLE: the process
//   may grow past it while memory is plentiful, and the memory manager trims it back to it first when
//   memory runs short, which is exactly a soft limit. Windows keeps a meaningless default maximum on
//   every process, so the adapter remembers the values it replaced (per identity) and reports
//   softLimitBytes only for limits it set; "none" puts the remembered (else the Windows default)
//   values back.
// - cpuWeight is unsupported: a job's weight-based rate control only ranks jobs against each other and
//   cannot be combined with a hard cap; the priority class is the lever.
import type { ProcessIdentity } from '../../src-shared/domain';
import type { ActionResult, Capabilities, Capability, Change, Operation, Reading, ReadableOperation, ReadResult, Refusal, ValueOf } from '../../src-shared/actions';
import { niceFromPriorityClass, type Win32PriorityClass } from '../monitor/spi.win32';
import { namedOperations, type PlatformAdapter, type ProcessFacts } from './types';
import { describeAttempt, GONE_MESSAGE, refused, refusalFromCode, windowsErrorName } from './errors';
import { matches, settingMatches } from '../../src-shared/action-values';
import { guardAdapter, type GuardedAdapter } from './guard';
import type { ProtectionPolicy } from './protect';
import {
  ACCESS,
  IO_PRIORITY,
  JOB_OBJECT_CPU_RATE_CONTROL_ENABLE,
  JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP,
  PRIORITY_CLASS,
  PROCESS_POWER_THROTTLING_EXECUTION_SPEED,
  QUOTA_LIMITS,
  STILL_ACTIVE,
  WIN32_ERROR,
  WM_CLOSE,
  type Win32ActuationApi,
  type Win32Handle,
  type Win32ProcessEntry,
  type WorkingSetSize,
} from './bindings.win32';
import { processKey } from '../../src-shared/identity';

const Q = ACCESS.PROCESS_QUERY_LIMITED_INFORMATION;

/** Exit code TerminateProcess gives the process. */
export const TERMINATE_EXIT_CODE = 1;
/** Windows' default working-set limits (50 and 345 pages of 4 KiB, as GetProcessWorkingSetSizeEx reports for a process that never set them). */
export const DEFAULT_WORKING_SET: WorkingSetSize = {
  minimumBytes: 204_800,
  maximumBytes: 1_413_120,
  flags: QUOTA_LIMITS.HARDWS_MIN_DISABLE | QUOTA_LIMITS.HARDWS_MAX_DISABLE,
};

/** The least access each operation needs (always with QUERY_LIMITED for GetProcessTimes). */
export function accessFor(op: Operation): number {
  switch (op) {
    case 'priority':
    case 'affinity':
    case 'ioPriority':
    case 'efficiencyMode':
      return Q | ACCESS.PROCESS_SET_INFORMATION;
    case 'cpuCap':
      // AssignProcessToJobObject requires PROCESS_SET_QUOTA and PROCESS_TERMINATE.
      return Q | ACCESS.PROCESS_SET_QUOTA | ACCESS.PROCESS_TERMINATE;
    case 'memoryLimit':
      return Q | ACCESS.PROCESS_SET_QUOTA;
    case 'suspend':
      return Q | ACCESS.PROCESS_SUSPEND_RESUME;
    case 'terminate':
      return Q | ACCESS.PROCESS_TERMINATE | ACCESS.SYNCHRONIZE;
    case 'cpuWeight':
    case 'sessionPriority':
      return Q;
  }
}

const CLASS_NAMES: Record<number, Win32PriorityClass> = {
  [PRIORITY_CLASS.IDLE]: 'idle',
  [PRIORITY_CLASS.BELOW_NORMAL]: 'below-normal',
  [PRIORITY_CLASS.NORMAL]: 'normal',
  [PRIORITY_CLASS.ABOVE_NORMAL]: 'above-normal',
  [PRIORITY_CLASS.HIGH]: 'high',
  [PRIORITY_CLASS.REALTIME]: 'realtime',
};
const CLASS_RANK: Record<Win32PriorityClass, number> = { idle: 0, 'below-normal': 1, normal: 2, 'above-normal': 3, high: 4, realtime: 5 };

/** The priority class for a nice value; never REALTIME. */
export function priorityClassForNice(nice: number): number {
  if (nice >= 15) return PRIORITY_CLASS.IDLE;
  if (nice >= 5) return PRIORITY_CLASS.BELOW_NORMAL;
  if (nice > -5) return PRIORITY_CLASS.NORMAL;
  if (nice > -10) return PRIORITY_CLASS.ABOVE_NORMAL;
  return PRIORITY_CLASS.HIGH;
}

export function niceForPriorityClass(priorityClass: number): number | undefined {
  const name = CLASS_NAMES[priorityClass];
  return name === undefined ? undefined : niceFromPriorityClass(name);
}

export function ioHintFor(value: ValueOf<'ioPriority'>): number {
  switch (value.ioClass) {
    case 'idle':
      return IO_PRIORITY.VERY_LOW;
    case 'realtime':
      return IO_PRIORITY.HIGH;
    case 'best-effort':
      return value.level >= 5 ? IO_PRIORITY.LOW : IO_PRIORITY.NORMAL;
    case 'none':
      return IO_PRIORITY.NORMAL;
  }
}

export function ioValueForHint(hint: number): ValueOf<'ioPriority'> {
  if (hint <= IO_PRIORITY.VERY_LOW) return { ioClass: 'idle', level: 7 };
  if (hint === IO_PRIORITY.LOW) return { ioClass: 'best-effort', level: 7 };
  if (hint === IO_PRIORITY.NORMAL) return { ioClass: 'none', level: 4 };
  return { ioClass: 'realtime', level: hint >= IO_PRIORITY.CRITICAL ? 0 : 4 };
}

/** Hard CPU rate (1/100 % of the machine) for a cap in percent of one core. */
export function cpuRateFor(percentOfOneCore: number, logicalCpus: number): number {
  return Math.min(10_000, Math.max(1, Math.round((percentOfOneCore * 100) / logicalCpus)));
}
export function percentOfOneCoreFor(cpuRate: number, logicalCpus: number): number {
  return (cpuRate * logicalCpus) / 100;
}

export function maskFromCpus(cpus: readonly number[]): bigint {
  let mask = 0n;
  for (const cpu of cpus) mask |= 1n << BigInt(cpu);
  return mask;
}
export function cpusFromMask(mask: bigint): number[] {
  const cpus: number[] = [];
  for (let cpu = 0; cpu < 64; cpu++) if ((mask >> BigInt(cpu)) & 1n) cpus.push(cpu);
  return cpus;
}

/** The identity start value, computed exactly as the Windows sampler does. */
export function startTimeFromFileTime(fileTime: bigint): number {
  return Math.max(0, Number(fileTime));
}

/** Win32 error -> refusal with Windows wording. */
export function win32Refusal(error: number, op: Operation, raising = false): Refusal {
  if (error === WIN32_ERROR.PRIVILEGE_NOT_HELD) {
    return refused('permission', `needs administrator rights (a privilege this account does not hold) to ${describeAttempt(op, raising)}`, { code: 'ERROR_PRIVILEGE_NOT_HELD' });
  }
  return refusalFromCode(windowsErrorName(error), op, raising, undefined, 'win32');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Held {
  readonly target: ProcessIdentity;
  readonly handle: Win32Handle;
  /** Still running (GetExitCodeProcess says STILL_ACTIVE on the held handle). */
  alive(): boolean;
}

interface JobEntry {
  target: ProcessIdentity;
  job: Win32Handle;
  /** QUERY_LIMITED | SYNCHRONIZE handle, to notice the process exiting. */
  process: Win32Handle;
}

export interface Win32AdapterOptions {
  /** Poll interval while waiting for a suspend to show or a process to exit, ms. */
  pollMs?: number;
}

/** UNGUARDED: only for tests and for wrapping in guardAdapter. */
export function unguardedWin32Adapter(api: Win32ActuationApi, options: Win32AdapterOptions = {}): PlatformAdapter {
  const pollMs = options.pollMs ?? 20;
  const jobs = new Map<string, JobEntry>();
  const workingSetOriginals = new Map<string, WorkingSetSize>();
  const workingSetLimits = new Map<string, number>();
  const keyOf = (t: ProcessIdentity): string => processKey(t);
  let logicalCpus: number | undefined;
  const cpuCount = (): number => (logicalCpus ??= Math.max(1, api.logicalProcessorCount()));

  function open(target: ProcessIdentity, access: number, op: Operation): Held | Refusal {
    const opened = api.openProcess(target.pid, access);
    if (!opened.ok) {
      // OpenProcess reports a pid that names no process as ERROR_INVALID_PARAMETER.
      if (opened.error === WIN32_ERROR.INVALID_PARAMETER) return refused('gone', GONE_MESSAGE, { code: 'ERROR_INVALID_PARAMETER' });
      return win32Refusal(opened.error, op);
    }
    const handle = opened.value;
    const alive = (): boolean => {
      const code = api.exitCode(handle);
      return code.ok && code.value === STILL_ACTIVE;
    };
    const created = api.processCreationTime(handle);
    if (!created.ok || startTimeFromFileTime(created.value) !== target.startTime || !alive()) {
      api.closeHandle(handle);
      return refused('gone', GONE_MESSAGE);
    }
    return { target, handle, alive };
  }

  async function withProcess<T extends ActionResult | ReadResult>(target: ProcessIdentity, access: number, op: Operation, fn: (held: Held) => T | Promise<T>): Promise<T | Refusal> {
    const held = open(target, access, op);
    if ('kind' in held) return held;
    try {
      return await fn(held);
    } finally {
      api.closeHandle(held.handle);
    }
  }

  function snapshotEntry(pid: number): Win32ProcessEntry | null | 'error' {
    const list = api.processes();
    if (!list.ok) return 'error';
    return list.value.find((p) => p.pid === pid) ?? null;
  }

  function readOp(held: Held, op: ReadableOperation): Reading | Refusal {
    const h = held.handle;
    switch (op) {
      case 'priority': {
        const cls = api.getPriorityClass(h);
        if (!cls.ok) return win32Refusal(cls.error, op);
        const nice = niceForPriorityClass(cls.value);
        return nice === undefined ? refused('failed', `unknown priority class 0x${cls.value.toString(16)}`) : { op, value: { nice } };
      }
      case 'affinity': {
        const masks = api.getProcessAffinityMask(h);
        if (!masks.ok) return win32Refusal(masks.error, op);
        if (masks.value.processMask === 0n) {
          return refused('unsupported', 'the process runs on several processor groups; Allot handles processor group 0 only in this version');
        }
        return { op, value: { cpus: cpusFromMask(masks.value.processMask) } };
      }
      case 'ioPriority': {
        const hint = api.getIoPriority(h);
        return hint.ok ? { op, value: ioValueForHint(hint.value) } : win32Refusal(hint.error, op);
      }
      case 'efficiencyMode': {
        const state = api.getPowerThrottling(h);
        if (!state.ok) {
          if (state.error === WIN32_ERROR.INVALID_PARAMETER || state.error === WIN32_ERROR.NOT_SUPPORTED) {
            return refused('unsupported', 'this Windows version cannot report power throttling (EcoQoS needs Windows 11 or Windows 10 21H2 and later)');
          }
          return win32Refusal(state.error, op);
        }
        const es = PROCESS_POWER_THROTTLING_EXECUTION_SPEED;
        return { op, value: { enabled: (state.value.controlMask & es) !== 0 && (state.value.stateMask & es) !== 0 } };
      }
      case 'cpuCap': {
        const entry = jobs.get(keyOf(held.target));
        if (!entry) return { op, value: { percentOfOneCore: null } };
        const rate = api.getJobCpuRate(entry.job);
        if (!rate.ok) return win32Refusal(rate.error, op);
        const capped = (rate.value.controlFlags & JOB_OBJECT_CPU_RATE_CONTROL_ENABLE) !== 0 && (rate.value.controlFlags & JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP) !== 0;
        return { op, value: { percentOfOneCore: capped ? percentOfOneCoreFor(rate.value.cpuRate, cpuCount()) : null } };
      }
      case 'memoryLimit': {
        const size = api.getWorkingSetSize(h);
        if (!size.ok) return win32Refusal(size.error, op);
        const ours = workingSetLimits.get(keyOf(held.target));
        return { op, value: { softLimitBytes: ours !== undefined && size.value.maximumBytes === ours ? ours : null } };
      }
      case 'cpuWeight':
        return unsupportedWeight();
      case 'sessionPriority':
        return unsupportedSession();
      case 'suspend': {
        const entry = snapshotEntry(held.target.pid);
        if (entry === 'error') return refused('failed', 'could not read the thread states (NtQuerySystemInformation failed)');
        if (entry === null) return refused('gone', GONE_MESSAGE);
        return { op, value: { suspended: entry.threadCount > 0 && entry.suspendedThreads === entry.threadCount } };
      }
    }
  }

  function act(held: Held, change: Exclude<Change, { op: 'terminate' | 'suspend' }>, before: Reading): Refusal | { note?: string } {
    const h = held.handle;
    switch (change.op) {
      case 'priority': {
        const cls = priorityClassForNice(change.value.nice);
        const raising = before.op === 'priority' && change.value.nice < before.value.nice;
        const r = api.setPriorityClass(h, cls);
        return r.ok ? {} : win32Refusal(r.error, 'priority', raising);
      }
      case 'affinity': {
        const outside = change.value.cpus.filter((cpu) => cpu >= 64);
        if (outside.length > 0) return refused('invalid', `CPU ${outside.join(', ')} is outside processor group 0; Allot sets affinity within group 0 (CPUs 0-63) only in this version`);
        const masks = api.getProcessAffinityMask(h);
        if (!masks.ok) return win32Refusal(masks.error, 'affinity');
        const mask = maskFromCpus(change.value.cpus);
        const missing = cpusFromMask(mask & ~masks.value.systemMask);
        if (missing.length > 0) return refused('invalid', `CPU ${missing.join(', ')} is not available to this process (system: ${cpusFromMask(masks.value.systemMask).join(', ')})`);
        const r = api.setProcessAffinityMask(h, mask);
        return r.ok ? {} : win32Refusal(r.error, 'affinity');
      }
      case 'ioPriority': {
        const hint = ioHintFor(change.value);
        const raising = before.op === 'ioPriority' && hint > ioHintFor(before.value);
        const r = api.setIoPriority(h, hint);
        if (r.ok) return {};
        if (hint >= IO_PRIORITY.HIGH && (r.error === WIN32_ERROR.PRIVILEGE_NOT_HELD || r.error === WIN32_ERROR.ACCESS_DENIED)) {
          return refused('permission', 'high I/O priority needs administrator rights (SeIncreaseBasePriorityPrivilege)', { code: windowsErrorName(r.error) });
        }
        return win32Refusal(r.error, 'ioPriority', raising);
      }
      case 'efficiencyMode': {
        const es = PROCESS_POWER_THROTTLING_EXECUTION_SPEED;
        const r = api.setPowerThrottling(h, change.value.enabled ? { controlMask: es, stateMask: es } : { controlMask: 0, stateMask: 0 });
        return r.ok ? {} : win32Refusal(r.error, 'efficiencyMode', !change.value.enabled);
      }
      case 'cpuCap':
        return applyCpuCap(held, change.value.percentOfOneCore);
      case 'memoryLimit':
        return applyMemoryLimit(held, change.value.softLimitBytes);
      case 'cpuWeight':
        return unsupportedWeight();
      case 'sessionPriority':
        return unsupportedSession();
    }
  }

  function applyCpuCap(held: Held, percentOfOneCore: number | null): Refusal | { note?: string } {
    const key = keyOf(held.target);
    let entry = jobs.get(key);
    if (percentOfOneCore === null) {
      if (!entry) return {};
      const r = api.setJobCpuRate(entry.job, { controlFlags: 0, cpuRate: 0 });
      return r.ok ? { note: 'the process stays in its job object (a process cannot leave one); the job now has no CPU limit' } : win32Refusal(r.error, 'cpuCap');
    }
    const cores = cpuCount();
    if (percentOfOneCore > cores * 100) return refused('invalid', `a cap of ${percentOfOneCore}% of one core is more than this machine has (${cores} logical CPUs)`);
    if (!entry) {
      const watch = api.openProcess(held.target.pid, Q | ACCESS.SYNCHRONIZE);
      if (!watch.ok) return win32Refusal(watch.error, 'cpuCap');
      const job = api.createJobObject();
      if (!job.ok) {
        api.closeHandle(watch.value);
        return win32Refusal(job.error, 'cpuCap');
      }
      const assigned = api.assignProcessToJobObject(job.value, held.handle);
      if (!assigned.ok) {
        api.closeHandle(job.value);
        api.closeHandle(watch.value);
        return win32Refusal(assigned.error, 'cpuCap');
      }
      entry = { target: held.target, job: job.value, process: watch.value };
      jobs.set(key, entry);
    }
    const r = api.setJobCpuRate(entry.job, {
      controlFlags: JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP,
      cpuRate: cpuRateFor(percentOfOneCore, cores),
    });
    return r.ok ? { note: 'job object hard cap; it also applies to child processes started from now on' } : win32Refusal(r.error, 'cpuCap');
  }

  function applyMemoryLimit(held: Held, softLimitBytes: number | null): Refusal | { note?: string } {
    const key = keyOf(held.target);
    const current = api.getWorkingSetSize(held.handle);
    if (!current.ok) return win32Refusal(current.error, 'memoryLimit');
    if (softLimitBytes === null) {
      const original = workingSetOriginals.get(key) ?? DEFAULT_WORKING_SET;
      if (!workingSetLimits.has(key)) return {};
      const r = api.setWorkingSetSize(held.handle, original);
      if (!r.ok) return win32Refusal(r.error, 'memoryLimit');
      workingSetLimits.delete(key);
      workingSetOriginals.delete(key);
      return {};
    }
    if (!workingSetOriginals.has(key)) workingSetOriginals.set(key, current.value);
    const r = api.setWorkingSetSize(held.handle, {
      minimumBytes: Math.min(current.value.minimumBytes, softLimitBytes),
      maximumBytes: softLimitBytes,
      flags: QUOTA_LIMITS.HARDWS_MIN_DISABLE | QUOTA_LIMITS.HARDWS_MAX_DISABLE,
    });
    if (!r.ok) {
      if (!workingSetLimits.has(key)) workingSetOriginals.delete(key);
      return win32Refusal(r.error, 'memoryLimit');
    }
    workingSetLimits.set(key, softLimitBytes);
    return { note: 'working-set maximum (soft): the process may exceed it while memory is free and is trimmed to it first when memory runs short' };
  }

  function effective(change: Exclude<Change, { op: 'terminate' }>, after: Reading): boolean {
    switch (change.op) {
      case 'priority':
        return after.op === 'priority' && priorityClassForNice(after.value.nice) === priorityClassForNice(change.value.nice);
      case 'ioPriority':
        return after.op === 'ioPriority' && ioHintFor(after.value) === ioHintFor(change.value);
      case 'cpuCap':
        return after.op === 'cpuCap' && settingMatches('cpuCap', change.value.percentOfOneCore, after.value.percentOfOneCore);
      default:
        return matches(change, after);
    }
  }

  async function waitUntil(check: () => boolean, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (check()) return true;
      if (Date.now() >= deadline) return false;
      await sleep(pollMs);
    }
  }

  async function terminate(held: Held, graceMs: number): Promise<ActionResult> {
    const exited = (): boolean => {
      const r = api.hasExited(held.handle);
      return r.ok ? r.value : !held.alive();
    };
    const windows = api.topLevelWindows(held.target.pid);
    let note: string;
    if (windows.length > 0) {
      let posted = 0;
      for (const { window } of windows) if (api.postMessage(window, WM_CLOSE).ok) posted++;
      if (posted > 0 && (await waitUntil(exited, graceMs))) {
        return { kind: 'applied', note: `closed after WM_CLOSE to its ${posted} top-level window${posted === 1 ? '' : 's'}` };
      }
      note = posted > 0 ? `did not close within ${graceMs} ms of WM_CLOSE; ended with TerminateProcess` : 'WM_CLOSE could not be posted to its windows; ended with TerminateProcess';
    } else {
      note = 'it has no top-level windows, so no graceful close request was possible; ended with TerminateProcess';
    }
    const r = api.terminateProcess(held.handle, TERMINATE_EXIT_CODE);
    if (!r.ok) return win32Refusal(r.error, 'terminate');
    if (await waitUntil(exited, 5000)) return { kind: 'applied', note };
    return refused('ineffective', 'still running 5 s after TerminateProcess');
  }

  async function apply(target: ProcessIdentity, change: Change): Promise<ActionResult> {
    if (change.op === 'cpuWeight') return unsupportedWeight();
    if (change.op === 'sessionPriority') return unsupportedSession();
    return withProcess<ActionResult>(target, accessFor(change.op), change.op, async (held) => {
      if (change.op === 'terminate') return terminate(held, change.value.graceMs);
      const before = readOp(held, change.op);
      if ('kind' in before) return before;
      let note: string | undefined;
      if (change.op === 'suspend') {
        const r = change.value.suspended ? api.suspendProcess(held.handle) : api.resumeProcess(held.handle);
        if (!r.ok) return { ...win32Refusal(r.error, 'suspend'), before };
        const wanted = change.value.suspended;
        await waitUntil(() => {
          const now = readOp(held, 'suspend');
          return !held.alive() || ('kind' in now ? true : now.op === 'suspend' && now.value.suspended === wanted);
        }, 1000);
      } else {
        const outcome = act(held, change, before);
        if ('kind' in outcome) return { ...outcome, before };
        note = outcome.note;
      }
      // After acting: the held handle still names the same process; make sure it is still running.
      const created = api.processCreationTime(held.handle);
      if (!held.alive() || !created.ok || startTimeFromFileTime(created.value) !== target.startTime) {
        return refused('gone', 'the process exited while the change was made', { before });
      }
      const after = readOp(held, change.op);
      if ('kind' in after) return { ...after, before };
      if (!effective(change, after)) {
        return refused('ineffective', `the system accepted the change but reads back ${JSON.stringify(after.value)}`, { before });
      }
      return { kind: 'applied', before, after, ...(note ? { note } : {}) };
    });
  }

  async function describe(target: ProcessIdentity): Promise<ProcessFacts | null> {
    const list = api.processes();
    if (!list.ok) throw new Error(`NtQuerySystemInformation failed: ${windowsErrorName(list.error)}`);
    const byPid = new Map(list.value.map((p) => [p.pid, p]));
    const entry = byPid.get(target.pid);
    if (!entry || startTimeFromFileTime(entry.createTime) !== target.startTime) return null;
    // Parents: a ppid is only trusted while the parent was created before the child (Windows reuses
    // the pids of exited parents).
    const ancestors: number[] = [];
    let child = entry;
    for (let depth = 0; depth < 128; depth++) {
      const parent = byPid.get(child.ppid);
      if (!parent || parent.pid === child.pid || parent.createTime > child.createTime) break;
      ancestors.push(parent.pid);
      child = parent;
    }
    let exe: string | undefined;
    const opened = api.openProcess(target.pid, Q);
    if (opened.ok) {
      exe = api.imagePath(opened.value);
      api.closeHandle(opened.value);
    }
    const name = entry.name || (entry.pid === 4 ? 'System' : entry.pid === 0 ? 'System Idle Process' : '');
    return {
      pid: entry.pid,
      ppid: entry.ppid,
      startTime: startTimeFromFileTime(entry.createTime),
      name,
      ...(exe ? { exe } : {}),
      kernelThread: entry.pid === 0 || entry.pid === 4,
      // REALTIME_PRIORITY_CLASS (base priority 16 and above) counts as real-time for the guard.
      schedPolicy: entry.basePriority >= 16 ? 'rr' : 'other',
      ancestors,
    };
  }

  async function cleanup(): Promise<string[]> {
    const removed: string[] = [];
    for (const [key, entry] of jobs) {
      const exited = api.hasExited(entry.process);
      const rate = api.getJobCpuRate(entry.job);
      const limitOff = rate.ok && (rate.value.controlFlags & JOB_OBJECT_CPU_RATE_CONTROL_ENABLE) === 0;
      if ((exited.ok && exited.value) || !exited.ok || limitOff) {
        api.closeHandle(entry.job);
        api.closeHandle(entry.process);
        jobs.delete(key);
        removed.push(`job object of pid ${entry.target.pid} (${limitOff ? 'no limit left' : 'process exited'})`);
      }
    }
    if (workingSetLimits.size > 0) {
      const list = api.processes();
      if (list.ok) {
        const alive = new Set(list.value.map((p) => processKey({ pid: p.pid, startTime: startTimeFromFileTime(p.createTime) })));
        for (const key of [...workingSetLimits.keys()]) {
          if (alive.has(key)) continue;
          workingSetLimits.delete(key);
          workingSetOriginals.delete(key);
          removed.push(`working-set limit record of ${key.split(':')[0]} (process exited)`);
        }
      }
    }
    return removed;
  }

  let caps: Capabilities | undefined;
  const core = {
    read: async (target: ProcessIdentity, op: ReadableOperation): Promise<ReadResult> => {
      if (op === 'cpuWeight') return unsupportedWeight();
      if (op === 'sessionPriority') return unsupportedSession();
      return withProcess<ReadResult>(target, Q, op, (held) => {
        const value = readOp(held, op);
        return 'kind' in value ? value : { kind: 'value' as const, value };
      });
    },
    apply,
  };
  return {
    platform: 'win32',
    capabilities: () => (caps ??= win32Capabilities(api)),
    ...core,
    ...namedOperations(core),
    describe,
    cleanup,
  };
}

const SESSION_UNSUPPORTED = 'Windows does not share CPU by session the way Linux autogroups do; the priority class of each process is the lever';
function unsupportedSession(): Refusal {
  return refused('unsupported', SESSION_UNSUPPORTED);
}

function unsupportedWeight(): Refusal {
  return refused('unsupported', 'Windows has no per-process CPU weight: job weight-based rate control only ranks jobs against each other and cannot be combined with a hard cap; use the priority class instead');
}

function capability(supported: boolean, detail: string, limits: string[] = []): Capability {
  return limits.length > 0 ? { supported, detail, limits } : { supported, detail };
}

export function win32Capabilities(api: Win32ActuationApi): Capabilities {
  const elevated = api.isElevated();
  const groups = api.processorGroupCount();
  const cpus = api.logicalProcessorCount();
  const others = elevated ? [] : ["other users' processes and services need administrator rights"];
  const groupLimit = `processor group 0 only in this version (CPUs 0-${Math.min(cpus, 64) - 1})${groups > 1 ? `; this machine has ${groups} processor groups, CPUs in the others cannot be chosen` : ''}`;
  const operations: Record<Operation, Capability> = {
    priority: capability(true, 'SetPriorityClass: IDLE, BELOW_NORMAL, NORMAL, ABOVE_NORMAL, HIGH (nice mapped to classes; REALTIME is never set)', others),
    affinity: capability(true, 'SetProcessAffinityMask', [groupLimit, ...others]),
    ioPriority: capability(true, 'NtSetInformationProcess(ProcessIoPriority): very low (idle), low (best-effort 5-7), normal', ['high (realtime class) needs SeIncreaseBasePriorityPrivilege', ...others]),
    cpuWeight: capability(false, 'Windows has no per-process CPU weight; use the priority class'),
    sessionPriority: capability(false, SESSION_UNSUPPORTED),
    cpuCap: capability(true, `job object hard CPU rate (JOBOBJECT_CPU_RATE_CONTROL_INFORMATION), of ${cpus} logical CPUs`, ['a process cannot leave a job: removing the cap turns the job limit off', ...others]),
    memoryLimit: capability(true, 'working-set maximum with QUOTA_LIMITS_HARDWS_MAX_DISABLE (soft: trimmed first when memory runs short, never killed)', others),
    efficiencyMode: capability(true, 'EcoQoS: SetProcessInformation(ProcessPowerThrottling, EXECUTION_SPEED)', ['needs Windows 11 or Windows 10 21H2 and later', ...others]),
    suspend: capability(true, 'NtSuspendProcess / NtResumeProcess', others),
    terminate: capability(true, 'WM_CLOSE to its top-level windows, then TerminateProcess after the grace period', ['console and background programs have no windows: they are ended with TerminateProcess at once', ...others]),
  };
  return {
    platform: 'win32',
    privileged: elevated,
    operations,
    notes: [
      'identity: creation time (GetProcessTimes) checked on the held process handle before and after each change',
      `processor groups: only group 0 in this version${groups > 1 ? ` (this machine has ${groups})` : ''}`,
    ],
  };
}

/** The Windows adapter, wrapped in the never-touch guard. */
export function createWin32Adapter(api: Win32ActuationApi, policy: ProtectionPolicy, options: Win32AdapterOptions = {}): GuardedAdapter {
  return guardAdapter(unguardedWin32Adapter(api, options), policy);
}

/** Rank of a priority class (idle 0 .. realtime 5), for callers comparing classes. */
export function priorityClassRank(priorityClass: number): number | undefined {
  const name = CLASS_NAMES[priorityClass];
  return name === undefined ? undefined : CLASS_RANK[name];
}
