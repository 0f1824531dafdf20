import { describe, expect, it } from 'vitest';
import { createEngineCounters } from '../../../src-main/core/engine-counters';
import { EngineCountersViewSchema } from '../../../src-shared/contract';
import type { TickReport } from '../../../src-shared/report';

const target = { pid: 4242, startTime: 1, name: 'x', programId: '/usr/bin/x' };
function report(i: number, kind = 'runaway-cpu'): TickReport {
  return {
    at: i,
    mode: 'auto',
    alerts: [{ id: `a${i}`, at: i, kind, severity: 'warning', message: 'm', evidence: {} }],
    events: [],
    external: [],
    modelErrors: [],
    timing: { forecastMs: 0, engineMs: 0, actMs: 0 },
    decisions: [
      {
        decision: { id: `d${i}`, at: i, target, change: { op: 'nice', value: 5 }, undo: { op: 'nice', value: 0 }, reason: 'r', numbers: {}, expectedEffect: 'e', source: 'balancer', apply: true },
        changes: [{ op: 'priority', kind: 'applied', changeId: i }],
      },
    ],
    forecasts: { systemCpu: [{ horizonMs: 5000, target: 'point', model: 'ewma', p50: 40, p90: 55 }], systemMemory: [], programs: [], programSeries: 0 },
  } as unknown as TickReport;
}

describe('engine counters', () => {
  it('counts decisions, actions and alerts by label, and keeps the last mode and forecast', () => {
    const c = createEngineCounters();
    expect(c.view()).toEqual({ mode: null, systemCpuForecast: [], systemMemoryForecast: [], decisions: [], actions: [], alerts: [] });
    c.onReport(report(1));
    c.onReport(report(2));
    const v = c.view();
    expect(EngineCountersViewSchema.safeParse(v).success).toBe(true);
    expect(v.mode).toBe('auto');
    expect(v.systemCpuForecast[0]!.p90).toBe(55);
    expect(v.decisions).toEqual([{ source: 'balancer', disposition: 'apply', count: 2 }]);
    expect(v.actions).toEqual([{ op: 'priority', result: 'applied', count: 2 }]);
    expect(v.alerts).toEqual([{ kind: 'runaway-cpu', severity: 'warning', count: 2 }]);
  });

  it('stays within the schema bounds however many distinct labels arrive (the rest count as other)', () => {
    const c = createEngineCounters();
    for (let i = 0; i < 400; i++) c.onReport(report(i, `kind-${i}`));
    const v = c.view();
    expect(EngineCountersViewSchema.safeParse(v).success).toBe(true);
    expect(v.alerts).toHaveLength(256);
    expect(v.alerts.reduce((s, a) => s + a.count, 0)).toBe(400);
    expect(v.alerts.find((a) => a.kind === 'other')!.count).toBe(400 - 255);
  });
});
