import { describe, expect, it } from 'vitest';
import { SampleSchema } from '../../../src-shared/domain';
import { createDarwinSampler, DARWIN_DENIED_FIELDS, DARWIN_UNAVAILABLE, darwinMemory } from '../../../src-main/monitor/sampler.darwin';
import { FakeDarwinApi } from '../../fixtures/darwin/libproc-builder';
import type { FakeDarwinTick } from '../../fixtures/darwin/libproc-builder';

const GiB = 2 ** 30;
const PAGE = 16384;
// Apple Silicon timebase 125/3: 1 ms = 24_000 Mach ticks.
const MS = 24_000n;

const vm = { free: 100_000, active: 300_000, inactive: 200_000, wired: 150_000, external: 120_000, swapins: 1000n, swapouts: 2000n };
const tick0: FakeDarwinTick = {
  pids: [
    { kind: 'full', task: { pid: 1, ppid: 0, uid: 0, name: 'launchd', startTvSec: 1_700_000_000, totalUserMach: 100n * MS }, path: '/sbin/launchd' },
    { kind: 'full', task: { pid: 700, ppid: 1, uid: 501, name: 'Xcode Build Service', startTvSec: 1_700_000_100, startTvUsec: 250_000, totalUserMach: 1000n * MS, totalSystemMach: 200n * MS, faults: 1000, pageins: 10, csw: 5000, syscallsMach: 100, syscallsUnix: 400, threads: 8, running: 1, nice: 5 }, rusage: { diskReadBytes: 1_000_000n, diskWriteBytes: 500_000n, physFootprintBytes: 300_000_000n }, path: '/Applications/Xcode.app/Contents/MacOS/XCBBuildService' },
    { kind: 'full', task: { pid: 710, ppid: 1, uid: 501, name: 'goes away', totalUserMach: 5n * MS } },
    { kind: 'full', task: { pid: 720, ppid: 1, uid: 501, name: 'wraps', totalUserMach: 900n * MS, csw: 4_000_000_000 }, rusage: { diskReadBytes: 9_000_000n } },
    { kind: 'denied', short: { pid: 88, ppid: 1, uid: 88, status: 2, comm: 'WindowServer' } },
  ],
  cpuTimes: [
    { user: 1000, nice: 0, sys: 500, idle: 8500 },
    { user: 1000, nice: 0, sys: 500, idle: 8500 },
  ],
  vm,
  swap: { total: 2n * BigInt(GiB), used: 1n * BigInt(GiB) },
};
const tick1: FakeDarwinTick = {
  pids: [
    { kind: 'full', task: { pid: 1, ppid: 0, uid: 0, name: 'launchd', startTvSec: 1_700_000_000, totalUserMach: 110n * MS }, path: '/sbin/launchd' },
    // +600 ms user, +200 ms system over 1 s => 80 %; +4 MB read, +1 MB written.
    { kind: 'full', task: { pid: 700, ppid: 1, uid: 501, name: 'Xcode Build Service', startTvSec: 1_700_000_100, startTvUsec: 250_000, totalUserMach: 1600n * MS, totalSystemMach: 400n * MS, faults: 1300, pageins: 30, csw: 5600, syscallsMach: 200, syscallsUnix: 700, threads: 9, running: 0, nice: 5 }, rusage: { diskReadBytes: 5_000_000n, diskWriteBytes: 1_500_000n, physFootprintBytes: 310_000_000n }, path: '/Applications/Xcode.app/Contents/MacOS/XCBBuildService' },
    // listed, then gone before proc_pidinfo
    { kind: 'vanished', pid: 710 },
    // the 32-bit csw counter wrapped and the CPU counter went backwards: rates 0, never negative
    { kind: 'full', task: { pid: 720, ppid: 1, uid: 501, name: 'wraps', totalUserMach: 100n * MS, csw: 10 }, rusage: { diskReadBytes: 1n } },
    { kind: 'denied', short: { pid: 88, ppid: 1, uid: 88, status: 2, comm: 'WindowServer' } },
    { kind: 'full', task: { pid: 730, ppid: 700, uid: 501, name: 'clang 🛠', totalUserMach: 50n * MS }, rusageDenied: true },
  ],
  cpuTimes: [
    { user: 1500, nice: 0, sys: 750, idle: 8750 }, // 750 busy of 1000 => 75 %
    { user: 1250, nice: 0, sys: 500, idle: 9250 }, // 250 busy of 1000 => 25 %
  ],
  vm: { ...vm, swapins: 1010n, swapouts: 2000n },
  swap: tick0.swap,
};

async function twoTicks(ticks: FakeDarwinTick[] = [tick0, tick1]) {
  const api = new FakeDarwinApi(ticks);
  let mono = 5000;
  const sampler = createDarwinSampler(api, { now: () => 1_700_000_500_000 + mono, monotonicNow: () => mono });
  const first = await sampler.sample();
  api.advance();
  mono += 1000;
  const second = await sampler.sample();
  return { api, sampler, first, second };
}

describe('createDarwinSampler over two ticks', () => {
  it('primes on the first tick and validates against the Sample schema', async () => {
    const { first, second } = await twoTicks();
    expect(() => SampleSchema.parse(first)).not.toThrow();
    expect(() => SampleSchema.parse(second)).not.toThrow();
    expect(first.processes.map((p) => p.pid)).toEqual([1, 700, 710, 720, 88]);
    expect(first.processes.every((p) => p.cpuPercent === 0)).toBe(true);
  });

  it('cpuPercent from Mach time scaled by the timebase, I/O from rusage, counters to rates', async () => {
    const { second } = await twoTicks();
    const p = second.processes.find((x) => x.pid === 700)!;
    expect(p.cpuUserPercent).toBeCloseTo(60, 6);
    expect(p.cpuSystemPercent).toBeCloseTo(20, 6);
    expect(p.cpuPercent).toBeCloseTo(80, 6);
    expect(p.cpuTimeMs).toBeCloseTo(2000, 6);
    expect(p.readBytesPerSec).toBe(4_000_000);
    expect(p.writeBytesPerSec).toBe(1_000_000);
    expect(p.majorFaultsPerSec).toBe(20);
    expect(p.minorFaultsPerSec).toBe(280);
    expect(p.ctxSwitchesPerSec).toBe(600);
    expect(p.syscallsPerSec).toBe(400);
    expect(p.privateBytes).toBe(310_000_000);
    expect(p).toMatchObject({ name: 'Xcode Build Service', user: 'alice', uid: 501, nice: 5, threads: 9, state: 'sleeping', exe: '/Applications/Xcode.app/Contents/MacOS/XCBBuildService' });
    expect(p.startTime).toBe(1_700_000_100_250_000);
    expect(p.startedAtMs).toBe(1_700_000_100_250);
  });

  it('skips a process that vanished between calls, clamps wrapped/backwards counters', async () => {
    const { second } = await twoTicks();
    expect(second.processes.map((p) => p.pid)).toEqual([1, 700, 720, 88, 730]);
    const w = second.processes.find((x) => x.pid === 720)!;
    expect(w.cpuPercent).toBe(0);
    expect(w.ctxSwitchesPerSec).toBe(0);
    expect(w.readBytesPerSec).toBe(0);
  });

  it("marks another user's process (denied) and a denied rusage in `unavailable`, without inventing values", async () => {
    const { second } = await twoTicks();
    const ws = second.processes.find((x) => x.pid === 88)!;
    expect(ws).toMatchObject({ name: 'WindowServer', uid: 88, startTime: 0, cpuPercent: 0 });
    expect(ws.unavailable).toEqual([...DARWIN_UNAVAILABLE, ...DARWIN_DENIED_FIELDS]);
    expect(ws.readBytesPerSec).toBeUndefined();
    const clang = second.processes.find((x) => x.pid === 730)!;
    expect(clang.name).toBe('clang 🛠');
    expect(clang.readBytesPerSec).toBeUndefined();
    expect(clang.unavailable).toContain('readBytesPerSec:denied');
    expect(clang.unavailable).toContain('cmdline:unsupported');
  });

  it('system CPU per core and total, memory and swap rates', async () => {
    const { second } = await twoTicks();
    expect(second.system.cores.map((c) => c.cpuPercent)).toEqual([75, 25]);
    expect(second.system.cpuPercent).toBe(50);
    expect(second.system.memory).toMatchObject({
      totalBytes: 16 * GiB,
      availableBytes: (100_000 + 200_000) * PAGE,
      cachedBytes: 120_000 * PAGE,
      swapTotalBytes: 2 * GiB,
      swapUsedBytes: GiB,
      swapInBytesPerSec: 10 * PAGE,
      swapOutBytesPerSec: 0,
    });
  });

  it('reads the exe path once per process lifetime', async () => {
    const { api } = await twoTicks();
    // tick 0: 4 full processes; tick 1: only the new pid 730 is asked
    expect(api.pidPathCalls).toBe(5);
  });

  it('a failing memory source becomes an error and keeps the last reading', async () => {
    const { second } = await twoTicks([tick0, { ...tick1, failMemory: true }]);
    expect(second.errors?.map((e) => e.source)).toEqual(['memory']);
    expect(second.system.memory.totalBytes).toBe(16 * GiB);
    expect(second.processes.find((x) => x.pid === 700)!.cpuPercent).toBeCloseTo(80, 6);
  });
});

describe('darwinMemory', () => {
  it('never reports more available than total', () => {
    const m = darwinMemory({ ...vm, freePages: 10, inactivePages: 10, activePages: 0, wiredPages: 0, purgeablePages: 0, speculativePages: 0, compressorPages: 0, externalPages: 0, internalPages: 0, pageins: 0, pageouts: 0, swapins: 0, swapouts: 0 }, undefined, 100, 16);
    expect(m).toMatchObject({ totalBytes: 100, availableBytes: 100, usedBytes: 0, swapTotalBytes: 0 });
  });
});
