// The Windows adapter against a fake Windows (test/fixtures/platform-win32/fake-windows.ts) that
// implements the real Win32ActuationApi: which API is called with which converted value and access
// right, the read-back, error mapping, identity by creation time on the held handle, job objects,
// and the never-touch guard around it.
import { beforeEach, describe, expect, it } from 'vitest';
import { ActionResultSchema, CapabilitiesSchema } from '../../../src-shared/actions';
import {
  accessFor,
  cpuRateFor,
  createWin32Adapter,
  priorityClassForNice,
  unguardedWin32Adapter,
} from '../../../src-main/platform/adapter.win32';
import {
  ACCESS,
  IO_PRIORITY,
  JOB_OBJECT_CPU_RATE_CONTROL_ENABLE,
  JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP,
  PRIORITY_CLASS,
  QUOTA_LIMITS,
  WIN32_ERROR,
  WM_CLOSE,
} from '../../../src-main/platform/bindings.win32';
import { FakeWindows, type FakeProcess } from '../../fixtures/platform-win32/fake-windows';

let os: FakeWindows;
let editor: FakeProcess;

beforeEach(() => {
  os = new FakeWindows();
  os.add({ pid: 1000, ppid: 4, name: 'explorer.exe' });
  editor = os.add({ pid: 4242, name: 'build.exe', exe: 'C:\\tools\\build.exe' });
});

const adapter = () => unguardedWin32Adapter(os, { pollMs: 1 });
const guarded = () => createWin32Adapter(os, { selfPids: [777], exclusions: [] }, { pollMs: 1 });

function valid(result: unknown): void {
  expect(ActionResultSchema.safeParse(result).success).toBe(true);
}

describe('identity', () => {
  it('uses the creation FILETIME as a JS number, like the sampler, and refuses a mismatch as gone without acting', async () => {
    const id = os.identity(editor);
    expect(id.startTime).toBe(Number(editor.createTime));
    const wrong = { pid: id.pid, startTime: id.startTime + 16_000 };
    const result = await adapter().setPriority(wrong, { nice: 10 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(os.callsOf('setPriorityClass')).toHaveLength(0);
    expect(editor.priorityClass).toBe(PRIORITY_CLASS.NORMAL);
    expect(os.openHandleCount()).toBe(0);
  });

  it('maps OpenProcess ERROR_INVALID_PARAMETER (no such pid) to gone', async () => {
    const result = await adapter().setPriority({ pid: 9999, startTime: 1 }, { nice: 10 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'gone' });
  });

  it('reports gone when the process exits while the change is made', async () => {
    const api = adapter();
    const original = os.setPriorityClass.bind(os);
    os.setPriorityClass = (h, cls) => {
      const r = original(h, cls);
      editor.exitCode = 0;
      return r;
    };
    const result = await api.setPriority(os.identity(editor), { nice: 10 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'gone', before: { op: 'priority', value: { nice: 0 } } });
  });

  it('opens with the least access each operation needs and closes every handle', async () => {
    expect(accessFor('priority')).toBe(ACCESS.PROCESS_QUERY_LIMITED_INFORMATION | ACCESS.PROCESS_SET_INFORMATION);
    expect(accessFor('suspend')).toBe(ACCESS.PROCESS_QUERY_LIMITED_INFORMATION | ACCESS.PROCESS_SUSPEND_RESUME);
    expect(accessFor('terminate') & ACCESS.PROCESS_TERMINATE).toBeTruthy();
    expect(accessFor('priority') & ACCESS.PROCESS_TERMINATE).toBe(0);
    const api = adapter();
    await api.setPriority(os.identity(editor), { nice: 10 });
    await api.getPriority(os.identity(editor));
    expect(os.callsOf('openProcess').map((c) => c.args[0])).toEqual([accessFor('priority'), ACCESS.PROCESS_QUERY_LIMITED_INFORMATION]);
    expect(os.openHandleCount()).toBe(0);
  });
});

describe('priority', () => {
  it('maps nice to priority classes, never REALTIME', () => {
    expect(priorityClassForNice(19)).toBe(PRIORITY_CLASS.IDLE);
    expect(priorityClassForNice(15)).toBe(PRIORITY_CLASS.IDLE);
    expect(priorityClassForNice(10)).toBe(PRIORITY_CLASS.BELOW_NORMAL);
    expect(priorityClassForNice(5)).toBe(PRIORITY_CLASS.BELOW_NORMAL);
    expect(priorityClassForNice(0)).toBe(PRIORITY_CLASS.NORMAL);
    expect(priorityClassForNice(-5)).toBe(PRIORITY_CLASS.ABOVE_NORMAL);
    expect(priorityClassForNice(-10)).toBe(PRIORITY_CLASS.HIGH);
    expect(priorityClassForNice(-20)).toBe(PRIORITY_CLASS.HIGH);
  });

  it('sets BELOW_NORMAL for nice 7 and reports the class read back', async () => {
    const result = await adapter().setPriority(os.identity(editor), { nice: 7 });
    valid(result);
    expect(os.callsOf('setPriorityClass').map((c) => c.args[0])).toEqual([PRIORITY_CLASS.BELOW_NORMAL]);
    expect(result).toEqual({ kind: 'applied', before: { op: 'priority', value: { nice: 0 } }, after: { op: 'priority', value: { nice: 10 } } });
  });

  it('restoring the before value puts the original class back', async () => {
    editor.priorityClass = PRIORITY_CLASS.ABOVE_NORMAL;
    const api = adapter();
    const lowered = await api.setPriority(os.identity(editor), { nice: 19 });
    expect(editor.priorityClass).toBe(PRIORITY_CLASS.IDLE);
    if (lowered.kind !== 'applied' || lowered.before?.op !== 'priority') throw new Error('not applied');
    await api.apply(os.identity(editor), lowered.before);
    expect(editor.priorityClass).toBe(PRIORITY_CLASS.ABOVE_NORMAL);
  });

  it('maps ERROR_ACCESS_DENIED on a raise to a permission refusal a person understands', async () => {
    os.failNext.set('setPriorityClass', WIN32_ERROR.ACCESS_DENIED);
    const result = await adapter().setPriority(os.identity(editor), { nice: -10 });
    valid(result);
    expect(result).toMatchObject({ kind: 'refused', reason: 'permission', code: 'ERROR_ACCESS_DENIED', message: 'needs administrator rights to raise priority' });
  });

  it('maps OpenProcess ERROR_ACCESS_DENIED (another user\'s process) to permission', async () => {
    editor.deniedAccess = ACCESS.PROCESS_SET_INFORMATION;
    const result = await adapter().setPriority(os.identity(editor), { nice: 10 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect((result as { message: string }).message).toMatch(/another user/);
  });

  it('reports a change that did not take effect as ineffective', async () => {
    editor.ignoresSetters = true;
    const result = await adapter().setPriority(os.identity(editor), { nice: 19 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'ineffective' });
  });
});

describe('affinity', () => {
  it('converts CPU numbers to a group-0 mask and reads it back', async () => {
    const result = await adapter().setAffinity(os.identity(editor), { cpus: [2, 0] });
    expect(os.callsOf('setProcessAffinityMask').map((c) => c.args[0])).toEqual([0b101n]);
    expect(result).toMatchObject({ kind: 'applied', after: { op: 'affinity', value: { cpus: [0, 2] } } });
  });

  it('refuses CPUs outside group 0 or not in the system mask, changing nothing', async () => {
    expect(await adapter().setAffinity(os.identity(editor), { cpus: [70] })).toMatchObject({ reason: 'invalid' });
    expect(await adapter().setAffinity(os.identity(editor), { cpus: [1, 9] })).toMatchObject({ reason: 'invalid' });
    expect(os.callsOf('setProcessAffinityMask')).toHaveLength(0);
  });

  it('says a process spanning several processor groups is unsupported', async () => {
    editor.affinityMask = 0n;
    expect(await adapter().read(os.identity(editor), 'affinity')).toMatchObject({ kind: 'refused', reason: 'unsupported' });
  });
});

describe('I/O priority', () => {
  it('maps classes to IO_PRIORITY_HINT values', async () => {
    const api = adapter();
    await api.setIoPriority(os.identity(editor), { ioClass: 'idle', level: 7 });
    await api.setIoPriority(os.identity(editor), { ioClass: 'best-effort', level: 6 });
    const last = await api.setIoPriority(os.identity(editor), { ioClass: 'best-effort', level: 2 });
    expect(os.callsOf('setIoPriority').map((c) => c.args[0])).toEqual([IO_PRIORITY.VERY_LOW, IO_PRIORITY.LOW, IO_PRIORITY.NORMAL]);
    expect(last).toMatchObject({ kind: 'applied', before: { value: { ioClass: 'best-effort', level: 7 } } });
  });

  it('high (realtime) without the privilege is a permission refusal', async () => {
    const result = await adapter().setIoPriority(os.identity(editor), { ioClass: 'realtime', level: 0 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'permission' });
    expect((result as { message: string }).message).toMatch(/administrator/);
    expect(editor.ioHint).toBe(IO_PRIORITY.NORMAL);
  });
});

describe('efficiency mode (EcoQoS)', () => {
  it('sets EXECUTION_SPEED in both masks and clears them when turned off', async () => {
    const api = adapter();
    const on = await api.setEfficiencyMode(os.identity(editor), { enabled: true });
    expect(on).toMatchObject({ kind: 'applied', before: { value: { enabled: false } }, after: { value: { enabled: true } } });
    expect(editor.throttle).toEqual({ controlMask: 1, stateMask: 1 });
    await api.setEfficiencyMode(os.identity(editor), { enabled: false });
    expect(editor.throttle).toEqual({ controlMask: 0, stateMask: 0 });
  });

  it('reports unsupported when this Windows cannot read power throttling', async () => {
    os.failNext.set('getPowerThrottling', WIN32_ERROR.INVALID_PARAMETER);
    expect(await adapter().setEfficiencyMode(os.identity(editor), { enabled: true })).toMatchObject({ reason: 'unsupported' });
    expect(os.callsOf('setPowerThrottling')).toHaveLength(0);
  });
});

describe('CPU cap (job object)', () => {
  it('converts percent of one core to a hard rate of the whole machine and reads it back', async () => {
    expect(cpuRateFor(50, 8)).toBe(625);
    expect(cpuRateFor(150, 4)).toBe(3750);
    const api = adapter();
    const result = await api.setCpuCap(os.identity(editor), { percentOfOneCore: 50 });
    valid(result);
    expect(os.callsOf('createJobObject')).toHaveLength(1);
    expect(editor.jobs).toHaveLength(1);
    expect(os.callsOf('setJobCpuRate').map((c) => c.args[0])).toEqual([
      { controlFlags: JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP, cpuRate: 625 },
    ]);
    expect(result).toMatchObject({ kind: 'applied', before: { value: { percentOfOneCore: null } }, after: { value: { percentOfOneCore: 50 } } });
    // A second cap reuses the job.
    await api.setCpuCap(os.identity(editor), { percentOfOneCore: 100 });
    expect(os.callsOf('createJobObject')).toHaveLength(1);
    expect(editor.jobs[0]?.rate.cpuRate).toBe(1250);
  });

  it('restore turns the job limit off (a process cannot leave a job) and cleanup closes the job', async () => {
    const api = adapter();
    await api.setCpuCap(os.identity(editor), { percentOfOneCore: 50 });
    const removed = await api.setCpuCap(os.identity(editor), { percentOfOneCore: null });
    expect(removed).toMatchObject({ kind: 'applied', after: { value: { percentOfOneCore: null } } });
    expect((removed as { note?: string }).note).toMatch(/cannot leave/);
    expect(editor.jobs[0]?.rate.controlFlags).toBe(0);
    expect(os.openHandleCount()).toBe(2); // the job and its watch handle
    const cleaned = await api.cleanup();
    expect(cleaned).toHaveLength(1);
    expect(editor.jobs[0]?.closed).toBe(true);
    expect(os.openHandleCount()).toBe(0);
  });

  it('cleanup closes the job of a process that exited, and keeps a live capped one', async () => {
    const other = os.add({ pid: 5000, name: 'indexer.exe' });
    const api = adapter();
    await api.setCpuCap(os.identity(editor), { percentOfOneCore: 50 });
    await api.setCpuCap(os.identity(other), { percentOfOneCore: 50 });
    other.exitCode = 0;
    const cleaned = await api.cleanup();
    expect(cleaned).toEqual([expect.stringMatching(/pid 5000 \(process exited\)/)]);
    expect(editor.jobs[0]?.closed).toBe(false);
  });

  it('refuses a cap above the machine, and cpu weight as unsupported', async () => {
    expect(await adapter().setCpuCap(os.identity(editor), { percentOfOneCore: 900 })).toMatchObject({ reason: 'invalid' });
    expect(await adapter().setCpuWeight(os.identity(editor), { weight: 50 })).toMatchObject({ reason: 'unsupported' });
    expect(os.callsOf('createJobObject')).toHaveLength(0);
  });
});

describe('memory limit (working-set maximum)', () => {
  it('sets a soft working-set maximum and puts the original back', async () => {
    const api = adapter();
    const original = { ...editor.workingSet };
    const limit = 200 * 1024 * 1024;
    const result = await api.setMemoryLimit(os.identity(editor), { softLimitBytes: limit });
    expect(os.callsOf('setWorkingSetSize').map((c) => c.args[0])).toEqual([
      { minimumBytes: original.minimumBytes, maximumBytes: limit, flags: QUOTA_LIMITS.HARDWS_MIN_DISABLE | QUOTA_LIMITS.HARDWS_MAX_DISABLE },
    ]);
    expect(result).toMatchObject({ kind: 'applied', before: { value: { softLimitBytes: null } }, after: { value: { softLimitBytes: limit } } });
    const restored = await api.setMemoryLimit(os.identity(editor), { softLimitBytes: null });
    expect(restored).toMatchObject({ kind: 'applied', after: { value: { softLimitBytes: null } } });
    expect(editor.workingSet).toEqual(original);
  });

  it('reads someone else\'s later change as no limit of Allot\'s (so the actuator sees it as external)', async () => {
    const api = adapter();
    await api.setMemoryLimit(os.identity(editor), { softLimitBytes: 100 * 1024 * 1024 });
    editor.workingSet = { ...editor.workingSet, maximumBytes: 50 * 1024 * 1024 };
    expect(await api.read(os.identity(editor), 'memoryLimit')).toEqual({ kind: 'value', value: { op: 'memoryLimit', value: { softLimitBytes: null } } });
  });
});

describe('suspend and resume', () => {
  it('uses NtSuspendProcess / NtResumeProcess and reads the thread states back', async () => {
    const api = adapter();
    const suspended = await api.suspend(os.identity(editor));
    expect(suspended).toMatchObject({ kind: 'applied', before: { value: { suspended: false } }, after: { value: { suspended: true } } });
    expect(os.callsOf('suspendProcess')).toHaveLength(1);
    const resumed = await api.resume(os.identity(editor));
    expect(resumed).toMatchObject({ kind: 'applied', after: { value: { suspended: false } } });
    expect(os.callsOf('resumeProcess')).toHaveLength(1);
  });
});

describe('terminate', () => {
  it('closes a windowed program with WM_CLOSE', async () => {
    editor.windows = 2;
    const result = await adapter().terminate(os.identity(editor), 1000);
    expect(result).toMatchObject({ kind: 'applied', note: 'closed after WM_CLOSE to its 2 top-level windows' });
    expect(os.callsOf('postMessage').map((c) => c.args[0])).toEqual([WM_CLOSE, WM_CLOSE]);
    expect(os.callsOf('terminateProcess')).toHaveLength(0);
  });

  it('forces with TerminateProcess after the grace period', async () => {
    editor.windows = 1;
    editor.closesOnWmClose = false;
    const result = await adapter().terminate(os.identity(editor), 30);
    expect(result).toMatchObject({ kind: 'applied' });
    expect((result as { note: string }).note).toMatch(/did not close within 30 ms of WM_CLOSE; ended with TerminateProcess/);
    expect(os.callsOf('terminateProcess')).toHaveLength(1);
  });

  it('says so when the program has no windows to close gracefully', async () => {
    const result = await adapter().terminate(os.identity(editor), 5000);
    expect(result).toMatchObject({ kind: 'applied', note: expect.stringMatching(/no top-level windows/) });
    expect(os.callsOf('postMessage')).toHaveLength(0);
    expect(editor.exitCode).toBe(1);
  });

  it('maps a denied TerminateProcess to permission', async () => {
    os.failNext.set('terminateProcess', WIN32_ERROR.ACCESS_DENIED);
    expect(await adapter().terminate(os.identity(editor), 0)).toMatchObject({ kind: 'refused', reason: 'permission' });
  });
});

describe('the guard around the Windows adapter', () => {
  it('refuses session-critical processes and acts on none of them', async () => {
    const critical = ['csrss.exe', 'lsass.exe', 'winlogon.exe', 'dwm.exe', 'services.exe', 'smss.exe'].map((name, i) => os.add({ pid: 600 + i * 4, ppid: 500, name }));
    const api = guarded();
    for (const proc of critical) {
      const result = await api.setPriority(os.identity(proc), { nice: 19 });
      expect(result).toMatchObject({ kind: 'refused', reason: 'protected', rule: `session-critical:${proc.name}` });
    }
    expect(os.callsOf('setPriorityClass')).toHaveLength(0);
    expect(os.callsOf('openProcess').filter((c) => c.args[0] !== ACCESS.PROCESS_QUERY_LIMITED_INFORMATION)).toHaveLength(0);
  });

  it('refuses System (pid 4), REALTIME-class processes and Allot\'s own children', async () => {
    const system = os.add({ pid: 4, ppid: 0, name: '', createTime: 0n });
    const audio = os.add({ pid: 3000, name: 'daw.exe', basePriority: 24, priorityClass: PRIORITY_CLASS.REALTIME });
    const self = os.add({ pid: 777, name: 'allot.exe' });
    const child = os.add({ pid: 778, ppid: 777, name: 'helper.exe' });
    const api = guarded();
    expect(await api.setPriority(os.identity(system), { nice: 19 })).toMatchObject({ reason: 'protected' });
    expect(await api.setPriority(os.identity(audio), { nice: 19 })).toMatchObject({ reason: 'protected', rule: 'realtime:rr' });
    expect(await api.setPriority(os.identity(self), { nice: 19 })).toMatchObject({ reason: 'protected', rule: 'allot-itself' });
    expect(await api.setPriority(os.identity(child), { nice: 19 })).toMatchObject({ reason: 'protected', rule: 'allot-descendant' });
    expect(os.callsOf('setPriorityClass')).toHaveLength(0);
  });

  it('does not trust a ppid whose owner started after the child (reused parent pid)', async () => {
    const orphan = os.add({ pid: 900, ppid: 777, name: 'tool.exe' });
    os.add({ pid: 777, name: 'allot.exe' }); // created after the orphan: not its parent
    const result = await guarded().setPriority(os.identity(orphan), { nice: 10 });
    expect(result).toMatchObject({ kind: 'applied' });
  });

  it('lets ordinary processes through, with the exe path as a fact for exclusions', async () => {
    const api = guarded();
    api.setExclusions([{ kind: 'exe', value: 'C:\\tools\\build.exe' }]);
    expect(await api.setPriority(os.identity(editor), { nice: 10 })).toMatchObject({ reason: 'protected', rule: 'user-excluded:exe:C:\\tools\\build.exe' });
    api.setExclusions([]);
    expect(await api.setPriority(os.identity(editor), { nice: 10 })).toMatchObject({ kind: 'applied' });
  });
});

describe('capabilities', () => {
  it('are honest about what Windows can do here', () => {
    os.groups = 2;
    const caps = adapter().capabilities();
    expect(CapabilitiesSchema.safeParse(caps).success).toBe(true);
    expect(caps.platform).toBe('win32');
    expect(caps.privileged).toBe(false);
    expect(caps.operations.cpuWeight?.supported).toBe(false);
    expect(caps.operations.affinity?.limits?.join(' ')).toMatch(/processor group 0 only.*2 processor groups/);
    expect(caps.operations.priority?.detail).toMatch(/REALTIME is never set/);
    expect(caps.operations.ioPriority?.limits?.join(' ')).toMatch(/SeIncreaseBasePriorityPrivilege/);
    expect(caps.operations.priority?.limits?.join(' ')).toMatch(/administrator rights/);
    os.elevated = true;
    const elevated = unguardedWin32Adapter(os).capabilities();
    expect(elevated.privileged).toBe(true);
    expect(elevated.operations.priority?.limits).toBeUndefined();
  });
});
