import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppStore } from '../../../src-renderer/store';
import { appendEngineReport, emptyEngineLog, pendingAdvice, undoableChangeIds } from '../../../src-renderer/store/engine';
import { setClient } from '../../../src-renderer/ipc/client';
import { RequestError, type EngineStateView } from '../../../src-shared/contract';
import { createFakeTransport, type FakeTransport } from '../fake-transport';
import { fixtureDecision, fixtureReport } from '../engine-fixture';
import { fixtureSample } from '../../helpers/sample-fixture';

const state = (overrides: Partial<EngineStateView> = {}): EngineStateView => ({
  mode: 'auto',
  effectiveMode: 'auto',
  pausedUntilMs: null,
  profileId: 'balanced',
  profiles: [{ id: 'balanced', name: 'Balanced' }, { id: 'quiet', name: 'Quiet' }],
  foreground: { unavailableReason: 'Wayland does not expose the focused window' },
  restrained: 0,
  prefetch: { supported: false, reason: 'not on this OS', programsKnown: 0, recent: [] },
  lastReport: null,
  ...overrides,
});

let transport: FakeTransport;
beforeEach(() => {
  transport = createFakeTransport({
    'engine.state': () => state(),
    'engine.setMode': ({ mode }) => state({ mode, effectiveMode: mode }),
    'engine.pause': ({ minutes }) => state({ effectiveMode: minutes > 0 ? 'off' : 'auto', pausedUntilMs: minutes > 0 ? Date.now() + minutes * 60_000 : null }),
    'engine.setProfile': ({ profileId }) => state({ profileId }),
  });
  setClient(transport);
});
afterEach(() => setClient(undefined));

describe('appendEngineReport', () => {
  it('merges a decision seen again, attaches effects (also ones that arrive first) and stays bounded', () => {
    let log = emptyEngineLog();
    log = appendEngineReport(log, fixtureReport({ events: [{ type: 'effect', at: 1, effect: { decisionId: 'late', at: 1, verdict: 'helped', numbers: { waitBeforeMs: 40, waitAfterMs: 5 }, reverted: false } }] }));
    expect(log.entries).toHaveLength(0);
    expect(log.orphanEffects['late']?.verdict).toBe('helped');
    log = appendEngineReport(log, fixtureReport({}, [{ decision: fixtureDecision({ id: 'd1', apply: false }) }]));
    log = appendEngineReport(
      log,
      fixtureReport({}, [
        { decision: fixtureDecision({ id: 'd1' }), result: { decisionId: 'd1', at: 2, status: 'applied' }, changes: [{ op: 'priority', kind: 'applied', changeId: 17 }] },
        { decision: fixtureDecision({ id: 'late' }) },
      ]),
    );
    expect(log.entries.map((e) => e.decision.id)).toEqual(['d1', 'late']);
    expect(log.entries[0]!.result?.status).toBe('applied');
    expect(undoableChangeIds(log.entries[0]!)).toEqual([17]);
    expect(log.entries[1]!.effect?.verdict).toBe('helped');
    expect(log.orphanEffects).toEqual({});
    for (let i = 0; i < 30; i++) log = appendEngineReport(log, fixtureReport({}, [{ decision: fixtureDecision({ id: `x${i}` }) }]), 10);
    expect(log.entries).toHaveLength(10);
    expect(log.entries[9]!.decision.id).toBe('x29');
  });

  it('keeps alerts by id, newest first, and other events as notes', () => {
    const alert = { id: 'a1', at: 5, kind: 'memory-leak' as const, severity: 'warning' as const, message: 'leaking', evidence: { slopeBytesPerSec: 1e6 } };
    let log = appendEngineReport(emptyEngineLog(), fixtureReport({ alerts: [alert], events: [{ type: 'backoff', at: 3, target: fixtureDecision().target, message: 'someone reniced it' }] }));
    log = appendEngineReport(log, fixtureReport({ alerts: [{ ...alert, message: 'still leaking', at: 6 }, { ...alert, id: 'a2', at: 7 }] }));
    expect(log.alerts.map((a) => `${a.id}:${a.message}`)).toEqual(['a2:leaking', 'a1:still leaking']);
    expect(log.notes.map((n) => n.type)).toEqual(['backoff']);
  });

  it('pending advice: recent decisions not sent to the actuator nor applied here, newest per process first', () => {
    const at = 1_763_700_001_000;
    const target = (pid: number) => ({ pid, startTime: 5, name: `p${pid}`, programId: `p${pid}` });
    const log = appendEngineReport(
      emptyEngineLog(),
      fixtureReport({ mode: 'advise' }, [
        { decision: fixtureDecision({ id: 'old', apply: false, at: at - 200_000, target: target(1) }) },
        { decision: fixtureDecision({ id: 'a1', apply: false, at: at - 5000, target: target(2) }) },
        { decision: fixtureDecision({ id: 'a2', apply: false, at: at - 1000, target: target(2) }) },
        { decision: fixtureDecision({ id: 'b', apply: false, at, target: target(3) }) },
        { decision: fixtureDecision({ id: 'c', apply: true, at, target: target(4) }), result: { decisionId: 'c', at, status: 'applied' } },
      ]),
    );
    expect(pendingAdvice(log, at, new Set(['b'])).map((d) => d.decision.id)).toEqual(['a2']);
    expect(pendingAdvice(log, undefined, new Set())).toEqual([]);
  });
});

describe('engine slice', () => {
  it('loads the state, changes mode, pauses, resumes and switches profile', async () => {
    const store = createAppStore();
    await store.getState().loadEngine();
    expect(store.getState().engineState?.foreground.unavailableReason).toMatch(/Wayland/);
    await store.getState().setEngineMode('advise');
    expect(store.getState().engineState?.mode).toBe('advise');
    await store.getState().pauseEngine(60);
    expect(store.getState().engineState?.effectiveMode).toBe('off');
    await store.getState().pauseEngine(0);
    expect(store.getState().engineState?.pausedUntilMs).toBeNull();
    await store.getState().setEngineProfile('quiet');
    expect(store.getState().engineState?.profileId).toBe('quiet');
    expect(transport.calls.map((c) => c.channel)).toEqual(['engine.state', 'engine.setMode', 'engine.pause', 'engine.pause', 'engine.setProfile']);
  });

  it('says clearly when a viewer token may not act, and keeps the state', async () => {
    const store = createAppStore();
    await store.getState().loadEngine();
    transport.handlers['engine.setMode'] = () => {
      throw new RequestError({ code: 'forbidden', message: 'engine.setMode needs the operator role' });
    };
    await store.getState().setEngineMode('off');
    expect(store.getState().engineState?.mode).toBe('auto');
    expect(store.getState().engineError).toMatch(/operator role.*viewer token/);
    expect(store.getState().toasts.at(-1)?.message).toMatch(/Not allowed/);
  });

  it('applies advice: done goes into the log and leaves the pending list; invalid is shown', async () => {
    const store = createAppStore();
    store.getState().applyEngineReport(fixtureReport({ mode: 'advise' }, [{ decision: fixtureDecision({ id: 'adv', apply: false }) }]));
    transport.handlers['engine.applyAdvice'] = ({ decisionId }) => ({
      kind: 'done',
      decision: {
        decision: fixtureDecision({ id: decisionId, apply: true }),
        result: { decisionId, at: 2, status: 'applied' },
        changes: [{ op: 'priority', kind: 'applied', changeId: 3 }],
      },
    });
    await store.getState().applyAdvice('adv');
    expect(pendingAdvice(store.getState().engineLog, store.getState().lastReport?.at, store.getState().appliedAdvice)).toEqual([]);
    expect(store.getState().engineLog.entries[0]!.result?.status).toBe('applied');
    expect(store.getState().adviceOutcomes['adv']).toEqual({ ok: true, message: 'applied' });
    transport.handlers['engine.applyAdvice'] = () => ({ kind: 'invalid', message: 'advice expired' });
    await store.getState().applyAdvice('gone');
    expect(store.getState().adviceOutcomes['gone']).toEqual({ ok: false, message: 'advice expired' });
  });

  it('undo of an applied decision undoes its journaled changes', async () => {
    const store = createAppStore();
    transport.handlers['changes.undo'] = () => ({ kind: 'applied' });
    transport.handlers['changes.list'] = () => [];
    store.getState().applyEngineReport(
      fixtureReport({}, [
        {
          decision: fixtureDecision(),
          result: { decisionId: 'd1', at: 2, status: 'applied' },
          changes: [
            { op: 'priority', kind: 'applied', changeId: 8 },
            { op: 'ioPriority', kind: 'refused', reason: 'permission', changeId: null },
          ],
        },
      ]),
    );
    await store.getState().undoDecision(store.getState().engineLog.entries[0]!);
    expect(transport.calls.filter((c) => c.channel === 'changes.undo').map((c) => c.input)).toEqual([{ id: 8 }]);
  });

  it('follows the engine event once connected, and the history-paused tick status', async () => {
    transport.handlers['app.info'] = () => ({ name: 'Allot', version: '1', runtime: 'node', platform: 'linux', pid: 1, intervalMs: 1000, startedAtMs: 0, collector: 'fake' });
    transport.handlers['system.info'] = () => ({ platform: 'linux', hostname: 'h', osRelease: '6', cpuModel: 'c', logicalCores: 2, totalMemoryBytes: 1 });
    transport.handlers['capabilities.get'] = () => {
      throw new Error('no');
    };
    transport.handlers['settings.get'] = () => {
      throw new Error('no');
    };
    transport.handlers['changes.list'] = () => [];
    const store = createAppStore();
    const off = store.getState().connect();
    await new Promise((resolve) => setTimeout(resolve, 0));
    transport.emit('engine', fixtureReport({}, [{ decision: fixtureDecision() }]));
    expect(store.getState().lastReport?.decisions).toHaveLength(1);
    expect(store.getState().engineLog.entries).toHaveLength(1);
    transport.emit('tick', { seq: 1, sample: fixtureSample(), status: { history: { state: 'paused', message: 'disk full' } } });
    const paused = store.getState().tickStatus;
    expect(paused?.history.message).toBe('disk full');
    transport.emit('tick', { seq: 2, sample: fixtureSample(), status: { history: { state: 'paused', message: 'disk full' } } });
    expect(store.getState().tickStatus).toBe(paused); // same object while unchanged: no banner re-render
    transport.emit('tick', { seq: 3, sample: fixtureSample() });
    expect(store.getState().tickStatus).toBeUndefined();
    off();
  });
});
