// cgroup limits on Linux through the cgroup filesystem (/proc/mounts, /proc/PID/cgroup, cgroupfs files).
//
// Backend per controller (cpu, memory), decided once:
// - cgroup v2 when a cgroup2 mount offers the controller (cgroup.controllers) and we can write a
//   delegated subtree: the highest ancestor of the target's cgroup whose directory and cgroup.procs are
//   writable by us (the mount root for root; user@UID.service under systemd for a user). Allot creates
//   `<delegation root>/allot/allot-<pid>-<starttime>` (v2 forbids processes in inner nodes, so groups
//   cannot nest under the process's own cgroup) and writes cpu.weight, cpu.max, memory.high.
// - cgroup v1 otherwise, where the controller is mounted and writable: the group is created as a CHILD
//   of the process's current cgroup, `<mount><current>/allot-<pid>-<starttime>`. Nesting keeps every
//   ancestor limit (a container's or a service's) in force, and the weight competes with the same
//   siblings as before; the original cgroup is simply the parent directory. Files: cpu.shares,
//   cpu.cfs_quota_us / cpu.cfs_period_us, memory.soft_limit_in_bytes.
//
// Units: weight on the v2 scale (1..10000, 100 = default; v1 shares = weight * 1024 / 100);
// CPU cap in percent of ONE core (100 = a full core, the same convention as cpuPercent);
// memory soft limit in bytes.
//
// A group at default values is removed: everything in it moves back to where it came from.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Capability, Refusal } from '../../src-shared/actions';
import { codeOf, refused, refusalFromError } from './errors';
import { cgroupIrreversible } from './reversible.linux';

export type Controller = 'cpu' | 'memory';
export type CgroupSetting = 'cpuWeight' | 'cpuCap' | 'memoryLimit';

export interface CgroupBackend {
  controller: Controller;
  version: 1 | 2;
  /** Mount point of the hierarchy holding this controller. */
  mount: string;
}

export interface CgroupMount {
  type: 'cgroup' | 'cgroup2';
  path: string;
  options: string[];
}

export function parseMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [, path, type, options] = line.split(' ');
    if (!path || (type !== 'cgroup' && type !== 'cgroup2')) continue;
    mounts.push({ type, path: path.replace(/\\040/g, ' '), options: (options ?? '').split(',') });
  }
  return mounts;
}

/**
 * Every file-system access this module makes, so a test can stand a fixture tree in for
 * /sys/fs/cgroup (useCgroupFsForTests): this machine's cgroup2 mount has no cpu controller, and a
 * plain directory cannot behave like cgroupfs (writing cgroup.procs moves a process; rmdir of a
 * group with interface files works).
 */
let cachedDetection: Detection | undefined;

export interface CgroupFs {
  readText(path: string): string | null;
  write(path: string, text: string): void;
  mkdir(path: string): void;
  rmdir(path: string): void;
  exists(path: string): boolean;
  writable(path: string): boolean;
  /** Subdirectory names. */
  dirs(path: string): string[];
  /** /proc/mounts */
  mounts(): string;
  /** /proc/PID/cgroup, null when the process is gone. */
  procCgroup(pid: number): string | null;
}

function readFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

const realFs: CgroupFs = {
  readText: readFile,
  write: (path, text) => writeFileSync(path, text),
  mkdir: (path) => mkdirSync(path),
  rmdir: (path) => rmdirSync(path),
  exists: (path) => existsSync(path),
  writable: (path) => {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  dirs: (path) => readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name),
  mounts: () => readFile('/proc/mounts') ?? '',
  procCgroup: (pid) => readFile(`/proc/${pid}/cgroup`),
};
let cgfs: CgroupFs = realFs;

/** TESTS ONLY: use a fake cgroup file system (null: the real one again). Clears the detection cache. */
export function useCgroupFsForTests(fake: CgroupFs | null): void {
  cgfs = fake ?? realFs;
  cachedDetection = undefined;
}

const readText = (path: string): string | null => cgfs.readText(path);
const writable = (path: string): boolean => cgfs.writable(path);

export interface Detection {
  backends: Partial<Record<Controller, CgroupBackend>>;
  /** Why a controller is unavailable, or which backend is used, for the capability report. */
  detail: Record<Controller, string>;
}


/** Inspect /proc/mounts once and pick a backend per controller. */
export function detectCgroups(refresh = false): Detection {
  if (cachedDetection && !refresh) return cachedDetection;
  const mounts = parseMounts(cgfs.mounts());
  const v2 = mounts.find((m) => m.type === 'cgroup2');
  const v2Controllers = v2 ? (readText(join(v2.path, 'cgroup.controllers')) ?? '').split(/\s+/) : [];
  const backends: Detection['backends'] = {};
  const detail = { cpu: '', memory: '' } as Record<Controller, string>;
  for (const controller of ['cpu', 'memory'] as const) {
    const v1 = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller));
    if (v2 && v2Controllers.includes(controller)) {
      backends[controller] = { controller, version: 2, mount: v2.path };
      detail[controller] = `cgroup v2 ${controller} controller at ${v2.path} (groups go in the writable delegated subtree)`;
    } else if (v1 && writable(v1.path)) {
      backends[controller] = { controller, version: 1, mount: v1.path };
      detail[controller] =
        `cgroup v1 ${controller} controller at ${v1.path}` +
        (v2 ? ` (the cgroup2 mount at ${v2.path} does not offer ${controller}: ${v2Controllers.join(' ') || 'no controllers'})` : '');
    } else if (v1) {
      detail[controller] = `cgroup v1 ${controller} controller at ${v1.path} is not writable by this user (needs root or a delegated group)`;
    } else if (v2) {
      detail[controller] = `cgroup v2 at ${v2.path} has no ${controller} controller enabled (${v2Controllers.join(' ') || 'none'})`;
    } else {
      detail[controller] = 'no cgroup filesystem mounted';
    }
  }
  cachedDetection = { backends, detail };
  return cachedDetection;
}

export function controllerOf(setting: CgroupSetting): Controller {
  return setting === 'memoryLimit' ? 'memory' : 'cpu';
}

/** The process's cgroup path (relative to the mount, starting with '/') in this backend's hierarchy. */
export function cgroupPathOf(pid: number, backend: CgroupBackend): string | null {
  const text = cgfs.procCgroup(pid);
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (backend.version === 2 ? line.slice(0, first) === '0' && controllers === '' : controllers.split(',').includes(backend.controller)) {
      return path;
    }
  }
  return null;
}

/**
 * The CPU cgroup that schedules this process instead of its session, or null. The kernel applies a
 * session's autogroup only to tasks in the root CPU task group (kernel/sched/autogroup.c
 * task_wants_autogroup): a process in a v1 cpu cgroup other than '/', or in a v2 cgroup where the
 * cpu controller is enabled, is weighed by that cgroup and its session nice has no effect on it.
 */
export function cpuGroupOverridingSession(pid: number): string | null {
  const text = cgfs.procCgroup(pid);
  if (text === null) return null;
  const mounts = parseMounts(cgfs.mounts());
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    if (path === '/' || path === '') continue;
    if (controllers.split(',').includes('cpu')) return `cpu:${path}`;
    if (line.slice(0, first) === '0' && controllers === '') {
      const v2 = mounts.find((m) => m.type === 'cgroup2');
      if (v2 && (readText(join(v2.path, path, 'cgroup.controllers')) ?? '').split(/\s+/).includes('cpu')) return path;
    }
  }
  return null;
}

export function groupName(pid: number, startTime: number): string {
  return `allot-${pid}-${startTime}`;
}
const GROUP_RE = /^allot-\d+-\d+$/;

function abs(backend: CgroupBackend, rel: string): string {
  return rel === '/' ? backend.mount : join(backend.mount, rel);
}

/** The v2 delegation root: highest ancestor whose directory and cgroup.procs we can write. */
function delegationRoot(backend: CgroupBackend, rel: string): string | null {
  let best: string | null = null;
  let current = rel;
  for (;;) {
    const dir = abs(backend, current);
    if (writable(dir) && writable(join(dir, 'cgroup.procs'))) best = current;
    if (current === '/' || current === '') break;
    current = dirname(current);
  }
  return best;
}

/** Controllers a delegated subtree offers (its cgroup.controllers). */
export function delegatedControllers(backend: CgroupBackend, rel: string): string[] {
  return (readText(join(abs(backend, rel), 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Where this process (Allot itself by default) may create groups in a cgroup v2 hierarchy: the
 * delegation root (user@UID.service under systemd for an ordinary user, the mount root for root),
 * what it offers (cgroup.controllers) and passes down (cgroup.subtree_control); null when nothing is
 * delegated.
 */
export function delegationOf(backend: CgroupBackend, pid: number = process.pid): { root: string; controllers: string[]; subtree: string[] } | null {
  const rel = cgroupPathOf(pid, backend);
  if (rel === null) return null;
  const root = delegationRoot(backend, rel);
  if (root === null) return null;
  const subtree = (readText(join(abs(backend, root), 'cgroup.subtree_control')) ?? '').split(/\s+/).filter(Boolean);
  return { root, controllers: delegatedControllers(backend, root), subtree };
}

/** Where Allot's group for this process lives (relative path). */
export function groupPathFor(backend: CgroupBackend, pid: number, startTime: number, currentRel: string): string | Refusal {
  const name = groupName(pid, startTime);
  if (currentRel.split('/').pop() === name) return currentRel;
  if (backend.version === 1) return join(currentRel, name);
  const root = delegationRoot(backend, currentRel);
  if (root === null) return refused('permission', `cgroup v2 is not delegated to this user here; no writable cgroup above ${currentRel}`);
  const offered = delegatedControllers(backend, root);
  if (!offered.includes(backend.controller)) {
    return refused('unsupported', `the cgroup v2 subtree delegated to this user (${root}) does not offer the ${backend.controller} controller (it offers: ${offered.join(' ') || 'none'})`);
  }
  return join(root, 'allot', name);
}

// ---- values ----

const V1_SHARES_DEFAULT = 1024;
const MEMORY_UNLIMITED_FLOOR = 2 ** 60; // v1 reports PAGE_COUNTER_MAX * PAGE_SIZE

export function weightToShares(weight: number): number {
  return Math.min(262_144, Math.max(2, Math.round((weight * V1_SHARES_DEFAULT) / 100)));
}
export function sharesToWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.round((shares * 100) / V1_SHARES_DEFAULT)));
}

export interface SettingValue {
  /** cpuWeight: weight (null = default 100); cpuCap: percent of one core (null = none); memory: bytes (null = none). */
  value: number | null;
}

/** Read one setting from a group directory; null value = default / none. */
export function readSetting(backend: CgroupBackend, dir: string, setting: CgroupSetting): number | null {
  if (setting === 'cpuWeight') {
    const raw = readText(join(dir, backend.version === 2 ? 'cpu.weight' : 'cpu.shares'));
    if (raw === null) return null;
    const weight = backend.version === 2 ? Number(raw) : sharesToWeight(Number(raw));
    return weight === 100 ? null : weight;
  }
  if (setting === 'cpuCap') {
    if (backend.version === 2) {
      const [quota, period] = (readText(join(dir, 'cpu.max')) ?? 'max').split(' ');
      if (!quota || quota === 'max') return null;
      return (Number(quota) / Number(period ?? 100_000)) * 100;
    }
    const quota = Number(readText(join(dir, 'cpu.cfs_quota_us')) ?? -1);
    const period = Number(readText(join(dir, 'cpu.cfs_period_us')) ?? 100_000);
    return quota < 0 ? null : (quota / period) * 100;
  }
  const raw = readText(join(dir, backend.version === 2 ? 'memory.high' : 'memory.soft_limit_in_bytes'));
  if (raw === null || raw === 'max') return null;
  const bytes = Number(raw);
  return bytes >= MEMORY_UNLIMITED_FLOOR ? null : bytes;
}

function writeSetting(backend: CgroupBackend, dir: string, setting: CgroupSetting, value: number | null): void {
  if (setting === 'cpuWeight') {
    const weight = value ?? 100;
    if (backend.version === 2) cgfs.write(join(dir, 'cpu.weight'), String(weight));
    else cgfs.write(join(dir, 'cpu.shares'), String(weightToShares(weight)));
  } else if (setting === 'cpuCap') {
    if (backend.version === 2) {
      const period = 100_000;
      cgfs.write(join(dir, 'cpu.max'), value === null ? 'max' : `${Math.max(1000, Math.round((value / 100) * period))} ${period}`);
    } else {
      const period = Number(readText(join(dir, 'cpu.cfs_period_us')) ?? 100_000);
      cgfs.write(join(dir, 'cpu.cfs_quota_us'), value === null ? '-1' : String(Math.max(1000, Math.round((value / 100) * period))));
    }
  } else if (backend.version === 2) {
    cgfs.write(join(dir, 'memory.high'), value === null ? 'max' : String(Math.round(value)));
  } else {
    cgfs.write(join(dir, 'memory.soft_limit_in_bytes'), value === null ? '-1' : String(Math.round(value)));
  }
}

const SETTINGS_OF: Record<Controller, CgroupSetting[]> = { cpu: ['cpuWeight', 'cpuCap'], memory: ['memoryLimit'] };

function groupAtDefaults(backend: CgroupBackend, dir: string): boolean {
  const settings = backend.version === 2 ? (['cpuWeight', 'cpuCap', 'memoryLimit'] as const) : SETTINGS_OF[backend.controller];
  return settings.every((s) => readSetting(backend, dir, s) === null);
}

function procsOf(dir: string): number[] {
  return (readText(join(dir, 'cgroup.procs')) ?? '')
    .split('\n')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

function rmdirIfEmpty(dir: string): void {
  try {
    if (procsOf(dir).length === 0) cgfs.rmdir(dir);
  } catch {
    /* left for sweepEmptyGroups */
  }
}

/** Emptied Allot groups that were still busy when dissolved (exiting children); removed on a later call. */
const lingering = new Set<string>();

function removeLingering(): void {
  for (const dir of lingering) {
    if (!cgfs.exists(dir)) lingering.delete(dir);
    else if (procsOf(dir).length === 0) {
      try {
        cgfs.rmdir(dir);
        lingering.delete(dir);
      } catch {
        /* still busy: next time, or sweepEmptyGroups */
      }
    }
  }
}

/** Rounds of list-move-rmdir before a group that keeps gaining processes is left (for sweepEmptyGroups). */
const DISSOLVE_ROUNDS = 10;

/**
 * Move every process out of an Allot group into `toDir`, then remove the group. A process that forks
 * while it is being moved (a build, a fork storm: what the engine restrains) leaves children born in
 * the group after it was listed, and rmdir fails with EBUSY: list and move again, a few rounds.
 * Never throws.
 */
export function dissolveGroup(dir: string, toDir: string): { removed: boolean; error?: string } {
  let lastError = '';
  for (let round = 0; round < DISSOLVE_ROUNDS; round++) {
    try {
      for (const pid of procsOf(dir)) {
        try {
          cgfs.write(join(toDir, 'cgroup.procs'), String(pid));
        } catch (error) {
          if (codeOf(error) !== 'ESRCH') throw error;
        }
      }
      cgfs.rmdir(dir);
      return { removed: true };
    } catch (error) {
      lastError = codeOf(error) ?? String(error);
      if (lastError !== 'EBUSY') break;
    }
  }
  return { removed: false, error: lastError };
}

export interface CgroupReading {
  value: number | null;
  /** Current cgroup of the process in this hierarchy. */
  cgroupPath: string;
}

export function readCgroupSetting(backend: CgroupBackend, pid: number, setting: CgroupSetting): CgroupReading | null {
  const rel = cgroupPathOf(pid, backend);
  if (rel === null) return null;
  const inOurGroup = GROUP_RE.test(rel.split('/').pop() ?? '');
  return { value: inOurGroup ? readSetting(backend, abs(backend, rel), setting) : null, cgroupPath: rel };
}

/**
 * Put the process in its Allot group (creating it) and write the setting; or, for a default value,
 * write the default and dissolve the group once every setting in it is back at default, returning
 * the process to `originalPath` (v2) or the parent directory (v1). Returns a refusal or null.
 */
export function applyCgroupSetting(
  backend: CgroupBackend,
  pid: number,
  startTime: number,
  setting: CgroupSetting,
  value: number | null,
  originalPath: string | undefined,
  /** Checked right before the process is moved by pid (identity still holds; see adapter.linux.ts). */
  stillOurs: () => boolean = () => true,
): Refusal | null {
  const op = setting;
  removeLingering();
  const current = cgroupPathOf(pid, backend);
  if (current === null) return refused('gone', 'the process has exited; nothing was changed');
  const inOurGroup = current.split('/').pop() === groupName(pid, startTime);
  if (value === null && !inOurGroup) return null; // already at default: nothing of ours to undo
  const target = groupPathFor(backend, pid, startTime, current);
  if (typeof target !== 'string') return target;
  const dir = abs(backend, target);
  try {
    if (!inOurGroup) {
      if (backend.version === 2) prepareV2Parent(backend, dirname(target));
      if (!cgfs.exists(dir)) cgfs.mkdir(dir);
      if (!stillOurs()) {
        rmdirIfEmpty(dir);
        return refused('gone', 'the process has exited; nothing was changed');
      }
      cgfs.write(join(dir, 'cgroup.procs'), String(pid));
    }
    writeSetting(backend, dir, setting, value);
  } catch (error) {
    if (!inOurGroup && cgfs.exists(dir)) dissolveGroup(dir, abs(backend, current));
    return refusalFromError(error, op, false, dir);
  }
  if (value === null && groupAtDefaults(backend, dir)) {
    const back =
      backend.version === 1
        ? dirname(dir)
        : originalPath && !GROUP_RE.test(originalPath.split('/').pop() ?? '') && cgfs.exists(abs(backend, originalPath))
          ? abs(backend, originalPath)
          : dirname(dirname(dir));
    const result = dissolveGroup(dir, back);
    if (!result.removed) {
      // Children of a forking process that are exiting as the group goes keep it busy (EBUSY with an
      // empty cgroup.procs) for a moment after they are gone from the listing. The process itself is
      // back where it was, which is what the restore is for: the group goes on a later call.
      if (result.error === 'EBUSY' && cgroupPathOf(pid, backend) !== target) {
        lingering.add(dir);
        return null;
      }
      return refused('failed', `could not remove the cgroup Allot created at ${dir}: ${result.error ?? ''}`);
    }
  }
  return null;
}

/**
 * Why moving this process into its Allot group could not be undone (null when it could, or when it
 * is in its group already): Allot must be able to write its current cgroup's cgroup.procs.
 */
export function cgroupMoveIrreversible(backend: CgroupBackend, pid: number, startTime: number): string | null {
  const current = cgroupPathOf(pid, backend);
  if (current === null || current.split('/').pop() === groupName(pid, startTime)) return null;
  const dir = abs(backend, current);
  return writable(join(dir, 'cgroup.procs')) ? null : cgroupIrreversible(dir);
}

/** v2: the `allot` parent must exist and pass cpu and memory down (subtree_control). */
function prepareV2Parent(backend: CgroupBackend, parentRel: string): void {
  const parent = abs(backend, parentRel);
  const root = dirname(parent);
  const offered = (readText(join(root, 'cgroup.controllers')) ?? '').split(/\s+/);
  const enable = ['cpu', 'memory'].filter((c) => offered.includes(c)).map((c) => `+${c}`).join(' ');
  if (enable) cgfs.write(join(root, 'cgroup.subtree_control'), enable);
  if (!cgfs.exists(parent)) cgfs.mkdir(parent);
  if (enable) cgfs.write(join(parent, 'cgroup.subtree_control'), enable);
}

/**
 * Remove empty Allot groups (left by processes that exited) in every hierarchy in use. Returns the
 * directories removed. Walks at most `maxDepth` levels; never throws.
 */
export function sweepEmptyGroups(maxDepth = 8): string[] {
  const removed: string[] = [];
  const detection = detectCgroups();
  const seen = new Set<string>();
  for (const backend of Object.values(detection.backends)) {
    if (!backend || seen.has(backend.mount)) continue;
    seen.add(backend.mount);
    const walk = (dir: string, depth: number): void => {
      let entries: string[];
      try {
        entries = cgfs.dirs(dir);
      } catch {
        return;
      }
      for (const name of entries) {
        const child = join(dir, name);
        if (GROUP_RE.test(name)) {
          if (procsOf(child).length === 0) {
            try {
              cgfs.rmdir(child);
              removed.push(child);
            } catch {
              /* busy (a child group or a task appeared): leave it */
            }
          }
        } else if (depth < maxDepth) {
          walk(child, depth + 1);
        }
      }
    };
    walk(backend.mount, 0);
  }
  return removed;
}

export function cgroupCapability(setting: CgroupSetting, detection: Detection): Capability {
  const controller = controllerOf(setting);
  const backend = detection.backends[controller];
  if (!backend || backend.version === 1) return { supported: backend !== undefined, detail: detection.detail[controller] };
  // cgroup v2: only a delegated subtree is Allot's to write; say which, and what it offers.
  const delegation = delegationOf(backend);
  if (!delegation) return { supported: false, detail: `${detection.detail[controller]}; nothing in it is delegated to this user (no writable cgroup above Allot's own)` };
  if (!delegation.controllers.includes(controller)) {
    return { supported: false, detail: `the cgroup v2 subtree delegated to this user (${delegation.root}) does not offer ${controller} (offers: ${delegation.controllers.join(' ') || 'none'})` };
  }
  return { supported: true, detail: `cgroup v2 ${controller} in the subtree delegated to this user: ${delegation.root} (offers ${delegation.controllers.join(' ')}); Allot's groups go in ${join(delegation.root, 'allot')}` };
}
