import { describe, expect, it } from 'vitest';
import { SampleSchema } from '../../../src-shared/domain';
import { createWin32Sampler, memoryFromStatus, WIN32_UNAVAILABLE } from '../../../src-main/monitor/sampler.win32';
import { FakeWin32Api } from '../../fixtures/win32/spi-builder';
import type { FakeWin32Tick, FixtureProcess } from '../../fixtures/win32/spi-builder';

const GiB = 2 ** 30;
const CREATED = 133_000_000_000_000_000n;
const memory = { memoryLoadPercent: 50, totalPhysBytes: 16 * GiB, availPhysBytes: 6 * GiB, totalPageFileBytes: 20 * GiB, availPageFileBytes: 8 * GiB };
const performance = { commitTotalBytes: 0, commitLimitBytes: 0, physicalTotalBytes: 0, physicalAvailableBytes: 0, systemCacheBytes: 3 * GiB, kernelTotalBytes: 0, pageSizeBytes: 4096, handleCount: 1, processCount: 1, threadCount: 1234 };

function proc(p: FixtureProcess): FixtureProcess {
  return { ppid: 500, createTime: CREATED + BigInt(p.pid), threads: [{}], ...p };
}

// Tick 0 -> tick 1 is exactly 1000 ms of monotonic time.
const tick0: FakeWin32Tick = {
  processes: [
    proc({ pid: 0, name: '', threads: [{ contextSwitches: 1000 }, { contextSwitches: 1000 }] }),
    proc({ pid: 4, ppid: 0, name: 'System', createTime: 0n }),
    proc({ pid: 1200, name: 'build tool.exe', userTime100ns: 10_000_000n, kernelTime100ns: 5_000_000n, readTransferBytes: 1_000_000n, writeTransferBytes: 0n, readOperationCount: 10n, pageFaultCount: 100, hardFaultCount: 10, threads: [{ contextSwitches: 50 }] }),
    proc({ pid: 1300, name: 'vanishes.exe', userTime100ns: 1_000n }),
    proc({ pid: 1400, name: 'reused.exe', createTime: CREATED, userTime100ns: 90_000_000n }),
    proc({ pid: 1500, name: 'backwards.exe', userTime100ns: 50_000_000n, readTransferBytes: 9_000_000n }),
  ],
  systemTimes: { idle100ns: 0n, kernel100ns: 0n, user100ns: 0n },
  cores: [
    { idle100ns: 0n, kernel100ns: 0n, user100ns: 0n },
    { idle100ns: 0n, kernel100ns: 0n, user100ns: 0n },
  ],
  memory,
  performance,
};

const tick1: FakeWin32Tick = {
  ...tick0,
  processes: [
    proc({ pid: 0, name: '', threads: [{ contextSwitches: 1500 }, { contextSwitches: 1500 }] }),
    proc({ pid: 4, ppid: 0, name: 'System', createTime: 0n }),
    // +500 ms user, +250 ms kernel over 1 s => 75 % of one core; +2 MB read, +1 MB written.
    proc({ pid: 1200, name: 'build tool.exe', userTime100ns: 15_000_000n, kernelTime100ns: 7_500_000n, readTransferBytes: 3_000_000n, writeTransferBytes: 1_000_000n, readOperationCount: 30n, pageFaultCount: 160, hardFaultCount: 15, threads: [{ contextSwitches: 250, state: 2 }] }),
    // pid 1400 exited and the pid was reused by a new process (new CreateTime).
    proc({ pid: 1400, name: 'reused.exe', createTime: CREATED + 999n, userTime100ns: 1_000n }),
    // Counters went backwards (a buggy driver, or a wrap): rates are 0, never negative.
    proc({ pid: 1500, name: 'backwards.exe', userTime100ns: 40_000_000n, readTransferBytes: 1_000n }),
    proc({ pid: 1600, name: 'new process.exe', userTime100ns: 5_000_000n }),
  ],
  // 2 cores x 1 s = 20_000_000 units total; 5_000_000 idle => 75 % busy.
  systemTimes: { idle100ns: 5_000_000n, kernel100ns: 10_000_000n, user100ns: 10_000_000n },
  cores: [
    { idle100ns: 2_500_000n, kernel100ns: 5_000_000n, user100ns: 5_000_000n },
    { idle100ns: 2_500_000n, kernel100ns: 5_000_000n, user100ns: 5_000_000n },
  ],
};

function clocks() {
  let mono = 10_000;
  return {
    now: () => 1_700_000_000_000 + mono,
    monotonicNow: () => mono,
    advance(ms: number) {
      mono += ms;
    },
  };
}

describe('createWin32Sampler over two ticks', () => {
  async function twoTicks(ticks: FakeWin32Tick[] = [tick0, tick1]) {
    const api = new FakeWin32Api(ticks);
    const clock = clocks();
    const sampler = createWin32Sampler(api, clock);
    const first = await sampler.sample();
    api.advance();
    clock.advance(1000);
    const second = await sampler.sample();
    return { api, sampler, first, second };
  }

  it('primes on the first tick: processes listed, every rate 0', async () => {
    const { first } = await twoTicks();
    expect(first.intervalMs).toBe(0);
    expect(first.processes.map((p) => p.pid)).toEqual([4, 1200, 1300, 1400, 1500]);
    expect(first.processes.every((p) => p.cpuPercent === 0 && p.readBytesPerSec === 0)).toBe(true);
    expect(first.system.cpuPercent).toBe(0);
    expect(() => SampleSchema.parse(first)).not.toThrow();
  });

  it('computes cpuPercent, I/O, fault and context-switch rates from raw counters', async () => {
    const { second } = await twoTicks();
    expect(() => SampleSchema.parse(second)).not.toThrow();
    expect(second.intervalMs).toBe(1000);
    const build = second.processes.find((p) => p.pid === 1200)!;
    expect(build.name).toBe('build tool.exe');
    expect(build.cpuUserPercent).toBeCloseTo(50, 6);
    expect(build.cpuSystemPercent).toBeCloseTo(25, 6);
    expect(build.cpuPercent).toBeCloseTo(75, 6);
    expect(build.cpuTimeMs).toBeCloseTo(2250, 6);
    expect(build.readBytesPerSec).toBe(2_000_000);
    expect(build.writeBytesPerSec).toBe(1_000_000);
    expect(build.readSyscallsPerSec).toBe(20);
    expect(build.majorFaultsPerSec).toBe(5);
    expect(build.minorFaultsPerSec).toBe(55);
    expect(build.ctxSwitchesPerSec).toBe(200);
    expect(build.state).toBe('running');
    expect(build.startTime).toBe(Number(CREATED + 1200n));
  });

  it('drops a vanished process, starts a reused pid fresh, clamps counters that went backwards', async () => {
    const { second } = await twoTicks();
    const pids = second.processes.map((p) => p.pid);
    expect(pids).not.toContain(1300);
    expect(pids).toContain(1600);
    const reused = second.processes.find((p) => p.pid === 1400)!;
    expect(reused.startTime).toBe(Number(CREATED + 999n));
    expect(reused.cpuPercent).toBe(0);
    const back = second.processes.find((p) => p.pid === 1500)!;
    expect(back.cpuPercent).toBe(0);
    expect(back.readBytesPerSec).toBe(0);
    const fresh = second.processes.find((p) => p.pid === 1600)!;
    expect(fresh.cpuPercent).toBe(0);
  });

  it('system CPU, per-core, memory, threads and context switches', async () => {
    const { second } = await twoTicks();
    expect(second.system.cpuPercent).toBeCloseTo(75, 6);
    expect(second.system.cores).toHaveLength(2);
    expect(second.system.cores[0]).toMatchObject({ core: 0, cpuPercent: 75, userPercent: 50, systemPercent: 25 });
    expect(second.system.memory).toMatchObject({ totalBytes: 16 * GiB, availableBytes: 6 * GiB, usedBytes: 10 * GiB, cachedBytes: 3 * GiB });
    expect(second.system.threadCount).toBe(1234);
    // idle threads +1000, build tool +200 over 1 s
    expect(second.system.contextSwitchesPerSec).toBe(1200);
    expect(second.system.processCount).toBe(5);
  });

  it('maps priority and marks what Windows cannot provide', async () => {
    const ticks = [{ ...tick0, processes: [proc({ pid: 77, name: 'idle prio.exe', basePriority: 4 }), proc({ pid: 78, name: 'hi.exe', basePriority: 13 })] }];
    const { second } = await twoTicks(ticks);
    const [low, high] = second.processes;
    expect(low).toMatchObject({ nice: 19, priority: 4 });
    expect(high).toMatchObject({ nice: -10, priority: 13 });
    expect(low!.unavailable).toEqual([...WIN32_UNAVAILABLE]);
    expect(low!.unavailable).toContain('cmdline:unsupported');
    expect(low!.cmdline).toBe('');
  });

  it('a failing source becomes an error entry and the tick still completes', async () => {
    const { second } = await twoTicks([tick0, { ...tick1, fail: ['cores', 'memory'] }]);
    expect(second.errors?.map((e) => e.source).sort()).toEqual(['cores', 'memory']);
    expect(second.processes.find((p) => p.pid === 1200)!.cpuPercent).toBeCloseTo(75, 6);
    // memory falls back to the last good reading
    expect(second.system.memory.totalBytes).toBe(16 * GiB);
    expect(second.system.cores).toEqual([]);
    expect(() => SampleSchema.parse(second)).not.toThrow();
  });

  it('a failing process query gives an empty list plus an error, not a throw', async () => {
    const { second } = await twoTicks([tick0, { ...tick1, fail: ['processes'] }]);
    expect(second.processes).toEqual([]);
    expect(second.errors?.[0]?.source).toBe('processes');
    expect(second.system.cpuPercent).toBeCloseTo(75, 6);
  });

  it('close() releases the API and later samples refuse', async () => {
    const { api, sampler } = await twoTicks();
    sampler.close();
    expect(api.closed).toBe(true);
    await expect(sampler.sample()).rejects.toThrow(/closed/);
  });

  it('info() reports win32 with memory from GlobalMemoryStatusEx and cores from the per-core query', async () => {
    const api = new FakeWin32Api([tick0]);
    const info = await createWin32Sampler(api).info();
    expect(info).toMatchObject({ platform: 'win32', totalMemoryBytes: 16 * GiB, logicalCores: 2 });
  });
});

describe('memoryFromStatus', () => {
  it('estimates swap from the commit limit and clamps it', () => {
    // 16 GiB RAM, 4 GiB page file; commit used 12 GiB, RAM used 10 GiB => 2 GiB in the page file.
    expect(memoryFromStatus(memory)).toMatchObject({ swapTotalBytes: 4 * GiB, swapUsedBytes: 2 * GiB });
    // No page file at all
    expect(memoryFromStatus({ ...memory, totalPageFileBytes: 16 * GiB, availPageFileBytes: 1 * GiB })).toMatchObject({ swapTotalBytes: 0, swapUsedBytes: 0 });
  });
});
