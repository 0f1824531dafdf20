// The Linux adapter against real processes, every value verified from /proc or the cgroup files.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority as osSetPriority } from 'node:os';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { autogroupEnabled, createLinuxAdapter, readAutogroup } from '../../../src-main/platform/adapter.linux';
import { readStat } from '../../../src-main/platform/identity.linux';
import { getAffinity, ioprioGet, ioprioSet, setAffinity } from '../../../src-main/platform/native.linux';
import type { ActionResult } from '../../../src-shared/actions';
import { cgroupLine, killChildren, listAllotCgroups, measureCpuPercent, procStatus, removeAllotCgroups, spawnBusy, spawnTarget, waitFor } from './helpers';

const adapter = createLinuxAdapter({ selfPids: [], exclusions: [] });

afterEach(async () => {
  await killChildren();
  removeAllotCgroups();
});
afterAll(() => removeAllotCgroups());

function applied(result: ActionResult): Extract<ActionResult, { kind: 'applied' }> {
  if (result.kind !== 'applied') throw new Error(`expected applied, got ${JSON.stringify(result)}`);
  return result;
}

describe('linux adapter', () => {
  it('reports capabilities with reasons', () => {
    const caps = adapter.capabilities();
    expect(caps.platform).toBe('linux');
    expect(caps.operations.priority.supported).toBe(true);
    expect(caps.operations.cpuCap.detail).toMatch(/cgroup v[12]/);
    expect(caps.operations.efficiencyMode.detail.length).toBeGreaterThan(10);
  });

  it('sets nice on every thread and undo restores it', async () => {
    const { identity } = await spawnBusy(); // node: several threads
    const result = applied(await adapter.setPriority(identity, { nice: 12 }));
    expect(readStat(identity.pid)?.nice).toBe(12);
    const tids = readFileSync(`/proc/${identity.pid}/task/${identity.pid}/stat`, 'utf8');
    expect(tids).toBeTruthy();
    for (const tid of execFileSync('ls', [`/proc/${identity.pid}/task`], { encoding: 'utf8' }).trim().split('\n')) {
      expect(readStat(identity.pid, Number(tid))?.nice).toBe(12);
    }
    expect(result.before).toMatchObject({ op: 'priority', value: { nice: 0 } });
    applied(await adapter.apply(identity, result.before!));
    expect(readStat(identity.pid)?.nice).toBe(0);
  });

  it('sets CPU affinity and restores it', async () => {
    const { identity } = await spawnTarget();
    const before = procStatus(identity.pid, 'Cpus_allowed_list');
    const result = applied(await adapter.setAffinity(identity, { cpus: [0] }));
    expect(procStatus(identity.pid, 'Cpus_allowed_list')).toBe('0');
    applied(await adapter.apply(identity, result.before!));
    expect(procStatus(identity.pid, 'Cpus_allowed_list')).toBe(before);
  });

  it('refuses an affinity to a CPU that is not online, changing nothing', async () => {
    const { identity } = await spawnTarget();
    const before = procStatus(identity.pid, 'Cpus_allowed_list');
    const result = await adapter.setAffinity(identity, { cpus: [4000] });
    expect(result).toMatchObject({ kind: 'refused', reason: 'invalid' });
    expect(procStatus(identity.pid, 'Cpus_allowed_list')).toBe(before);
  });

  it('sets the I/O priority (checked with ionice) and restores it', async () => {
    const { identity } = await spawnTarget();
    const result = applied(await adapter.setIoPriority(identity, { ioClass: 'best-effort', level: 6 }));
    expect(execFileSync('ionice', ['-p', String(identity.pid)], { encoding: 'utf8' }).trim()).toBe('best-effort: prio 6');
    applied(await adapter.setIoPriority(identity, { ioClass: 'idle', level: 0 }));
    expect(execFileSync('ionice', ['-p', String(identity.pid)], { encoding: 'utf8' }).trim()).toBe('idle');
    applied(await adapter.apply(identity, result.before!));
    expect(execFileSync('ionice', ['-p', String(identity.pid)], { encoding: 'utf8' }).trim()).toMatch(/^none/);
  });

  it('sets a CPU weight in a per-process cgroup and removes the group on restore', async () => {
    const { identity } = await spawnTarget();
    const originalCgroup = cgroupLine(identity.pid, 'cpu');
    const result = applied(await adapter.setCpuWeight(identity, { weight: 50 }));
    const group = cgroupLine(identity.pid, 'cpu');
    expect(group).toMatch(new RegExp(`allot-${identity.pid}-${identity.startTime}$`));
    const dir = `/sys/fs/cgroup/cpu${group}`;
    expect(readFileSync(`${dir}/cpu.shares`, 'utf8').trim()).toBe('512');
    applied(await adapter.apply(identity, result.before!));
    expect(cgroupLine(identity.pid, 'cpu')).toBe(originalCgroup);
    expect(existsSync(dir)).toBe(false);
  });

  it('sets a soft memory limit and restores it', async () => {
    const { identity } = await spawnTarget();
    const originalCgroup = cgroupLine(identity.pid, 'memory');
    const result = applied(await adapter.setMemoryLimit(identity, { softLimitBytes: 64 * 1024 * 1024 }));
    const group = cgroupLine(identity.pid, 'memory');
    expect(group).toBe(`${originalCgroup === '/' ? '' : originalCgroup}/allot-${identity.pid}-${identity.startTime}`);
    expect(Number(readFileSync(`/sys/fs/cgroup/memory${group}/memory.soft_limit_in_bytes`, 'utf8'))).toBe(64 * 1024 * 1024);
    applied(await adapter.apply(identity, result.before!));
    expect(cgroupLine(identity.pid, 'memory')).toBe(originalCgroup);
    expect(listAllotCgroups()).toEqual([]);
  });

  it('keeps the group while another setting in it is in force', async () => {
    const { identity } = await spawnTarget();
    const cap = applied(await adapter.setCpuCap(identity, { percentOfOneCore: 50 }));
    const weight = applied(await adapter.setCpuWeight(identity, { weight: 200 }));
    applied(await adapter.apply(identity, cap.before!));
    const group = cgroupLine(identity.pid, 'cpu')!;
    expect(group).toMatch(/allot-/);
    expect(readFileSync(`/sys/fs/cgroup/cpu${group}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('-1');
    applied(await adapter.apply(identity, weight.before!));
    expect(cgroupLine(identity.pid, 'cpu')).not.toMatch(/allot-/);
    expect(listAllotCgroups()).toEqual([]);
  });

  it("keeps a program's own ranking of its threads: moves them by the same step and puts each back", async () => {
    const { identity } = await spawnTarget(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], 'node');
    const others = () => readdirSync(`/proc/${identity.pid}/task`).map(Number).filter((tid) => tid !== identity.pid);
    // Node starts its platform and libuv threads right after exec.
    await waitFor(() => others().length >= 2);
    const tids = others();
    // The program ranks one of its threads lower on its own (as browsers and audio servers do).
    const [low, other] = tids as [number, number];
    osSetPriority(low, 5);
    const niceOfThread = (tid: number) => getPriority(tid);
    const result = applied(await adapter.setPriority(identity, { nice: 10 }));
    expect(result.before).toMatchObject({ op: 'priority', value: { nice: 0, threadNice: [[low, 5]] } });
    expect(niceOfThread(identity.pid)).toBe(10);
    expect(niceOfThread(other)).toBe(10);
    expect(niceOfThread(low)).toBe(15);
    // A step past the end clamps at 19.
    applied(await adapter.setPriority(identity, { nice: 19 }));
    expect(niceOfThread(low)).toBe(19);
    // Putting the reading from before back restores each thread to its own value.
    applied(await adapter.apply(identity, result.before!));
    expect(niceOfThread(identity.pid)).toBe(0);
    expect(niceOfThread(other)).toBe(0);
    expect(niceOfThread(low)).toBe(5);
  });

  it('puts threads pinned apart or with their own I/O priority back to their own values', async () => {
    const { identity } = await spawnTarget(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], 'node');
    const others = () => readdirSync(`/proc/${identity.pid}/task`).map(Number).filter((tid) => tid !== identity.pid);
    await waitFor(() => others().length >= 2);
    const [pinned, plain] = others() as [number, number];
    const online = getAffinity(identity.pid) as number[];
    // Pinning apart needs two CPUs to choose from (a runner limited to one cannot show it).
    expect(online.length).toBeGreaterThanOrEqual(2);
    // The program pins one thread to the first CPU and gives it the idle I/O class.
    expect(setAffinity(pinned, [online[0]!])).toBe(0);
    expect(ioprioSet(pinned, 'idle', 0)).toBe(0);
    const affinity = applied(await adapter.apply(identity, { op: 'affinity', value: { cpus: [online[online.length - 1]!] } }));
    expect(affinity.before).toMatchObject({ value: { cpus: online, threadCpus: [[pinned, [online[0]]]] } });
    expect(getAffinity(pinned)).toEqual([online[online.length - 1]]);
    const io = applied(await adapter.apply(identity, { op: 'ioPriority', value: { ioClass: 'best-effort', level: 7 } }));
    expect(io.before).toMatchObject({ value: { threadIo: [[pinned, 'idle', 0]] } });
    expect(ioprioGet(pinned)).toMatchObject({ ioClass: 'best-effort', level: 7 });
    // Restores: each thread gets its own value back.
    applied(await adapter.apply(identity, affinity.before!));
    applied(await adapter.apply(identity, io.before!));
    expect(getAffinity(identity.pid)).toEqual(online);
    expect(getAffinity(plain)).toEqual(online);
    expect(getAffinity(pinned)).toEqual([online[0]]);
    expect(ioprioGet(pinned)).toMatchObject({ ioClass: 'idle' });
    expect(ioprioGet(plain)).toEqual(ioprioGet(identity.pid));
  });

  it('sets the autogroup nice too when the target is alone in its session', async () => {
    const { identity } = await spawnTarget('setsid', ['sleep', '60'], 'sleep');
    // The kernel shows an autogroup only when autogroups are on and the task sits in the root CPU
    // cgroup (inside a container's cgroup /proc/PID/autogroup is empty): then both move together.
    const hasAutogroup = autogroupEnabled() && readAutogroup(identity.pid) !== null;
    const result = applied(await adapter.setPriority(identity, { nice: 7 }));
    expect(readStat(identity.pid)?.nice).toBe(7);
    if (hasAutogroup) expect(readAutogroup(identity.pid)?.nice).toBe(7);
    applied(await adapter.apply(identity, result.before!));
    if (hasAutogroup) expect(readAutogroup(identity.pid)?.nice).toBe(0);
    expect(readStat(identity.pid)?.nice).toBe(0);
  });

  it("lowers a whole session through its leader's /proc/PID/autogroup, reaching its other members, and puts it back", async () => {
    if (!autogroupEnabled()) return expect(adapter.capabilities().operations.sessionPriority.supported).toBe(false);
    const { identity } = await spawnTarget('setsid', ['sh', '-c', 'sleep 60; :'], 'sh');
    let member = 0;
    await waitFor(() => (member = Number(readFileSync(`/proc/${identity.pid}/task/${identity.pid}/children`, 'utf8').trim().split(' ')[0] || 0)) > 0);
    const group = readAutogroup(identity.pid);
    if (group === null) return; // inside a CPU cgroup the kernel shows no autogroup: nothing to test here
    expect(readAutogroup(member)?.id).toBe(group.id);
    const result = applied(await adapter.apply(identity, { op: 'sessionPriority', value: { nice: 10 } }));
    expect(result.before).toEqual({ op: 'sessionPriority', value: { nice: 0, autogroupId: group.id } });
    expect(result.after).toEqual({ op: 'sessionPriority', value: { nice: 10, autogroupId: group.id } });
    expect(readAutogroup(member)?.nice).toBe(10); // every member, not only the one acted through
    expect(readStat(identity.pid)?.nice).toBe(0); // the process's own nice is untouched
    applied(await adapter.apply(identity, result.before!));
    expect(readAutogroup(member)?.nice).toBe(0);
    expect(adapter.capabilities().operations.sessionPriority).toMatchObject({ supported: true, reversibility: 'reversible' });
  });

  it("refuses to lower Allot's own session", async () => {
    const { identity } = await spawnTarget(); // a child in this test's session
    if (!autogroupEnabled() || readAutogroup(identity.pid) === null) return;
    const before = readAutogroup(process.pid)!.nice;
    const result = await adapter.apply(identity, { op: 'sessionPriority', value: { nice: 15 } });
    expect(result).toMatchObject({ kind: 'refused', reason: 'protected' });
    expect(readAutogroup(process.pid)!.nice).toBe(before);
  });

  it('caps a busy process at 30% of one core (measured from /proc/PID/stat)', async () => {
    // Its own session (setsid) and a high priority, so the other work on this shared machine
    // cannot keep it below the cap: what limits it then is the cap alone.
    const { identity } = await spawnTarget('setsid', [process.execPath, '-e', 'for(;;){}'], 'node');
    applied(await adapter.setPriority(identity, { nice: -15 }));
    const uncapped = await measureCpuPercent(identity.pid, 1500);
    expect(uncapped).toBeGreaterThan(45); // the cap below has something to cut
    const result = applied(await adapter.setCpuCap(identity, { percentOfOneCore: 30 }));
    const group = cgroupLine(identity.pid, 'cpu')!;
    expect(readFileSync(`/sys/fs/cgroup/cpu${group}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('30000');
    await new Promise((r) => setTimeout(r, 300));
    const capped = await measureCpuPercent(identity.pid, 3000);
    expect(capped).toBeLessThanOrEqual(33);
    expect(capped).toBeGreaterThanOrEqual(27);
    applied(await adapter.apply(identity, result.before!));
    expect(listAllotCgroups()).toEqual([]);
  });

  it('suspends and resumes through the pidfd', async () => {
    const { identity } = await spawnTarget();
    const result = applied(await adapter.suspend(identity));
    expect(readStat(identity.pid)?.state).toBe('T');
    expect(result.before).toEqual({ op: 'suspend', value: { suspended: false } });
    applied(await adapter.resume(identity));
    expect(readStat(identity.pid)?.state).not.toBe('T');
  });

  it('terminates gracefully, and forces a process that ignores SIGTERM', async () => {
    const polite = await spawnTarget();
    expect(applied(await adapter.terminate(polite.identity, 2000)).note).toMatch(/graceful/);
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM',()=>{});console.log('ready');setInterval(()=>{},1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise((r) => child.stdout.once('data', r)); // the SIGTERM handler is installed
      const stubborn = { pid: child.pid!, startTime: readStat(child.pid!)!.startTime };
      expect(applied(await adapter.terminate(stubborn, 200)).note).toMatch(/SIGKILL/);
      await exited;
      expect(child.signalCode).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports efficiency mode as unsupported with a reason when the kernel has no uclamp', async () => {
    const { identity } = await spawnTarget();
    const result = await adapter.setEfficiencyMode(identity, { enabled: true });
    if (existsSync('/proc/sys/kernel/sched_util_clamp_max')) {
      expect(result.kind).toBe('applied');
    } else {
      expect(result).toMatchObject({ kind: 'refused', reason: 'unsupported' });
      expect(adapter.capabilities().operations.efficiencyMode.supported).toBe(false);
    }
  });

  it('returns gone for an exited process and for a wrong start time', async () => {
    const { identity, child } = await spawnTarget();
    expect(await adapter.setPriority({ ...identity, startTime: identity.startTime + 1 }, { nice: 5 })).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(readStat(identity.pid)?.nice).toBe(0);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await adapter.setPriority(identity, { nice: 5 })).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(await adapter.read(identity, 'priority')).toMatchObject({ kind: 'refused', reason: 'gone' });
  });

  it('rejects bad input with invalid and changes nothing', async () => {
    const { identity } = await spawnTarget();
    expect(await adapter.setPriority(identity, { nice: 42 })).toMatchObject({ kind: 'refused', reason: 'invalid' });
    expect(await adapter.setAffinity(identity, { cpus: [] })).toMatchObject({ kind: 'refused', reason: 'invalid' });
    expect(await adapter.setPriority({ pid: -1, startTime: 0 }, { nice: 1 })).toMatchObject({ kind: 'refused', reason: 'invalid' });
    expect(readStat(identity.pid)?.nice).toBe(0);
  });
});
