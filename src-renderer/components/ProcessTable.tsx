// Virtualized process table: only the rows in view are in the DOM, so 1,000+ processes update
// every second without layout cost proportional to the list. Flat, tree and grouped rows come
// precomputed (process-rows.ts); this component only draws them and reports clicks and keys.
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { columnUnavailable, heatLevel, type ProcessColumn } from './process-columns';
import { GROUP_COLUMN_IDS, type DisplayRow } from './process-rows';

export const ROW_HEIGHT_PX = 26;

export interface HeatScale {
  logicalCores: number;
  totalMemoryBytes: number;
}

export interface ProcessTableProps {
  rows: readonly DisplayRow[];
  columns: readonly ProcessColumn[];
  sort: { column: string; direction: 'asc' | 'desc' };
  onSort(column: string): void;
  selected?: ReadonlySet<string>;
  /** Index of the row to keep in view (the moving end of the selection). */
  focusIndex?: number;
  heatScale?: HeatScale;
  mode?: 'flat' | 'tree' | 'grouped';
  onRowClick?(row: DisplayRow, event: MouseEvent): void;
  onRowDoubleClick?(row: DisplayRow): void;
  onContextMenu?(row: DisplayRow, event: MouseEvent): void;
  onToggle?(key: string): void;
  onKeyDown?(event: KeyboardEvent<HTMLDivElement>): void;
}

const DEFAULT_SCALE: HeatScale = { logicalCores: 1, totalMemoryBytes: 1 };

/**
 * Column widths in whole pixels for a table `availablePx` wide: fixed "NNpx" columns keep their
 * width; "minmax(NNpx, Xfr)" columns get their minimum plus a share of the free space by X. Fixed
 * pixel tracks (instead of fr tracks resolved by the browser in every row) make each row's layout
 * independent of its content, so a tick that changes text re-lays out only the cells that changed.
 */
export function columnWidthsPx(columns: readonly Pick<ProcessColumn, 'width'>[], availablePx: number): number[] {
  const parsed = columns.map((column) => {
    const flexible = /^minmax\(\s*(\d+(?:\.\d+)?)px\s*,\s*(\d+(?:\.\d+)?)fr\s*\)$/.exec(column.width);
    if (flexible) return { min: Number(flexible[1]), fr: Number(flexible[2]) };
    const fixed = /^(\d+(?:\.\d+)?)px$/.exec(column.width);
    return { min: fixed ? Number(fixed[1]) : 80, fr: 0 };
  });
  const base = parsed.reduce((sum, c) => sum + c.min, 0);
  const totalFr = parsed.reduce((sum, c) => sum + c.fr, 0);
  const free = Math.max(0, Math.floor(availablePx) - base);
  const widths = parsed.map((c) => Math.floor(c.min + (totalFr > 0 ? (free * c.fr) / totalFr : 0)));
  // Give the rounding remainder to the last flexible column so the row fills the width exactly.
  if (totalFr > 0 && free > 0) {
    const used = widths.reduce((sum, w) => sum + w, 0);
    for (let i = parsed.length - 1; i >= 0; i--) {
      if (parsed[i]!.fr > 0) {
        widths[i]! += Math.max(0, Math.floor(availablePx) - used);
        break;
      }
    }
  }
  return widths;
}
const NO_SELECTION: ReadonlySet<string> = new Set();

function Cell({ column, row, scale }: { column: ProcessColumn; row: DisplayRow; scale: HeatScale }) {
  const process = row.process;
  if (row.kind === 'group' && !GROUP_COLUMN_IDS.has(column.id)) {
    return <div role="gridcell" className={`cell ${column.align}`} data-column={column.id} />;
  }
  const text = column.format(process);
  if (text === '' && row.kind === 'process') {
    const missing = columnUnavailable(column, process);
    if (missing) {
      return (
        <div role="gridcell" className={`cell ${column.align}`} data-column={column.id}>
          <span className="na" title={missing.title} data-reason={missing.reason}>
            n/a
          </span>
        </div>
      );
    }
  }
  let heat = 0;
  if (column.heat) {
    const value = column.value(process);
    if (typeof value === 'number') heat = heatLevel(column.heat, value, scale);
  }
  return (
    <div role="gridcell" className={`cell ${column.align}${heat ? ` heat-${column.heat} heat${heat}` : ''}`} data-column={column.id}>
      {text}
    </div>
  );
}

function NameCell({ row, mode, onToggle }: { row: DisplayRow; mode: ProcessTableProps['mode']; onToggle?: (key: string) => void }) {
  const indent = mode === 'flat' ? 0 : row.depth * 14;
  const toggle =
    mode !== 'flat' && row.hasChildren ? (
      <button
        type="button"
        className="toggle"
        aria-label={`${row.expanded ? 'Collapse' : 'Expand'} ${row.process.name}`}
        aria-expanded={row.expanded}
        onClick={(event) => {
          event.stopPropagation();
          onToggle?.(row.key);
        }}
      >
        {row.expanded ? '▾' : '▸'}
      </button>
    ) : mode !== 'flat' ? (
      <span className="toggle-spacer" />
    ) : null;
  return (
    <div role="gridcell" className="cell left name-cell" data-column="name" title={row.process.cmdline || row.process.name}>
      {indent > 0 && <span className="indent" style={{ width: indent }} />}
      {toggle}
      <span className="name-text">{row.process.name}</span>
      {row.kind === 'group' && <span className="count"> ({row.members.length})</span>}
    </div>
  );
}

interface RowProps {
  row: DisplayRow;
  index: number;
  start: number;
  columns: readonly ProcessColumn[];
  gridTemplate: string;
  widthPx: number;
  selected: boolean;
  scale: HeatScale;
  mode: ProcessTableProps['mode'];
  /** The latest props, through a ref that keeps its identity, so memo skips rows that did not change. */
  handlers: { current: ProcessTableProps };
}

/**
 * Skip re-rendering a row whose slot shows the same thing as before: same process, same place and
 * state, and the same value in every visible column. Comparing values is far cheaper than React
 * diffing a row of cells (most processes are idle and do not change from one tick to the next).
 */
export function rowPropsEqual(prev: RowProps, next: RowProps): boolean {
  if (
    prev.index !== next.index ||
    prev.start !== next.start ||
    prev.selected !== next.selected ||
    prev.columns !== next.columns ||
    prev.gridTemplate !== next.gridTemplate ||
    prev.widthPx !== next.widthPx ||
    prev.scale !== next.scale ||
    prev.mode !== next.mode
  ) {
    return false;
  }
  const a = prev.row;
  const b = next.row;
  if (a === b) return true;
  if (a.key !== b.key || a.kind !== b.kind || a.depth !== b.depth || a.hasChildren !== b.hasChildren || a.expanded !== b.expanded) return false;
  if (a.kind === 'group' && b.kind === 'group' && a.members.length !== b.members.length) return false;
  const p = a.process;
  const q = b.process;
  if (p === q) return true;
  if (p.name !== q.name || p.cmdline !== q.cmdline) return false;
  if (p.unavailable !== q.unavailable && (p.unavailable ?? []).join() !== (q.unavailable ?? []).join()) return false;
  for (const column of next.columns) {
    const x = column.value(p);
    const y = column.value(q);
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

const Row = memo(function Row({ row, index, start, columns, gridTemplate, widthPx, selected, scale, mode, handlers }: RowProps) {
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      aria-level={mode === 'tree' || mode === 'grouped' ? row.depth + 1 : undefined}
      aria-expanded={row.hasChildren && mode !== 'flat' ? row.expanded : undefined}
      data-pid={row.kind === 'process' ? row.process.pid : undefined}
      data-key={row.key}
      className={`process-row${index % 2 ? ' odd' : ''}${selected ? ' selected' : ''}${row.kind === 'group' ? ' group' : ''}`}
      style={{ gridTemplateColumns: gridTemplate, width: widthPx, transform: `translateY(${start}px)`, height: ROW_HEIGHT_PX }}
      onClick={(event) => handlers.current.onRowClick?.(row, event)}
      onDoubleClick={() => handlers.current.onRowDoubleClick?.(row)}
      onContextMenu={(event) => {
        if (!handlers.current.onContextMenu) return;
        event.preventDefault();
        handlers.current.onContextMenu(row, event);
      }}
    >
      {columns.map((column) =>
        column.id === 'name' ? (
          <NameCell key="name" row={row} mode={mode} onToggle={(key) => handlers.current.onToggle?.(key)} />
        ) : (
          <Cell key={column.id} column={column} row={row} scale={scale} />
        ),
      )}
    </div>
  );
}, rowPropsEqual);

export function ProcessTable(props: ProcessTableProps) {
  const { rows, columns, sort, onSort, focusIndex, mode = 'flat' } = props;
  const selected = props.selected ?? NO_SELECTION;
  const scale = props.heatScale ?? DEFAULT_SCALE;
  const scrollRef = useRef<HTMLDivElement>(null);
  const hscrollRef = useRef<HTMLDivElement>(null);
  const handlers = useRef(props);
  handlers.current = props;
  // The width the columns share, followed with a ResizeObserver (not read per tick: no layout thrash).
  const [availablePx, setAvailablePx] = useState(1100);
  useLayoutEffect(() => {
    const element = hscrollRef.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width > 0) setAvailablePx(width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const widths = useMemo(() => columnWidthsPx(columns, availablePx), [columns, availablePx]);
  const gridTemplate = useMemo(() => widths.map((w) => `${w}px`).join(' '), [widths]);
  const widthPx = useMemo(() => widths.reduce((sum, w) => sum + w, 0), [widths]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    overscan: 4,
    // Rows are keyed by slot, not by process: when the sort order churns every tick, React then
    // rewrites text in the same DOM nodes instead of moving and re-creating rows.
    // Without layout (tests, first paint) assume a typical viewport.
    initialRect: { width: 1200, height: 600 },
  });
  useEffect(() => {
    if (focusIndex !== undefined && focusIndex >= 0 && focusIndex < rows.length) virtualizer.scrollToIndex(focusIndex, { align: 'auto' });
    // Only when the focus moves, not on every tick.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusIndex]);
  return (
    <div
      className="process-table"
      role={mode === 'flat' ? 'grid' : 'treegrid'}
      aria-label="Processes"
      aria-rowcount={rows.length + 1}
      aria-multiselectable="true"
      tabIndex={0}
      onKeyDown={props.onKeyDown}
    >
      <div className="process-hscroll" ref={hscrollRef}>
        <div className="process-inner" style={{ width: widthPx }}>
          <div className="process-row header" role="row" style={{ gridTemplateColumns: gridTemplate, width: widthPx }}>
            {columns.map((column) => {
              const active = sort.column === column.id;
              return (
                <div
                  key={column.id}
                  role="columnheader"
                  aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
                  className={`cell ${column.align}`}
                >
                  <button type="button" data-column={column.id} onClick={() => onSort(column.id)} title={`${column.description} (sort)`}>
                    {column.label}
                    <span className="sort-mark" aria-hidden="true">
                      {active ? (sort.direction === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                </div>
              );
            })}
          </div>
          <div className="process-scroll" ref={scrollRef}>
          <div className="process-body" role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index];
              if (!row) return null;
              return (
                <Row
                  key={item.key}
                  row={row}
                  index={item.index}
                  start={item.start}
                  columns={columns}
                  gridTemplate={gridTemplate}
                  widthPx={widthPx}
                  selected={selected.has(row.key)}
                  scale={scale}
                  mode={mode}
                  handlers={handlers}
                />
              );
            })}
          </div>
          </div>
        </div>
      </div>
    </div>
  );
}
