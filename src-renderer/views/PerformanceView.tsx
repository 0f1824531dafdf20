// Performance view: chart.js charts of CPU (total and per core), memory and swap, disk and network,
// and PSI: the last 1 or 10 minutes from the live ring in the store, or 1 hour to 30 days from
// history.system. CPU and memory draw the engine's forecast ahead of now (p50 line, band up to p90)
// from the last engine report; callers may pass more in `forecasts`.
import { useEffect, useMemo, type ReactNode } from 'react';
import type { HistorySeries } from '../../src-shared/contract';
import type { HorizonForecast, TickReport } from '../../src-shared/report';
import { formatBytes, formatBytesPerSec, formatPercent } from '../../src-shared/format';
import { useStore } from '../store';
import { Chart, PALETTE, type ChartSeries, type ForecastBand } from '../components/Chart';
import { emptyPerf, type PerfSeries } from '../store/perf';
import { isLiveRange, PERF_RANGES, type PerfRange } from '../store/history';
import { rowSeries } from './HistoryView';

export type PerfChartId = 'cpu' | 'cores' | 'memory' | 'disk' | 'net' | 'psi';

export interface PerformanceViewProps {
  dark: boolean;
  /** Forecasts to draw ahead of now, per chart (fed by the lead once the forecast contract lands). */
  forecasts?: Partial<Record<PerfChartId, ForecastBand>>;
}

const last = (values: readonly number[]): number | undefined => values[values.length - 1];
const sumRecent = (values: readonly number[]): number => values.reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
/** Devices with the most traffic in the window, at most `limit`, loopback last. */
function topDevices<T>(record: Record<string, T>, traffic: (value: T) => number, limit: number): string[] {
  return Object.entries(record)
    .map(([name, value]) => ({ name, total: traffic(value) }))
    .sort((a, b) => (a.name === 'lo' ? 1 : 0) - (b.name === 'lo' ? 1 : 0) || b.total - a.total || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((d) => d.name);
}

function ChartCard(props: { title: string; value?: string; children: ReactNode; wide?: boolean }) {
  return (
    <section className={`chart-card${props.wide ? ' wide' : ''}`} aria-label={props.title}>
      <header>
        <h3>{props.title}</h3>
        {props.value && <span className="chart-value">{props.value}</span>}
      </header>
      {props.children}
    </section>
  );
}

export function perfChartSeries(perf: PerfSeries): Record<PerfChartId, ChartSeries[]> {
  const disks = topDevices(perf.disks, (d) => sumRecent(d.readBytesPerSec) + sumRecent(d.writeBytesPerSec), 3);
  const nets = topDevices(perf.net, (n) => sumRecent(n.rxBytesPerSec) + sumRecent(n.txBytesPerSec), 3);
  return {
    cpu: [{ label: 'CPU total', data: perf.cpuPercent, color: PALETTE[0]!, fill: true }],
    cores: perf.cores.map((data, i) => ({ label: `CPU ${i}`, data, color: PALETTE[i % PALETTE.length]! })),
    memory: [
      { label: 'Memory used', data: perf.memUsedBytes, color: PALETTE[2]!, fill: true },
      { label: 'Swap used', data: perf.swapUsedBytes, color: PALETTE[1]! },
    ],
    disk: disks.flatMap((name, i) => [
      { label: `${name} read`, data: perf.disks[name]!.readBytesPerSec, color: PALETTE[(2 * i) % PALETTE.length]! },
      { label: `${name} write`, data: perf.disks[name]!.writeBytesPerSec, color: PALETTE[(2 * i + 1) % PALETTE.length]! },
    ]),
    net: nets.flatMap((name, i) => [
      { label: `${name} rx`, data: perf.net[name]!.rxBytesPerSec, color: PALETTE[(2 * i + 4) % PALETTE.length]! },
      { label: `${name} tx`, data: perf.net[name]!.txBytesPerSec, color: PALETTE[(2 * i + 5) % PALETTE.length]! },
    ]),
    psi: [
      { label: 'CPU some', data: perf.psi.cpu, color: PALETTE[0]! },
      { label: 'Memory some', data: perf.psi.memory, color: PALETTE[2]! },
      { label: 'I/O some', data: perf.psi.io, color: PALETTE[1]! },
    ],
  };
}

const RANGE_LABELS: Record<PerfRange, string> = { '1m': '1 min', '10m': '10 min', '1h': '1 h', '1d': '1 day', '7d': '7 days', '30d': '30 days' };

/** History rows (history.system) in the shape of the live ring: disks and interfaces summed. */
export function historyToPerf(series: HistorySeries, memTotalBytes: number, swapTotalBytes: number): PerfSeries {
  const rows = series.rows;
  const perf = emptyPerf();
  perf.at = rowSeries(rows, 'bucketMs');
  perf.cpuPercent = rowSeries(rows, 'cpuPercentMean');
  const coreCount = rows.reduce((max, row) => Math.max(max, Array.isArray(row['coresCpuPercentMean']) ? row['coresCpuPercentMean'].length : 0), 0);
  perf.cores = Array.from({ length: coreCount }, (_, core) =>
    rows.map((row) => {
      const cores = row['coresCpuPercentMean'];
      return Array.isArray(cores) && typeof cores[core] === 'number' ? cores[core] : Number.NaN;
    }),
  );
  perf.memUsedBytes = rowSeries(rows, 'memoryUsedBytesMean');
  perf.memTotalBytes = memTotalBytes;
  perf.swapUsedBytes = rowSeries(rows, 'swapUsedBytesMean');
  perf.swapTotalBytes = swapTotalBytes;
  const read = rowSeries(rows, 'diskReadBytesPerSecMean');
  const write = rowSeries(rows, 'diskWriteBytesPerSecMean');
  if (read.some(Number.isFinite) || write.some(Number.isFinite)) perf.disks = { 'all disks': { readBytesPerSec: read, writeBytesPerSec: write } };
  const rx = rowSeries(rows, 'netRxBytesPerSecMean');
  const tx = rowSeries(rows, 'netTxBytesPerSecMean');
  if (rx.some(Number.isFinite) || tx.some(Number.isFinite)) perf.net = { 'all interfaces': { rxBytesPerSec: rx, txBytesPerSec: tx } };
  perf.psi = { cpu: rowSeries(rows, 'psiCpuSomeAvg10Mean'), memory: rowSeries(rows, 'psiMemorySomeAvg10Mean'), io: rowSeries(rows, 'psiIoSomeAvg10Mean') };
  return perf;
}

/**
 * A forecast band from the engine's horizons: starts at the current value at `now`, then the p50
 * line and a band from p50 up to p90 at each horizon no further ahead than `maxAheadMs`.
 */
export function forecastBand(horizons: readonly HorizonForecast[], now: number, current: number | undefined, maxAheadMs: number, label: string, color?: string): ForecastBand | undefined {
  const usable = horizons.filter((h) => h.horizonMs > 0 && h.horizonMs <= maxAheadMs).sort((a, b) => a.horizonMs - b.horizonMs);
  if (usable.length === 0) return undefined;
  const start = current !== undefined && Number.isFinite(current) ? [current] : [];
  const at = [...(start.length ? [now] : []), ...usable.map((h) => now + h.horizonMs)];
  return {
    at,
    p50: [...start, ...usable.map((h) => h.p50)],
    p90Low: [...start, ...usable.map((h) => Math.min(h.p50, h.p90))],
    p90High: [...start, ...usable.map((h) => Math.max(h.p50, h.p90))],
    label,
    ...(color ? { color } : {}),
  };
}

function engineForecasts(report: TickReport | undefined, perf: PerfSeries, now: number | undefined, windowMs: number): Partial<Record<PerfChartId, ForecastBand>> {
  if (!report || now === undefined) return {};
  // Look ahead at most half the window, so the past stays the larger part of the chart.
  const maxAheadMs = Math.max(5_000, windowMs / 2);
  const out: Partial<Record<PerfChartId, ForecastBand>> = {};
  const cpu = forecastBand(report.forecasts.systemCpu, now, last(perf.cpuPercent), maxAheadMs, 'CPU forecast');
  if (cpu) out.cpu = cpu;
  const memory = forecastBand(report.forecasts.systemMemory, now, last(perf.memUsedBytes), maxAheadMs, 'Memory forecast', '#b7791f');
  if (memory) out.memory = memory;
  return out;
}

export function PerformanceView({ dark, forecasts: extraForecasts = {} }: PerformanceViewProps) {
  const range = useStore((state) => state.perfRange);
  const live = useStore((state) => state.perf);
  const history = useStore((state) => state.perfHistory);
  const historyError = useStore((state) => state.perfHistoryError);
  const historyLoading = useStore((state) => state.perfHistoryLoading);
  const report = useStore((state) => state.lastReport);
  const systemInfo = useStore((state) => state.systemInfo);
  const setRange = useStore((state) => state.setPerfRange);
  const liveRange = isLiveRange(range);
  useEffect(() => {
    if (!isLiveRange(useStore.getState().perfRange)) void useStore.getState().loadPerfHistory();
  }, []);
  const perf = useMemo(
    () => (liveRange || !history ? live : historyToPerf(history, live.memTotalBytes || systemInfo?.totalMemoryBytes || 0, live.swapTotalBytes)),
    [liveRange, history, live, systemInfo],
  );
  const windowMs = PERF_RANGES[range];
  const series = useMemo(() => perfChartSeries(perf), [perf]);
  const now = liveRange ? last(perf.at) : last(live.at) ?? Date.now();
  const forecasts = useMemo(() => ({ ...engineForecasts(report, liveRange ? perf : live, now, windowMs), ...extraForecasts }), [report, perf, live, liveRange, now, windowMs, extraForecasts]);
  const hasPsi = perf.psi.cpu.some(Number.isFinite) || perf.psi.io.some(Number.isFinite);
  const common = { at: perf.at, now, windowMs, dark };
  const diskNow = Object.values(perf.disks).reduce((s, d) => s + (last(d.readBytesPerSec) || 0) + (last(d.writeBytesPerSec) || 0), 0);
  const netNow = Object.values(perf.net).reduce((s, d) => s + (last(d.rxBytesPerSec) || 0) + (last(d.txBytesPerSec) || 0), 0);
  const pct = (v: number): string => `${Math.round(v)}%`;
  const bytes = (v: number): string => formatBytes(v, 0);
  const rate = (v: number): string => formatBytesPerSec(v);
  const rangePicker = (
    <div className="segmented" role="group" aria-label="Range">
      {(Object.keys(RANGE_LABELS) as PerfRange[]).map((id) => (
        <button key={id} type="button" aria-pressed={range === id} onClick={() => setRange(id)}>
          {RANGE_LABELS[id]}
        </button>
      ))}
    </div>
  );
  if (perf.at.length === 0) {
    return (
      <section className="view performance-view" aria-label="Performance">
        <header className="summary">{rangePicker}</header>
        {historyError ? (
          <p className="banner error" role="alert">
            {historyError}
          </p>
        ) : (
          <p className="empty">{liveRange ? 'Waiting for the first samples…' : historyLoading ? 'Loading history…' : 'No history in this range yet.'}</p>
        )}
      </section>
    );
  }
  return (
    <section className="view performance-view" aria-label="Performance">
      <header className="summary">
        {rangePicker}
        <div className="metric">
          <span className="label">Points</span>
          <span className="value small">
            {perf.at.length}
            {!liveRange && history ? ` × ${Math.round(history.tierMs / 1000)} s` : ''}
          </span>
        </div>
        {systemInfo && (
          <div className="metric">
            <span className="label">CPU</span>
            <span className="value small">{systemInfo.cpuModel} · {systemInfo.logicalCores} logical cores</span>
          </div>
        )}
      </header>
      {historyError && !liveRange && (
        <p className="banner error" role="alert">
          {historyError}
        </p>
      )}
      <div className="chart-grid">
        <ChartCard title="CPU total" value={formatPercent(last(perf.cpuPercent) ?? 0)}>
          <Chart title="CPU total, %" {...common} series={series.cpu} yMin={0} yMax={100} formatY={pct} forecast={forecasts.cpu} />
        </ChartCard>
        <ChartCard title="CPU per core">
          <Chart title="CPU per core, %" {...common} series={series.cores} yMin={0} yMax={100} formatY={pct} forecast={forecasts.cores} showLegend={series.cores.length <= 16} />
        </ChartCard>
        <ChartCard title="Memory and swap" value={`${formatBytes(last(perf.memUsedBytes) ?? 0)} / ${formatBytes(perf.memTotalBytes)}`}>
          <Chart title="Memory and swap used" {...common} series={series.memory} yMin={0} yMax={Math.max(perf.memTotalBytes, perf.swapTotalBytes) || undefined} formatY={bytes} forecast={forecasts.memory} />
        </ChartCard>
        <ChartCard title="Disk" value={formatBytesPerSec(diskNow)}>
          {series.disk.length > 0 ? (
            <Chart title="Disk read and write per device" {...common} series={series.disk} formatY={rate} forecast={forecasts.disk} />
          ) : (
            <p className="empty">No disk statistics from this collector.</p>
          )}
        </ChartCard>
        <ChartCard title="Network" value={formatBytesPerSec(netNow)}>
          {series.net.length > 0 ? (
            <Chart title="Network receive and transmit per interface" {...common} series={series.net} formatY={rate} forecast={forecasts.net} />
          ) : (
            <p className="empty">No network statistics from this collector.</p>
          )}
        </ChartCard>
        <ChartCard title="Pressure (PSI some, avg10)">
          {hasPsi ? (
            <Chart title="Pressure stall information, % of time" {...common} series={series.psi} yMin={0} formatY={(v) => `${v.toFixed(1)}%`} forecast={forecasts.psi} />
          ) : (
            <p className="empty">This kernel does not report pressure stall information (/proc/pressure).</p>
          )}
        </ChartCard>
      </div>
    </section>
  );
}
