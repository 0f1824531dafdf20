// The history's metrics, defined once: each spec names a column family (`${name}_${stat}`), its unit
// and how to read it from a sample. The schema, the aggregation, the queries and the export docs all
// derive from these lists, so adding a metric is one line here (and a migration).
import type { ProcessSample, SystemSample } from '../../../src-shared/domain';

export type Stat = 'mean' | 'max' | 'min';

export interface MetricSpec<Input> {
  /** snake_case with unit; columns are `${name}_${stat}`. */
  name: string;
  stats: readonly Stat[];
  unit: string;
  description: string;
  read: (input: Input) => number | undefined;
}

/** What one program contributed to one sample: sums over its processes. */
export interface ProgramTick {
  cpuPercent: number;
  rssBytes: number;
  swapBytes?: number;
  readBytesPerSec?: number;
  writeBytesPerSec?: number;
  ctxSwitchesPerSec?: number;
  syscallsPerSec?: number;
  majorFaultsPerSec?: number;
  runQueueWaitMsPerSec?: number;
  processCount: number;
  threadCount: number;
}

/** Sum of the values that are defined; undefined when none is. */
export const sumDefined = (values: Array<number | undefined>): number | undefined => {
  let total: number | undefined;
  for (const value of values) if (value !== undefined) total = (total ?? 0) + value;
  return total;
};

export const SYSTEM_METRICS = [
  { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'total CPU use, 100 = all cores busy', read: (s: SystemSample) => s.cpuPercent },
  { name: 'memory_used_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'memory in use', read: (s: SystemSample) => s.memory.usedBytes },
  { name: 'memory_available_bytes', stats: ['mean', 'min'], unit: 'bytes', description: 'memory available for new work', read: (s: SystemSample) => s.memory.availableBytes },
  { name: 'swap_used_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'swap in use', read: (s: SystemSample) => s.memory.swapUsedBytes },
  { name: 'disk_read_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'read rate summed over the disks the collector reports', read: (s: SystemSample) => (s.disks ? sumDefined(s.disks.map((d) => d.readBytesPerSec)) ?? 0 : undefined) },
  { name: 'disk_write_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'write rate summed over the disks the collector reports', read: (s: SystemSample) => (s.disks ? sumDefined(s.disks.map((d) => d.writeBytesPerSec)) ?? 0 : undefined) },
  { name: 'net_rx_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'received bytes summed over interfaces', read: (s: SystemSample) => (s.net ? sumDefined(s.net.map((n) => n.rxBytesPerSec)) ?? 0 : undefined) },
  { name: 'net_tx_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'sent bytes summed over interfaces', read: (s: SystemSample) => (s.net ? sumDefined(s.net.map((n) => n.txBytesPerSec)) ?? 0 : undefined) },
  { name: 'psi_cpu_some_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI cpu some avg10', read: (s: SystemSample) => s.psi?.cpu?.someAvg10 },
  { name: 'psi_memory_some_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI memory some avg10', read: (s: SystemSample) => s.psi?.memory?.someAvg10 },
  { name: 'psi_memory_full_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI memory full avg10', read: (s: SystemSample) => s.psi?.memory?.fullAvg10 },
  { name: 'psi_io_some_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI io some avg10', read: (s: SystemSample) => s.psi?.io?.someAvg10 },
  { name: 'psi_io_full_avg10', stats: ['mean', 'max'], unit: '%', description: 'PSI io full avg10', read: (s: SystemSample) => s.psi?.io?.fullAvg10 },
  { name: 'load1', stats: ['mean'], unit: 'tasks', description: '1-minute load average', read: (s: SystemSample) => s.loadAvg?.[0] },
  { name: 'load5', stats: ['mean'], unit: 'tasks', description: '5-minute load average', read: (s: SystemSample) => s.loadAvg?.[1] },
  { name: 'load15', stats: ['mean'], unit: 'tasks', description: '15-minute load average', read: (s: SystemSample) => s.loadAvg?.[2] },
  { name: 'process_count', stats: ['mean', 'max'], unit: 'processes', description: 'number of processes', read: (s: SystemSample) => s.processCount },
  { name: 'ctx_switches_per_sec', stats: ['mean'], unit: '1/s', description: 'context switches, whole system', read: (s: SystemSample) => s.contextSwitchesPerSec },
] as const satisfies readonly MetricSpec<SystemSample>[];

export const PROGRAM_METRICS = [
  { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'CPU summed over the program\'s processes; 100 = one core', read: (p: ProgramTick) => p.cpuPercent },
  { name: 'rss_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'resident memory summed over its processes', read: (p: ProgramTick) => p.rssBytes },
  { name: 'swap_bytes', stats: ['mean'], unit: 'bytes', description: 'swapped-out memory summed over its processes', read: (p: ProgramTick) => p.swapBytes },
  { name: 'read_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage reads', read: (p: ProgramTick) => p.readBytesPerSec },
  { name: 'write_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage writes', read: (p: ProgramTick) => p.writeBytesPerSec },
  { name: 'ctx_switches_per_sec', stats: ['mean'], unit: '1/s', description: 'voluntary + involuntary context switches', read: (p: ProgramTick) => p.ctxSwitchesPerSec },
  { name: 'syscalls_per_sec', stats: ['mean'], unit: '1/s', description: 'read + write system calls', read: (p: ProgramTick) => p.syscallsPerSec },
  { name: 'major_faults_per_sec', stats: ['mean'], unit: '1/s', description: 'major page faults', read: (p: ProgramTick) => p.majorFaultsPerSec },
  { name: 'run_queue_wait_ms_per_sec', stats: ['mean'], unit: 'ms/s', description: 'time runnable but waiting for a CPU, summed over its processes', read: (p: ProgramTick) => p.runQueueWaitMsPerSec },
  { name: 'process_count', stats: ['mean', 'max'], unit: 'processes', description: 'processes of the program', read: (p: ProgramTick) => p.processCount },
  { name: 'thread_count', stats: ['max'], unit: 'threads', description: 'threads summed over its processes', read: (p: ProgramTick) => p.threadCount },
] as const satisfies readonly MetricSpec<ProgramTick>[];

export const PROCESS_METRICS = [
  { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'user+system CPU; 100 = one core', read: (p: ProcessSample) => p.cpuPercent },
  { name: 'rss_bytes', stats: ['mean', 'max'], unit: 'bytes', description: 'resident memory', read: (p: ProcessSample) => p.rssBytes },
  { name: 'swap_bytes', stats: ['mean'], unit: 'bytes', description: 'swapped-out memory', read: (p: ProcessSample) => p.swapBytes },
  { name: 'read_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage reads', read: (p: ProcessSample) => p.readBytesPerSec },
  { name: 'write_bytes_per_sec', stats: ['mean'], unit: 'bytes/s', description: 'storage writes', read: (p: ProcessSample) => p.writeBytesPerSec },
  { name: 'ctx_switches_per_sec', stats: ['mean'], unit: '1/s', description: 'voluntary + involuntary context switches', read: (p: ProcessSample) => sumDefined([p.voluntaryCtxSwitchesPerSec, p.involuntaryCtxSwitchesPerSec]) },
  { name: 'syscalls_per_sec', stats: ['mean'], unit: '1/s', description: 'read + write system calls', read: (p: ProcessSample) => sumDefined([p.readSyscallsPerSec, p.writeSyscallsPerSec]) },
  { name: 'major_faults_per_sec', stats: ['mean'], unit: '1/s', description: 'major page faults', read: (p: ProcessSample) => p.majorFaultsPerSec },
  { name: 'run_queue_wait_ms_per_sec', stats: ['mean'], unit: 'ms/s', description: 'time runnable but waiting for a CPU', read: (p: ProcessSample) => p.runQueueWaitMsPerSec },
  { name: 'thread_count', stats: ['max'], unit: 'threads', description: 'threads', read: (p: ProcessSample) => p.threads },
  { name: 'nice', stats: ['min', 'max'], unit: 'nice', description: 'nice value (-20 highest priority .. 19 lowest)', read: (p: ProcessSample) => p.nice },
] as const satisfies readonly MetricSpec<ProcessSample>[];

type Specs = readonly { name: string; stats: readonly Stat[] }[];
type ColumnsOf<S extends Specs> = { [I in keyof S]: `${S[I]['name']}_${S[I]['stats'][number]}` }[number];
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
export type MetricValues<S extends Specs> = { [K in ColumnsOf<S> as Camel<K>]: number | null };

export interface MetricColumn {
  column: string;
  /** camelCase key in query results. */
  key: string;
  stat: Stat;
  metricIndex: number;
  unit: string;
  description: string;
}

/** One column per (metric, stat), in spec order: the order of the table's metric columns. */
export function columnsOf(specs: readonly MetricSpec<never>[]): MetricColumn[] {
  const out: MetricColumn[] = [];
  specs.forEach((spec, metricIndex) => {
    for (const stat of spec.stats) {
      const column = `${spec.name}_${stat}`;
      out.push({ column, key: camel(column), stat, metricIndex, unit: spec.unit, description: `${spec.description} (${stat} over the bucket)` });
    }
  });
  return out;
}

/** `cpu_percent_mean` -> `cpuPercentMean`. */
export function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export const SYSTEM_COLUMNS: readonly MetricColumn[] = columnsOf(SYSTEM_METRICS as unknown as MetricSpec<never>[]);
export const PROGRAM_COLUMNS: readonly MetricColumn[] = columnsOf(PROGRAM_METRICS as unknown as MetricSpec<never>[]);
export const PROCESS_COLUMNS: readonly MetricColumn[] = columnsOf(PROCESS_METRICS as unknown as MetricSpec<never>[]);