// The macOS adapter against a fake macOS (test/fixtures/platform-darwin/fake-darwin.ts) that
// implements the real DarwinActuationApi: nice and background policy through setpriority, signals
// with the identity re-checked right before, errno mapping, unsupported operations with reasons,
// the guard, and a layout check of the proc_bsdinfo parser.
import { beforeEach, describe, expect, it } from 'vitest';
import { CapabilitiesSchema, OperationSchema } from '../../../src-shared/actions';
import { createDarwinAdapter, unguardedDarwinAdapter } from '../../../src-main/platform/adapter.darwin';
import { DARWIN_SIGNAL, parseBsdInfo, PRIO_DARWIN_BG, PRIO_DARWIN_PROCESS, PRIO_PROCESS } from '../../../src-main/platform/bindings.darwin';
import { BSDINFO } from '../../../src-main/monitor/libproc.darwin';
import { FakeDarwin, type FakeMacProcess } from '../../fixtures/platform-darwin/fake-darwin';

let os: FakeDarwin;
let target: FakeMacProcess;

beforeEach(() => {
  os = new FakeDarwin();
  os.add({ pid: 1, ppid: 0, name: 'launchd', uid: 0 });
  target = os.add({ pid: 4242, name: 'swift-build', exe: '/usr/bin/swift-build' });
});

const adapter = () => unguardedDarwinAdapter(os, { pollMs: 1 });

describe('priority', () => {
  it('calls setpriority(PRIO_PROCESS) and reads the value back', async () => {
    const result = await adapter().setPriority(os.identity(target), { nice: 10 });
    expect(os.callsOf('setpriority')).toEqual([[PRIO_PROCESS, 4242, 10]]);
    expect(result).toEqual({ kind: 'applied', before: { op: 'priority', value: { nice: 0 } }, after: { op: 'priority', value: { nice: 10 } } });
  });

  it('maps EACCES on a raise to a permission refusal naming root', async () => {
    target.nice = 5;
    const result = await adapter().setPriority(os.identity(target), { nice: -5 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'permission', code: 'EACCES', message: 'needs root (sudo) to raise priority' });
    expect(target.nice).toBe(5);
  });

  it('maps EPERM on another user\'s process to permission', async () => {
    target.uid = 0;
    expect(await adapter().setPriority(os.identity(target), { nice: 10 })).toMatchObject({ reason: 'permission', code: 'EPERM' });
  });

  it('refuses a start-time mismatch (reused pid) as gone and changes nothing', async () => {
    const id = os.identity(target);
    const result = await adapter().setPriority({ pid: id.pid, startTime: id.startTime - 1 }, { nice: 10 });
    expect(result).toMatchObject({ kind: 'refused', reason: 'gone' });
    expect(os.callsOf('setpriority')).toHaveLength(0);
    expect(await adapter().setPriority({ pid: 9999, startTime: 1 }, { nice: 10 })).toMatchObject({ reason: 'gone' });
  });
});

describe('efficiency mode (background policy)', () => {
  it('sets PRIO_DARWIN_BG and clears it', async () => {
    const api = adapter();
    const on = await api.setEfficiencyMode(os.identity(target), { enabled: true });
    expect(on).toMatchObject({ kind: 'applied', before: { value: { enabled: false } }, after: { value: { enabled: true } } });
    await api.setEfficiencyMode(os.identity(target), { enabled: false });
    expect(os.callsOf('setpriority')).toEqual([
      [PRIO_DARWIN_PROCESS, 4242, PRIO_DARWIN_BG],
      [PRIO_DARWIN_PROCESS, 4242, 0],
    ]);
    expect(target.background).toBe(false);
  });
});

describe('signals', () => {
  it('suspends and resumes with the macOS signal numbers and reads the state back', async () => {
    const api = adapter();
    expect(await api.suspend(os.identity(target))).toMatchObject({ kind: 'applied', after: { value: { suspended: true } } });
    expect(await api.resume(os.identity(target))).toMatchObject({ kind: 'applied', after: { value: { suspended: false } } });
    expect(os.callsOf('kill')).toEqual([
      [4242, DARWIN_SIGNAL.SIGSTOP],
      [4242, DARWIN_SIGNAL.SIGCONT],
    ]);
  });

  it('terminates with SIGTERM, and forces SIGKILL after the grace period', async () => {
    expect(await adapter().terminate(os.identity(target), 1000)).toMatchObject({ kind: 'applied', note: 'ended after the graceful request (SIGTERM)' });
    const stubborn = os.add({ pid: 5000, name: 'stubborn', exitsOnTerm: false });
    const result = await adapter().terminate(os.identity(stubborn), 20);
    expect(result).toMatchObject({ kind: 'applied', note: 'did not end within 20 ms of SIGTERM; forced with SIGKILL' });
    expect(os.callsOf('kill').filter(([pid]) => pid === 5000)).toEqual([
      [5000, DARWIN_SIGNAL.SIGTERM],
      [5000, DARWIN_SIGNAL.SIGKILL],
    ]);
  });

  it('re-checks identity immediately before SIGKILL: a process that took the pid meanwhile is not signalled', async () => {
    const stubborn = os.add({ pid: 5000, name: 'stubborn', exitsOnTerm: false });
    const id = os.identity(stubborn);
    const api = adapter();
    const pending = api.terminate(id, 30);
    // After SIGTERM, the old process exits and a new one takes its pid before the grace ends.
    await new Promise((r) => setTimeout(r, 5));
    os.procs.delete(5000);
    const newcomer = os.add({ pid: 5000, name: 'newcomer', exitsOnTerm: false });
    const result = await pending;
    expect(result).toMatchObject({ kind: 'applied', note: 'ended after the graceful request (SIGTERM)' });
    expect(os.procs.get(5000)).toBe(newcomer);
    expect(os.callsOf('kill')).toEqual([[5000, DARWIN_SIGNAL.SIGTERM]]);
  });
});

describe('unsupported operations', () => {
  it('refuse with the reason and call nothing', async () => {
    const api = adapter();
    const id = os.identity(target);
    expect(await api.setAffinity(id, { cpus: [0] })).toMatchObject({ reason: 'unsupported', message: expect.stringMatching(/no CPU affinity API/) });
    expect(await api.setIoPriority(id, { ioClass: 'idle', level: 7 })).toMatchObject({ reason: 'unsupported' });
    expect(await api.setCpuWeight(id, { weight: 50 })).toMatchObject({ reason: 'unsupported', message: expect.stringMatching(/cgroups/) });
    expect(await api.setCpuCap(id, { percentOfOneCore: 50 })).toMatchObject({ reason: 'unsupported' });
    expect(await api.setMemoryLimit(id, { softLimitBytes: 1 << 20 })).toMatchObject({ reason: 'unsupported' });
    expect(await api.read(id, 'affinity')).toMatchObject({ reason: 'unsupported' });
    expect(os.calls).toHaveLength(0);
  });
});

describe('the guard around the macOS adapter', () => {
  it('refuses launchd, WindowServer and other session-critical processes', async () => {
    const api = createDarwinAdapter(os, { selfPids: [], exclusions: [] }, { pollMs: 1 });
    const windowServer = os.add({ pid: 150, name: 'WindowServer', uid: 88 });
    const coreaudiod = os.add({ pid: 151, name: 'coreaudiod' });
    expect(await api.setPriority(os.identity(os.procs.get(1)!), { nice: 10 })).toMatchObject({ reason: 'protected', rule: 'pid-1' });
    expect(await api.setPriority(os.identity(windowServer), { nice: 10 })).toMatchObject({ reason: 'protected', rule: 'session-critical:WindowServer' });
    expect(await api.suspend(os.identity(coreaudiod))).toMatchObject({ reason: 'protected' });
    expect(os.callsOf('setpriority')).toHaveLength(0);
    expect(os.callsOf('kill')).toHaveLength(0);
    expect(await api.setPriority(os.identity(target), { nice: 10 })).toMatchObject({ kind: 'applied' });
  });

  it('refuses Allot\'s own descendants through the ppid chain', async () => {
    const self = os.add({ pid: 600, name: 'Allot' });
    const child = os.add({ pid: 601, ppid: 600, name: 'node' });
    const api = createDarwinAdapter(os, { selfPids: [self.pid], exclusions: [] });
    expect(await api.setPriority(os.identity(child), { nice: 10 })).toMatchObject({ reason: 'protected', rule: 'allot-descendant' });
  });
});

describe('capabilities', () => {
  it('say what works, what does not and why, and that a pid race remains', () => {
    const caps = adapter().capabilities();
    expect(CapabilitiesSchema.safeParse(caps).success).toBe(true);
    expect(Object.keys(caps.operations).sort()).toEqual([...OperationSchema.options].sort());
    for (const op of ['affinity', 'ioPriority', 'cpuWeight', 'cpuCap', 'memoryLimit'] as const) {
      expect(caps.operations[op]?.supported).toBe(false);
      expect(caps.operations[op]?.detail.length).toBeGreaterThan(20);
    }
    expect(caps.operations.suspend?.limits?.join(' ')).toMatch(/no pidfd.*race/);
    expect(caps.privileged).toBe(false);
    os.root = true;
    expect(unguardedDarwinAdapter(os).capabilities().privileged).toBe(true);
  });
});

describe('proc_bsdinfo parser', () => {
  it('reads the fields at the SDK offsets', () => {
    const buf = Buffer.alloc(BSDINFO.sizeBytes);
    buf.writeUInt32LE(4, BSDINFO.status);
    buf.writeUInt32LE(4242, BSDINFO.pid);
    buf.writeUInt32LE(1, BSDINFO.ppid);
    buf.writeUInt32LE(501, BSDINFO.uid);
    buf.write('swift-build', BSDINFO.comm, 'utf8');
    buf.writeInt32LE(-3, BSDINFO.nice);
    buf.writeBigUInt64LE(1_700_000_123n, BSDINFO.startTvSec);
    buf.writeBigUInt64LE(654_321n, BSDINFO.startTvUsec);
    expect(parseBsdInfo(buf)).toEqual({ pid: 4242, ppid: 1, uid: 501, status: 4, name: 'swift-build', nice: -3, startTvSec: 1_700_000_123, startTvUsec: 654_321 });
    expect(() => parseBsdInfo(buf.subarray(0, 100))).toThrow(/136/);
  });
});
