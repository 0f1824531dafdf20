// Engine reports and decisions shaped by the real schemas (parsed, so a drift fails here first).
import { TickReportSchema, type ReportedDecision, type TickReport } from '../../src-shared/report';
import type { Decision } from '../../src-shared/engine';
import type { ProgramProfileView } from '../../src-shared/contract';

export function fixtureDecision(overrides: Partial<Decision> = {}): Decision {
  return {
    id: 'd1',
    at: 1_763_700_001_000,
    target: { pid: 900, startTime: 5, name: 'cc1', programId: '/usr/bin/cc1' },
    change: { op: 'nice', value: 10 },
    undo: { op: 'nice', value: 0 },
    reason: 'cc1 used 95% of a core for 3 s while the machine was 90% busy',
    numbers: { cpuPercent: 95, systemCpuPercent: 90, overForMs: 3000 },
    expectedEffect: 'frees about 0.5 core for the foreground',
    source: 'balancer',
    apply: true,
    ...overrides,
  };
}

export function fixtureReport(overrides: Partial<TickReport> = {}, decisions: ReportedDecision[] = []): TickReport {
  return TickReportSchema.parse({
    at: 1_763_700_001_000,
    mode: 'auto',
    decisions,
    alerts: [],
    events: [],
    forecasts: {
      systemCpu: [
        { horizonMs: 5000, target: 'point', model: 'holt', p50: 40, p90: 55 },
        { horizonMs: 30_000, target: 'point', model: 'holt', p50: 42, p90: 60 },
        { horizonMs: 300_000, target: 'window-mean', model: 'seasonal-naive', p50: 45, p90: 70 },
      ],
      systemMemory: [{ horizonMs: 5000, target: 'point', model: 'naive', p50: 4e9, p90: 4.2e9 }],
      programs: [
        {
          programId: '/usr/bin/cc1',
          name: 'cc1',
          cpuPercent: 95,
          rssBytes: 2e8,
          cpu: [{ horizonMs: 5000, target: 'point', model: 'ewma', p50: 90, p90: 99 }],
          rss: [{ horizonMs: 5000, target: 'point', model: 'naive', p50: 2e8, p90: 2.5e8 }],
        },
      ],
      programSeries: 1,
    },
    modelErrors: [
      {
        series: 'system.cpu',
        horizonMs: 5000,
        selected: 'holt',
        output: { model: 'holt', mae: 2.5, mase: 0.8, p90Coverage: 0.88, n: 120 },
        models: [
          { model: 'naive', mae: 3.1, mase: 1, p90Coverage: 0.8, n: 120 },
          { model: 'holt', mae: 2.5, mase: 0.8, p90Coverage: 0.88, n: 120 },
        ],
      },
    ],
    external: [],
    timing: { forecastMs: 1, engineMs: 0.5, actMs: 0.2 },
    ...overrides,
  });
}

export function fixtureProfile(programId = '/usr/bin/node'): ProgramProfileView {
  const q = { count: 10, mean: 12, p50: 10, p90: 30, p99: 60, max: 80 };
  return {
    programId,
    name: 'node',
    samples: 3600,
    launches: 12,
    firstSeenAt: 1_763_000_000_000,
    lastSeenAt: 1_763_700_000_000,
    metrics: { cpuPercent: q, rssBytes: { ...q, mean: 2e8, p50: 1e8, p90: 3e8, p99: 4e8, max: 5e8 } },
    lifetimeMs: { count: 12, mean: 60_000, p50: 30_000, p90: 120_000, p99: 300_000, max: 400_000 },
    classCounts: { interactive: 30, batch: 10 },
    runningHourOfWeek: Array.from({ length: 168 }, (_, i) => (i === 9 ? 3600 : 0)),
    startsHourOfWeek: Array.from({ length: 168 }, (_, i) => (i === 9 ? 4 : 0)),
    launch: { within5MinP: 0.05, within1HourP: 0.4, within1DayP: 0.9 },
    coStarts: [{ programId: '/usr/bin/code', count: 7 }],
  };
}

