// What the engine did since the core started (decisions, OS actions, alerts) and the last tick's mode
// and system forecasts, counted in the core where the reports are made. /metrics asks for it when it
// is scraped (request 'engine.counters'), so no engine report has to cross to the thread serving the
// UI on every tick. Pure: no I/O.
import type { EngineCountersView } from '../../src-shared/contract';
import type { TickReport } from '../../src-shared/report';

/** Distinct label sets kept per counter (the schema's bounds); further ones are counted under "other". */
const MAX_KEYS = { decisions: 64, actions: 256, alerts: 256 } as const;

export interface EngineCounters {
  onReport(report: TickReport): void;
  view(): EngineCountersView;
}

export function createEngineCounters(): EngineCounters {
  let last: Pick<TickReport, 'mode' | 'forecasts'> | undefined;
  const decisions = new Map<string, EngineCountersView['decisions'][number]>();
  const actions = new Map<string, EngineCountersView['actions'][number]>();
  const alerts = new Map<string, EngineCountersView['alerts'][number]>();
  const bump = <T extends { count: number }>(map: Map<string, T>, max: number, key: string, make: () => Omit<T, 'count'>, other: () => Omit<T, 'count'>): void => {
    let entry = map.get(key);
    if (!entry) {
      if (map.size >= max - 1) return bump(map, Infinity, '\u0000other', other, other);
      entry = { ...make(), count: 0 } as T;
      map.set(key, entry);
    }
    entry.count++;
  };
  return {
    onReport(report) {
      last = report;
      for (const entry of report.decisions) {
        const source = entry.decision.source;
        const disposition: 'apply' | 'advise' = entry.decision.apply ? 'apply' : 'advise';
        bump(decisions, MAX_KEYS.decisions, `${source}\u0000${disposition}`, () => ({ source, disposition }), () => ({ source: 'other', disposition }));
        for (const change of entry.changes ?? []) {
          const result = change.kind === 'applied' ? 'applied' : (change.reason ?? 'refused');
          bump(actions, MAX_KEYS.actions, `${change.op}\u0000${result}`, () => ({ op: change.op, result }), () => ({ op: 'other', result: 'other' }));
        }
      }
      for (const alert of report.alerts) {
        bump(alerts, MAX_KEYS.alerts, `${alert.kind}\u0000${alert.severity}`, () => ({ kind: alert.kind, severity: alert.severity }), () => ({ kind: 'other', severity: 'other' }));
      }
    },
    view() {
      return {
        mode: last?.mode ?? null,
        systemCpuForecast: last?.forecasts.systemCpu ?? [],
        systemMemoryForecast: last?.forecasts.systemMemory ?? [],
        decisions: [...decisions.values()].map((d) => ({ ...d })),
        actions: [...actions.values()].map((a) => ({ ...a })),
        alerts: [...alerts.values()].map((a) => ({ ...a })),
      };
    },
  };
}
