// Memory leak detection: sustained RSS growth per process. Points are downsampled to one per
// `sampleEveryMs`; over the window the Theil–Sen slope (robust to GC spikes) must be positive and
// large, the fit good (R² ≥ minR2), and growth sustained (the lowest RSS of the last quarter above
// the highest of the first quarter: a garbage-collected sawtooth fails this). Time to exhaustion =
// available memory / slope. Pure.
import type { Sample } from '../../src-shared/domain';
import { processKey, theilSen } from './common';

export interface LeakOptions {
  sampleEveryMs: number;
  windowPoints: number;
  minPoints: number;
  minSpanMs: number;
  minR2: number;
  minSlopeBytesPerSec: number;
  minGrowthBytes: number;
}

export const DEFAULT_LEAK_OPTIONS: LeakOptions = {
  sampleEveryMs: 10_000,
  windowPoints: 60,
  minPoints: 20,
  minSpanMs: 300_000,
  minR2: 0.8,
  minSlopeBytesPerSec: 16 * 1024,
  minGrowthBytes: 32 * 1024 * 1024,
};

export interface LeakVerdict {
  key: string;
  pid: number;
  leaking: boolean;
  slopeBytesPerSec: number;
  r2: number;
  growthBytes: number;
  spanMs: number;
  points: number;
  rssBytes: number;
  /** available memory / slope, when leaking. */
  timeToExhaustionMs?: number;
}

interface Series {
  ts: number[];
  rss: number[];
}

export interface LeakDetector {
  /** Feed a sample; returns a verdict for every process with enough points. */
  update(sample: Sample): LeakVerdict[];
}

/** Judge one RSS series (times in ms). Exported for tests and for the simulator. */
export function judgeLeak(ts: readonly number[], rss: readonly number[], o: LeakOptions): Omit<LeakVerdict, 'key' | 'pid' | 'timeToExhaustionMs'> {
  const n = ts.length;
  const spanMs = n ? ts[n - 1]! - ts[0]! : 0;
  const xs = ts.map((t) => (t - ts[0]!) / 1000);
  const { slope, r2 } = theilSen(xs, rss);
  const q = Math.max(1, Math.floor(n / 4));
  const firstMax = Math.max(...rss.slice(0, q));
  const lastMin = Math.min(...rss.slice(n - q));
  const growthBytes = n ? rss[n - 1]! - rss[0]! : 0;
  const leaking =
    n >= o.minPoints &&
    spanMs >= o.minSpanMs &&
    slope >= o.minSlopeBytesPerSec &&
    r2 >= o.minR2 &&
    lastMin > firstMax &&
    slope * (spanMs / 1000) >= o.minGrowthBytes;
  return { leaking, slopeBytesPerSec: slope, r2, growthBytes, spanMs, points: n, rssBytes: rss[n - 1] ?? 0 };
}

export function createLeakDetector(options: Partial<LeakOptions> = {}): LeakDetector {
  const o = { ...DEFAULT_LEAK_OPTIONS, ...options };
  const series = new Map<string, Series>();
  return {
    update(sample) {
      const out: LeakVerdict[] = [];
      const live = new Set<string>();
      const available = sample.system.memory.availableBytes;
      for (let i = 0; i < sample.processes.length; i++) {
        const p = sample.processes[i]!;
        if (p.kernelThread) continue;
        const key = processKey(p);
        live.add(key);
        let s = series.get(key);
        if (!s) {
          s = { ts: [], rss: [] };
          series.set(key, s);
        }
        const last = s.ts[s.ts.length - 1];
        if (last === undefined || sample.at - last >= o.sampleEveryMs) {
          s.ts.push(sample.at);
          s.rss.push(p.rssBytes);
          if (s.ts.length > o.windowPoints) {
            s.ts.shift();
            s.rss.shift();
          }
        } else continue;
        if (s.ts.length < o.minPoints) continue;
        const v = judgeLeak(s.ts, s.rss, o);
        out.push({
          key,
          pid: p.pid,
          ...v,
          ...(v.leaking && v.slopeBytesPerSec > 0 ? { timeToExhaustionMs: (available / v.slopeBytesPerSec) * 1000 } : {}),
        });
      }
      for (const key of series.keys()) if (!live.has(key)) series.delete(key);
      return out;
    },
  };
}
