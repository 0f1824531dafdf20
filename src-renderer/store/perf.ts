// Performance slice: a bounded ring of system series (CPU total and per core, memory, swap, disks,
// network, PSI) accumulated from ticks, about 10 minutes at the current interval. Each tick makes new
// arrays (never mutates the old ones), so charts and memos see a changed reference.
import type { StateCreator } from 'zustand';
import type { Sample } from '../../src-shared/domain';
import type { AppState } from './index';

export const PERF_WINDOW_MS = 10 * 60_000;

export interface PerfSeries {
  /** Epoch ms of each point. */
  at: number[];
  cpuPercent: number[];
  /** One array per logical core, % of that core. */
  cores: number[][];
  memUsedBytes: number[];
  memTotalBytes: number;
  swapUsedBytes: number[];
  swapTotalBytes: number;
  disks: Record<string, { readBytesPerSec: number[]; writeBytesPerSec: number[] }>;
  net: Record<string, { rxBytesPerSec: number[]; txBytesPerSec: number[] }>;
  /** PSI "some" avg10 (%); NaN where the kernel does not report it. */
  psi: { cpu: number[]; memory: number[]; io: number[] };
}

export function emptyPerf(): PerfSeries {
  return {
    at: [],
    cpuPercent: [],
    cores: [],
    memUsedBytes: [],
    memTotalBytes: 0,
    swapUsedBytes: [],
    swapTotalBytes: 0,
    disks: {},
    net: {},
    psi: { cpu: [], memory: [], io: [] },
  };
}

/** Points kept for ~10 minutes at this interval (bounded to 60..2400). */
export function perfCapacity(intervalMs: number): number {
  const points = Math.ceil(PERF_WINDOW_MS / Math.max(1, intervalMs));
  return Math.min(2400, Math.max(60, points));
}

function push(series: readonly number[], value: number, capacity: number): number[] {
  const start = series.length + 1 > capacity ? series.length + 1 - capacity : 0;
  const next = series.slice(start);
  next.push(value);
  return next;
}

/** A series for a device first seen now: NaN (a gap) for the points before it. */
function padded(length: number): number[] {
  return new Array<number>(length).fill(Number.NaN);
}

/** Append one sample to the series, dropping the oldest points beyond `capacity`. Pure. */
export function appendPerf(series: PerfSeries, sample: Sample, capacity: number): PerfSeries {
  const { system } = sample;
  const length = series.at.length;
  const coreCount = Math.max(series.cores.length, system.cores.length);
  const cores: number[][] = [];
  for (let i = 0; i < coreCount; i++) {
    const core = system.cores.find((c) => c.core === i) ?? system.cores[i];
    cores.push(push(series.cores[i] ?? padded(length), core ? core.cpuPercent : Number.NaN, capacity));
  }
  const disks: PerfSeries['disks'] = {};
  const diskNames = new Set([...Object.keys(series.disks), ...(system.disks ?? []).map((d) => d.device)]);
  for (const name of diskNames) {
    const prev = series.disks[name] ?? { readBytesPerSec: padded(length), writeBytesPerSec: padded(length) };
    const now = system.disks?.find((d) => d.device === name);
    disks[name] = {
      readBytesPerSec: push(prev.readBytesPerSec, now ? now.readBytesPerSec : Number.NaN, capacity),
      writeBytesPerSec: push(prev.writeBytesPerSec, now ? now.writeBytesPerSec : Number.NaN, capacity),
    };
  }
  const net: PerfSeries['net'] = {};
  const netNames = new Set([...Object.keys(series.net), ...(system.net ?? []).map((n) => n.iface)]);
  for (const name of netNames) {
    const prev = series.net[name] ?? { rxBytesPerSec: padded(length), txBytesPerSec: padded(length) };
    const now = system.net?.find((n) => n.iface === name);
    net[name] = {
      rxBytesPerSec: push(prev.rxBytesPerSec, now ? now.rxBytesPerSec : Number.NaN, capacity),
      txBytesPerSec: push(prev.txBytesPerSec, now ? now.txBytesPerSec : Number.NaN, capacity),
    };
  }
  // A device that has only gaps in the whole window is dropped (unplugged long ago).
  for (const [name, value] of Object.entries(disks)) if (value.readBytesPerSec.every(Number.isNaN)) delete disks[name];
  for (const [name, value] of Object.entries(net)) if (value.rxBytesPerSec.every(Number.isNaN)) delete net[name];
  const psi = system.psi;
  return {
    at: push(series.at, sample.at, capacity),
    cpuPercent: push(series.cpuPercent, system.cpuPercent, capacity),
    cores,
    memUsedBytes: push(series.memUsedBytes, system.memory.usedBytes, capacity),
    memTotalBytes: system.memory.totalBytes,
    swapUsedBytes: push(series.swapUsedBytes, system.memory.swapUsedBytes, capacity),
    swapTotalBytes: system.memory.swapTotalBytes,
    disks,
    net,
    psi: {
      cpu: push(series.psi.cpu, psi?.cpu?.someAvg10 ?? Number.NaN, capacity),
      memory: push(series.psi.memory, psi?.memory?.someAvg10 ?? Number.NaN, capacity),
      io: push(series.psi.io, psi?.io?.someAvg10 ?? Number.NaN, capacity),
    },
  };
}

export interface PerfSlice {
  perf: PerfSeries;
  perfCapacity: number;
  appendPerfSample(sample: Sample): void;
}

export const createPerfSlice: StateCreator<AppState, [], [], PerfSlice> = (set, get) => ({
  perf: emptyPerf(),
  perfCapacity: perfCapacity(1000),
  appendPerfSample(sample) {
    // The configured interval, not the measured one: jitter must not make the window breathe.
    const capacity = perfCapacity(get().settings?.intervalMs ?? get().appInfo?.intervalMs ?? 1000);
    set((state) => ({ perf: appendPerf(state.perf, sample, capacity), perfCapacity: capacity }));
  },
});
