// Dissolving an Allot group while the process in it forks (a build, a fork storm: what the engine
// restrains), on an in-memory cgroup v1 cpu hierarchy that behaves like cgroupfs where it matters:
// writing a pid to cgroup.procs moves it, and rmdir fails with EBUSY while the group holds a process
// or, for a moment after they leave the listing, children that are exiting. On a real cgroup v1
// (bench:load's storm) the old single pass failed about one restore in six with EBUSY.
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyCgroupSetting, dissolveGroup, useCgroupFsForTests, type CgroupBackend, type CgroupFs } from '../../../src-main/platform/cgroup.linux';

const MOUNT = '/cg/cpu';
const backend: CgroupBackend = { controller: 'cpu', version: 1, mount: MOUNT };

function memoryCgroupFs() {
  const where = new Map<number, string>();
  const dirs = new Set<string>([MOUNT]);
  const files = new Map<string, string>();
  const rel = (path: string) => path.slice(MOUNT.length) || '/';
  const state = {
    where,
    dirs,
    files,
    /** Called when a pid is moved (the process forks at that moment). */
    onMove: (_pid: number, _from: string) => undefined as void,
    /** rmdir answers EBUSY while this is above 0 (exiting children not yet released), counting down. */
    dyingFor: 0,
  };
  const fs: CgroupFs = {
    readText: (path) => {
      if (path.endsWith('/cgroup.procs')) {
        const group = rel(dirname(path));
        return [...where].filter(([, g]) => g === group).map(([pid]) => pid).join('\n');
      }
      return files.get(path) ?? null;
    },
    write: (path, text) => {
      if (path.endsWith('/cgroup.procs')) {
        const pid = Number(text);
        const from = where.get(pid);
        if (from === undefined) throw Object.assign(new Error('ESRCH'), { code: 'ESRCH' });
        state.onMove(pid, from);
        where.set(pid, rel(dirname(path)));
        return;
      }
      files.set(path, text);
    },
    mkdir: (path) => void dirs.add(path),
    rmdir: (path) => {
      const group = rel(path);
      if ([...where.values()].includes(group)) throw Object.assign(new Error(`EBUSY: ${path}`), { code: 'EBUSY' });
      if (state.dyingFor > 0) {
        state.dyingFor--;
        throw Object.assign(new Error(`EBUSY: ${path}`), { code: 'EBUSY' });
      }
      dirs.delete(path);
      for (const file of [...files.keys()]) if (dirname(file) === path) files.delete(file);
    },
    exists: (path) => dirs.has(path) || files.has(path),
    writable: () => true,
    dirs: (path) => [...dirs].filter((d) => dirname(d) === path).map((d) => d.slice(path.length + 1)),
    mounts: () => `cgroup ${MOUNT} cgroup rw,cpu 0 0\n`,
    procCgroup: (pid) => (where.has(pid) ? `3:cpu:${where.get(pid)}` : null),
  };
  return { fs, state };
}

afterEach(() => useCgroupFsForTests(null));

/** Process 100 in Allot's group /allot-100-5 (cpu.shares 512), on an in-memory cgroup fs in use. */
function restrainedProcess100() {
  const { fs, state } = memoryCgroupFs();
  useCgroupFsForTests(fs);
  const dir = join(MOUNT, '/allot-100-5');
  state.dirs.add(dir);
  state.files.set(join(dir, 'cpu.shares'), '512');
  state.where.set(100, '/allot-100-5');
  return { fs, state, dir };
}

describe('dissolving an Allot group around a forking process', () => {
  it('moves the children born in the group while the parent was being moved, then removes it', () => {
    const { fs, state } = memoryCgroupFs();
    useCgroupFsForTests(fs);
    const group = '/allot-100-5';
    state.dirs.add(join(MOUNT, group));
    state.where.set(100, group);
    let nextChild = 101;
    // Each time the parent is moved, it has just forked a child into the group it is leaving.
    state.onMove = (pid, from) => {
      if (pid === 100 && from === group && nextChild < 103) state.where.set(nextChild++, group);
    };
    expect(dissolveGroup(join(MOUNT, group), MOUNT)).toEqual({ removed: true });
    expect([...state.where]).toEqual([
      [100, '/'],
      [101, '/'],
    ]);
    expect(state.dirs.has(join(MOUNT, group))).toBe(false);
  });

  it('a restore whose emptied group is still busy with exiting children succeeds: the process is back, the group goes on a later call', () => {
    const { state, dir } = restrainedProcess100();
    state.where.set(200, '/');
    state.dyingFor = 1000;
    expect(applyCgroupSetting(backend, 100, 5, 'cpuWeight', null, '/')).toBeNull();
    expect(state.where.get(100)).toBe('/');
    expect(state.dirs.has(dir)).toBe(true);
    // The children are released; the next cgroup call (any process) removes the group.
    state.dyingFor = 0;
    expect(applyCgroupSetting(backend, 200, 9, 'cpuWeight', null, '/')).toBeNull();
    expect(state.dirs.has(dir)).toBe(false);
  });

  it('a group the process is still in after every round is still a failed restore', () => {
    const { fs } = restrainedProcess100();
    // The move is silently not done (as when the kernel refuses it for a pid that is not a thread-group leader).
    fs.write = ((original) => (path: string, text: string) => {
      if (path.endsWith('/cgroup.procs')) return;
      original(path, text);
    })(fs.write);
    expect(applyCgroupSetting(backend, 100, 5, 'cpuWeight', null, '/')).toMatchObject({ kind: 'refused', reason: 'failed', message: expect.stringContaining('EBUSY') });
  });
});
