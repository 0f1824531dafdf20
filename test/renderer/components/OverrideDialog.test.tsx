// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ConnectedOverrideDialog } from '../../../src-renderer/components/OverrideDialog';
import { validateForm, initialForm, coreGroups } from '../../../src-renderer/components/override-form';
import { useStore } from '../../../src-renderer/store';
import { setClient } from '../../../src-renderer/ipc/client';
import type { Capabilities } from '../../../src-shared/actions';
import type { SystemInfo } from '../../../src-shared/domain';
import { fixtureProcess } from '../../helpers/sample-fixture';
import { DEFAULT_RULES_FILE, formatRulesFile } from '../../../src-shared/rules';
import { createFakeTransport, type FakeTransport } from '../fake-transport';

const initial = useStore.getState();
const target = fixtureProcess({ pid: 777, startTime: 999, name: 'builder', nice: 0, affinity: [0, 1, 2, 3] });
const systemInfo: SystemInfo = {
  platform: 'linux',
  hostname: 'h',
  osRelease: '6',
  cpuModel: 'cpu',
  logicalCores: 4,
  smtSiblings: [[0, 2], [1, 3], [0, 2], [1, 3]],
  totalMemoryBytes: 8 * 2 ** 30,
};
const supported = { supported: true, detail: 'ok' };
const capabilities: Capabilities = {
  platform: 'linux',
  privileged: false,
  operations: {
    priority: { ...supported, limits: ['raising priority needs root or CAP_SYS_NICE'] },
    sessionPriority: supported,
    affinity: supported,
    ioPriority: supported,
    cpuWeight: supported,
    cpuCap: { supported: false, detail: 'no delegated cgroup v2 cpu controller' },
    memoryLimit: supported,
    efficiencyMode: { supported: false, detail: 'efficiency mode is a Windows feature' },
    suspend: supported,
    terminate: supported,
  },
  notes: [],
};

let transport: FakeTransport;
beforeEach(() => {
  transport = createFakeTransport({
    'changes.apply': (input) => ({
      result: { kind: 'applied', before: { op: 'priority', value: { nice: 0 } }, after: input.change },
      changeId: 1,
    }),
  });
  setClient(transport);
  useStore.setState({ ...initial, systemInfo, capabilities, dialog: { kind: 'override', targets: [target], preset: 'priority' } }, true);
});
afterEach(() => {
  cleanup();
  setClient(undefined);
});

const niceInput = () => screen.getByLabelText(/^Nice/) as HTMLInputElement;

describe('OverrideDialog', () => {
  it('refuses an out-of-range nice with a message and calls nothing', async () => {
    render(<ConnectedOverrideDialog />);
    fireEvent.change(niceInput(), { target: { value: '25' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    expect(screen.getByRole('alert').textContent).toMatch(/Nice must be a whole number from -20/);
    expect(transport.calls).toEqual([]);
  });

  it('refuses an empty affinity and an invalid duration', async () => {
    render(<ConnectedOverrideDialog />);
    fireEvent.click(screen.getByRole('checkbox', { name: /Change cpu affinity/i }));
    fireEvent.click(screen.getByRole('button', { name: 'None' }));
    fireEvent.click(screen.getByRole('radio', { name: /^For/ }));
    fireEvent.change(screen.getByLabelText('Minutes'), { target: { value: '0' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    const messages = screen.getAllByRole('alert').map((a) => a.textContent);
    expect(messages).toContain('Choose at least one CPU.');
    expect(messages.some((m) => /Minutes must be/.test(m ?? ''))).toBe(true);
    expect(transport.calls).toEqual([]);
  });

  it('disables controls the OS or privileges do not allow, with the reason', () => {
    render(<ConnectedOverrideDialog />);
    const cap = screen.getByRole('checkbox', { name: /Change cpu cap/i }) as HTMLInputElement;
    expect(cap.disabled).toBe(true);
    expect(screen.getByText(/no delegated cgroup v2 cpu controller/)).toBeTruthy();
    expect((screen.getByRole('checkbox', { name: /Change efficiency mode/i }) as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/raising priority needs root/)).toBeTruthy();
    const rule = screen.getByRole('radio', { name: /Always for this program/ }) as HTMLInputElement;
    expect(rule.disabled).toBe(false);
  });

  it('a tier sets priority and I/O priority from TIER_DEFAULTS', async () => {
    render(<ConnectedOverrideDialog />);
    fireEvent.change(screen.getByRole('combobox', { name: 'Tier' }), { target: { value: 'batch' } });
    expect(niceInput().value).toBe('19');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    expect(transport.calls.map((c) => (c.input as { change: { op: string } }).change)).toEqual([
      { op: 'priority', value: { nice: 19 } },
      { op: 'ioPriority', value: { ioClass: 'idle', level: 0 } },
    ]);
  });

  it('"always for this program" applies now and saves a rule for the program through rules.set', async () => {
    const rulesText = formatRulesFile(DEFAULT_RULES_FILE);
    let saved: string | undefined;
    transport.handlers['rules.get'] = () => ({ text: rulesText, defaultText: rulesText });
    transport.handlers['rules.set'] = ({ text }) => {
      saved = text;
      return { ok: true, rules: 10, profiles: 3 };
    };
    useStore.setState({ dialog: { kind: 'override', targets: [{ ...target, exe: '/opt/builder/bin/builder' }], preset: 'tier' } });
    render(<ConnectedOverrideDialog />);
    fireEvent.change(screen.getByRole('combobox', { name: 'Tier' }), { target: { value: 'background' } });
    fireEvent.click(screen.getByRole('radio', { name: /Always for this program/ }));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    expect(transport.calls.map((c) => c.channel)).toEqual(['changes.apply', 'changes.apply', 'rules.get', 'rules.set']);
    const file = JSON.parse(saved!) as { rules: Array<{ id: string; match: unknown; action: unknown }>; profiles: Array<{ rules: string[] | '*' }> };
    expect(file.rules[0]).toMatchObject({ id: 'user-builder', match: { exe: '/opt/builder/bin/builder' }, action: { tier: 'background' } });
    expect(file.profiles[0]!.rules).toContain('user-builder');
    expect(screen.getByRole('status').textContent).toMatch(/Rule "user-builder" saved/);
  });

  it('shows the server refusal of the rule', async () => {
    const rulesText = formatRulesFile(DEFAULT_RULES_FILE);
    transport.handlers['rules.get'] = () => ({ text: rulesText, defaultText: rulesText });
    transport.handlers['rules.set'] = () => ({ ok: false, line: 3, column: 5, path: 'rules.0', message: 'nope' });
    render(<ConnectedOverrideDialog />);
    fireEvent.change(niceInput(), { target: { value: '7' } });
    fireEvent.click(screen.getByRole('radio', { name: /Always for this program/ }));
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    expect(screen.getByRole('status').textContent).toMatch(/Rule refused: line 3, column 5 \(rules.0\): nope/);
  });

  it('groups SMT siblings in the affinity picker', () => {
    expect(coreGroups(systemInfo)).toEqual([[0, 2], [1, 3]]);
    render(<ConnectedOverrideDialog />);
    const groups = document.querySelectorAll('.core-group');
    expect(groups).toHaveLength(2);
    expect(groups[0]!.textContent).toBe('02');
  });

  it('submits the right Change objects through the store action and shows each result', async () => {
    render(<ConnectedOverrideDialog />);
    fireEvent.change(niceInput(), { target: { value: '10' } });
    fireEvent.click(screen.getByRole('checkbox', { name: /Change cpu affinity/i }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'CPU 1' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'CPU 3' }));
    fireEvent.click(screen.getByRole('radio', { name: /^For/ }));
    fireEvent.change(screen.getByLabelText('Minutes'), { target: { value: '5' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    expect(transport.calls.map((c) => c.channel)).toEqual(['changes.apply', 'changes.apply']);
    expect(transport.calls[0]!.input).toMatchObject({ target: { pid: 777, startTime: 999 }, change: { op: 'priority', value: { nice: 10 } }, durationMs: 300_000 });
    expect(transport.calls[1]!.input).toMatchObject({ target: { pid: 777, startTime: 999 }, change: { op: 'affinity', value: { cpus: [0, 2] } }, durationMs: 300_000 });
    const results = screen.getByRole('list', { name: 'Results' });
    expect(results.textContent).toMatch(/Applied: nice 0 → nice 10/);
  });

  it('shows a refusal and why', async () => {
    transport.handlers['changes.apply'] = () => ({
      result: { kind: 'refused', reason: 'permission', message: 'needs administrator rights to raise priority', code: 'EPERM' },
      changeId: null,
    });
    render(<ConnectedOverrideDialog />);
    fireEvent.change(niceInput(), { target: { value: '-5' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    expect(screen.getByRole('list', { name: 'Results' }).textContent).toMatch(/Refused \(permission\): needs administrator rights/);
    expect(useStore.getState().toasts.some((t) => t.kind === 'error')).toBe(true);
  });
});

describe('OverrideDialog: a change Allot cannot undo (issue 18)', () => {
  const refuseUnlessConfirmed = (input: { change: unknown; confirmIrreversible?: boolean }) =>
    input.confirmIrreversible
      ? { result: { kind: 'applied' as const, before: { op: 'priority' as const, value: { nice: 0 } }, after: input.change as { op: 'priority'; value: { nice: number } } }, changeId: 2 }
      : { result: { kind: 'refused' as const, reason: 'irreversible' as const, message: 'Allot cannot raise it back without administrator rights: putting nice 0 back needs root or CAP_SYS_NICE' }, changeId: null };

  it('asks first; "Continue anyway" sends the same change with confirmIrreversible and shows it applied', async () => {
    transport.handlers['changes.apply'] = refuseUnlessConfirmed;
    render(<ConnectedOverrideDialog />);
    fireEvent.change(niceInput(), { target: { value: '10' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    const ask = screen.getByRole('alertdialog');
    expect(ask.textContent).toMatch(/Allot cannot raise it back without administrator rights: continue\?/);
    expect(ask.textContent).toMatch(/builder \(777\): .*needs root or CAP_SYS_NICE/);
    expect(transport.calls.map((c) => (c.input as { confirmIrreversible?: boolean }).confirmIrreversible)).toEqual([undefined]);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Continue anyway' }));
    });
    expect(transport.calls).toHaveLength(2);
    expect(transport.calls[1]!.input).toMatchObject({ change: { op: 'priority', value: { nice: 10 } }, confirmIrreversible: true });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(screen.getByRole('list', { name: 'Results' }).textContent).toMatch(/Applied: nice 0 → nice 10/);
  });

  it('"Leave it as it is" sends nothing more', async () => {
    transport.handlers['changes.apply'] = refuseUnlessConfirmed;
    render(<ConnectedOverrideDialog />);
    fireEvent.change(niceInput(), { target: { value: '10' } });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Leave it as it is' }));
    });
    expect(transport.calls).toHaveLength(1);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });
});

describe('validateForm', () => {
  const ctx = { logicalCores: 4, totalMemoryBytes: 8 * 2 ** 30 };
  it('turns each section into one Change', () => {
    const form = initialForm(target, systemInfo);
    form.enabled = { priority: true, affinity: false, ioPriority: true, cpuCap: true, memoryLimit: true, efficiencyMode: false, suspend: true };
    Object.assign(form, { nice: '5', ioClass: 'idle', ioLevel: 'x', cpuCapPercent: '150', memoryAmount: '1.5', memoryUnit: 'GiB', suspended: true });
    const result = validateForm(form, ctx);
    expect(result).toEqual({
      ok: true,
      changes: [
        { op: 'priority', value: { nice: 5 } },
        { op: 'ioPriority', value: { ioClass: 'idle', level: 0 } },
        { op: 'cpuCap', value: { percentOfOneCore: 150 } },
        { op: 'memoryLimit', value: { softLimitBytes: 1.5 * 2 ** 30 } },
        { op: 'suspend', value: { suspended: true } },
      ],
    });
  });
  it('refuses bad values with messages', () => {
    const form = initialForm(target, systemInfo);
    form.enabled = { priority: true, affinity: true, ioPriority: true, cpuCap: true, memoryLimit: true, efficiencyMode: false, suspend: false };
    Object.assign(form, { nice: '1.5', cpus: [9], ioClass: 'best-effort', ioLevel: '8', cpuCapPercent: '401', memoryAmount: '9', memoryUnit: 'GiB' });
    const result = validateForm(form, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(['affinity', 'cpuCap', 'ioPriority', 'memoryLimit', 'priority']);
    const nothing = validateForm(initialForm(target, systemInfo), ctx);
    expect(nothing).toEqual({ ok: false, errors: { form: 'Choose at least one thing to change.' } });
  });
});
