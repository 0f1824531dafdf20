// Facts the never-touch guard needs, read from /proc on Linux: /proc/PID/stat (ppid, PF_KTHREAD flag,
// starttime), the scheduling policy of EVERY thread (/proc/PID/task/TID/stat: a program whose main
// thread is SCHED_OTHER may run a SCHED_FIFO audio thread, and any real-time or deadline thread makes
// the whole process protected), /proc/PID/exe, /proc/PID/oom_score_adj, and the ppid chain.
import { readFileSync, readlinkSync } from 'node:fs';
import type { ProcessIdentity } from '../../src-shared/domain';
import type { ProcessFacts } from './types';
import { PF_KTHREAD, readStat, threadIds } from './identity.linux';

const POLICY_NAMES: Record<number, string> = { 0: 'other', 1: 'fifo', 2: 'rr', 3: 'batch', 5: 'idle', 6: 'deadline' };

export function schedPolicyName(policy: number): string {
  return POLICY_NAMES[policy] ?? `policy-${policy}`;
}

const REALTIME = new Set([1, 2, 6]); // SCHED_FIFO, SCHED_RR, SCHED_DEADLINE

/** The process's policy, or the first real-time/deadline policy any of its threads has. */
export function strictestPolicy(pid: number, mainPolicy: number): number {
  if (REALTIME.has(mainPolicy)) return mainPolicy;
  for (const tid of threadIds(pid)) {
    if (tid === pid) continue;
    const policy = readStat(pid, tid)?.policy;
    if (policy !== undefined && REALTIME.has(policy)) return policy;
  }
  return mainPolicy;
}

/** Facts for the identified process, or null when it is gone (or the pid was reused). */
export function describeLinux(target: ProcessIdentity): ProcessFacts | null {
  const stat = readStat(target.pid);
  if (!stat || stat.startTime !== target.startTime) return null;
  let exe: string | undefined;
  try {
    exe = readlinkSync(`/proc/${target.pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    exe = undefined; // kernel threads and other users' processes without ptrace access
  }
  let oomScoreAdj: number | undefined;
  try {
    oomScoreAdj = Number(readFileSync(`/proc/${target.pid}/oom_score_adj`, 'utf8').trim());
  } catch {
    oomScoreAdj = undefined;
  }
  const ancestors: number[] = [];
  let ppid = stat.ppid;
  for (let depth = 0; ppid > 0 && depth < 128; depth++) {
    ancestors.push(ppid);
    const parent = readStat(ppid);
    if (!parent) break;
    ppid = parent.ppid;
  }
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    startTime: stat.startTime,
    name: stat.comm,
    ...(exe !== undefined ? { exe } : {}),
    kernelThread: (stat.flags & PF_KTHREAD) !== 0,
    schedPolicy: schedPolicyName(strictestPolicy(stat.pid, stat.policy)),
    ...(oomScoreAdj !== undefined && Number.isFinite(oomScoreAdj) ? { oomScoreAdj } : {}),
    ancestors,
  };
}
