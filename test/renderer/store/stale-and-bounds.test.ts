// Review fixes in the store: loaders ignore answers to requests that are no longer the latest,
// Apply outcomes and applied-advice ids stay bounded, and a shift-click range keeps the clicked row
// as the focus.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppStore } from '../../../src-renderer/store';
import { ADVICE_MEMORY_LIMIT, withNewestEntry, withNewestId } from '../../../src-renderer/store/engine';
import { setClient } from '../../../src-renderer/ipc/client';
import type { EngineStateView, HistorySeries, RequestOutput } from '../../../src-shared/contract';
import { createFakeTransport, type FakeTransport } from '../fake-transport';
import { fixtureDecision } from '../engine-fixture';

/** A promise the test settles by hand, to answer requests out of order. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const engineState = (profileId: string): EngineStateView => ({
  mode: 'auto',
  effectiveMode: 'auto',
  pausedUntilMs: null,
  profileId,
  profiles: [{ id: profileId, name: profileId }],
  foreground: { unavailableReason: 'none' },
  restrained: 0,
  prefetch: { supported: false, reason: 'not here', programsKnown: 0, recent: [] },
  lastReport: null,
});

let transport: FakeTransport;
beforeEach(() => {
  transport = createFakeTransport({});
  setClient(transport);
});
afterEach(() => setClient(undefined));

describe('loaders apply only the latest answer', () => {
  it('loadEngine: an older, slower answer does not overwrite the newer state', async () => {
    const answers = [deferred<EngineStateView>(), deferred<EngineStateView>()];
    let call = 0;
    transport.handlers['engine.state'] = () => answers[call++]!.promise;
    const store = createAppStore();
    const first = store.getState().loadEngine();
    const second = store.getState().loadEngine();
    answers[1]!.resolve(engineState('new'));
    await second;
    answers[0]!.resolve(engineState('old'));
    await first;
    expect(store.getState().engineState?.profileId).toBe('new');
    // A failure of the stale request is not shown either.
    const late = [deferred<EngineStateView>(), deferred<EngineStateView>()];
    call = 0;
    transport.handlers['engine.state'] = () => late[call++]!.promise;
    const a = store.getState().loadEngine();
    const b = store.getState().loadEngine();
    late[1]!.resolve(engineState('newest'));
    await b;
    late[0]!.reject(new Error('slow failure'));
    await a;
    expect(store.getState().engineState?.profileId).toBe('newest');
    expect(store.getState().engineError).toBeUndefined();
  });

  it('loadHistoryTop: the answer for the range picked last wins and ends loading', async () => {
    type Top = RequestOutput<'history.top'>;
    const answers: ReturnType<typeof deferred<Top>>[] = [];
    transport.handlers['history.top'] = () => {
      const answer = deferred<Top>();
      answers.push(answer);
      return answer.promise;
    };
    const store = createAppStore();
    store.getState().setHistoryRange('1h');
    store.getState().setHistoryRange('30d');
    expect(answers).toHaveLength(2);
    answers[1]!.resolve([{ programId: '/new', cpuSeconds: 1, rssMaxBytes: null, ioBytes: 0, runningMs: 1 }]);
    await flush();
    expect(store.getState().historyLoading).toBe(false);
    answers[0]!.resolve([{ programId: '/old', cpuSeconds: 1, rssMaxBytes: null, ioBytes: 0, runningMs: 1 }]);
    await flush();
    expect(store.getState().historyTop.map((p) => p.programId)).toEqual(['/new']);
    // While the latest request is out, an older one finishing does not end "loading".
    store.getState().setHistoryRange('1h');
    store.getState().setHistoryRange('7d');
    answers[2]!.reject(new Error('old failure'));
    await flush();
    expect(store.getState().historyLoading).toBe(true);
    expect(store.getState().historyTopError).toBeUndefined();
    answers[3]!.resolve([]);
    await flush();
    expect(store.getState().historyLoading).toBe(false);
  });

  it('loadPerfHistory: a refresh answered out of order keeps the latest series', async () => {
    const answers: ReturnType<typeof deferred<HistorySeries>>[] = [];
    transport.handlers['history.system'] = () => {
      const answer = deferred<HistorySeries>();
      answers.push(answer);
      return answer.promise;
    };
    const store = createAppStore();
    store.getState().setPerfRange('7d');
    void store.getState().loadPerfHistory();
    expect(answers).toHaveLength(2);
    answers[1]!.resolve({ tierMs: 2, rows: [] });
    await flush();
    answers[0]!.resolve({ tierMs: 1, rows: [] });
    await flush();
    expect(store.getState().perfHistory?.tierMs).toBe(2);
    expect(store.getState().perfHistoryLoading).toBe(false);
  });
});

describe('advice memory is bounded', () => {
  it('keeps the newest ADVICE_MEMORY_LIMIT applied ids and outcomes', async () => {
    transport.handlers['engine.applyAdvice'] = ({ decisionId }) =>
      decisionId.startsWith('bad')
        ? { kind: 'invalid', message: 'advice expired' }
        : { kind: 'done', decision: { decision: fixtureDecision({ id: decisionId, apply: true }), result: { decisionId, at: 2, status: 'applied' } } };
    const store = createAppStore();
    const total = ADVICE_MEMORY_LIMIT + 20;
    for (let i = 0; i < total; i++) await store.getState().applyAdvice(`${i % 2 ? 'bad' : 'ok'}-${i}`);
    const { appliedAdvice, adviceOutcomes } = store.getState();
    expect(Object.keys(adviceOutcomes)).toHaveLength(ADVICE_MEMORY_LIMIT);
    expect(adviceOutcomes['ok-0']).toBeUndefined();
    expect(adviceOutcomes[`bad-${total - 1}`]).toEqual({ ok: false, message: 'advice expired' });
    expect(appliedAdvice.size).toBe(total / 2);
    for (let i = total; i < total + ADVICE_MEMORY_LIMIT; i++) await store.getState().applyAdvice(`ok-${i}`);
    expect(store.getState().appliedAdvice.size).toBe(ADVICE_MEMORY_LIMIT);
    expect(store.getState().appliedAdvice.has('ok-0')).toBe(false);
    expect(store.getState().appliedAdvice.has(`ok-${total + ADVICE_MEMORY_LIMIT - 1}`)).toBe(true);
  });

  it('helpers move a repeated id to the newest end', () => {
    expect([...withNewestId(new Set(['a', 'b', 'c']), 'a', 3)]).toEqual(['b', 'c', 'a']);
    expect([...withNewestId(new Set(['a', 'b', 'c']), 'd', 3)]).toEqual(['b', 'c', 'd']);
    expect(Object.keys(withNewestEntry({ a: 1, b: 2 }, 'a', 3, 2))).toEqual(['b', 'a']);
    expect(withNewestEntry({ a: 1, b: 2 }, 'c', 3, 2)).toEqual({ b: 2, c: 3 });
  });
});

describe('shift-click range', () => {
  it('selecting upward keeps the clicked row as the focus and the anchor as the other end', () => {
    const store = createAppStore();
    const keys = ['a', 'b', 'c', 'd'];
    store.getState().select('d', 'single', keys);
    store.getState().select('b', 'range', keys);
    expect(store.getState().selected.at(-1)).toBe('b');
    expect([...store.getState().selected].sort()).toEqual(['b', 'c', 'd']);
    expect(store.getState().anchor).toBe('d');
    // Arrows continue from the clicked end: up from b is a; shift+up extends from the anchor d to a.
    store.getState().moveSelection(-1, keys, true);
    expect([...store.getState().selected].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(store.getState().selected.at(-1)).toBe('a');
    store.getState().select('b', 'range', keys);
    store.getState().moveSelection(-1, keys, false);
    expect(store.getState().selected).toEqual(['a']);
  });
});
