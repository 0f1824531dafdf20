// A thin chart.js wrapper: plain arrays in, one Chart instance per mount, updated in place on every
// new array (datasets are reused, `update('none')` skips animation). X is seconds relative to `now`,
// so the last `windowMs` end at 0 and a forecast (p50 line + p90 band) is drawn ahead of now.
import { useEffect, useRef, type MutableRefObject } from 'react';
import {
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
} from 'chart.js';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend);

export interface ChartSeries {
  label: string;
  /** One value per entry of `at`; NaN is a gap. */
  data: readonly number[];
  color: string;
  /** Shade the area under the line. */
  fill?: boolean;
}

/** A forecast ahead of now: the median line and the 10..90% band, at future times. */
export interface ForecastBand {
  at: readonly number[];
  p50: readonly number[];
  p90Low: readonly number[];
  p90High: readonly number[];
  color?: string;
  label?: string;
}

export interface ChartProps {
  /** Accessible name of the chart. */
  title: string;
  /** Epoch ms of each point. */
  at: readonly number[];
  series: readonly ChartSeries[];
  /** The x origin; defaults to the last `at`. */
  now?: number;
  /** How far back the x axis reaches. */
  windowMs?: number;
  forecast?: ForecastBand;
  yMin?: number;
  yMax?: number;
  /** Lower bound of the y range's top (small values do not zoom the axis into repeated labels). */
  ySuggestedMax?: number;
  formatY?: (value: number) => string;
  dark: boolean;
  height?: number;
  showLegend?: boolean;
  /** Receives the chart instance (tests, and callers that need to export an image). */
  chartRef?: MutableRefObject<ChartJS<'line'> | null>;
}

type Point = { x: number; y: number };
type LineDataset = ChartDataset<'line', Point[]>;

export const PALETTE = ['#2f6fde', '#e0533d', '#2a9d63', '#b7791f', '#8e44ad', '#16a2b8', '#d63384', '#6c757d'];

export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1]!, 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

function points(at: readonly number[], values: readonly number[], now: number): Point[] {
  const out: Point[] = new Array(Math.min(at.length, values.length));
  for (let i = 0; i < out.length; i++) out[i] = { x: (at[i]! - now) / 1000, y: values[i]! };
  return out;
}

function formatSeconds(value: number): string {
  if (Math.abs(value) < 0.5) return 'now';
  const sign = value < 0 ? '-' : '+';
  const abs = Math.abs(value);
  if (abs >= 2 * 86_400) return `${sign}${Math.round(abs / 86_400)}d`;
  if (abs >= 2 * 3600) return `${sign}${Math.round(abs / 3600)}h`;
  return abs >= 60 ? `${sign}${Math.round(abs / 60)}m` : `${sign}${Math.round(abs)}s`;
}

/** The datasets for these props, reusing `previous` dataset objects so chart.js animates nothing and allocates little. */
export function buildDatasets(props: ChartProps, previous: readonly LineDataset[]): LineDataset[] {
  const now = props.now ?? props.at[props.at.length - 1] ?? 0;
  const out: LineDataset[] = [];
  const reuse = (index: number, label: string): LineDataset => {
    const found = previous[index];
    if (found && found.label === label) return found;
    return { label, data: [] } as LineDataset;
  };
  props.series.forEach((series, index) => {
    const dataset = reuse(out.length, series.label);
    dataset.data = points(props.at, series.data, now);
    dataset.borderColor = series.color;
    dataset.backgroundColor = withAlpha(series.color, 0.15);
    dataset.fill = series.fill ? 'origin' : false;
    dataset.borderWidth = 1.5;
    dataset.pointRadius = 0;
    dataset.spanGaps = false;
    void index;
    out.push(dataset);
  });
  const forecast = props.forecast;
  if (forecast) {
    const color = forecast.color ?? '#8e44ad';
    const label = forecast.label ?? 'forecast';
    const low = reuse(out.length, `${label} p10`);
    low.data = points(forecast.at, forecast.p90Low, now);
    low.borderColor = 'transparent';
    low.pointRadius = 0;
    low.fill = false;
    out.push(low);
    const high = reuse(out.length, `${label} p90`);
    high.data = points(forecast.at, forecast.p90High, now);
    high.borderColor = 'transparent';
    high.backgroundColor = withAlpha(color, 0.18);
    high.pointRadius = 0;
    high.fill = '-1';
    out.push(high);
    const median = reuse(out.length, `${label} p50`);
    median.data = points(forecast.at, forecast.p50, now);
    median.borderColor = color;
    median.borderDash = [5, 4];
    median.borderWidth = 1.5;
    median.pointRadius = 0;
    median.fill = false;
    out.push(median);
  }
  return out;
}

function axisRange(props: ChartProps): { min: number; max: number } {
  const now = props.now ?? props.at[props.at.length - 1] ?? 0;
  const windowMs = props.windowMs ?? 10 * 60_000;
  const lastForecast = props.forecast?.at[props.forecast.at.length - 1];
  return { min: -windowMs / 1000, max: lastForecast !== undefined ? Math.max(0, (lastForecast - now) / 1000) : 0 };
}

function themeColors(dark: boolean): { text: string; grid: string } {
  return dark ? { text: '#aab2bf', grid: 'rgba(255,255,255,0.08)' } : { text: '#4a5260', grid: 'rgba(0,0,0,0.07)' };
}

function buildOptions(props: ChartProps): ChartOptions<'line'> {
  const colors = themeColors(props.dark);
  const range = axisRange(props);
  const formatY = props.formatY;
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    plugins: {
      legend: {
        display: props.showLegend ?? props.series.length > 1,
        labels: { color: colors.text, boxWidth: 10, boxHeight: 10, filter: (item) => !/ p(10|90)$/.test(item.text) },
      },
      tooltip: {
        callbacks: {
          title: (items) => (items[0] ? formatSeconds(items[0].parsed.x ?? 0) : ''),
          label: (item) => `${item.dataset.label}: ${formatY ? formatY(item.parsed.y ?? 0) : item.formattedValue}`,
        },
      },
    },
    scales: {
      x: {
        type: 'linear',
        min: range.min,
        max: range.max,
        // Whole seconds only: on a short span chart.js would step by 0.2 s, and every label would round alike.
        ticks: { color: colors.text, maxTicksLimit: 7, precision: 0, callback: (value) => formatSeconds(Number(value)) },
        grid: { color: colors.grid },
      },
      y: {
        type: 'linear',
        ...(props.yMin !== undefined ? { min: props.yMin } : { beginAtZero: true }),
        ...(props.yMax !== undefined ? { max: props.yMax } : {}),
        ...(props.ySuggestedMax !== undefined ? { suggestedMax: props.ySuggestedMax } : {}),
        ticks: { color: colors.text, maxTicksLimit: 5, ...(formatY ? { callback: (value) => formatY(Number(value)) } : {}) },
        grid: { color: colors.grid },
      },
    },
  };
}

let reported = false;
/** A chart that cannot draw must not take its view down; say so once. */
function reportChartError(error: unknown): void {
  if (reported) return;
  reported = true;
  console.warn('[allot] chart could not draw:', error instanceof Error ? error.message : error);
}

export function Chart(props: ChartProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<ChartJS<'line', Point[]> | null>(null);

  // Create once per mount.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let chart: ChartJS<'line', Point[]>;
    try {
      chart = new ChartJS<'line', Point[]>(canvas, {
        type: 'line',
        data: { datasets: buildDatasets(props, []) },
        options: buildOptions(props),
      });
    } catch (error) {
      // No 2D context (a headless DOM without canvas): show nothing rather than break the view.
      reportChartError(error);
      return;
    }
    chartRef.current = chart;
    if (props.chartRef) props.chartRef.current = chart as unknown as ChartJS<'line'>;
    return () => {
      chart.destroy();
      chartRef.current = null;
      if (props.chartRef) props.chartRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Every new array: same instance, new data.
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    chart.data.datasets = buildDatasets(props, chart.data.datasets as LineDataset[]);
    chart.options = buildOptions(props);
    try {
      chart.update('none');
    } catch (error) {
      reportChartError(error);
    }
  });

  return (
    <div className="chart" style={{ height: props.height ?? 180 }}>
      <canvas ref={canvasRef} role="img" aria-label={props.title} />
    </div>
  );
}
