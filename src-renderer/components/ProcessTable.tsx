// Virtualized process table: only the rows in view are in the DOM (a constant number however many
// processes there are), so 1,000+ processes update every second without layout cost proportional to
// the list. Flat, tree and grouped rows come precomputed (process-rows.ts, built once per tick in the
// store); the body is painted outside React by process-table-painter.ts, which on each new list
// writes only the cell strings that changed. React renders the header and the scroll container and
// hands the painter the columns, mode, selection and heat scale; clicks and keys come back here.
// Focus stays on the grid container; the focused row is its aria-activedescendant (rows carry stable
// ids from their keys), so screen readers follow arrow-key moves. Shift+F10 and the ContextMenu key
// open the row context menu for the focused row, placed at the row.
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { ProcessColumn } from '../model/process-columns';
import type { DisplayRow } from '../model/process-rows';
import { createTablePainter, ROW_HEIGHT_PX, type HeatScale, type RowSource, type TablePainter } from './process-table-painter';

export { ROW_HEIGHT_PX, staticRowSource, type HeatScale, type RowSource } from './process-table-painter';

export interface ProcessTableProps {
  /** The rows, read and followed outside React (see RowSource). */
  source: RowSource;
  columns: readonly ProcessColumn[];
  sort: { column: string; direction: 'asc' | 'desc' };
  onSort(column: string): void;
  selected?: ReadonlySet<string>;
  /** Key of the row to keep in view (the moving end of the selection). */
  focusKey?: string;
  heatScale?: HeatScale;
  mode?: 'flat' | 'tree' | 'grouped';
  onRowClick?(row: DisplayRow, event: MouseEvent): void;
  onRowDoubleClick?(row: DisplayRow): void;
  /** Open the row menu at a point: the pointer (right click) or the row (Shift+F10, ContextMenu key). */
  onContextMenu?(row: DisplayRow, at: MenuPoint): void;
  onToggle?(key: string): void;
  onKeyDown?(event: KeyboardEvent<HTMLDivElement>): void;
}

/** Where to open a context menu, in viewport coordinates (a MouseEvent is one). */
export interface MenuPoint {
  clientX: number;
  clientY: number;
}

/** Shift+F10 or the ContextMenu key: the keyboard's way to ask for the context menu. */
export function isContextMenuKey(event: Pick<KeyboardEvent, 'key' | 'shiftKey'>): boolean {
  return event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey);
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

/** Scroll `element` so the row at `index` is in view (no-op when it already is). */
function scrollRowIntoView(element: HTMLElement, index: number): void {
  const top = index * ROW_HEIGHT_PX;
  const height = element.clientHeight;
  if (top < element.scrollTop) element.scrollTop = top;
  else if (height > 0 && top + ROW_HEIGHT_PX > element.scrollTop + height) element.scrollTop = top + ROW_HEIGHT_PX - height;
}

export function ProcessTable(props: ProcessTableProps) {
  const { source, columns, sort, onSort, focusKey, mode = 'flat' } = props;
  const selected = props.selected ?? NO_SELECTION;
  const scale = props.heatScale ?? DEFAULT_SCALE;
  const tableRef = useRef<HTMLDivElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const hscrollRef = useRef<HTMLDivElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const painterRef = useRef<TablePainter | undefined>(undefined);
  const handlers = useRef(props);
  handlers.current = props;
  const idPrefix = `process-row-${useId().replace(/[^A-Za-z0-9-]/g, '')}-`;
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

  // The painter lives as long as the body element; layout, selection and rows follow.
  useLayoutEffect(() => {
    const body = bodyRef.current;
    if (!body) return;
    const painter = createTablePainter(body, tableRef.current, idPrefix);
    painterRef.current = painter;
    return () => {
      painter.destroy();
      painterRef.current = undefined;
    };
  }, []);
  useLayoutEffect(() => {
    painterRef.current?.setLayout({ columns, widthsPx: widths, mode, scale });
  }, [columns, widths, mode, scale]);
  useLayoutEffect(() => {
    painterRef.current?.setSelected(selected);
  }, [selected]);
  useLayoutEffect(() => {
    painterRef.current?.setFocusKey(focusKey);
  }, [focusKey]);
  useLayoutEffect(() => {
    const painter = painterRef.current;
    if (!painter) return;
    painter.setRows(source.getRows());
    return source.subscribe(() => painterRef.current?.setRows(source.getRows()));
  }, [source]);
  // The viewport: its height on resize, its position on scroll; only then does the row window move.
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const update = (): void => painterRef.current?.setViewport(element.scrollTop, element.clientHeight);
    update();
    element.addEventListener('scroll', update, { passive: true });
    const observer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(update);
    observer?.observe(element);
    return () => {
      element.removeEventListener('scroll', update);
      observer?.disconnect();
    };
  }, []);
  useEffect(() => {
    // Only when the focus moves, not on every tick.
    const element = scrollRef.current;
    if (focusKey === undefined || !element) return;
    const index = source.getRows().findIndex((row) => row.key === focusKey);
    if (index < 0) return;
    scrollRowIntoView(element, index);
    // Paint the row window now (not on the scroll event) so aria-activedescendant names a painted row.
    painterRef.current?.setViewport(element.scrollTop, element.clientHeight);
  }, [focusKey, source]);

  /** Open the context menu for the focused row, placed at the row (scrolled into view first). */
  const openMenuForFocus = (): void => {
    const { focusKey: key, onContextMenu } = handlers.current;
    const scroller = scrollRef.current;
    if (key === undefined || !onContextMenu) return;
    const rows = source.getRows();
    const index = rows.findIndex((row) => row.key === key);
    const row = rows[index];
    if (!row) return;
    if (scroller) {
      scrollRowIntoView(scroller, index);
      painterRef.current?.setViewport(scroller.scrollTop, scroller.clientHeight);
    }
    const rect = (painterRef.current?.elementOf(key) ?? tableRef.current)?.getBoundingClientRect();
    onContextMenu(row, rect ? { clientX: rect.left + 24, clientY: rect.bottom } : { clientX: 0, clientY: 0 });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (isContextMenuKey(event)) {
      event.preventDefault();
      openMenuForFocus();
      return;
    }
    handlers.current.onKeyDown?.(event);
  };

  const rowOf = (event: MouseEvent): DisplayRow | undefined => painterRef.current?.rowOf(event.target);
  return (
    <div
      ref={tableRef}
      className="process-table"
      role={mode === 'flat' ? 'grid' : 'treegrid'}
      aria-label="Processes"
      aria-multiselectable="true"
      tabIndex={0}
      onKeyDown={onKeyDown}
      onContextMenu={(event) => {
        // A keyboard-initiated menu event lands on the grid itself: the keydown above opened ours.
        if (event.target === event.currentTarget && handlers.current.onContextMenu) event.preventDefault();
      }}
    >
      <div className="process-hscroll" ref={hscrollRef}>
        <div className="process-inner" style={{ width: widthPx }}>
          <div className="process-row header" role="row" aria-rowindex={1} style={{ gridTemplateColumns: gridTemplate, width: widthPx }}>
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
            {/* Rows are the painter's: React renders no children here. */}
            <div
              className="process-body"
              role="rowgroup"
              ref={bodyRef}
              onClick={(event) => {
                const row = rowOf(event);
                if (!row) return;
                const toggle = (event.target as Element).closest?.('button.toggle');
                if (toggle) {
                  event.stopPropagation();
                  handlers.current.onToggle?.(row.key);
                  return;
                }
                handlers.current.onRowClick?.(row, event);
              }}
              onDoubleClick={(event) => {
                const row = rowOf(event);
                if (row && !(event.target as Element).closest?.('button.toggle')) handlers.current.onRowDoubleClick?.(row);
              }}
              onContextMenu={(event) => {
                const row = rowOf(event);
                if (!row || !handlers.current.onContextMenu) return;
                event.preventDefault();
                handlers.current.onContextMenu(row, event);
              }}
            />
          </div>
        </div>
      </div>
    </div>
  );
}
