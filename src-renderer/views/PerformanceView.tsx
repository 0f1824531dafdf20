// Performance view: live chart.js charts of CPU (total and per core), memory and swap, disk and
// network per device, and PSI, over the last 10 minutes from the perf ring in the store. Each chart
// can draw a forecast ahead of now (p50 line + p90 band) when the caller passes one in `forecasts`.
import { useMemo, type ReactNode } from 'react';
import { formatBytes, formatBytesPerSec, formatPercent } from '../../src-shared/format';
import { useStore } from '../store';
import { Chart, PALETTE, type ChartSeries, type ForecastBand } from '../components/Chart';
import { PERF_WINDOW_MS, type PerfSeries } from '../store/perf';

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

export function PerformanceView({ dark, forecasts = {} }: PerformanceViewProps) {
  const perf = useStore((state) => state.perf);
  const systemInfo = useStore((state) => state.systemInfo);
  const series = useMemo(() => perfChartSeries(perf), [perf]);
  const now = last(perf.at);
  const hasPsi = perf.psi.cpu.some(Number.isFinite) || perf.psi.io.some(Number.isFinite);
  const common = { at: perf.at, now, windowMs: PERF_WINDOW_MS, dark };
  const diskNow = Object.values(perf.disks).reduce((s, d) => s + (last(d.readBytesPerSec) || 0) + (last(d.writeBytesPerSec) || 0), 0);
  const netNow = Object.values(perf.net).reduce((s, d) => s + (last(d.rxBytesPerSec) || 0) + (last(d.txBytesPerSec) || 0), 0);
  const pct = (v: number): string => `${Math.round(v)}%`;
  const bytes = (v: number): string => formatBytes(v, 0);
  const rate = (v: number): string => formatBytesPerSec(v);
  if (perf.at.length === 0) {
    return (
      <section className="view performance-view" aria-label="Performance">
        <p className="empty">Waiting for the first samples…</p>
      </section>
    );
  }
  return (
    <section className="view performance-view" aria-label="Performance">
      <header className="summary">
        <div className="metric">
          <span className="label">Window</span>
          <span className="value">last 10 min</span>
        </div>
        <div className="metric">
          <span className="label">Points</span>
          <span className="value">{perf.at.length}</span>
        </div>
        {systemInfo && (
          <div className="metric">
            <span className="label">CPU</span>
            <span className="value small">{systemInfo.cpuModel} · {systemInfo.logicalCores} logical cores</span>
          </div>
        )}
      </header>
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
