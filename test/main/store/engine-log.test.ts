// The engine's activity log on a real SQLite file: what a tick produced is kept (decisions with
// results, alerts, effects), nothing is written on an idle tick, writes come in batches, the log
// stays within its bounds (count and age), pages newest first by (beforeAt, beforeSeq) without
// losing items of the same millisecond, filters by kind, and is all still there after a reopen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src-main/store/db';
import { ENGINE_LOG_MIGRATIONS, EngineLogStore } from '../../../src-main/store/engine-log';
import { EngineLogPageSchema, type ReportedDecision, type TickReport } from '../../../src-shared/report';
import type { Alert, Decision, Effect } from '../../../src-shared/engine';

const T0 = 1_763_700_000_000;

function decision(id: string, at: number, overrides: Partial<Decision> = {}): Decision {
  return {
    id,
    at,
    target: { pid: 900, startTime: 5, name: 'cc1', programId: '/usr/bin/cc1' },
    change: { op: 'nice', value: 10 },
    undo: { op: 'nice', value: 0 },
    reason: 'cc1 used 95% of a core',
    numbers: { cpuPercent: 95 },
    expectedEffect: 'frees half a core',
    source: 'balancer',
    apply: true,
    ...overrides,
  };
}
function applied(d: Decision): ReportedDecision {
  return { decision: d, result: { decisionId: d.id, at: d.at, status: 'applied' }, changes: [{ op: 'priority', kind: 'applied', changeId: 7 }] };
}
function alert(id: string, at: number): Alert {
  return { id, at, kind: 'runaway-cpu', severity: 'warning', message: 'spins', evidence: { cpuPercent: 100 } };
}
function effect(decisionId: string, at: number): Effect {
  return { decisionId, at, verdict: 'helped', numbers: { protectedWaitMsPerSecBefore: 40, protectedWaitMsPerSecAfter: 8 }, reverted: false };
}
function report(at: number, parts: Partial<Pick<TickReport, 'decisions' | 'alerts' | 'events'>> = {}): TickReport {
  return {
    at,
    mode: 'auto',
    decisions: parts.decisions ?? [],
    alerts: parts.alerts ?? [],
    events: parts.events ?? [],
    forecasts: { systemCpu: [], systemMemory: [], programs: [], programSeries: 0 },
    modelErrors: [],
    external: [],
    timing: { forecastMs: 0, engineMs: 0, actMs: 0 },
  };
}

let dir: string;
let path: string;
let db: Db;
let nowMs: number;
const clock = (): number => nowMs;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'allot-engine-log-'));
  path = join(dir, 'a.db');
  db = openDb({ path, migrations: ENGINE_LOG_MIGRATIONS });
  nowMs = T0;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Statements the store runs on the connection (to see that an idle tick runs none). */
function countStatements(target: Db): { count: () => number } {
  let n = 0;
  const prepare = target.prepare.bind(target);
  const exec = target.exec.bind(target);
  (target as { prepare: unknown }).prepare = (sql: string) => {
    n++;
    return prepare(sql);
  };
  (target as { exec: unknown }).exec = (sql: string) => {
    n++;
    return exec(sql);
  };
  return { count: () => n };
}

describe('engine log store', () => {
  it('keeps decisions with results and changes, alerts and effects; survives a reopen', () => {
    const log = new EngineLogStore(db, { now: clock });
    const d1 = decision('balancer-1-1', T0 + 1000);
    log.record(report(T0 + 1000, { decisions: [applied(d1)], alerts: [alert('runaway-cpu-1-900', T0 + 1000)] }));
    log.record(report(T0 + 2000, { events: [{ type: 'effect', at: T0 + 2000, effect: effect(d1.id, T0 + 2000) }, { type: 'mode-changed', at: T0 + 2000, mode: 'auto' }] }));
    log.close();
    db.close();

    db = openDb({ path, migrations: ENGINE_LOG_MIGRATIONS });
    const reopened = new EngineLogStore(db, { now: clock });
    const page = reopened.query({ limit: 10 });
    expect(EngineLogPageSchema.parse(page)).toEqual(page);
    expect(page.items.map((item) => item.kind)).toEqual(['effect', 'alert', 'decision']);
    const kept = page.items[2]!;
    expect(kept.kind === 'decision' && kept.decision).toEqual(applied(d1));
    expect(page.items[0]!.kind === 'effect' && page.items[0]!.effect.verdict).toBe('helped');
    expect(page.next).toBeNull();
  });

  it('writes nothing on a tick with no decision, alert or effect, and batches the rest', () => {
    const log = new EngineLogStore(db, { now: clock, flushEveryMs: 5000 });
    const statements = countStatements(db);
    for (let i = 0; i < 100; i++) {
      nowMs += 1000;
      log.record(report(nowMs, { events: [{ type: 'trigger', at: nowMs, triggerId: 't', state: 'fired' }] }));
    }
    expect(statements.count()).toBe(0);
    // The first item after a quiet spell is written at once; those within the next 5 s are held
    // and written together once the interval is up.
    log.record(report(nowMs, { decisions: [applied(decision('a', nowMs))] }));
    expect(log.pendingItems()).toBe(0);
    const afterFirst = statements.count();
    for (const id of ['x', 'y']) {
      nowMs += 1000;
      log.record(report(nowMs, { alerts: [alert(id, nowMs)] }));
    }
    expect(log.pendingItems()).toBe(2);
    expect(statements.count()).toBe(afterFirst);
    nowMs += 5000;
    log.record(report(nowMs));
    expect(log.pendingItems()).toBe(0);
    expect(log.count()).toBe(3);
  });

  it('an item seen again replaces the kept one in place (advice applied later)', () => {
    const log = new EngineLogStore(db, { now: clock });
    const advice = decision('balancer-5-1', T0 + 5000, { apply: false });
    log.recordDecisions([{ decision: advice }]);
    log.flush();
    const [before] = log.query({ limit: 1 }).items;
    log.recordDecisions([applied(advice)]);
    const page = log.query({ limit: 10 });
    expect(log.count()).toBe(1);
    expect(page.items).toHaveLength(1);
    const [after] = page.items;
    expect(after!.seq).toBe(before!.seq);
    expect(after!.kind === 'decision' && after!.decision.result?.status).toBe('applied');
  });

  it('stays within its bounds: the newest maxItems, none older than maxAgeMs', () => {
    const log = new EngineLogStore(db, { now: clock, maxItems: 50, maxAgeMs: 3_600_000, flushEveryMs: 0 });
    for (let i = 0; i < 120; i++) log.record(report(T0 + i, { decisions: [applied(decision(`d${i}`, T0 + i))] }));
    expect(log.count()).toBe(50);
    const page = log.query({ limit: 1000 });
    expect(page.items.map((item) => item.kind === 'decision' && item.decision.decision.id)).toEqual(Array.from({ length: 50 }, (_, i) => `d${119 - i}`));
    // An hour and more later, everything from before the window goes at the next write.
    nowMs = T0 + 3_600_000 + 100;
    log.record(report(nowMs, { alerts: [alert('late', nowMs)] }));
    const left = log.query({ limit: 1000 }).items;
    expect(left.map((item) => item.at).every((at) => at >= nowMs - 3_600_000)).toBe(true);
    expect(left).toHaveLength(1 + 20);
    // Reopening prunes by age as well.
    log.close();
    nowMs += 3_600_001;
    expect(new EngineLogStore(db, { now: clock, maxAgeMs: 3_600_000 }).count()).toBe(0);
  });

  it('pages newest first by beforeAt/beforeSeq, without losing items of the same millisecond; filters by kind', () => {
    const log = new EngineLogStore(db, { now: clock });
    // Ten ticks, each with three decisions and an alert at the same millisecond.
    for (let t = 0; t < 10; t++) {
      const at = T0 + t * 1000;
      log.record(report(at, { decisions: [0, 1, 2].map((k) => applied(decision(`d${t}-${k}`, at))), alerts: [alert(`a${t}`, at)] }));
    }
    const seen: string[] = [];
    let cursor: { beforeAt: number; beforeSeq: number } | null | undefined;
    let pages = 0;
    do {
      const page = log.query({ limit: 7, ...(cursor ?? {}) });
      pages++;
      for (const item of page.items) seen.push(item.kind === 'decision' ? item.decision.decision.id : item.kind === 'alert' ? item.alert.id : item.effect.decisionId);
      const ats = page.items.map((item) => item.at);
      expect(ats).toEqual([...ats].sort((a, b) => b - a));
      cursor = page.next;
    } while (cursor);
    expect(pages).toBe(Math.ceil(40 / 7));
    expect(new Set(seen).size).toBe(40);
    expect(seen[0]).toBe('a9');
    // beforeAt alone: strictly older than that millisecond.
    expect(log.query({ limit: 100, beforeAt: T0 + 5000 }).items.every((item) => item.at < T0 + 5000)).toBe(true);
    expect(log.query({ limit: 100, beforeAt: T0 + 5000 }).items).toHaveLength(20);
    const alerts = log.query({ limit: 100, kinds: ['alert'] });
    expect(alerts.items.map((item) => item.kind)).toEqual(Array(10).fill('alert'));
  });

  it('refuses a bad query with a clear error and changes nothing', () => {
    const log = new EngineLogStore(db, { now: clock });
    log.record(report(T0, { decisions: [applied(decision('d', T0))] }));
    log.flush();
    expect(() => log.query({ limit: 0 })).toThrow(/limit/);
    expect(() => log.query({ limit: 1001 })).toThrow(/limit/);
    expect(() => log.query({ limit: 5, beforeSeq: 3 } as never)).toThrow(/beforeSeq needs beforeAt/);
    expect(() => log.query({ limit: 5, kinds: ['bogus'] } as never)).toThrow();
    expect(log.count()).toBe(1);
  });

  it('leaves out a stored item that no longer parses instead of failing the page', () => {
    const messages: string[] = [];
    const log = new EngineLogStore(db, { now: clock, log: (m) => messages.push(m) });
    log.record(report(T0, { decisions: [applied(decision('good', T0))] }));
    log.flush();
    db.prepare("INSERT INTO engine_log (at_ms, kind, item_id, json) VALUES (?, 'alert', 'bad', '{\"nope\":1}')").run(T0 + 1);
    const page = log.query({ limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(messages.join('\n')).toMatch(/1 stored item/);
  });
});
