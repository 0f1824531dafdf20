// @vitest-environment happy-dom
// First-run screen (Off / Advise / Auto, chosen once) and the Engine view's one-line summary of the last hour.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { EngineFirstRun } from '../../../src-renderer/components/EngineFirstRun';
import { FIRST_RUN_KEY, emptyEngineLog, engineSummary, type EngineLog } from '../../../src-renderer/store/engine';
import { fixtureDecision } from '../engine-fixture';

beforeEach(() => localStorage.removeItem(FIRST_RUN_KEY));
afterEach(cleanup);

describe('first run', () => {
  it('explains the three modes once and hands the choice on', () => {
    const chosen: string[] = [];
    render(<EngineFirstRun mode="auto" onChoose={(m) => chosen.push(m)} />);
    const dialog = screen.getByRole('dialog', { name: 'How should Allot act?' });
    expect(dialog.textContent).toMatch(/Advise/);
    expect(dialog.textContent).toMatch(/only when a rule asks/);
    expect(screen.getByRole('button', { name: 'Use Auto (recommended)' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Use Advise' }));
    expect(chosen).toEqual(['advise']);
    expect(screen.queryByRole('dialog')).toBeNull();
    cleanup();
    render(<EngineFirstRun mode="advise" onChoose={() => undefined} />);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('engine summary', () => {
  const now = 1_763_700_000_000;
  it('says what the engine did in the last hour in one line', () => {
    const restrain = fixtureDecision({ id: 'd1', at: now - 30 * 60_000, apply: true });
    const restrainB = fixtureDecision({ id: 'd2', at: now - 10 * 60_000, apply: true, target: { pid: 9, startTime: 1, name: 'other', programId: 'other' } });
    const revert = fixtureDecision({ id: 'd3', at: now - 20 * 60_000, apply: true, revertOf: 'd1' });
    const applied = (id: string, at: number) => ({ decisionId: id, at, status: 'applied' as const });
    const log: EngineLog = {
      ...emptyEngineLog(),
      entries: [
        { decision: restrain, result: applied('d1', restrain.at), effect: { decisionId: 'd1', at: restrain.at + 10_000, verdict: 'helped', numbers: { protectedWaitMsPerSecBefore: 100, protectedWaitMsPerSecAfter: 20 }, reverted: false } },
        { decision: revert, result: applied('d3', revert.at) },
        { decision: restrainB, result: applied('d2', restrainB.at) },
      ],
    };
    expect(engineSummary(log, now)).toBe('In the last hour: restrained 2 programs for 20 min; your foreground waited 80 % less.');
    expect(engineSummary(emptyEngineLog(), now)).toBe('In the last hour the engine restrained nothing.');
  });
});
