import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppStore } from '../../../src-renderer/store';
import { appendPerf, emptyPerf, perfCapacity } from '../../../src-renderer/store/perf';
import { mergeChanges } from '../../../src-renderer/store/changes';
import { settingsErrorsFrom } from '../../../src-renderer/store/settings';
import { PROCESS_HISTORY_POINTS } from '../../../src-renderer/store/processes';
import { setClient } from '../../../src-renderer/ipc/client';
import { RequestError } from '../../../src-shared/contract';
import { DEFAULT_SETTINGS } from '../../../src-shared/settings';
import type { ChangeRecord } from '../../../src-shared/actions';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import { createFakeTransport, type FakeTransport } from '../fake-transport';

const record = (id: number, status: ChangeRecord['status']): ChangeRecord => ({
  id,
  target: { pid: 10, startTime: 1 },
  name: 'x',
  actor: 'user',
  change: { op: 'priority', value: { nice: 5 } },
  before: { op: 'priority', value: { nice: 0 } },
  after: { op: 'priority', value: { nice: 5 } },
  status,
  why: 'test',
  createdAtMs: id,
  updatedAtMs: id,
  note: null,
});

let transport: FakeTransport;
beforeEach(() => {
  transport = createFakeTransport({
    'app.info': () => ({ name: 'Allot', version: '1', runtime: 'node', platform: 'linux', pid: 1, intervalMs: 500, startedAtMs: 0, collector: 'fake' }),
    'system.info': () => ({ platform: 'linux', hostname: 'h', osRelease: '6', cpuModel: 'c', logicalCores: 2, totalMemoryBytes: 1 }),
    'capabilities.get': () => {
      throw new Error('not wired');
    },
    'settings.get': () => DEFAULT_SETTINGS,
    'changes.list': () => [record(1, 'applied')],
  });
  setClient(transport);
});
afterEach(() => setClient(undefined));

describe('perf slice', () => {
  it('keeps a bounded ring sized by the interval and pads late devices with gaps', () => {
    expect(perfCapacity(1000)).toBe(600);
    expect(perfCapacity(250)).toBe(2400);
    expect(perfCapacity(10_000)).toBe(60);
    let series = emptyPerf();
    for (let i = 0; i < 70; i++) {
      const sample = fixtureSample([], 1000 * i);
      if (i >= 65) sample.system.disks = [{ device: 'sda', readBytesPerSec: i, writeBytesPerSec: 0 }];
      series = appendPerf(series, sample, 60);
    }
    expect(series.at).toHaveLength(60);
    expect(series.at[0]).toBe(10_000);
    expect(series.cores).toHaveLength(2);
    expect(series.cores[1]).toHaveLength(60);
    expect(series.disks['sda']!.readBytesPerSec).toHaveLength(60);
    expect(Number.isNaN(series.disks['sda']!.readBytesPerSec[0]!)).toBe(true);
    expect(series.disks['sda']!.readBytesPerSec[59]).toBe(69);
    expect(series.psi.cpu.every(Number.isNaN)).toBe(true);
  });
});

describe('processes slice', () => {
  it('applies ticks: list, perf ring and per-process history (pruned when a process exits)', () => {
    const store = createAppStore();
    const a = fixtureProcess({ pid: 2, cpuPercent: 5 });
    const b = fixtureProcess({ pid: 3 });
    for (let i = 0; i < PROCESS_HISTORY_POINTS + 5; i++) store.getState().applyTick({ seq: i, sample: fixtureSample([a, b], i * 1000) });
    const state = store.getState();
    expect(state.processes).toHaveLength(2);
    expect(state.perf.at).toHaveLength(PROCESS_HISTORY_POINTS + 5);
    expect(state.processHistory.get('2:123456')!.cpuPercent).toHaveLength(PROCESS_HISTORY_POINTS);
    store.getState().applyTick({ seq: 999, sample: fixtureSample([a], 999_000) });
    expect(store.getState().processHistory.has('3:123456')).toBe(false);
  });

  it('per-process history follows processes that come back as the same objects, and forgets those that exit', () => {
    const store = createAppStore();
    const a = fixtureProcess({ pid: 2, cpuPercent: 5 });
    const b = fixtureProcess({ pid: 3, cpuPercent: 7 });
    store.getState().applyTick({ seq: 0, sample: fixtureSample([a, b], 1000) });
    // The delta decoder hands unchanged processes over as the same objects; a changed one is new.
    const a2 = { ...a, cpuPercent: 6 };
    store.getState().applyTick({ seq: 1, sample: fixtureSample([a2, b], 2000) });
    store.getState().applyTick({ seq: 2, sample: fixtureSample([a2], 3000) });
    const history = store.getState().processHistory;
    expect(history.get('2:123456')).toEqual({ at: [1000, 2000, 3000], cpuPercent: [5, 6, 6], rssBytes: [a.rssBytes, a.rssBytes, a.rssBytes] });
    expect(history.has('3:123456')).toBe(false);
    // A process with the same pid and start time that comes back is a fresh history.
    store.getState().applyTick({ seq: 3, sample: fixtureSample([a2, b], 4000) });
    expect(store.getState().processHistory.get('3:123456')!.at).toEqual([4000]);
  });

  it('keeps the table rows in step with ticks, sort, filter and mode', () => {
    const store = createAppStore();
    const processes = [
      fixtureProcess({ pid: 1, name: 'init', cpuPercent: 1 }),
      fixtureProcess({ pid: 2, name: 'node', cpuPercent: 50 }),
      fixtureProcess({ pid: 3, name: 'bash', cpuPercent: 5 }),
    ];
    store.getState().setMode('flat');
    store.getState().applyTick({ seq: 1, sample: fixtureSample(processes, 1000) });
    const pids = () => store.getState().rows.map((r) => r.process.pid);
    expect(pids()).toEqual([2, 3, 1]);
    store.getState().applyTick({ seq: 2, sample: fixtureSample([{ ...processes[0]!, cpuPercent: 90 }, processes[1]!, processes[2]!], 2000) });
    expect(pids()).toEqual([1, 2, 3]);
    store.getState().setSort('name');
    expect(pids()).toEqual([3, 1, 2]);
    store.getState().setFilter('no');
    expect(pids()).toEqual([2]);
    store.getState().setFilter('');
    store.getState().setMode('grouped');
    expect(store.getState().rows.every((r) => r.kind === 'group')).toBe(true);
    expect(store.getState().rowGroupCount).toBe(store.getState().rows.length);
  });

  it("forgets the tree's collapsed processes and expanded programs once they are gone", () => {
    const store = createAppStore();
    const shell = fixtureProcess({ pid: 10, name: 'bash', programId: '/bin/bash' });
    const child = fixtureProcess({ pid: 11, ppid: 10, name: 'make', programId: '/usr/bin/make' });
    store.getState().applyTick({ seq: 1, sample: fixtureSample([shell, child], 1000) });
    store.getState().toggleExpanded('10:123456');
    store.getState().toggleExpanded('group:/usr/bin/make');
    expect([...store.getState().collapsed]).toEqual(['10:123456']);
    expect([...store.getState().expandedGroups]).toEqual(['group:/usr/bin/make']);
    // A tick with both still there keeps the very same sets (no new state for nothing).
    const { collapsed, expandedGroups } = store.getState();
    store.getState().applyTick({ seq: 2, sample: fixtureSample([shell, child], 2000) });
    expect(store.getState().collapsed).toBe(collapsed);
    expect(store.getState().expandedGroups).toBe(expandedGroups);
    // make exits: its program's entry goes; bash exits: its entry goes.
    store.getState().applyTick({ seq: 3, sample: fixtureSample([shell], 3000) });
    expect([...store.getState().expandedGroups]).toEqual([]);
    expect([...store.getState().collapsed]).toEqual(['10:123456']);
    store.getState().applyTick({ seq: 4, sample: fixtureSample([], 4000) });
    expect([...store.getState().collapsed]).toEqual([]);
  });

  it('moves and extends the selection with arrow keys', () => {
    const store = createAppStore();
    const keys = ['a', 'b', 'c', 'd'];
    store.getState().moveSelection(1, keys, false);
    expect(store.getState().selected).toEqual(['a']);
    store.getState().moveSelection(2, keys, true);
    expect(store.getState().selected).toEqual(['a', 'b', 'c']);
    store.getState().moveSelection(10, keys, false);
    expect(store.getState().selected).toEqual(['d']);
    store.getState().select('b', 'range', keys);
    // The clicked row (the focus) is last, even selecting upward.
    expect(store.getState().selected).toEqual(['c', 'd', 'b']);
    store.getState().select('a', 'toggle', keys);
    expect(store.getState().selected).toEqual(['c', 'd', 'b', 'a']);
  });
});

describe('connection slice', () => {
  it('loads info, settings and changes on open, and follows tick and changes events', async () => {
    const store = createAppStore();
    const off = store.getState().connect();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const state = store.getState();
    expect(state.connection).toBe('open');
    expect(state.appInfo?.collector).toBe('fake');
    expect(state.settings).toEqual(DEFAULT_SETTINGS);
    expect(state.capabilitiesError).toBe('not wired');
    expect(state.changes.map((c) => c.id)).toEqual([1]);
    transport.emit('tick', { seq: 1, sample: fixtureSample() });
    expect(store.getState().processes).toHaveLength(1);
    transport.emit('changes', { changes: [record(1, 'restored'), record(2, 'applied')] });
    expect(store.getState().changes.map((c) => c.id)).toEqual([2]);
    off();
    transport.emit('tick', { seq: 2, sample: fixtureSample([]) });
    expect(store.getState().processes).toHaveLength(1);
  });
});

describe('changes slice', () => {
  it('merges by id, newest first, hiding ones no longer in force unless all', () => {
    const list = [record(1, 'applied'), record(2, 'applied')];
    expect(mergeChanges(list, [record(1, 'restored')], false).map((r) => r.id)).toEqual([2]);
    expect(mergeChanges(list, [record(1, 'restored'), record(3, 'failed')], true).map((r) => r.id)).toEqual([3, 2, 1]);
  });

  it('pages the audit log with beforeId', async () => {
    const entry = (id: number) => ({ id, at: id, actor: 'user' as const, action: 'apply', op: null, target: null, name: null, before: null, after: null, why: '', result: 'info' as const, reason: null, message: null, changeId: null });
    transport.handlers['audit.list'] = (input) => (input.beforeId ? { entries: [entry(1)], nextBeforeId: null } : { entries: [entry(3), entry(2)], nextBeforeId: 2 });
    const store = createAppStore();
    await store.getState().loadAudit(false);
    await store.getState().loadAudit(true);
    expect(store.getState().audit.map((e) => e.id)).toEqual([3, 2, 1]);
    expect(transport.calls.filter((c) => c.channel === 'audit.list').map((c) => c.input)).toEqual([{ limit: 50 }, { limit: 50, beforeId: 2 }]);
    await store.getState().loadAudit(true);
    expect(transport.calls.filter((c) => c.channel === 'audit.list')).toHaveLength(2);
  });

  it('undo calls changes.undo and reports a refusal as a toast', async () => {
    transport.handlers['changes.undo'] = () => ({ kind: 'refused', reason: 'gone', message: 'the process exited' });
    const store = createAppStore();
    await store.getState().undoChange(7);
    expect(transport.calls.find((c) => c.channel === 'changes.undo')?.input).toEqual({ id: 7 });
    expect(store.getState().toasts.at(-1)?.message).toMatch(/Undo refused \(gone\)/);
  });
});

describe('settings slice', () => {
  it('maps server validation issues to fields, else to the fields the patch named', () => {
    const issue = new RequestError({ code: 'invalid-input', message: 'bad', issues: [{ path: 'intervalMs', message: 'Too small: expected number to be >=250' }] });
    expect(settingsErrorsFrom(issue, { intervalMs: 100 })).toEqual({ intervalMs: 'Too small: expected number to be >=250' });
    expect(settingsErrorsFrom(new Error('Invalid settings'), { history: { retention10sMs: 1 } })).toEqual({ 'history.retention10sMs': 'Invalid settings' });
  });

  it('updateSettings keeps the error next to the field and clears it when accepted', async () => {
    transport.handlers['settings.update'] = (patch) => {
      if (typeof patch.intervalMs === 'number' && patch.intervalMs < 250)
        throw new RequestError({ code: 'invalid-input', message: 'bad', issues: [{ path: 'intervalMs', message: 'too small' }] });
      return { ...DEFAULT_SETTINGS, ...(patch as object) } as typeof DEFAULT_SETTINGS;
    };
    const store = createAppStore();
    expect(await store.getState().updateSettings({ intervalMs: 100 })).toBe(false);
    expect(store.getState().settingsErrors).toEqual({ intervalMs: 'too small' });
    expect(await store.getState().updateSettings({ intervalMs: 500 })).toBe(true);
    expect(store.getState().settingsErrors).toEqual({});
    expect(store.getState().settings?.intervalMs).toBe(500);
  });

  it('excludeProgram appends to excludedPrograms through settings.update', async () => {
    transport.handlers['settings.update'] = (patch) => ({ ...DEFAULT_SETTINGS, ...(patch as object) }) as typeof DEFAULT_SETTINGS;
    const store = createAppStore();
    await store.getState().excludeProgram('/usr/bin/make');
    expect(transport.calls.find((c) => c.channel === 'settings.update')?.input).toEqual({ excludedPrograms: ['/usr/bin/make'] });
    expect(store.getState().settings?.excludedPrograms).toEqual(['/usr/bin/make']);
  });
});
