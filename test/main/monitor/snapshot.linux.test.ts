// The Linux processing step: two raw snapshots -> one Sample (rates, counters going backwards,
// pids reused with a new starttime, absent fields stay absent).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SampleSchema } from '../../../src-shared/domain';
import { parseStat } from '../../../src-main/monitor/procfs.linux';
import {
  buildSample,
  cpuPercentsBetween,
  sameRaw,
  type ProcessingContext,
  type RawProcess,
  type RawSnapshot,
} from '../../../src-main/monitor/snapshot.linux';

const FIX = fileURLToPath(new URL('../../fixtures/proc/', import.meta.url));
const ctx: ProcessingContext = { clockTicksPerSec: 100, pageSizeBytes: 4096, bootTimeSec: 1_795_239_214 };

function rawFromFixture(pid: number): RawProcess {
  const b = readFileSync(`${FIX}${pid}/stat`);
  const stat = parseStat(b, b.length)!;
  return { ...stat, cmdline: 'node -e x', user: 'root', uid: 0, programId: '/usr/bin/node', unavailable: [] };
}

function proc(over: Partial<RawProcess>): RawProcess {
  return { ...rawFromFixture(4242), ...over };
}

function snap(monoMs: number, processes: RawProcess[], system: RawSnapshot['system'] = {}): RawSnapshot {
  return { atMs: 1_795_240_000_000 + monoMs, monoMs, system, processes, errors: [] };
}

describe('sameRaw', () => {
  it('is true for two reads with the same values, nested records and lists included', () => {
    const a = proc({ schedstat: { runNs: 5, runDelayNs: 1, timeslices: 2 }, io: { rchar: 1, wchar: 2, syscr: 3, syscw: 4, readBytes: 5, writeBytes: 6, cancelledWriteBytes: 0 }, affinity: [0, 1], unavailable: ['io:permission'] });
    const b = proc({ schedstat: { ...a.schedstat! }, io: { ...a.io! }, affinity: [0, 1], unavailable: ['io:permission'] });
    expect(sameRaw(a, b)).toBe(true);
  });

  it('is false when any value differs, one is missing, or a list differs', () => {
    const a = proc({ schedstat: { runNs: 5, runDelayNs: 1, timeslices: 2 }, affinity: [0, 1], oomScoreAdj: 0 });
    expect(sameRaw(a, { ...a, nice: a.nice + 1 })).toBe(false);
    expect(sameRaw(a, { ...a, rssPages: a.rssPages + 1 })).toBe(false);
    expect(sameRaw(a, { ...a, schedstat: { runNs: 6, runDelayNs: 1, timeslices: 2 } })).toBe(false);
    expect(sameRaw(a, { ...a, affinity: [0] })).toBe(false);
    expect(sameRaw(a, { ...a, affinity: [0, 1, 2] })).toBe(false);
    const { oomScoreAdj: _, ...without } = a;
    expect(sameRaw(a, without as RawProcess)).toBe(false);
    expect(sameRaw(without as RawProcess, a)).toBe(false);
    expect(sameRaw(a, { ...a, ioprio: 4 })).toBe(false);
  });
});

describe('buildSample: processes', () => {
  it('first sight primes counters: every rate is 0, identity and static fields filled', () => {
    const s = buildSample(undefined, snap(0, [proc({})]), ctx);
    expect(SampleSchema.safeParse(s).success).toBe(true);
    const p = s.processes[0]!;
    expect(p).toMatchObject({ pid: 4242, name: 'node', cpuPercent: 0, minorFaultsPerSec: 0, startTime: 83159 });
    expect(p.startedAtMs).toBe(1_795_239_214_000 + 831_590);
    expect(p.rssBytes).toBe(10085 * 4096);
    expect(p.cpuTimeMs).toBe(60);
    expect(s.intervalMs).toBe(0);
  });

  it("computes what the children it reaped used (cutime + cstime) per second: a build shell's compilers", () => {
    const a = proc({ utimeTicks: 5, stimeTicks: 1, cutimeTicks: 1000, cstimeTicks: 200 });
    const b = proc({ utimeTicks: 5, stimeTicks: 1, cutimeTicks: 1120, cstimeTicks: 230 }); // +150 ticks = 1.5 s of CPU in 1 s
    const s = buildSample(snap(1000, [a]), snap(2000, [b]), ctx);
    expect(s.processes[0]!.cpuPercent).toBe(0);
    expect(s.processes[0]!.childrenCpuPercent).toBeCloseTo(150);
    // First sight: no rate yet.
    expect(buildSample(undefined, snap(2000, [b]), ctx).processes[0]!.childrenCpuPercent).toBe(0);
    // parseStat reads fields 16 and 17.
    const line = Buffer.from('4242 (sh) S 1 4242 4242 0 -1 4194560 100 200 0 0 5 1 1120 230 20 0 1 0 500 2000000 300 18446744073709551615 0 0 0 0 0 0 0 0 65536 0 0 0 17 0 0 0 0 0 0\n');
    expect(parseStat(line, line.length)).toMatchObject({ utimeTicks: 5, stimeTicks: 1, cutimeTicks: 1120, cstimeTicks: 230 });
  });

  it('computes CPU user/system split, faults, I/O, context switches and run-queue wait per second', () => {
    const io = { rchar: 0, wchar: 0, syscr: 10, syscw: 20, readBytes: 0, writeBytes: 4096, cancelledWriteBytes: 0 };
    const a = proc({
      utimeTicks: 100,
      stimeTicks: 50,
      minflt: 1000,
      majflt: 2,
      io,
      voluntaryCtxSwitches: 10,
      involuntaryCtxSwitches: 1,
      schedstat: { runNs: 0, runDelayNs: 1_000_000, timeslices: 1 },
    });
    const b = proc({
      utimeTicks: 140, // +40 ticks = 400 ms
      stimeTicks: 60, // +10 ticks = 100 ms
      minflt: 1500,
      majflt: 4,
      io: { ...io, syscr: 30, syscw: 70, readBytes: 2 * 1024 * 1024, writeBytes: 4096 + 20 * 1024 * 1024 },
      voluntaryCtxSwitches: 110,
      involuntaryCtxSwitches: 3,
      schedstat: { runNs: 5e8, runDelayNs: 1_000_000 + 250_000_000, timeslices: 9 },
    });
    const s = buildSample(snap(1000, [a]), snap(2000, [b]), ctx);
    expect(s.intervalMs).toBe(1000);
    const p = s.processes[0]!;
    expect(p.cpuUserPercent).toBeCloseTo(40);
    expect(p.cpuSystemPercent).toBeCloseTo(10);
    expect(p.cpuPercent).toBeCloseTo(50);
    expect(p.minorFaultsPerSec).toBe(500);
    expect(p.majorFaultsPerSec).toBe(2);
    expect(p.readBytesPerSec).toBe(2 * 1024 * 1024);
    expect(p.writeBytesPerSec).toBe(20 * 1024 * 1024);
    expect(p.readSyscallsPerSec).toBe(20);
    expect(p.writeSyscallsPerSec).toBe(50);
    expect(p.voluntaryCtxSwitchesPerSec).toBe(100);
    expect(p.involuntaryCtxSwitchesPerSec).toBe(2);
    expect(p.runQueueWaitMsPerSec).toBeCloseTo(250);
    expect(SampleSchema.safeParse(s).success).toBe(true);
  });

  it('rates scale with the interval (2 s)', () => {
    const s = buildSample(snap(0, [proc({ minflt: 0, utimeTicks: 0 })]), snap(2000, [proc({ minflt: 1000, utimeTicks: 100 })]), ctx);
    expect(s.processes[0]!.minorFaultsPerSec).toBe(500);
    expect(s.processes[0]!.cpuPercent).toBeCloseTo(50);
  });

  it('counters going backwards give 0, never a negative rate', () => {
    const s = buildSample(
      snap(0, [proc({ utimeTicks: 500, minflt: 900, voluntaryCtxSwitches: 50 })]),
      snap(1000, [proc({ utimeTicks: 10, minflt: 100, voluntaryCtxSwitches: 5 })]),
      ctx,
    );
    const p = s.processes[0]!;
    expect(p.cpuPercent).toBe(0);
    expect(p.minorFaultsPerSec).toBe(0);
    expect(p.voluntaryCtxSwitchesPerSec).toBe(0);
  });

  it('a pid reused with a new starttime is a new process: no rates against the old one', () => {
    const old = proc({ startTime: 100, utimeTicks: 0, minflt: 0 });
    const reused = proc({ startTime: 5000, utimeTicks: 900, minflt: 90_000, comm: 'other' });
    const s = buildSample(snap(0, [old]), snap(1000, [reused]), ctx);
    const p = s.processes[0]!;
    expect(p.name).toBe('other');
    expect(p.startTime).toBe(5000);
    expect(p.cpuPercent).toBe(0);
    expect(p.minorFaultsPerSec).toBe(0);
  });

  it('unreadable parts stay absent and are named in `unavailable`', () => {
    const noIo = proc({ unavailable: ['io:permission', 'exe:permission'] });
    const s = buildSample(snap(0, [noIo]), snap(1000, [noIo]), ctx);
    const p = s.processes[0]!;
    expect(p.readBytesPerSec).toBeUndefined();
    expect(p.writeSyscallsPerSec).toBeUndefined();
    expect(p.swapBytes).toBeUndefined();
    expect(p.unavailable).toEqual(['io:permission', 'exe:permission']);
    expect('exe' in p).toBe(false);
  });

  it('maps scheduling, affinity, ioprio, cgroup, autogroup, oom_score_adj, kernel threads', () => {
    const p = buildSample(
      undefined,
      snap(0, [
        proc({
          policy: 5,
          rtPriority: 0,
          affinity: [0, 2, 3],
          ioprio: (3 << 13) | 0,
          cgroup: '/user.slice',
          autogroup: 7,
          autogroupNice: 5,
          oomScoreAdj: 300,
          swapKb: 1234,
        }),
        proc({ pid: 2, ppid: 0, comm: 'kthreadd', flags: 0x00208040 }),
      ]),
      ctx,
    ).processes;
    expect(p[0]).toMatchObject({
      schedPolicy: 'idle',
      affinity: [0, 2, 3],
      ioClass: 'idle',
      ioLevel: 0,
      cgroup: '/user.slice',
      autogroup: 7,
      autogroupNice: 5,
      oomScoreAdj: 300,
      swapBytes: 1234 * 1024,
      kernelThread: false,
    });
    expect(p[1]!.kernelThread).toBe(true);
  });
});

describe('buildSample: system', () => {
  const times = (user: number, system: number, idle: number, iowait = 0) => ({
    user,
    nice: 0,
    system,
    idle,
    iowait,
    irq: 0,
    softirq: 0,
    steal: 0,
  });

  it('CPU total and per core with user/system/iowait split', () => {
    expect(cpuPercentsBetween(times(0, 0, 0), times(30, 20, 40, 10))).toEqual({
      cpuPercent: 50,
      userPercent: 30,
      systemPercent: 20,
      iowaitPercent: 10,
    });
    expect(cpuPercentsBetween(undefined, times(1, 1, 1)).cpuPercent).toBe(0);
    expect(cpuPercentsBetween(times(5, 5, 5), times(5, 5, 5)).cpuPercent).toBe(0); // no time passed
  });

  it('memory, swap in/out, disks, net, ctxt and forks per second', () => {
    const mem = (free: number) =>
      new Map([
        ['MemTotal', 1000],
        ['MemAvailable', 600],
        ['MemFree', free],
        ['SwapTotal', 400],
        ['SwapFree', 300],
        ['Cached', 50],
      ]);
    const sys = (n: number) => ({
      procStat: { total: times(n, n, 100 * n), cores: [times(n, 0, 50 * n), times(0, n, 50 * n)], ctxt: 1000 * n, forks: 10 * n },
      meminfo: mem(100),
      vmstat: new Map([
        ['pswpin', 5 * n],
        ['pswpout', 2 * n],
      ]),
      disks: [{ major: 8, minor: 0, device: 'sda', reads: n, sectorsRead: 2048 * n, writes: 2 * n, sectorsWritten: 4096 * n, ioTicksMs: 250 * n }],
      net: [{ iface: 'eth0', rxBytes: 1e6 * n, rxPackets: 10 * n, txBytes: 5e5 * n, txPackets: 5 * n }],
    });
    const s = buildSample(snap(0, [], sys(1)), snap(1000, [proc({})], sys(2)), ctx);
    expect(SampleSchema.safeParse(s).success).toBe(true);
    expect(s.system.memory).toMatchObject({ totalBytes: 1000, availableBytes: 600, usedBytes: 400, swapUsedBytes: 100, cachedBytes: 50 });
    expect(s.system.memory.swapInBytesPerSec).toBe(5 * 4096);
    expect(s.system.memory.swapOutBytesPerSec).toBe(2 * 4096);
    expect(s.system.contextSwitchesPerSec).toBe(1000);
    expect(s.system.forksPerSec).toBe(10);
    expect(s.system.disks![0]).toMatchObject({ device: 'sda', readBytesPerSec: 2048 * 512, writeBytesPerSec: 4096 * 512, busyPercent: 25 });
    expect(s.system.net![0]).toMatchObject({ iface: 'eth0', rxBytesPerSec: 1e6, txBytesPerSec: 5e5 });
    expect(s.system.cores.map((c) => c.core)).toEqual([0, 1]);
    expect(s.system.cores[0]!.userPercent).toBeCloseTo((1 / 51) * 100);
    expect(s.system.processCount).toBe(1);
    expect(s.system.threadCount).toBe(7);
  });
});
