// What the privileged helper does on Linux with one validated request. OS APIs: the Linux platform
// adapter (setpriority on every thread, sched_setaffinity and ioprio_set through koffi, pidfd_open +
// /proc/PID/stat identity checks, read-back) wrapped in the same never-touch guard the app uses, and
// for cgroupWrite: /proc/mounts, /proc/PID/cgroup and one write(2) to an allow-listed cgroupfs file.
//
// Refusals (nothing is changed): protected processes (PID 1, kernel threads, the helper and its
// caller chain, session-critical names, real-time, oom_score_adj -1000), a pid whose starttime does
// not match (checked right before acting, via a held pidfd, and again after), a cgroup that is not
// the `allot-<pid>-<starttime>` group Allot created for exactly this process, or a file that does not
// belong to the hierarchy's cgroup version. `restore` checks only the hard rules (PID 1, kernel
// threads, Allot itself), like GuardedAdapter.restore: putting an original value back is always wanted.
import { lstatSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { ActionResult, Change } from '../../src-shared/actions';
import type { ProcessIdentity } from '../../src-shared/domain';
import { guardAdapter, type GuardedAdapter } from '../platform/guard';
import { unguardedLinuxAdapter } from '../platform/adapter.linux';
import { cgroupPathOf, detectCgroups, groupName, type CgroupBackend } from '../platform/cgroup.linux';
import { withProcess } from '../platform/identity.linux';
import { describeRule } from '../platform/protect';
import { refusalFromError, refused } from '../platform/errors';
import type { CgroupController, CgroupFile, HelperRequest, RestoreOriginal } from './protocol';
import { errorMessage } from '../../src-shared/errors';

/** Which cgroup files exist in which cgroup version. */
const FILES_BY_VERSION: Record<1 | 2, readonly CgroupFile[]> = {
  2: ['cpu.weight', 'cpu.max', 'memory.high', 'memory.max'],
  1: ['cpu.shares', 'cpu.cfs_quota_us', 'cpu.cfs_period_us', 'memory.soft_limit_in_bytes', 'memory.limit_in_bytes'],
};
const HARD_RULES = new Set(['pid-1', 'kernel-thread', 'allot-itself', 'allot-descendant', 'facts-unreadable']);

export interface LinuxHelperOptions {
  /**
   * Pids the helper must never touch: itself and the chain that started it (pkexec, the app).
   * Defaults to selfAndCaller().
   */
  selfPids?: readonly number[];
  /** Replaces the detected cgroup backends (tests). */
  cgroupBackends?: Partial<Record<CgroupController, CgroupBackend>>;
}

/**
 * The helper and the process that asked for it: its parent (the app), or pkexec's parent when pkexec
 * forked instead of exec'ing. Not further up: the app's own ancestors are the desktop session.
 */
export function selfAndCaller(): number[] {
  const pids = [process.pid];
  const parentOf = (pid: number): { ppid: number; comm: string } | null => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) };
    } catch {
      return null;
    }
  };
  const parent = process.ppid;
  if (parent > 1) {
    pids.push(parent);
    const info = parentOf(parent);
    if (info?.comm === 'pkexec' && info.ppid > 1) pids.push(info.ppid);
  }
  return pids;
}

function toChange(original: Exclude<RestoreOriginal, { verb: 'cgroupWrite' }>): Change {
  switch (original.verb) {
    case 'renice':
      return { op: 'priority', value: { nice: original.nice, ...('threadNice' in original && original.threadNice ? { threadNice: original.threadNice } : {}) } };
    case 'setAffinity':
      return { op: 'affinity', value: { cpus: original.cpus, ...('threadCpus' in original && original.threadCpus ? { threadCpus: original.threadCpus } : {}) } };
    case 'setIoPriority':
      return { op: 'ioPriority', value: { ioClass: original.ioClass, level: original.level, ...('threadIo' in original && original.threadIo ? { threadIo: original.threadIo } : {}) } };
  }
}

/** Execute one validated request. Never throws. */
export async function executeLinux(request: HelperRequest, options: LinuxHelperOptions = {}): Promise<ActionResult> {
  const adapter = guardAdapter(unguardedLinuxAdapter(), { selfPids: options.selfPids ?? selfAndCaller(), exclusions: [] });
  const target: ProcessIdentity = { pid: request.pid, startTime: request.startTime };
  try {
    switch (request.verb) {
      case 'renice':
      case 'setAffinity':
      case 'setIoPriority':
        return await adapter.apply(target, toChange(request));
      case 'cgroupWrite':
        return await cgroupWrite(adapter, target, request, false, options);
      case 'restore':
        return request.original.verb === 'cgroupWrite'
          ? await cgroupWrite(adapter, target, request.original, true, options)
          : await adapter.restore(target, toChange(request.original));
    }
  } catch (error) {
    return refused('failed', `the helper failed unexpectedly: ${errorMessage(error)}`);
  }
}

/** Same meaning, allowing the kernel's rounding (pages for memory, "-1" shown as a huge number). */
function sameCgroupValue(file: CgroupFile, wanted: string, actual: string): boolean {
  if (wanted === actual) return true;
  const unlimited = (v: string) => v === 'max' || v === '-1' || (/^\d+$/.test(v) && Number(v) >= 2 ** 62);
  if (file.startsWith('memory.')) {
    if (unlimited(wanted) || unlimited(actual)) return unlimited(wanted) && unlimited(actual);
    return Math.abs(Number(wanted) - Number(actual)) < 65_536;
  }
  return false;
}

async function cgroupWrite(
  adapter: GuardedAdapter,
  target: ProcessIdentity,
  request: { controller: CgroupController; file: CgroupFile; value: string },
  restoring: boolean,
  options: LinuxHelperOptions,
): Promise<ActionResult> {
  const rule = await adapter.protection(target);
  if (rule === 'gone') return refused('gone', 'the process has exited or its pid now belongs to another process; nothing was changed');
  if (rule !== null && (!restoring || HARD_RULES.has(rule))) return refused('protected', describeRule(rule), { rule });
  const backend = (options.cgroupBackends ?? detectCgroups(true).backends)[request.controller];
  if (!backend) return refused('unsupported', `no writable ${request.controller} cgroup hierarchy on this machine`);
  if (!FILES_BY_VERSION[backend.version].includes(request.file)) {
    return refused('invalid', `${request.file} does not exist in cgroup v${backend.version}; use ${FILES_BY_VERSION[backend.version].filter((f) => f.startsWith(request.controller)).join(' or ')}`);
  }
  const op = request.controller === 'memory' ? 'memoryLimit' : request.file === 'cpu.weight' || request.file === 'cpu.shares' ? 'cpuWeight' : 'cpuCap';
  return withProcess<ActionResult>(target, (handle) => {
    const rel = cgroupPathOf(target.pid, backend);
    const own = groupName(target.pid, target.startTime);
    if (rel === null) return refused('gone', 'could not read the process cgroup; nothing was changed');
    const segments = rel.split('/');
    if (segments.includes('..') || segments.includes('.') || segments[segments.length - 1] !== own) {
      return refused('protected', `the process is in ${rel}, not in Allot's own group ${own}; the helper only writes Allot's groups`, { rule: 'not-allot-group' });
    }
    let dir: string;
    try {
      dir = realpathSync(join(backend.mount, rel));
      const mount = realpathSync(backend.mount);
      if (!dir.startsWith(mount + sep) || !lstatSync(dir).isDirectory()) throw new Error(`${dir} is outside ${mount}`);
    } catch (error) {
      return refused('invalid', `the group directory is not usable: ${errorMessage(error)}`);
    }
    const path = join(dir, request.file);
    let before: string;
    try {
      before = readFileSync(path, 'utf8').trim();
      writeFileSync(path, request.value);
    } catch (error) {
      return refusalFromError(error, op, true, path);
    }
    if (!handle.alive()) return refused('gone', 'the process exited while the change was made');
    const after = readFileSync(path, 'utf8').trim();
    if (!sameCgroupValue(request.file, request.value, after)) {
      return refused('ineffective', `wrote ${request.value} to ${request.file} but it reads back ${after}`);
    }
    return { kind: 'applied', note: `${request.file} in ${own}: ${before} -> ${after}` };
  });
}
