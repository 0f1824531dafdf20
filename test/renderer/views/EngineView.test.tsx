// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { EngineView } from '../../../src-renderer/views/EngineView';
import { useStore } from '../../../src-renderer/store';
import { setClient } from '../../../src-renderer/ipc/client';
import { RequestError, type EngineStateView } from '../../../src-shared/contract';
import { createFakeTransport, type FakeTransport } from '../fake-transport';
import { fixtureDecision, fixtureReport } from '../engine-fixture';
import { FIRST_RUN_KEY } from '../../../src-renderer/store/engine';

const initial = useStore.getState();
const engineState = (overrides: Partial<EngineStateView> = {}): EngineStateView => ({
  mode: 'advise',
  effectiveMode: 'advise',
  pausedUntilMs: null,
  profileId: 'balanced',
  profiles: [{ id: 'balanced', name: 'Balanced' }, { id: 'quiet', name: 'Quiet / Battery' }],
  foreground: { unavailableReason: 'Wayland: no focused-window API' },
  restrained: 1,
  prefetch: { supported: true, programsKnown: 3, recent: [{ at: 1_763_700_000_000, programId: '/usr/bin/code', name: 'code', probability: 0.7, files: 40, bytes: 5e7 }] },
  lastReport: null,
  ...overrides,
});

let transport: FakeTransport;
beforeEach(() => {
  localStorage.setItem(FIRST_RUN_KEY, '1'); // the first-run screen has its own test (EngineFirstRun.test.tsx)
  transport = createFakeTransport({
    'engine.state': () => useStore.getState().engineState ?? engineState(),
    'engine.setMode': ({ mode }) => engineState({ mode, effectiveMode: mode }),
    'engine.pause': ({ minutes }) => engineState({ effectiveMode: 'off', pausedUntilMs: minutes ? Date.now() + minutes * 60_000 : null }),
    'engine.setProfile': ({ profileId }) => engineState({ profileId }),
    'engine.applyAdvice': ({ decisionId }) => ({
      kind: 'done',
      decision: { decision: fixtureDecision({ id: decisionId }), result: { decisionId, at: 2, status: 'applied' }, changes: [{ op: 'priority', kind: 'applied', changeId: 4 }] },
    }),
    'changes.undo': () => ({ kind: 'applied' }),
    'changes.list': () => [],
    'engine.log': () => ({ items: [], next: null }),
  });
  setClient(transport);
  useStore.setState({ ...initial, engineState: engineState() }, true);
});
afterEach(() => {
  cleanup();
  setClient(undefined);
});

describe('EngineView', () => {
  it('shows mode, profile and the foreground reason, and changes them', async () => {
    render(<EngineView />);
    expect(screen.getByRole('button', { name: 'Advise' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('foreground').textContent).toMatch(/not detected: Wayland/);
    expect(screen.getByTestId('prefetch').textContent).toMatch(/code: 70% likely to start, 40 files/);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Auto' }));
    });
    expect(screen.getByRole('button', { name: 'Auto' }).getAttribute('aria-pressed')).toBe('true');
    await act(async () => {
      fireEvent.change(screen.getByRole('combobox', { name: 'Profile' }), { target: { value: 'quiet' } });
    });
    expect(transport.calls.at(-1)).toEqual({ channel: 'engine.setProfile', input: { profileId: 'quiet' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Pause for 1 hour' }));
    });
    expect(transport.calls.at(-1)).toEqual({ channel: 'engine.pause', input: { minutes: 60 } });
    expect(screen.getByTestId('effective-mode').textContent).toMatch(/off \(paused until/);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    });
    expect(transport.calls.at(-1)).toEqual({ channel: 'engine.pause', input: { minutes: 0 } });
  });

  it('shows a forbidden error from a viewer token', async () => {
    transport.handlers['engine.setMode'] = () => {
      throw new RequestError({ code: 'forbidden', message: 'needs operator' });
    };
    render(<EngineView />);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Off' }));
    });
    expect(screen.getByRole('alert').textContent).toMatch(/Not allowed: this needs the operator role/);
  });

  it('lists advice with Apply, the decision log with effect and Undo, alerts with evidence, and model accuracy', async () => {
    act(() => {
      useStore.getState().applyEngineReport(
        fixtureReport(
          {
            mode: 'advise',
            alerts: [{ id: 'al', at: 1, kind: 'runaway-cpu', severity: 'critical', target: fixtureDecision().target, message: 'cc1 has used 100% for 10 min', evidence: { cpuPercent: 100, overForMs: 600_000 } }],
            events: [{ type: 'effect', at: 3, effect: { decisionId: 'done1', at: 3, verdict: 'helped', numbers: { runQueueWaitBeforeMsPerSec: 40, runQueueWaitAfterMsPerSec: 4 }, reverted: false } }],
          },
          [
            { decision: fixtureDecision({ id: 'adv1', apply: false, target: { pid: 901, startTime: 6, name: 'cc1', programId: '/usr/bin/cc1' } }) },
            { decision: fixtureDecision({ id: 'done1' }), result: { decisionId: 'done1', at: 2, status: 'applied' }, changes: [{ op: 'priority', kind: 'applied', changeId: 11 }] },
          ],
        ),
      );
    });
    render(<EngineView />);
    const advice = screen.getByRole('table', { name: 'Pending advice' });
    expect(advice.textContent).toMatch(/cc1.*nice 10/);
    const alerts = screen.getByRole('list', { name: 'Alerts' });
    expect(alerts.textContent).toContain('runaway cpu');
    expect(alerts.textContent).toContain('cc1 has used 100% for 10 min');
    expect(alerts.textContent).toContain('cpu 100.0%');
    const log = screen.getByRole('table', { name: 'Decisions' });
    const row = log.querySelector('[data-decision="done1"]') as HTMLElement;
    expect(row.textContent).toMatch(/applied/);
    expect(row.textContent).toMatch(/helped/);
    expect(screen.getByRole('table', { name: 'Forecast accuracy' }).textContent).toMatch(/holt ✓ selected.*0\.80.*88%/);
    await act(async () => {
      fireEvent.click(within(row).getByRole('button', { name: /Undo decision on cc1/ }));
    });
    expect(transport.calls.find((c) => c.channel === 'changes.undo')?.input).toEqual({ id: 11 });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply advice for cc1' }));
    });
    expect(transport.calls.find((c) => c.channel === 'engine.applyAdvice')?.input).toEqual({ decisionId: 'adv1' });
    expect(screen.queryByRole('table', { name: 'Pending advice' })).toBeNull();
  });
});

describe('EngineView: earlier activity and the viewer role', () => {
  it('lists what the core kept on open, newest first, with "Load older" while there is more', async () => {
    const kept = (id: string, at: number) => ({
      kind: 'decision' as const,
      seq: at,
      at,
      decision: { decision: fixtureDecision({ id, at }), result: { decisionId: id, at, status: 'applied' as const }, changes: [{ op: 'priority', kind: 'applied' as const, changeId: at }] },
    });
    transport.handlers['engine.log'] = (input) =>
      input.beforeAt === undefined
        ? { items: [kept('new', 3_000), kept('mid', 2_000), { kind: 'alert', seq: 2_500, at: 2_500, alert: { id: 'al1', at: 2_500, kind: 'fork-storm', severity: 'warning', message: 'make forks fast', evidence: { forksPerSec: 80 } } }], next: { beforeAt: 2_000, beforeSeq: 2_000 } }
        : { items: [kept('old', 1_000)], next: null };
    render(<EngineView />);
    const log = await screen.findByRole('table', { name: 'Decisions' });
    await act(async () => undefined);
    expect([...log.querySelectorAll('[data-decision]')].map((row) => row.getAttribute('data-decision'))).toEqual(['new', 'mid']);
    expect(screen.getByRole('list', { name: 'Alerts' }).textContent).toContain('make forks fast');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Load older' }));
    });
    expect(transport.calls.at(-1)).toEqual({ channel: 'engine.log', input: { limit: 200, beforeAt: 2_000, beforeSeq: 2_000 } });
    expect([...log.querySelectorAll('[data-decision]')].map((row) => row.getAttribute('data-decision'))).toEqual(['new', 'mid', 'old']);
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });

  it('a viewer sees mode, profile, pause, Apply and Undo disabled, with the reason', async () => {
    localStorage.removeItem(FIRST_RUN_KEY); // the first-run choice is not offered to a viewer either
    act(() => {
      useStore.setState({ role: 'viewer' });
      useStore.getState().applyEngineReport(
        fixtureReport({ mode: 'advise' }, [
          { decision: fixtureDecision({ id: 'adv1', apply: false, target: { pid: 901, startTime: 6, name: 'cc1', programId: '/usr/bin/cc1' } }) },
          { decision: fixtureDecision({ id: 'done1' }), result: { decisionId: 'done1', at: 2, status: 'applied' }, changes: [{ op: 'priority', kind: 'applied', changeId: 11 }] },
        ]),
      );
    });
    render(<EngineView />);
    await act(async () => undefined);
    expect(screen.queryByRole('dialog', { name: 'How should Allot act?' })).toBeNull();
    expect(screen.getByTestId('act-blocked').textContent).toMatch(/cannot be changed here: Read-only: .*viewer URL/);
    const controls = [
      ...['Off', 'Advise', 'Auto', 'Pause for 1 hour', 'Apply advice for cc1'].map((name) => screen.getByRole('button', { name })),
      screen.getByRole('button', { name: /Undo decision on cc1/ }),
      screen.getByRole('combobox', { name: 'Profile' }),
    ];
    for (const control of controls) {
      expect((control as HTMLButtonElement).disabled, control.textContent ?? '').toBe(true);
      expect(control.getAttribute('title')).toMatch(/Read-only/);
    }
    const before = transport.calls.length;
    fireEvent.click(screen.getByRole('button', { name: 'Auto' }));
    expect(transport.calls.slice(before).filter((c) => c.channel !== 'engine.state' && c.channel !== 'engine.log')).toEqual([]);
  });
});

describe('EngineView: what the engine may do with these rights', () => {
  it('states the engine scope and each lever\'s reversibility from the capability report', () => {
    act(() =>
      useStore.setState({
        engineState: engineState(),
        capabilities: {
          platform: 'linux',
          privileged: false,
          notes: [],
          engineScope: 'Allot runs as an ordinary user: the engine only advises, because no lever it has can be put back.',
          // The report names every operation; the test fills the two it looks at.
          operations: {
            ...Object.fromEntries(['affinity', 'ioPriority', 'cpuCap', 'memoryLimit', 'efficiencyMode', 'suspend', 'terminate'].map((op) => [op, { supported: true, detail: 'x' }])),
            priority: { supported: true, detail: 'setpriority', reversibility: 'needs-helper', reversibilityDetail: 'RLIMIT_NICE is 0', withService: 'every priority change can be put back' },
            cpuWeight: { supported: false, detail: 'no writable cgroup', reversibility: 'unavailable', reversibilityDetail: 'no delegated cgroup' },
          } as NonNullable<ReturnType<typeof useStore.getState>['capabilities']>['operations'],
        },
      }),
    );
    render(<EngineView />);
    const scope = screen.getByTestId('engine-scope');
    expect(scope.textContent).toContain('the engine only advises');
    expect(within(scope).getByText('priority').parentElement!.textContent).toContain('needs administrator rights to undo (RLIMIT_NICE is 0)');
    expect(scope.textContent).toContain('With the system service: every priority change can be put back');
    expect(scope.querySelector('[data-lever="cpuWeight"]')!.textContent).toContain('unavailable');
  });
});
