// @vitest-environment happy-dom
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ProcessesView } from '../../../src-renderer/views/ProcessesView';
import { ProcessTable, ROW_HEIGHT_PX, staticRowSource } from '../../../src-renderer/components/ProcessTable';
import { createTablePainter } from '../../../src-renderer/components/process-table-painter';
import { buildRows } from '../../../src-renderer/model/process-rows';
import { ALL_COLUMNS, columnById } from '../../../src-renderer/model/process-columns';
import { useStore } from '../../../src-renderer/store';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';
import type { ProcessSample } from '../../../src-shared/domain';

const initial = useStore.getState();
const procs: ProcessSample[] = [
  fixtureProcess({ pid: 1, ppid: 0, name: 'init', cpuPercent: 0.1 }),
  fixtureProcess({ pid: 10, ppid: 1, name: 'bash', cpuPercent: 2, user: 'alice' }),
  fixtureProcess({ pid: 11, ppid: 10, name: 'compiler', cpuPercent: 90, cmdline: 'cc -O2 big.c', unavailable: ['io:permission'] }),
  fixtureProcess({ pid: 12, ppid: 10, name: 'editor', cpuPercent: 5, readBytesPerSec: 100, writeBytesPerSec: 0 }),
];

function tick(processes: ProcessSample[], seq = 0): void {
  act(() => useStore.getState().applyTick({ seq, sample: fixtureSample(processes, 1_763_700_001_000 + seq * 1000) }));
}
const bodyRows = (): HTMLElement[] => Array.from(document.querySelectorAll<HTMLElement>('.process-scroll [role="row"]'));
const renderedPids = (): number[] => bodyRows().map((row) => Number(row.dataset['pid']));

// happy-dom has no layout: give the scroll viewport a size so the virtualizer has rows to draw.
beforeAll(() => {
  const size = (name: 'clientHeight' | 'clientWidth', value: number): void => {
    const original = Object.getOwnPropertyDescriptor(Element.prototype, name) ?? Object.getOwnPropertyDescriptor(HTMLElement.prototype, name);
    Object.defineProperty(HTMLElement.prototype, name, {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains('process-scroll') ? value : ((original?.get?.call(this) as number | undefined) ?? 0);
      },
    });
  };
  size('clientHeight', 520);
  size('clientWidth', 1200);
});

beforeEach(() => {
  localStorage.clear();
  useStore.setState({ ...initial, processes: [], processHistory: new Map(), selected: [], mode: 'flat', filter: '', sort: { column: 'cpuPercent', direction: 'desc' } }, true);
});
afterEach(() => cleanup());

describe('ProcessesView table', () => {
  it('sorts by a clicked column, both directions', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    expect(renderedPids()).toEqual([11, 12, 10, 1]);
    fireEvent.click(document.querySelector('button[data-column="pid"]')!);
    expect(renderedPids()).toEqual([12, 11, 10, 1]);
    expect(document.querySelector('[role="columnheader"][aria-sort="descending"] button[data-column="pid"]')).not.toBeNull();
    fireEvent.click(document.querySelector('button[data-column="pid"]')!);
    expect(renderedPids()).toEqual([1, 10, 11, 12]);
    fireEvent.click(document.querySelector('button[data-column="name"]')!);
    expect(bodyRows().map((r) => r.querySelector('[data-column="name"]')!.textContent)).toEqual(['bash', 'compiler', 'editor', 'init']);
  });

  it('filters through the search box', async () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    fireEvent.change(screen.getByLabelText('Search processes'), { target: { value: 'big.c' } });
    await act(async () => undefined);
    expect(renderedPids()).toEqual([11]);
    expect(screen.getByText('1 of 4 processes')).toBeTruthy();
  });

  it('tree mode nests and collapses', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    fireEvent.click(screen.getByRole('button', { name: 'Tree' }));
    expect(renderedPids()).toEqual([1, 10, 11, 12]);
    expect(bodyRows()[2]!.getAttribute('aria-level')).toBe('3');
    fireEvent.click(screen.getByRole('button', { name: 'Collapse bash' }));
    expect(renderedPids()).toEqual([1, 10]);
    expect(localStorage.getItem('allot.viewMode')).toBe('tree');
  });

  it('shows "n/a" with a reason for fields the collector could not read, not blank or 0', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    const cell = document.querySelector('[data-pid="11"] [data-column="ioBytesPerSec"]')!;
    expect(cell.textContent).toBe('n/a');
    expect(cell.querySelector('.na')!.getAttribute('title')).toBe('needs privileges');
    // A process without I/O fields and no reason shows blank, one with values shows them.
    expect(document.querySelector('[data-pid="10"] [data-column="ioBytesPerSec"]')!.textContent).toBe('');
    expect(document.querySelector('[data-pid="12"] [data-column="ioBytesPerSec"]')!.textContent).toBe('100 B/s');
  });

  it('multi-selects with click, ctrl-click and shift-click', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    const row = (pid: number) => document.querySelector(`[data-pid="${pid}"]`)!;
    fireEvent.click(row(11));
    fireEvent.click(row(10), { ctrlKey: true });
    expect(useStore.getState().selected).toHaveLength(2);
    fireEvent.click(row(1), { shiftKey: true });
    expect(bodyRows().filter((r) => r.getAttribute('aria-selected') === 'true').map((r) => Number(r.dataset['pid']))).toEqual([10, 1]);
    fireEvent.keyDown(screen.getByRole('grid'), { key: 'ArrowUp' });
    expect(useStore.getState().selected).toEqual(['10:123456']);
  });

  it('column chooser adds in-depth columns and persists them', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    fireEvent.click(screen.getByRole('button', { name: 'Columns' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Run-queue wait' }));
    expect(document.querySelector('button[data-column="runQueueWaitMsPerSec"]')).not.toBeNull();
    expect(JSON.parse(localStorage.getItem('allot.columns')!)).toContain('runQueueWaitMsPerSec');
  });

  it('Delete asks for confirmation through the store dialog', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    fireEvent.click(document.querySelector('[data-pid="12"]')!);
    fireEvent.keyDown(screen.getByRole('grid'), { key: 'Delete' });
    const dialog = useStore.getState().dialog;
    expect(dialog?.kind).toBe('confirmEnd');
    expect(dialog && dialog.targets.map((t) => t.pid)).toEqual([12]);
  });
});

describe('ProcessTable accessibility and keyboard menu', () => {
  const grid = (): HTMLElement => screen.getByRole('grid');
  const activeRow = (): HTMLElement | null => {
    const id = grid().getAttribute('aria-activedescendant');
    return id ? document.getElementById(id) : null;
  };

  it('rows have stable ids; the grid names the focused row as aria-activedescendant as arrows move', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    expect(document.querySelector('.process-row.header')!.getAttribute('aria-rowindex')).toBe('1');
    const ids = bodyRows().map((row) => row.id);
    expect(ids.every((id) => /^[A-Za-z][A-Za-z0-9_-]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(grid().hasAttribute('aria-activedescendant')).toBe(false);
    fireEvent.click(document.querySelector('[data-pid="11"]')!);
    expect(activeRow()?.dataset['pid']).toBe('11');
    fireEvent.keyDown(grid(), { key: 'ArrowDown' });
    expect(activeRow()?.dataset['pid']).toBe('12');
    // A new tick re-sorts the rows: the id follows the process, not the DOM slot.
    const id12 = activeRow()!.id;
    tick(procs.map((p) => (p.pid === 12 ? { ...p, cpuPercent: 99 } : p)), 1);
    expect(renderedPids()[0]).toBe(12);
    expect(grid().getAttribute('aria-activedescendant')).toBe(id12);
    expect(activeRow()?.dataset['pid']).toBe('12');
    act(() => useStore.getState().clearSelection());
    expect(grid().hasAttribute('aria-activedescendant')).toBe(false);
  });

  it('Shift+F10 and the ContextMenu key open the row menu for the focused row', () => {
    render(<ProcessesView dark={false} />);
    tick(procs);
    fireEvent.keyDown(grid(), { key: 'F10', shiftKey: true });
    expect(screen.queryByRole('menu')).toBeNull(); // nothing focused: nothing to act on
    fireEvent.click(document.querySelector('[data-pid="12"]')!);
    fireEvent.keyDown(grid(), { key: 'F10' });
    expect(screen.queryByRole('menu')).toBeNull(); // F10 alone is not the menu key
    const event = new KeyboardEvent('keydown', { key: 'F10', shiftKey: true, bubbles: true, cancelable: true });
    act(() => void grid().dispatchEvent(event));
    expect(event.defaultPrevented).toBe(true);
    expect(screen.getByRole('menu', { name: 'Process actions' })).toBeTruthy();
    fireEvent.click(screen.getByRole('menuitem', { name: 'End task…' }));
    expect(screen.queryByRole('menu')).toBeNull();
    const dialog = useStore.getState().dialog;
    expect(dialog && dialog.targets.map((t) => t.pid)).toEqual([12]);
    act(() => useStore.getState().closeDialog());
    fireEvent.keyDown(grid(), { key: 'ArrowUp' });
    fireEvent.keyDown(grid(), { key: 'ContextMenu' });
    expect(screen.getByRole('menu', { name: 'Process actions' })).toBeTruthy();
    fireEvent.click(screen.getByRole('menuitem', { name: 'End task…' }));
    const next = useStore.getState().dialog;
    expect(next && next.targets.map((t) => t.pid)).toEqual([11]);
  });

  it('places the keyboard menu at the focused row', () => {
    const rows = buildRows(
      Array.from({ length: 5 }, (_, i) => fixtureProcess({ pid: i + 2, name: `p${i}` })),
      { mode: 'flat', filter: '', sort: { column: 'pid', direction: 'asc' }, collapsed: new Set(), expandedGroups: new Set() },
    );
    const columns = ALL_COLUMNS.filter((c) => ['name', 'pid'].includes(c.id));
    const opened: Array<{ pid: number; clientX: number; clientY: number }> = [];
    render(
      <ProcessTable
        source={staticRowSource(rows)}
        columns={columns}
        sort={{ column: 'pid', direction: 'asc' }}
        onSort={() => undefined}
        focusKey={rows[3]!.key}
        onContextMenu={(row, at) => opened.push({ pid: row.process.pid, clientX: at.clientX, clientY: at.clientY })}
      />,
    );
    const element = bodyRows().find((r) => r.dataset['pid'] === '5')!;
    element.getBoundingClientRect = () => ({ left: 10, top: 100, right: 500, bottom: 126, width: 490, height: 26, x: 10, y: 100, toJSON: () => ({}) }) as DOMRect;
    fireEvent.keyDown(grid(), { key: 'ContextMenu' });
    expect(opened).toEqual([{ pid: 5, clientX: 34, clientY: 126 }]);
  });
});

describe('ProcessTable virtualization', () => {
  it('keeps DOM rows bounded and constant for 1,000 processes across updates', () => {
    const many = (offset: number) =>
      Array.from({ length: 1000 }, (_, i) => fixtureProcess({ pid: i + 2, name: `p${i}`, cpuPercent: ((i * 7 + offset) % 100) / 3 }));
    const columns = ALL_COLUMNS.filter((c) => ['name', 'pid', 'cpuPercent', 'rssBytes'].includes(c.id));
    const sort = { column: 'cpuPercent', direction: 'desc' as const };
    const rowsOf = (offset: number) => buildRows(many(offset), { mode: 'flat', filter: '', sort, collapsed: new Set(), expandedGroups: new Set() });
    let rows = rowsOf(0);
    const listeners = new Set<() => void>();
    const source = { getRows: () => rows, subscribe: (l: () => void) => (listeners.add(l), () => listeners.delete(l)) };
    render(<ProcessTable source={source} columns={columns} sort={sort} onSort={() => undefined} />);
    const first = bodyRows().length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(60);
    for (let t = 1; t < 5; t++) {
      rows = rowsOf(t);
      listeners.forEach((l) => l());
      expect(bodyRows().length).toBe(first);
      // The painted rows are the top of the new order.
      expect(renderedPids()).toEqual(rows.slice(0, first).map((r) => r.process.pid));
    }
    expect(document.querySelector('[role="grid"]')!.getAttribute('aria-rowcount')).toBe('1001');
    expect(columnById('cpuPercent')).toBeDefined();
  });

  it('scrolling moves the row window without adding DOM rows', () => {
    const rows = buildRows(
      Array.from({ length: 300 }, (_, i) => fixtureProcess({ pid: i + 2, name: `p${i}` })),
      { mode: 'flat', filter: '', sort: { column: 'pid', direction: 'asc' }, collapsed: new Set(), expandedGroups: new Set() },
    );
    const columns = ALL_COLUMNS.filter((c) => ['name', 'pid'].includes(c.id));
    render(<ProcessTable source={staticRowSource(rows)} columns={columns} sort={{ column: 'pid', direction: 'asc' }} onSort={() => undefined} />);
    const count = bodyRows().length;
    const scroller = document.querySelector<HTMLElement>('.process-scroll')!;
    scroller.scrollTop = 100 * ROW_HEIGHT_PX;
    fireEvent.scroll(scroller);
    expect(bodyRows().length).toBe(count);
    expect(renderedPids()).toContain(102);
    expect(renderedPids()).not.toContain(2);
    expect(bodyRows().find((r) => r.dataset['pid'] === '102')!.getAttribute('aria-rowindex')).toBe('102');
  });
});

describe('ProcessTable layout and painting', () => {
  it('resolves fr columns to whole pixels that fill the width', async () => {
    const { columnWidthsPx } = await import('../../../src-renderer/components/ProcessTable');
    const widths = columnWidthsPx([{ width: 'minmax(100px, 1fr)' }, { width: '50px' }, { width: 'minmax(100px, 3fr)' }], 650);
    expect(widths).toEqual([200, 50, 400]);
    expect(columnWidthsPx([{ width: 'minmax(100px, 1fr)' }, { width: '50px' }], 120)).toEqual([100, 50]);
    expect(columnWidthsPx([{ width: 'minmax(100px, 1fr)' }, { width: 'minmax(100px, 1fr)' }], 301).reduce((a, b) => a + b)).toBe(301);
  });

  it('skips a row that is the same object at the same place; a selection change paints it again', () => {
    const body = document.createElement('div');
    document.body.appendChild(body);
    const painter = createTablePainter(body, null);
    painter.setLayout({ columns: ['name', 'cpuPercent'].map((id) => columnById(id)!), widthsPx: [100, 50], mode: 'flat', scale: { logicalCores: 1, totalMemoryBytes: 2 ** 30 } });
    const process = fixtureProcess({ pid: 5, name: 'five', cpuPercent: 3 });
    const row = { kind: 'process' as const, key: '5:1', process, depth: 0, hasChildren: false, expanded: false };
    painter.setRows([row]);
    const cpu = () => body.querySelector('[data-column="cpuPercent"]')!.textContent;
    expect(cpu()).toBe('3.0%');
    // Rows are never mutated; doing it here shows whether the painter looked at the row again.
    process.cpuPercent = 9;
    painter.setRows([row]);
    expect(cpu()).toBe('3.0%');
    // A new row object for the same process is painted.
    painter.setRows([{ ...row }]);
    expect(cpu()).toBe('9.0%');
    process.cpuPercent = 12;
    painter.setSelected(new Set(['5:1']));
    expect(cpu()).toBe('12.0%');
    const selectedRow = body.querySelector('[role="row"]')!;
    expect(selectedRow.getAttribute('aria-selected')).toBe('true');
    expect(selectedRow.className).toContain('selected');
    painter.destroy();
    body.remove();
  });

  it('rewrites only the cells whose text changed, in the same text nodes', () => {
    const body = document.createElement('div');
    document.body.appendChild(body);
    const painter = createTablePainter(body, null);
    const columns = ['name', 'pid', 'cpuPercent', 'rssBytes'].map((id) => columnById(id)!);
    painter.setLayout({ columns, widthsPx: [100, 50, 50, 50], mode: 'flat', scale: { logicalCores: 1, totalMemoryBytes: 2 ** 30 } });
    const row = (cpuPercent: number, rssBytes: number) => ({
      kind: 'process' as const,
      key: '5:1',
      process: fixtureProcess({ pid: 5, name: 'five', cpuPercent, rssBytes }),
      depth: 0,
      hasChildren: false,
      expanded: false,
    });
    painter.setRows([row(3, 10 * 2 ** 20)]);
    const cell = (id: string) => body.querySelector(`[data-column="${id}"]`)!;
    const nodes = ['name', 'pid', 'cpuPercent', 'rssBytes'].map((id) => cell(id).firstChild);
    const memoryBefore = cell('rssBytes').textContent;
    painter.setRows([row(80, 10 * 2 ** 20)]);
    expect(cell('cpuPercent').textContent).toBe('80.0%');
    expect(cell('cpuPercent').className).toContain('heat-cpu heat4');
    expect(cell('rssBytes').textContent).toBe(memoryBefore);
    // Same nodes: text is written into them, nothing is re-created.
    expect(['name', 'pid', 'cpuPercent', 'rssBytes'].map((id) => cell(id).firstChild)).toEqual(nodes);
    expect(painter.slotCount()).toBe(1);
    painter.setRows([]);
    expect(painter.slotCount()).toBe(0);
    painter.destroy();
    body.remove();
  });
});
