// Processes view: summary header, toolbar (mode, columns, search), the live virtualized table with
// multi-select, context menu and keyboard, and the details pane of the selected process.
import { useCallback, useMemo, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { Operation } from '../../src-shared/actions';
import type { ProcessSample } from '../../src-shared/domain';
import { formatBytes, formatPercent } from '../../src-shared/format';
import { useStore } from '../store';
import { actBlockedReason } from '../store/connection';
import { ProcessTable, type HeatScale, type MenuPoint, type RowSource } from '../components/ProcessTable';
import { columnById, type ProcessColumn } from '../model/process-columns';
import { processKey, programOf, type DisplayRow, type ViewMode } from '../model/process-rows';
import { ContextMenu, type MenuItem } from '../components/ContextMenu';
import { ColumnChooser } from '../components/ColumnChooser';
import { DetailsPane } from '../components/DetailsPane';
import { copyText } from '../components/clipboard';

export const SEARCH_INPUT_ID = 'process-search';

const MODES: { id: ViewMode; label: string }[] = [
  { id: 'flat', label: 'List' },
  { id: 'tree', label: 'Tree' },
  { id: 'grouped', label: 'Programs' },
];

export interface ProcessesViewProps {
  dark: boolean;
}

/** The rows in the store, followed outside React (the table paints them itself). */
const STORE_ROWS: RowSource = {
  getRows: () => useStore.getState().rows,
  subscribe: (listener) =>
    useStore.subscribe((state, previous) => {
      if (state.rows !== previous.rows) listener();
    }),
};

/** Keys and key -> row of a rows list, built on demand (a click, a key) and kept while the list lives. */
const indexCache = new WeakMap<readonly DisplayRow[], { keys: string[]; byKey: Map<string, DisplayRow> }>();
function rowIndex(rows: readonly DisplayRow[]): { keys: string[]; byKey: Map<string, DisplayRow> } {
  let entry = indexCache.get(rows);
  if (!entry) {
    entry = { keys: rows.map((row) => row.key), byKey: new Map(rows.map((row) => [row.key, row])) };
    indexCache.set(rows, entry);
  }
  return entry;
}
const currentIndex = () => rowIndex(useStore.getState().rows);

/** The processes a selection means: group rows stand for their members. */
export function selectedProcessesOf(rows: readonly DisplayRow[], selected: readonly string[]): ProcessSample[] {
  if (selected.length === 0) return [];
  const out = new Map<string, ProcessSample>();
  const { byKey } = rowIndex(rows);
  for (const key of selected) {
    const row = byKey.get(key);
    if (!row) continue;
    if (row.kind === 'group') for (const member of row.members) out.set(processKey(member), member);
    else out.set(key, row.process);
  }
  return [...out.values()];
}

/** CPU, memory and process count: re-rendered each tick, a few text nodes. */
function Summary() {
  const cpuText = useStore((state) => (state.system ? formatPercent(state.system.cpuPercent) : '–'));
  const memoryText = useStore((state) => {
    const memory = state.system?.memory;
    return memory ? `${formatBytes(memory.usedBytes)} / ${formatBytes(memory.totalBytes)}` : '–';
  });
  const count = useStore((state) => state.processes.length);
  return (
    <>
      <div className="metric" data-testid="total-cpu">
        <span className="label">CPU</span>
        <span className="value live-value" style={{ width: 72 }}>{cpuText}</span>
      </div>
      <div className="metric" data-testid="total-memory">
        <span className="label">Memory</span>
        <span className="value live-value" style={{ width: 200 }}>{memoryText}</span>
      </div>
      <div className="metric" data-testid="process-count">
        <span className="label">Processes</span>
        <span className="value live-value" style={{ width: 64 }}>{count}</span>
      </div>
    </>
  );
}

/** "n of m processes · k selected": a string selector, so it re-renders only when the text changes. */
function StatusLine() {
  const text = useStore((state) => {
    const total = state.processes.length;
    const base =
      state.mode === 'grouped'
        ? `${state.rowGroupCount} programs, ${total} processes`
        : state.rows.length === total
          ? `${total} processes`
          : `${state.rows.length} of ${total} processes`;
    const selectedCount = state.selected.length > 1 ? selectedProcessesOf(state.rows, state.selected).length : state.selected.length;
    return selectedCount > 1 ? `${base} · ${selectedCount} selected` : base;
  });
  return (
    <footer className="status-line" aria-live="polite">
      {text}
    </footer>
  );
}

/** The details pane follows the focused process tick by tick; only it re-renders then. */
function Details({ focusKey, dark }: { focusKey: string | undefined; dark: boolean }) {
  const process = useStore((state) => {
    if (!state.detailsOpen || focusKey === undefined) return undefined;
    const row = rowIndex(state.rows).byKey.get(focusKey);
    return row?.kind === 'process' ? row.process : undefined;
  });
  if (!process) return null;
  return <DetailsPane process={process} dark={dark} onClose={() => useStore.getState().setDetailsOpen(false)} />;
}

export function ProcessesView({ dark }: ProcessesViewProps) {
  // Nothing here changes per tick: the rows, the summary, the status line and the details pane
  // follow the store on their own.
  const sort = useStore((state) => state.sort);
  const filter = useStore((state) => state.filter);
  const mode = useStore((state) => state.mode);
  const columnIds = useStore((state) => state.columns);
  const selected = useStore((state) => state.selected);
  const logicalCores = useStore((state) => state.systemInfo?.logicalCores ?? state.system?.cores.length ?? 1);
  const totalMemoryBytes = useStore((state) => state.system?.memory.totalBytes ?? state.systemInfo?.totalMemoryBytes ?? 1);
  const transportKind = useStore((state) => state.transportKind);
  const actions = useStore.getState();

  const selectedSet = useMemo(() => new Set(selected), [selected]);
  const columns = useMemo(() => columnIds.map((id) => columnById(id)).filter((c): c is ProcessColumn => !!c), [columnIds]);
  const heatScale = useMemo<HeatScale>(() => ({ logicalCores, totalMemoryBytes }), [logicalCores, totalMemoryBytes]);
  const focusKey = selected[selected.length - 1];

  const [menu, setMenu] = useState<{ x: number; y: number; targets: ProcessSample[]; program: string } | undefined>();
  const closeMenu = useCallback(() => setMenu(undefined), []);

  const onRowClick = useCallback((row: DisplayRow, event: MouseEvent) => {
    const selectMode = event.shiftKey ? 'range' : event.ctrlKey || event.metaKey ? 'toggle' : 'single';
    useStore.getState().select(row.key, selectMode, currentIndex().keys);
  }, []);

  const onContextMenu = useCallback(
    (row: DisplayRow, at: MenuPoint) => {
      const state = useStore.getState();
      const { keys, byKey } = currentIndex();
      if (!state.selected.includes(row.key)) state.select(row.key, 'single', keys);
      const inSelection = state.selected.includes(row.key);
      let targets: ProcessSample[];
      if (inSelection) {
        const set = new Map<string, ProcessSample>();
        for (const key of state.selected) {
          const r = byKey.get(key);
          if (r?.kind === 'group') r.members.forEach((m) => set.set(processKey(m), m));
          else if (r) set.set(key, r.process);
        }
        targets = [...set.values()];
      } else targets = row.kind === 'group' ? row.members : [row.process];
      setMenu({ x: at.clientX, y: at.clientY, targets, program: row.kind === 'group' ? row.programId : programOf(row.process) });
    },
    [],
  );

  const openOverride = (targets: ProcessSample[], preset?: Operation | 'tier'): void => {
    if (targets.length > 0) actions.openDialog({ kind: 'override', targets, preset });
  };
  const confirmEnd = (targets: ProcessSample[]): void => {
    if (targets.length > 0) actions.openDialog({ kind: 'confirmEnd', targets });
  };

  const menuItems = (targets: ProcessSample[], program: string): MenuItem[] => {
    const first = targets[0];
    const anyStopped = targets.some((t) => t.state === 'stopped');
    const browser = transportKind !== 'electron';
    // A viewer (or a page without a live connection) sees every action, disabled with the reason.
    const blocked = actBlockedReason(useStore.getState());
    const acting = new Set(['priority', 'affinity', 'ioPriority', 'tier', 'limits', 'suspend', 'end', 'exclude']);
    const items: MenuItem[] = [
      { id: 'priority', label: 'Set priority…', run: () => openOverride(targets, 'priority') },
      { id: 'affinity', label: 'Set affinity…', run: () => openOverride(targets, 'affinity') },
      { id: 'ioPriority', label: 'Set I/O priority…', run: () => openOverride(targets, 'ioPriority') },
      { id: 'tier', label: 'Set tier…', hint: 'a tier sets priority and I/O priority together', run: () => openOverride(targets, 'tier') },
      { id: 'limits', label: 'Limits (CPU cap, memory)…', run: () => openOverride(targets, 'cpuCap') },
      {
        id: 'suspend',
        label: anyStopped ? 'Resume' : 'Suspend',
        separatorBefore: true,
        run: () => void actions.setSuspended(targets, !anyStopped),
      },
      { id: 'end', label: targets.length > 1 ? `End ${targets.length} tasks…` : 'End task…', danger: true, run: () => confirmEnd(targets) },
      {
        id: 'copy',
        label: 'Copy command line',
        separatorBefore: true,
        disabled: !first,
        run: () =>
          void copyText(targets.map((t) => t.cmdline || t.name).join('\n')).then((ok) =>
            actions.pushToast(ok ? 'info' : 'error', ok ? 'Command line copied' : 'Could not copy to the clipboard'),
          ),
      },
      {
        id: 'location',
        label: browser ? 'Open file location (copies the path)' : 'Open file location',
        disabled: !first?.exe,
        hint: first?.exe ? undefined : 'the executable path is not readable for this process',
        run: () =>
          void copyText(first?.exe ?? '').then((ok) =>
            actions.pushToast(
              ok ? 'info' : 'error',
              ok ? `The browser cannot open folders; copied the executable path: ${first?.exe}` : 'Could not copy to the clipboard',
            ),
          ),
      },
      { id: 'exclude', label: `Exclude ${program} from engine`, run: () => void actions.excludeProgram(program) },
      { id: 'details', label: 'Details', separatorBefore: true, run: () => actions.setDetailsOpen(true) },
    ];
    return blocked ? items.map((item) => (acting.has(item.id) ? { ...item, disabled: true, hint: blocked } : item)) : items;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const state = useStore.getState();
    const { keys, byKey } = rowIndex(state.rows);
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        event.preventDefault();
        state.moveSelection(event.key === 'ArrowDown' ? 1 : -1, keys, event.shiftKey);
        break;
      case 'PageDown':
      case 'PageUp':
        event.preventDefault();
        state.moveSelection(event.key === 'PageDown' ? 20 : -20, keys, event.shiftKey);
        break;
      case 'Home':
      case 'End':
        event.preventDefault();
        state.moveSelection(event.key === 'End' ? keys.length : -keys.length, keys, event.shiftKey);
        break;
      case 'ArrowRight':
      case 'ArrowLeft': {
        const row = focusKey ? byKey.get(focusKey) : undefined;
        if (row?.hasChildren && row.expanded === (event.key === 'ArrowLeft')) {
          event.preventDefault();
          state.toggleExpanded(row.key);
        }
        break;
      }
      case 'Enter':
        event.preventDefault();
        state.setDetailsOpen(true);
        break;
      case 'Delete':
        event.preventDefault();
        confirmEnd(selectedProcessesOf(state.rows, state.selected));
        break;
      case 'a':
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          useStore.setState({ selected: keys });
        }
        break;
      default:
    }
  };

  return (
    <section className="view processes-view" aria-label="Processes">
      <header className="summary">
        <Summary />
        <div className="toolbar">
          <div className="segmented" role="group" aria-label="Display mode">
            {MODES.map((m) => (
              <button key={m.id} type="button" aria-pressed={mode === m.id} onClick={() => actions.setMode(m.id)}>
                {m.label}
              </button>
            ))}
          </div>
          <ColumnChooser columns={columnIds} onChange={actions.setColumns} />
          <input
            id={SEARCH_INPUT_ID}
            className="search"
            type="search"
            placeholder="Search name, PID, user, command (Ctrl+F)"
            aria-label="Search processes"
            value={filter}
            onChange={(event) => actions.setFilter(event.target.value)}
          />
        </div>
      </header>
      <div className="processes-main">
        <ProcessTable
          source={STORE_ROWS}
          columns={columns}
          sort={sort}
          onSort={actions.setSort}
          selected={selectedSet}
          focusKey={focusKey}
          heatScale={heatScale}
          mode={mode}
          onRowClick={onRowClick}
          onRowDoubleClick={() => actions.setDetailsOpen(true)}
          onContextMenu={onContextMenu}
          onToggle={actions.toggleExpanded}
          onKeyDown={onKeyDown}
        />
        <Details focusKey={focusKey} dark={dark} />
      </div>
      <StatusLine />
      {menu && <ContextMenu x={menu.x} y={menu.y} label="Process actions" items={menuItems(menu.targets, menu.program)} onClose={closeMenu} />}
    </section>
  );
}
