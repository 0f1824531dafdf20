// Process identity on Linux: /proc/PID/stat (starttime, state, flags, policy) and a pidfd from
// pidfd_open(2) opened BEFORE the starttime check. Once the check passes, the pidfd is bound to the
// right process for as long as we hold it: signals go through pidfd_send_signal and cannot hit a
// reused pid, and "the pidfd has not become readable" proves the process did not exit while we acted,
// so a pid-addressed call (setpriority, sched_setaffinity, ...) made in between landed on it.
//
// Limit: starttime has clock-tick resolution (usually 10 ms); a pid reused within the same tick
// would look identical. The pidfd check closes that gap for everything done while the handle is held.
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessIdentity } from '../../src-shared/domain';
import type { Refusal } from '../../src-shared/actions';
import { closeFd, isErrno, pidfdExited, pidfdOpen } from './native.linux';
import { GONE_MESSAGE, refused } from './errors';
import { parseStat as parseProcStat } from '../monitor/procfs.linux';

export interface ProcStat {
  pid: number;
  comm: string;
  /** Single-letter state (R, S, D, T, t, Z, X, I, ...). */
  state: string;
  ppid: number;
  flags: number;
  nice: number;
  /** Clock ticks since boot. */
  startTime: number;
  rtPriority: number;
  /** SCHED_* number: 0 other, 1 fifo, 2 rr, 3 batch, 5 idle, 6 deadline. */
  policy: number;
}

export { PF_KTHREAD } from '../monitor/procfs.linux';

/** The fields identity checks need, from the collector's one /proc/PID/stat parser (monitor/procfs.linux.ts). */
export function parseStat(text: string): ProcStat | null {
  const buf = Buffer.from(text, 'utf8');
  const stat = parseProcStat(buf, buf.length);
  if (!stat) return null;
  const { pid, comm, stateChar: state, ppid, flags, nice, startTime, rtPriority, policy } = stat;
  return { pid, comm, state, ppid, flags, nice, startTime, rtPriority, policy };
}

/** /proc/PID/stat (or /proc/PID/task/TID/stat), null when gone or unreadable. */
export function readStat(pid: number, tid?: number): ProcStat | null {
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    return parseStat(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** True when pid currently belongs to the identified process and it has not exited. */
export function identityMatches(target: ProcessIdentity): boolean {
  const stat = readStat(target.pid);
  return stat !== null && stat.startTime === target.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

export interface ProcessHandle {
  readonly target: ProcessIdentity;
  /** pidfd, or null when the kernel has no pidfd_open (< 5.3); then only the starttime checks apply. */
  readonly pidfd: number | null;
  readonly stat: ProcStat;
  /** Still the same, still running: pidfd not readable and starttime unchanged. */
  alive(): boolean;
}


export function goneRefusal(): Refusal {
  return refused('gone', GONE_MESSAGE);
}

/**
 * Open a handle on the identified process, check it, run `act`, close the handle.
 * Returns `refused/gone` without calling `act` when the identity does not match.
 */
export async function withProcess<T>(
  target: ProcessIdentity,
  act: (handle: ProcessHandle) => Promise<T | Refusal> | T | Refusal,
): Promise<T | Refusal> {
  const opened = pidfdOpen(target.pid);
  if (isErrno(opened) && opened.errno === 3 /* ESRCH */) return goneRefusal();
  const pidfd = isErrno(opened) ? null : opened;
  try {
    const stat = readStat(target.pid);
    if (!stat || stat.startTime !== target.startTime || stat.state === 'Z' || stat.state === 'X') return goneRefusal();
    const handle: ProcessHandle = {
      target,
      pidfd,
      stat,
      alive: () => (pidfd === null || !pidfdExited(pidfd)) && identityMatches(target),
    };
    return await act(handle);
  } finally {
    if (pidfd !== null) closeFd(pidfd);
  }
}

/** Thread ids of a process (/proc/PID/task); [pid] when unreadable. */
export function threadIds(pid: number): number[] {
  try {
    const tids = readdirSync(`/proc/${pid}/task`).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    return tids.length > 0 ? tids : [pid];
  } catch {
    return [pid];
  }
}

