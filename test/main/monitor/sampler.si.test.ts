import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Systeminformation } from 'systeminformation';
import { SampleSchema } from '../../../src-shared/domain';
import { cpuTicks, waitForCpuTicks } from '../../helpers/proc';
import { createSiSampler, processSiTick, SI_UNAVAILABLE, startedToEpochMs, stateFromSi } from '../../../src-main/monitor/sampler.si';
import type { PidusageFn, PidusageStat, SiApi } from '../../../src-main/monitor/sampler.si';

// ---- fakes typed against the real systeminformation definitions ----
function proc(p: Partial<Systeminformation.ProcessesProcessData> & { pid: number }): Systeminformation.ProcessesProcessData {
  return {
    parentPid: 1, name: 'proc', cpu: 0, cpuu: 0, cpus: 0, mem: 0, priority: 20, memVsz: 1000, memRss: 500, nice: 0,
    started: '2024-03-01 12:00:00', state: 'sleeping', tty: '', user: 'alice', command: 'proc', params: '', path: '/usr/bin',
    ...p,
  };
}

interface FakeTick {
  list: Systeminformation.ProcessesProcessData[];
  usage: Record<string, PidusageStat | null>;
  netRx: number;
  fsRx: number;
  rIO: number;
  failMem?: boolean;
}

function fakeSi(ticks: FakeTick[], at: () => number) {
  const tick = () => ticks[Math.min(at(), ticks.length - 1)]!;
  let processCalls = 0;
  const si = {
    processes: async () => {
      processCalls++;
      const list = tick().list;
      return { all: list.length, running: 0, blocked: 0, sleeping: list.length, unknown: 0, list };
    },
    currentLoad: async () =>
      ({ avgLoad: 0, currentLoad: 40, currentLoadUser: 30, currentLoadSystem: 10, currentLoadNice: 0, currentLoadIdle: 60, currentLoadIrq: 0, currentLoadSteal: 0, currentLoadGuest: 0, rawCurrentLoad: 0, rawCurrentLoadUser: 0, rawCurrentLoadSystem: 0, rawCurrentLoadNice: 0, rawCurrentLoadIdle: 0, rawCurrentLoadIrq: 0, rawCurrentLoadSteal: 0, rawCurrentLoadGuest: 0,
        cpus: [
          { load: 60, loadUser: 50, loadSystem: 10, loadNice: 0, loadIdle: 40, loadIrq: 0, loadSteal: 0, loadGuest: 0, rawLoad: 0, rawLoadUser: 0, rawLoadSystem: 0, rawLoadNice: 0, rawLoadIdle: 0, rawLoadIrq: 0, rawLoadSteal: 0, rawLoadGuest: 0 },
          { load: 20, loadUser: 10, loadSystem: 10, loadNice: 0, loadIdle: 80, loadIrq: 0, loadSteal: 0, loadGuest: 0, rawLoad: 0, rawLoadUser: 0, rawLoadSystem: 0, rawLoadNice: 0, rawLoadIdle: 0, rawLoadIrq: 0, rawLoadSteal: 0, rawLoadGuest: 0 },
        ] }) satisfies Systeminformation.CurrentLoadData,
    mem: async () => {
      if (tick().failMem) throw new Error('fake mem failure');
      return { total: 8e9, free: 1e9, used: 7e9, active: 5e9, available: 3e9, buffers: 1e8, cached: 2e9, slab: 0, buffcache: 2.1e9, reclaimable: 0, swaptotal: 2e9, swapused: 5e8, swapfree: 1.5e9, writeback: null, dirty: null } satisfies Systeminformation.MemData;
    },
    networkStats: async () => [
      { iface: 'eth0', operstate: 'up', rx_bytes: tick().netRx, rx_dropped: 0, rx_errors: 0, tx_bytes: 100, tx_dropped: 0, tx_errors: 0, rx_sec: null as unknown as number, tx_sec: null as unknown as number, ms: 0 },
    ] satisfies Systeminformation.NetworkStatsData[],
    fsStats: async () => ({ rx: tick().fsRx, wx: 0, tx: tick().fsRx, rx_sec: null, wx_sec: null, tx_sec: null, ms: 0 }) satisfies Systeminformation.FsStatsData,
    disksIO: async () => ({ rIO: tick().rIO, wIO: 0, tIO: tick().rIO, rIO_sec: null, wIO_sec: null, tIO_sec: null, rWaitTime: 0, wWaitTime: 0, tWaitTime: 0, rWaitPercent: null, wWaitPercent: null, tWaitPercent: null, ms: 0 }) satisfies Systeminformation.DisksIoData,
    battery: async () => ({ hasBattery: true, cycleCount: 10, isCharging: false, designedCapacity: 0, maxCapacity: 0, currentCapacity: 0, voltage: 0, capacityUnit: '', percent: 77, timeRemaining: 100, acConnected: false, type: '', model: '', manufacturer: '', serial: '' }) satisfies Systeminformation.BatteryData,
    osInfo: async () => ({ platform: 'freebsd', distro: 'FreeBSD', release: '14.1', codename: '', kernel: '14.1', arch: 'x64', hostname: 'box', fqdn: 'box', codepage: '', logofile: '', serial: '', build: '', servicepack: '', uefi: null }) as Systeminformation.OsData,
    cpu: async () => ({ manufacturer: 'AMD', brand: 'Ryzen 7', cores: 16, physicalCores: 8 }) as Systeminformation.CpuData,
  } satisfies SiApi;
  const api: SiApi = si;
  return { api, processCalls: () => processCalls };
}

const usage = (pid: number, ctime: number, memory = 1e6): PidusageStat => ({ cpu: 0, memory, ctime, elapsed: 1, timestamp: 0, pid, ppid: 1 });

const ticks: FakeTick[] = [
  {
    list: [proc({ pid: 10, name: 'editor', command: '/usr/bin/editor', params: '--wait file.txt' }), proc({ pid: 20, name: 'gone' }), proc({ pid: 30, name: 'back' })],
    usage: { '10': usage(10, 1000), '20': usage(20, 5), '30': usage(30, 900) },
    netRx: 1000, fsRx: 10_000, rIO: 5,
  },
  {
    // si's `started` moved by a second for pid 10 (it is derived from elapsed time): same process.
    list: [proc({ pid: 10, name: 'editor', command: '/usr/bin/editor', params: '--wait file.txt', started: '2024-03-01 12:00:01' }), proc({ pid: 20, name: 'gone' }), proc({ pid: 30, name: 'back' })],
    // +500 ms CPU in 1 s = 50 %; pid 20 exited (pidusage: null); pid 30's counter went backwards
    usage: { '10': usage(10, 1500, 2e6), '20': null, '30': usage(30, 100) },
    netRx: 3000, fsRx: 30_000, rIO: 25,
  },
];

describe('createSiSampler with fakes', () => {
  async function run(opts: { pidusage: boolean; refreshMs?: number; t?: FakeTick[] }) {
    let i = 0;
    let mono = 1000;
    const { api, processCalls } = fakeSi(opts.t ?? ticks, () => i);
    const pu: PidusageFn = async (pids) => Object.fromEntries(pids.map((p) => [String(p), (opts.t ?? ticks)[Math.min(i, 1)]!.usage[String(p)] ?? null]));
    const sampler = createSiSampler({ si: api, pidusage: opts.pidusage ? pu : null, platform: 'freebsd', now: () => 1e12 + mono, monotonicNow: () => mono, processListRefreshMs: opts.refreshMs });
    const first = await sampler.sample();
    i = 1;
    mono += 1000;
    const second = await sampler.sample();
    return { first, second, processCalls, sampler };
  }

  it('turns pidusage ctime into cpuPercent, drops exited pids, clamps counters that went backwards', async () => {
    const { first, second } = await run({ pidusage: true, refreshMs: 0 });
    expect(() => SampleSchema.parse(first)).not.toThrow();
    expect(() => SampleSchema.parse(second)).not.toThrow();
    expect(first.processes.map((p) => p.cpuPercent)).toEqual([0, 0, 0]);
    expect(second.processes.map((p) => p.pid)).toEqual([10, 30]);
    const editor = second.processes[0]!;
    expect(editor.cpuPercent).toBeCloseTo(50, 6);
    expect(editor.rssBytes).toBe(2e6);
    expect(editor.cmdline).toBe('/usr/bin/editor --wait file.txt');
    expect(editor.startTime).toBe(new Date(2024, 2, 1, 12, 0, 0).getTime());
    expect(second.processes[1]!.cpuPercent).toBe(0);
  });

  it('a pid whose start time jumps beyond the tolerance is a new process (pid reuse): rates restart', async () => {
    const t: FakeTick[] = [ticks[0]!, { ...ticks[1]!, list: [proc({ pid: 10, name: 'other', started: '2024-03-01 12:30:00' })] }];
    const { second } = await run({ pidusage: true, refreshMs: 0, t });
    expect(second.processes[0]).toMatchObject({ pid: 10, name: 'other', cpuPercent: 0, startTime: new Date(2024, 2, 1, 12, 30, 0).getTime() });
  });

  it('re-reads the process list only every processListRefreshMs', async () => {
    const slow = await run({ pidusage: true, refreshMs: 5000 });
    expect(slow.processCalls()).toBe(1);
    const every = await run({ pidusage: true, refreshMs: 0 });
    expect(every.processCalls()).toBe(2);
  });

  it("without pidusage uses si's own CPU split", async () => {
    const t: FakeTick[] = [{ ...ticks[0]!, list: [proc({ pid: 10, cpu: 33, cpuu: 30, cpus: 3 })] }];
    const { second } = await run({ pidusage: false, t });
    expect(second.processes[0]).toMatchObject({ cpuPercent: 33, cpuUserPercent: 30, cpuSystemPercent: 3 });
    expect(second.processes[0]!.unavailable).toContain('cpuTimeMs:unsupported');
  });

  it('system: per-core load, memory, network/disk rates from cumulative counters, battery', async () => {
    const { second } = await run({ pidusage: true });
    expect(second.system.cpuPercent).toBe(40);
    expect(second.system.cores.map((c) => c.cpuPercent)).toEqual([60, 20]);
    expect(second.system.memory).toMatchObject({ totalBytes: 8e9, availableBytes: 3e9, usedBytes: 5e9, swapTotalBytes: 2e9, swapUsedBytes: 5e8 });
    expect(second.system.net).toEqual([{ iface: 'eth0', rxBytesPerSec: 2000, txBytesPerSec: 0 }]);
    expect(second.system.disks).toEqual([{ device: 'all', readBytesPerSec: 20_000, writeBytesPerSec: 0, readsPerSec: 20, writesPerSec: 0 }]);
    expect(second.system.battery).toEqual({ present: true, percent: 77, charging: false, acConnected: false });
  });

  it('a failing source is reported and the last memory reading is kept', async () => {
    const t: FakeTick[] = [ticks[0]!, { ...ticks[1]!, failMem: true }];
    const { second } = await run({ pidusage: true, t });
    expect(second.errors).toEqual([{ source: 'memory', message: 'fake mem failure' }]);
    expect(second.system.memory.totalBytes).toBe(8e9);
  });

  it('info() from si.cpu/osInfo/mem', async () => {
    const { api } = fakeSi(ticks, () => 0);
    const info = await createSiSampler({ si: api, pidusage: null, platform: 'freebsd' }).info();
    expect(info).toMatchObject({ platform: 'other', cpuModel: 'AMD Ryzen 7', logicalCores: 16, physicalCores: 8, totalMemoryBytes: 8e9, osRelease: 'FreeBSD 14.1' });
  });
});

describe('helpers', () => {
  it('maps si states and parses start times', () => {
    expect(stateFromSi('blocked')).toBe('disk-sleep');
    expect(stateFromSi('weird')).toBe('unknown');
    expect(startedToEpochMs('garbage')).toBe(0);
    expect(startedToEpochMs('2024-03-01 12:00:05')).toBe(new Date(2024, 2, 1, 12, 0, 5).getTime());
  });
  it('processSiTick with no inputs yields an empty but valid sample', () => {
    const { sample } = processSiTick(undefined, { atMs: 1, monotonicMs: 1, errors: [] });
    expect(() => SampleSchema.parse(sample)).not.toThrow();
    expect(SI_UNAVAILABLE).toContain('cgroup:unsupported');
  });
});

describe('createSiSampler live on this machine (real systeminformation + pidusage)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('finds this process and a spawned busy child with the right pid, ppid and CPU', async () => {
    child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    const childPid = child.pid!;
    const sampler = createSiSampler({ processListRefreshMs: 0 });
    try {
      await sampler.sample();
      // However busy the machine, the child has had CPU between the two samples (0.1 s at least).
      if (process.platform === 'linux') await waitForCpuTicks(childPid, cpuTicks(childPid), 10);
      else await new Promise((r) => setTimeout(r, 700));
      const sample = await sampler.sample();
      expect(() => SampleSchema.parse(sample)).not.toThrow();
      expect(sample.errors?.filter((e) => e.source === 'processes' || e.source === 'pidusage') ?? []).toEqual([]);
      const me = sample.processes.find((p) => p.pid === process.pid);
      expect(me).toBeDefined();
      expect(me!.ppid).toBe(process.ppid);
      expect(me!.rssBytes).toBeGreaterThan(10 * 2 ** 20);
      const busy = sample.processes.find((p) => p.pid === childPid);
      expect(busy).toBeDefined();
      expect(busy!.ppid).toBe(process.pid);
      expect(busy!.cpuPercent).toBeGreaterThan(0);
      expect(sample.system.memory.totalBytes).toBeGreaterThan(0);
      expect(sample.system.cores.length).toBeGreaterThan(0);
      const info = await sampler.info();
      expect(info.platform).toBe('linux');
    } finally {
      sampler.close();
    }
  });
});
