// Prometheus text exposition (format 0.0.4) of the latest sample: system, per-program CPU and
// memory, and whatever extra families the core adds (forecasts, engine actions). With many
// machines, Prometheus and Grafana are the fleet layer; this is what they scrape.
import type { Sample } from '../../src-shared/domain';
import type { EngineCountersView } from '../../src-shared/contract';
import { groupByProgram } from '../monitor/programs';

export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

/** Escape a label value: backslash, double quote and newline. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = sample.labels && Object.keys(sample.labels).length
        ? `{${Object.entries(sample.labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`
        : '';
      lines.push(`${family.name}${labels} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const gauge = (name: string, help: string, samples: MetricFamily['samples']): MetricFamily => ({ name, help, type: 'gauge', samples });
const one = (value: number | undefined): MetricFamily['samples'] => (value === undefined ? [] : [{ value }]);

/** What the agent process itself costs, read when /metrics is scraped. */
export interface AgentSelf {
  /** CPU time of the whole process (every thread), µs: process.cpuUsage(). */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  residentBytes: number;
  heapUsedBytes: number;
  /** Time the event loop of the thread serving the UI was busy since it started, ms (performance.eventLoopUtilization). */
  loopActiveMs: number;
  /** Busy share of that event loop since the last scrape, 0..1. */
  loopUtilizationSinceScrape?: number;
}

/** The agent's own cost, under the names Node exporters use (process_*, nodejs_*). */
export function agentFamilies(self: AgentSelf): MetricFamily[] {
  const families: MetricFamily[] = [
    { name: 'process_cpu_seconds_total', help: 'CPU time of the Allot agent process, all threads.', type: 'counter', samples: [{ value: (self.cpuUserMicros + self.cpuSystemMicros) / 1e6 }] },
    gauge('process_resident_memory_bytes', 'Resident memory of the Allot agent process.', one(self.residentBytes)),
    gauge('nodejs_heap_size_used_bytes', 'V8 heap in use on the thread serving the UI.', one(self.heapUsedBytes)),
  ];
  // Event-loop utilization costs nothing to keep (a delay histogram would wake the thread every few ms).
  families.push({ name: 'nodejs_eventloop_active_seconds_total', help: 'Time the event loop of the thread serving the UI was busy (sampling runs in another thread).', type: 'counter', samples: [{ value: self.loopActiveMs / 1000 }] });
  if (self.loopUtilizationSinceScrape !== undefined && Number.isFinite(self.loopUtilizationSinceScrape)) {
    families.push(gauge('nodejs_eventloop_utilization_ratio', 'Busy share of the event loop of the thread serving the UI since the last scrape.', one(self.loopUtilizationSinceScrape)));
  }
  return families;
}

/** Families describing one sample; `topPrograms` bounds the per-program series (label cardinality). */
export function sampleFamilies(sample: Sample, topPrograms = 50): MetricFamily[] {
  const { system } = sample;
  const programs = groupByProgram(sample.processes)
    .sort((a, b) => b.cpuPercent - a.cpuPercent || b.rssBytes - a.rssBytes)
    .slice(0, topPrograms);
  const psi = (['cpu', 'memory', 'io'] as const).flatMap((resource) => {
    const value = system.psi?.[resource];
    return value ? [{ labels: { resource, kind: 'some' }, value: value.someAvg10 }, ...(value.fullAvg10 !== undefined ? [{ labels: { resource, kind: 'full' }, value: value.fullAvg10 }] : [])] : [];
  });
  return [
    gauge('allot_system_cpu_percent', 'CPU use of the whole machine, 100 = all cores busy.', one(system.cpuPercent)),
    gauge('allot_core_cpu_percent', 'CPU use per logical core, 100 = the core busy.', system.cores.map((core) => ({ labels: { core: String(core.core) }, value: core.cpuPercent }))),
    gauge('allot_memory_total_bytes', 'Physical memory.', one(system.memory.totalBytes)),
    gauge('allot_memory_used_bytes', 'Memory in use.', one(system.memory.usedBytes)),
    gauge('allot_memory_available_bytes', 'Memory available for new work without swapping.', one(system.memory.availableBytes)),
    gauge('allot_swap_total_bytes', 'Swap space.', one(system.memory.swapTotalBytes)),
    gauge('allot_swap_used_bytes', 'Swap in use.', one(system.memory.swapUsedBytes)),
    gauge('allot_load_average', 'Load average.', system.loadAvg ? (['1m', '5m', '15m'] as const).map((window, i) => ({ labels: { window }, value: system.loadAvg![i]! })) : []),
    gauge('allot_pressure_avg10_percent', 'Pressure stall information: share of time tasks stalled, 10 s average.', psi),
    gauge('allot_disk_read_bytes_per_second', 'Disk reads.', (system.disks ?? []).map((disk) => ({ labels: { device: disk.device }, value: disk.readBytesPerSec }))),
    gauge('allot_disk_write_bytes_per_second', 'Disk writes.', (system.disks ?? []).map((disk) => ({ labels: { device: disk.device }, value: disk.writeBytesPerSec }))),
    gauge('allot_network_receive_bytes_per_second', 'Network receive rate.', (system.net ?? []).map((net) => ({ labels: { iface: net.iface }, value: net.rxBytesPerSec }))),
    gauge('allot_network_transmit_bytes_per_second', 'Network transmit rate.', (system.net ?? []).map((net) => ({ labels: { iface: net.iface }, value: net.txBytesPerSec }))),
    gauge('allot_processes', 'Number of processes.', one(system.processCount)),
    gauge('allot_program_cpu_percent', `CPU use per program (top ${topPrograms} by CPU), 100 = one core.`, programs.map((program) => ({ labels: { program: program.programId, name: program.name }, value: program.cpuPercent }))),
    gauge('allot_program_resident_bytes', `Resident memory per program (top ${topPrograms} by CPU).`, programs.map((program) => ({ labels: { program: program.programId, name: program.name }, value: program.rssBytes }))),
    gauge('allot_program_processes', `Processes per program (top ${topPrograms} by CPU).`, programs.map((program) => ({ labels: { program: program.programId, name: program.name }, value: program.count }))),
    gauge('allot_collector_cpu_milliseconds', 'CPU time the collector spent on the last sample.', one(sample.collectCpuMs)),
    gauge('allot_sample_timestamp_seconds', 'When the last sample was taken (Unix time).', one(sample.at / 1000)),
  ];
}

/**
 * Engine metrics accumulated from the core's `engine` reports: the mode, forecasts of system CPU
 * and memory, and counters of decisions, actions and alerts since this agent started.
 */
/** Engine families from the core's counters (request 'engine.counters'). */
export function engineFamilies(view: EngineCountersView): MetricFamily[] {
  const forecasts = (series: string, list: EngineCountersView['systemCpuForecast']) =>
    list.flatMap((forecast) => [
      { labels: { series, horizon: `${forecast.horizonMs / 1000}s`, quantile: '0.5', model: forecast.model }, value: forecast.p50 },
      { labels: { series, horizon: `${forecast.horizonMs / 1000}s`, quantile: '0.9', model: forecast.model }, value: forecast.p90 },
    ]);
  const mode = view.mode;
  return [
    {
      name: 'allot_engine_mode',
      help: 'Engine mode in effect (1 for the current mode).',
      type: 'gauge',
      samples: mode ? (['off', 'advise', 'auto'] as const).map((m) => ({ labels: { mode: m }, value: mode === m ? 1 : 0 })) : [],
    },
    {
      name: 'allot_forecast',
      help: 'Forecast of system CPU (% of all cores) and used memory (bytes) at each horizon.',
      type: 'gauge',
      samples: [...forecasts('system_cpu_percent', view.systemCpuForecast), ...forecasts('system_memory_used_bytes', view.systemMemoryForecast)],
    },
    {
      name: 'allot_engine_decisions_total',
      help: 'Engine decisions since the agent started, by source and whether they were to be applied.',
      type: 'counter',
      samples: view.decisions.map((d) => ({ labels: { source: d.source, disposition: d.disposition }, value: d.count })),
    },
    {
      name: 'allot_engine_actions_total',
      help: 'OS changes the engine attempted, by operation and result.',
      type: 'counter',
      samples: view.actions.map((a) => ({ labels: { op: a.op, result: a.result }, value: a.count })),
    },
    {
      name: 'allot_engine_alerts_total',
      help: 'Alerts raised, by kind and severity.',
      type: 'counter',
      samples: view.alerts.map((a) => ({ labels: { kind: a.kind, severity: a.severity }, value: a.count })),
    },
  ];
}
