// Can Allot put a change back with the rights it has now? Linux. OS APIs: /proc/self/status (CapEff),
// /proc/PID/limits (the target's RLIMIT_NICE), /proc/PID/status (Uid), access(2) on cgroup files.
//
// The kernel rules this follows (kernel/sched/syscalls.c can_nice, kernel/sched/autogroup.c,
// block/ioprio.c ioprio_check_cap, kernel/sched uclamp):
// - setpriority to a LOWER nice (higher priority) needs CAP_SYS_NICE or the TARGET's RLIMIT_NICE
//   soft limit >= 20 - nice. Most distributions set RLIMIT_NICE to 0: an ordinary user can raise a
//   nice value but never lower it again, so lowering a process's priority is a one-way door.
// - The autogroup nice (/proc/PID/autogroup) may go back to any value >= 0 without privilege (the
//   file is the owner's); a negative value needs can_nice(Allot itself).
// - I/O priority: best-effort at any level, idle and none need no privilege (own processes); only
//   the realtime class needs CAP_SYS_NICE or CAP_SYS_ADMIN.
// - The utilization clamp (efficiency mode) cannot be changed back by an unprivileged caller.
// - cgroups: moving the process back needs write access to its original cgroup's cgroup.procs
//   (checked in cgroup.linux.ts, cgroupMoveIrreversible).
// - Affinity, suspend/resume: an owner may always undo what it may do.
// A change whose undo needs more than Allot has is refused `irreversible` by the adapter, before
// anything is changed (adapter.linux.ts), unless a person confirmed it.
import { readFileSync } from 'node:fs';
import type { Capability, ValueOf } from '../../src-shared/actions';

export interface LinuxRights {
  root: boolean;
  capSysNice: boolean;
  capSysAdmin: boolean;
}

const CAP_SYS_ADMIN = 21n;
const CAP_SYS_NICE = 23n;

/** Effective capability bits of this process (/proc/self/status CapEff). */
export function effectiveCaps(): bigint {
  try {
    const match = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] ? BigInt(`0x${match[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

export function currentRights(): LinuxRights {
  const caps = effectiveCaps();
  const root = process.geteuid?.() === 0;
  return {
    root,
    capSysNice: root || ((caps >> CAP_SYS_NICE) & 1n) === 1n,
    capSysAdmin: root || ((caps >> CAP_SYS_ADMIN) & 1n) === 1n,
  };
}

/**
 * Whether Allot itself may change this process's scheduling (kernel set_one_prio_perm: our
 * effective uid is the target's real or effective uid, or CAP_SYS_NICE). When it may not, the OS
 * refuses the act with `permission` anyway (a person's request may then go through the helper), so
 * there is nothing to undo and no reversibility question.
 */
export function mayChange(pid: number, rights: LinuxRights = currentRights()): boolean {
  if (rights.capSysNice) return true;
  try {
    const uids = /^Uid:\s*(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const euid = process.geteuid?.();
    return uids !== null && (Number(uids[1]) === euid || Number(uids[2]) === euid);
  } catch {
    return true;
  }
}

/** Soft RLIMIT_NICE of a process ('self' = Allot), from /proc/PID/limits; 0 when unreadable. */
export function niceRlimit(pid: number | 'self'): number {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max nice priority'));
    const soft = line?.slice('Max nice priority'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return 40;
    const n = Number(soft);
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** The lowest nice a process may be set to by this caller: -20 with CAP_SYS_NICE, else 20 - RLIMIT_NICE. */
export function lowestNiceAllowed(pid: number | 'self', rights: LinuxRights = currentRights()): number {
  if (rights.capSysNice) return -20;
  return Math.max(-20, Math.min(20, 20 - niceRlimit(pid)));
}

const WHY_NICE = (original: number, lowest: number, pid: number | 'self') =>
  `Allot cannot raise it back without administrator rights: putting nice ${original} back needs root or CAP_SYS_NICE ` +
  `(RLIMIT_NICE of ${pid === 'self' ? 'Allot' : `process ${pid}`} allows nice ${lowest} and above only)`;

/**
 * Why a priority change could not be undone (null when it can): every thread that moves to a higher
 * nice must be able to go back to its own original. `newNiceOf(tid)` is what the change gives each
 * thread; `tids` are the process's threads.
 */
export function priorityIrreversible(
  pid: number,
  before: ValueOf<'priority'>,
  change: ValueOf<'priority'>,
  newNiceOf: (tid: number) => number,
  tids: readonly number[],
  rights: LinuxRights = currentRights(),
): string | null {
  const originals = new Map(before.threadNice ?? []);
  let lowest: number | undefined;
  for (const tid of tids) {
    const original = originals.get(tid) ?? before.nice;
    if (newNiceOf(tid) <= original) continue;
    lowest ??= lowestNiceAllowed(pid, rights);
    if (original < lowest) return WHY_NICE(original, lowest, pid);
  }
  const autogroupBefore = before.autogroupNice;
  const autogroupAfter = change.autogroupNice;
  if (autogroupBefore !== undefined && autogroupAfter !== undefined && autogroupAfter > autogroupBefore && autogroupBefore < 0) {
    const self = lowestNiceAllowed('self', rights);
    if (autogroupBefore < self) return WHY_NICE(autogroupBefore, self, 'self');
  }
  return null;
}

/**
 * Why a session (autogroup) nice change could not be undone: any value >= 0 may be written back by
 * the session's owner; a negative original needs can_nice of Allot itself.
 */
export function sessionPriorityIrreversible(before: ValueOf<'sessionPriority'>, change: ValueOf<'sessionPriority'>, rights: LinuxRights = currentRights()): string | null {
  if (change.nice <= before.nice || before.nice >= 0) return null;
  const self = lowestNiceAllowed('self', rights);
  return before.nice < self ? WHY_NICE(before.nice, self, 'self') : null;
}

/** The reversibility part of the session-priority capability. */
export function sessionPriorityReversibility(rights: LinuxRights = currentRights()): Pick<Capability, 'reversibility' | 'reversibilityDetail' | 'withService'> {
  return {
    reversibility: 'reversible',
    reversibilityDetail: rights.capSysNice
      ? 'any session nice can be put back'
      : 'a session nice of 0 or above can be put back without privileges (the /proc/PID/autogroup file is the owner\'s); sessions below 0 are left alone',
    withService: "as the system service (root): every user's sessions",
  };
}

export function ioPriorityIrreversible(before: ValueOf<'ioPriority'>, rights: LinuxRights = currentRights()): string | null {
  const realtime = before.ioClass === 'realtime' || (before.threadIo ?? []).some(([, ioClass]) => ioClass === 'realtime');
  if (realtime && !rights.capSysNice && !rights.capSysAdmin) {
    return 'Allot cannot put the realtime I/O class back without administrator rights (root, CAP_SYS_NICE or CAP_SYS_ADMIN)';
  }
  return null;
}

export function efficiencyIrreversible(before: ValueOf<'efficiencyMode'>, change: ValueOf<'efficiencyMode'>, rights: LinuxRights = currentRights()): string | null {
  if (change.enabled && !before.enabled && !rights.capSysNice) {
    return 'Allot cannot lift the utilization clamp again without administrator rights (root or CAP_SYS_NICE)';
  }
  return null;
}

/** The reason a process moved out of `originalDir` (whose cgroup.procs Allot cannot write) could not go back. */
export function cgroupIrreversible(originalDir: string): string {
  return `Allot could move it into its own cgroup but not back into ${originalDir} (cgroup.procs not writable by this user)`;
}

/** The reversibility part of a capability, for the capability report. */
export function priorityReversibility(rights: LinuxRights = currentRights()): Pick<Capability, 'reversibility' | 'reversibilityDetail' | 'withService'> {
  const withService = 'as the system service (root): lowering and raising priority are both reversible';
  if (rights.capSysNice) return { reversibility: 'reversible', reversibilityDetail: rights.root ? 'root: any nice value can be put back' : 'CAP_SYS_NICE: any nice value can be put back', withService };
  const lowest = lowestNiceAllowed('self', rights);
  if (lowest <= 0) {
    return { reversibility: 'reversible', reversibilityDetail: `RLIMIT_NICE ${niceRlimit('self')}: nice values down to ${lowest} can be put back (processes whose own limit is lower are left alone)`, withService };
  }
  return {
    reversibility: 'needs-helper',
    reversibilityDetail: `RLIMIT_NICE is ${niceRlimit('self')}: an ordinary user may raise a nice value but not lower it again, so the engine does not change priority; a person may, after confirming, and only the privileged helper can put it back`,
    withService,
  };
}
