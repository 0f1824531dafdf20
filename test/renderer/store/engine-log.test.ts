// The Engine view's log on open: the activity the core kept (engine.log) merged with what arrives
// live, one line per decision id and alert id whichever comes first, newest first in the view,
// effects attached across pages, and "load older" paging until the core has nothing older.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppStore } from '../../../src-renderer/store';
import { appendEngineReport, emptyEngineLog, mergeEngineLogItems } from '../../../src-renderer/store/engine';
import { setClient } from '../../../src-renderer/ipc/client';
import { EngineLogPageSchema, type EngineLogItem, type EngineLogPage } from '../../../src-shared/report';
import type { Alert, Effect } from '../../../src-shared/engine';
import { createFakeTransport, type FakeTransport } from '../fake-transport';
import { fixtureDecision, fixtureReport } from '../engine-fixture';

const T0 = 1_763_700_000_000;
let seq = 0;
const decisionItem = (id: string, at: number, applied = true): EngineLogItem => ({
  kind: 'decision',
  seq: ++seq,
  at,
  decision: {
    decision: fixtureDecision({ id, at }),
    ...(applied ? { result: { decisionId: id, at, status: 'applied' as const }, changes: [{ op: 'priority', kind: 'applied' as const, changeId: seq }] } : {}),
  },
});
const alert = (id: string, at: number): Alert => ({ id, at, kind: 'runaway-cpu', severity: 'warning', message: `alert ${id}`, evidence: { cpuPercent: 100 } });
const effect = (decisionId: string, at: number): Effect => ({ decisionId, at, verdict: 'helped', numbers: { protectedWaitMsPerSecBefore: 40, protectedWaitMsPerSecAfter: 10 }, reverted: false });
const alertItem = (id: string, at: number): EngineLogItem => ({ kind: 'alert', seq: ++seq, at, alert: alert(id, at) });
const effectItem = (decisionId: string, at: number): EngineLogItem => ({ kind: 'effect', seq: ++seq, at, effect: effect(decisionId, at) });

describe('mergeEngineLogItems', () => {
  it('merges kept items with live ones without duplicates, in time order, effects attached across pages', () => {
    // Live first: d3 arrived as advice (no result yet) and alert a2.
    let log = appendEngineReport(emptyEngineLog(), fixtureReport({ alerts: [alert('a2', T0 + 3000)] }, [{ decision: fixtureDecision({ id: 'd3', at: T0 + 3000, apply: false }) }]));
    // The newest page: d3 again (applied since), its effect, d2, a2 again, a1, and the effect of d1, whose decision is on an older page.
    log = mergeEngineLogItems(log, [
      effectItem('d3', T0 + 4000),
      decisionItem('d3', T0 + 3000),
      alertItem('a2', T0 + 3000),
      decisionItem('d2', T0 + 2000),
      alertItem('a1', T0 + 1500),
      effectItem('d1', T0 + 1200),
    ]);
    expect(log.entries.map((e) => e.decision.id)).toEqual(['d2', 'd3']);
    // d3 stays one line: the live version, with the result it lacked.
    expect(log.entries[1]!.decision.apply).toBe(false);
    expect(log.entries[1]!.result?.status).toBe('applied');
    expect(log.entries[1]!.effect?.verdict).toBe('helped');
    expect(log.alerts.map((a) => a.id)).toEqual(['a2', 'a1']);
    expect(Object.keys(log.orphanEffects)).toEqual(['d1']);
    // The older page brings d1: its effect finds it.
    log = mergeEngineLogItems(log, [decisionItem('d1', T0 + 1000)]);
    expect(log.entries.map((e) => e.decision.id)).toEqual(['d1', 'd2', 'd3']);
    expect(log.entries[0]!.effect?.verdict).toBe('helped');
    expect(log.orphanEffects).toEqual({});
    // The same page read twice changes nothing.
    const again = mergeEngineLogItems(log, [decisionItem('d1', T0 + 1000), alertItem('a1', T0 + 1500)]);
    expect(again.entries).toEqual(log.entries);
    expect(again.alerts).toEqual(log.alerts);
    // A live report after the merge updates the kept line in place.
    log = appendEngineReport(log, fixtureReport({}, [{ decision: fixtureDecision({ id: 'd2', at: T0 + 2000 }), result: { decisionId: 'd2', at: T0 + 2000, status: 'failed', message: 'x' } }]));
    expect(log.entries.map((e) => e.decision.id)).toEqual(['d1', 'd2', 'd3']);
    expect(log.entries[1]!.result?.status).toBe('failed');
  });

  it('stays bounded, keeping the newest', () => {
    const items = Array.from({ length: 30 }, (_, i) => decisionItem(`x${i}`, T0 + i));
    const log = mergeEngineLogItems(emptyEngineLog(), items, 10);
    expect(log.entries.map((e) => e.decision.id)).toEqual(Array.from({ length: 10 }, (_, i) => `x${20 + i}`));
  });
});

describe('engine slice: the kept log', () => {
  let transport: FakeTransport;
  /** 450 kept decisions, one per second, newest first, paged as the core pages them. */
  const kept = Array.from({ length: 450 }, (_, i) => decisionItem(`k${i}`, T0 + i * 1000)).reverse();
  const answer = (input: { limit: number; beforeAt?: number; beforeSeq?: number }): EngineLogPage => {
    const start = input.beforeAt === undefined ? 0 : kept.findIndex((item) => item.at < input.beforeAt! || (item.at === input.beforeAt && item.seq < (input.beforeSeq ?? 0)));
    const items = start < 0 ? [] : kept.slice(start, start + input.limit);
    const last = items.at(-1);
    return EngineLogPageSchema.parse({ items, next: start >= 0 && start + input.limit < kept.length && last ? { beforeAt: last.at, beforeSeq: last.seq } : null });
  };
  beforeEach(() => {
    transport = createFakeTransport({ 'engine.log': (input) => answer(input) });
    setClient(transport);
  });
  afterEach(() => setClient(undefined));

  it('loads the newest page on open, merges live events without duplicates, and pages older until there is nothing more', async () => {
    const store = createAppStore();
    // A live report arrives before the log answers: the newest kept decision, already seen live.
    store.getState().applyEngineReport(fixtureReport({ at: T0 + 449_000 }, [{ decision: fixtureDecision({ id: 'k449', at: T0 + 449_000 }) }]));
    await store.getState().loadEngineLog();
    expect(transport.calls.at(-1)).toEqual({ channel: 'engine.log', input: { limit: 200 } });
    let ids = store.getState().engineLog.entries.map((e) => e.decision.id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(ids.at(-1)).toBe('k449');
    expect(store.getState().engineLogNext).toEqual({ beforeAt: T0 + 250_000, beforeSeq: kept[199]!.seq });
    // Reopening the view reads the newest page again: nothing doubles, the cursor stays.
    await store.getState().loadEngineLog();
    expect(store.getState().engineLog.entries).toHaveLength(200);
    await store.getState().loadOlderEngineLog();
    await store.getState().loadOlderEngineLog();
    ids = store.getState().engineLog.entries.map((e) => e.decision.id);
    expect(ids).toHaveLength(450);
    expect(ids[0]).toBe('k0');
    expect(store.getState().engineLogNext).toBeNull();
    // Nothing older: no further request.
    const calls = transport.calls.length;
    await store.getState().loadOlderEngineLog();
    expect(transport.calls).toHaveLength(calls);
  });

  it('a log that cannot be read is said so, and the live log goes on', async () => {
    transport.handlers['engine.log'] = () => {
      throw new Error('socket closed');
    };
    const store = createAppStore();
    await store.getState().loadEngineLog();
    expect(store.getState().engineLogError).toMatch(/earlier activity: .*socket closed/);
    store.getState().applyEngineReport(fixtureReport({}, [{ decision: fixtureDecision({ id: 'live' }) }]));
    expect(store.getState().engineLog.entries.map((e) => e.decision.id)).toEqual(['live']);
  });
});
