// The process table's body, painted outside React. Every tick changes the text of most visible cells
// (and with a CPU sort, which process sits in which row); reconciling that through React cost more
// than the rest of the update together. The painter keeps one DOM row per visible slot (a constant
// number, however many processes there are), remembers what it last wrote into each cell, and on a
// new list writes only the strings, classes and attributes that changed (Text.data, not new nodes).
// React still owns the structure around it: the header, the columns, mode, selection, heat scale and
// the scroll container, which it hands over with the setters below.
// Where the page has a 2D canvas, the value cells (every column but the name) are drawn on one
// canvas layer instead of as DOM text (process-table-canvas.ts): their elements stay, carrying the
// value as aria-label, the n/a reason as title; only the drawing moves.
import { columnUnavailable, heatLevel, type ProcessColumn } from '../model/process-columns';
import { createCellCanvas, type CanvasCell } from './process-table-canvas';
import { GROUP_COLUMN_IDS, type DisplayRow, type ViewMode } from '../model/process-rows';

export const ROW_HEIGHT_PX = 26;
/** Rows drawn above and below the viewport, so a small scroll shows painted rows at once. */
export const OVERSCAN_ROWS = 1;
/** Without layout (tests, before the first resize) assume a typical viewport. */
const FALLBACK_VIEWPORT_PX = 600;
/**
 * Tree indentation: a full step for the first levels, then a small one, capped, so a process deep
 * in a tree (shell -> npm -> node -> ...) still shows its name in the name column.
 */
export function indentPxFor(depth: number): number {
  return Math.min(120, Math.min(depth, 6) * 12 + Math.max(0, depth - 6) * 3);
}

/**
 * A DOM id for the row with `key`, stable while the key is (so aria-activedescendant can point at
 * it): `prefix` (unique per table) then the key with every character outside [A-Za-z0-9-]
 * written as _<hex>_ (one-to-one, so two keys never share an id).
 */
export function rowDomId(prefix: string, key: string): string {
  return `${prefix}${key.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;
}

export interface HeatScale {
  logicalCores: number;
  totalMemoryBytes: number;
}

/** Where the rows come from: the store in the app, a fixed list in tests. */
export interface RowSource {
  getRows(): readonly DisplayRow[];
  /** Call `listener` whenever getRows() returns a new list; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

export function staticRowSource(rows: readonly DisplayRow[]): RowSource {
  return { getRows: () => rows, subscribe: () => () => undefined };
}

export interface PainterLayout {
  columns: readonly ProcessColumn[];
  /** Pixel width of each column (same order as columns). */
  widthsPx: readonly number[];
  mode: ViewMode;
  scale: HeatScale;
}

interface NameParts {
  /** Mode, kind, depth, children and expansion the parts were built for. */
  shape: string;
  text: Text;
  count?: Text;
  toggle?: HTMLButtonElement;
  title: string;
  label: string;
}

interface Slot {
  element: HTMLDivElement;
  cells: HTMLDivElement[];
  /** Per cell: the last content written ("\0na:<reason>" for the n/a marker), its class and text node. */
  contents: string[];
  classes: string[];
  texts: (Text | undefined)[];
  name?: NameParts;
  index: number;
  row?: DisplayRow;
  className: string;
  key: string;
  selected: boolean | undefined;
  level: string;
  expanded: string;
  /** The paint version the slot was last painted at (see `version`). */
  version: number;
}

export interface TablePainter {
  setLayout(layout: PainterLayout): void;
  setSelected(selected: ReadonlySet<string>): void;
  /** The focused row (the moving end of the selection): the table's aria-activedescendant while it is painted. */
  setFocusKey(key: string | undefined): void;
  /** The painted DOM row of `key`, if it is in the row window. */
  elementOf(key: string): HTMLElement | undefined;
  /** Paint a new list of rows (a tick, a sort, a filter). */
  setRows(rows: readonly DisplayRow[]): void;
  /** The scroll position or viewport height changed. */
  setViewport(scrollTopPx: number, heightPx: number): void;
  /** The row a DOM node inside the body belongs to. */
  rowOf(node: EventTarget | null): DisplayRow | undefined;
  /** Number of DOM rows in the body. */
  slotCount(): number;
  destroy(): void;
}

function cellClass(column: ProcessColumn): string {
  return column.id === 'name' ? 'cell left name-cell' : `cell ${column.align}`;
}

/**
 * A painter drawing into `body` (the positioned rowgroup inside the scroll container); `table` gets
 * aria-rowcount and aria-activedescendant. Rows get ids `rowDomId(idPrefix, key)`. `body`'s children
 * belong to the painter: React must not render any into it.
 */
export function createTablePainter(body: HTMLElement, table: HTMLElement | null, idPrefix = 'process-row-'): TablePainter {
  const doc = body.ownerDocument;
  let layout: PainterLayout = { columns: [], widthsPx: [], mode: 'flat', scale: { logicalCores: 1, totalMemoryBytes: 1 } };
  let widthPx = 0;
  let selected: ReadonlySet<string> = new Set();
  let rows: readonly DisplayRow[] = [];
  let scrollTopPx = 0;
  let viewportPx = FALLBACK_VIEWPORT_PX;
  let slots: Slot[] = [];
  let firstIndex = 0;
  let bodyHeight = -1;
  let rowCountAttr = '';
  let focusKey: string | undefined;
  let activeAttr = '';
  /** Left edge of each column, in px from the row's left. */
  let leftsPx: number[] = [];
  const canvas = createCellCanvas(body, ROW_HEIGHT_PX);
  /** A canvas cell's last drawn content that matches nothing: draw it again. */
  const STALE = '\u0002';
  /**
   * Bumped by whatever changes how a row looks besides the row itself (selection, a canvas to draw
   * again): a slot painted at this version with the same row object at the same index is skipped.
   */
  let version = 0;
  const invalidateCanvas = (): void => {
    version++;
    for (const slot of slots) for (let j = 0; j < slot.contents.length; j++) if (layout.columns[j]?.id !== 'name') slot.contents[j] = STALE;
  };
  // The canvas follows the theme: App sets data-theme (or style) on the root element.
  const themeObserver =
    canvas && typeof MutationObserver !== 'undefined'
      ? new MutationObserver(() => redrawAll())
      : undefined;
  themeObserver?.observe(doc.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class', 'style'] });
  // ... and forced colours (high contrast) and the screen's resolution (a window moved to another monitor).
  const view = doc.defaultView;
  let resolutionQuery: MediaQueryList | undefined;
  const redrawAll = (): void => {
    canvas?.refreshStyle();
    invalidateCanvas();
    paint();
    watchResolution();
  };
  const watchResolution = (): void => {
    resolutionQuery?.removeEventListener('change', redrawAll);
    resolutionQuery = view?.matchMedia?.(`(resolution: ${view.devicePixelRatio || 1}dppx)`);
    resolutionQuery?.addEventListener('change', redrawAll);
  };
  const forcedColorsQuery = canvas ? view?.matchMedia?.('(forced-colors: active)') : undefined;
  forcedColorsQuery?.addEventListener('change', redrawAll);
  if (canvas) watchResolution();

  const newSlot = (): Slot => {
    const element = doc.createElement('div');
    element.setAttribute('role', 'row');
    element.style.height = `${ROW_HEIGHT_PX}px`;
    element.style.width = `${widthPx}px`;
    const cells = layout.columns.map((column, j) => {
      const cell = doc.createElement('div');
      cell.setAttribute('role', 'gridcell');
      cell.className = cellClass(column);
      cell.dataset['column'] = column.id;
      cell.style.width = `${layout.widthsPx[j] ?? 0}px`;
      element.appendChild(cell);
      return cell;
    });
    return {
      element,
      cells,
      contents: cells.map(() => ''),
      classes: layout.columns.map(cellClass),
      texts: cells.map(() => undefined),
      index: -1,
      className: '',
      key: '',
      selected: undefined,
      level: '',
      expanded: '',
      version: -1,
    };
  };

  const paintName = (slot: Slot, cell: HTMLDivElement, row: DisplayRow): void => {
    const mode = layout.mode;
    const process = row.process;
    const shape = mode === 'flat' ? 'flat' : `${mode}|${row.kind}|${row.depth}|${row.hasChildren}`;
    let parts = slot.name;
    if (!parts || parts.shape !== shape) {
      const children: Node[] = [];
      const indentPx = mode === 'flat' ? 0 : indentPxFor(row.depth);
      if (indentPx > 0) {
        const indent = doc.createElement('span');
        indent.className = 'indent';
        indent.style.width = `${indentPx}px`;
        children.push(indent);
      }
      let toggle: HTMLButtonElement | undefined;
      if (mode !== 'flat' && row.hasChildren) {
        toggle = doc.createElement('button');
        toggle.type = 'button';
        toggle.className = 'toggle';
        children.push(toggle);
      } else if (mode !== 'flat') {
        const spacer = doc.createElement('span');
        spacer.className = 'toggle-spacer';
        children.push(spacer);
      }
      const nameSpan = doc.createElement('span');
      nameSpan.className = 'name-text';
      const text = doc.createTextNode('');
      nameSpan.appendChild(text);
      children.push(nameSpan);
      let count: Text | undefined;
      if (row.kind === 'group') {
        const countSpan = doc.createElement('span');
        countSpan.className = 'count';
        count = doc.createTextNode('');
        countSpan.appendChild(count);
        children.push(countSpan);
      }
      cell.replaceChildren(...children);
      parts = { shape, text, count, toggle, title: '', label: '' };
      slot.name = parts;
    }
    if (parts.text.data !== process.name) parts.text.data = process.name;
    if (parts.count) {
      const count = ` (${row.kind === 'group' ? row.members.length : 0})`;
      if (parts.count.data !== count) parts.count.data = count;
    }
    const title = process.cmdline || process.name;
    if (parts.title !== title) {
      cell.title = title;
      parts.title = title;
    }
    if (parts.toggle) {
      const label = `${row.expanded ? 'Collapse' : 'Expand'} ${process.name}`;
      if (parts.label !== label) {
        parts.toggle.setAttribute('aria-label', label);
        parts.toggle.setAttribute('aria-expanded', String(row.expanded));
        parts.toggle.textContent = row.expanded ? '▾' : '▸';
        parts.label = label;
      }
    }
  };

  const writeCell = (slot: Slot, j: number, content: string, text: string, na: { reason: string; title: string } | undefined): void => {
    if (slot.contents[j] === content) return;
    slot.contents[j] = content;
    const cell = slot.cells[j]!;
    if (na) {
      const span = doc.createElement('span');
      span.className = 'na';
      span.title = na.title;
      span.dataset['reason'] = na.reason;
      span.textContent = 'n/a';
      cell.replaceChildren(span);
      slot.texts[j] = undefined;
      return;
    }
    let node = slot.texts[j];
    if (!node) {
      node = doc.createTextNode(text);
      cell.replaceChildren(node);
      slot.texts[j] = node;
    } else node.data = text;
  };

  /** A value cell on the canvas: drawn when its look changed; the element carries the value for readers. */
  const drawCell = (slot: Slot, position: number, j: number, cell: CanvasCell, na: { reason: string; title: string } | undefined): void => {
    const content = `${cell.text}\u0001${na?.reason ?? ''}\u0001${cell.heat ? `${cell.heat.kind}${cell.heat.level}` : ''}\u0001${cell.bold ? 'b' : ''}`;
    if (slot.contents[j] === content) return;
    const label = na ? 'n/a' : cell.text;
    if (slot.contents[j] === undefined || slot.contents[j] === STALE || !slot.contents[j]!.startsWith(`${cell.text}\u0001${na?.reason ?? ''}\u0001`)) {
      const element = slot.cells[j]!;
      if (label) element.setAttribute('aria-label', label);
      else element.removeAttribute('aria-label');
      if (na) {
        element.title = na.title;
        element.dataset['reason'] = na.reason;
      } else if (element.dataset['reason'] !== undefined) {
        element.removeAttribute('title');
        delete element.dataset['reason'];
      }
    }
    slot.contents[j] = content;
    canvas!.draw(position, leftsPx[j] ?? 0, layout.widthsPx[j] ?? 0, cell);
  };

  const paintSlot = (slot: Slot, row: DisplayRow, index: number): void => {
    // The same row object (an unchanged process keeps its row from tick to tick) in the same place,
    // and nothing else changed: every string it would write is already there.
    if (slot.row === row && slot.index === index && slot.version === version) return;
    slot.version = version;
    const element = slot.element;
    const mode = layout.mode;
    if (slot.index !== index) {
      element.style.transform = `translateY(${index * ROW_HEIGHT_PX}px)`;
      element.setAttribute('aria-rowindex', String(index + 2));
      slot.index = index;
    }
    const isSelected = selected.has(row.key);
    const className = `process-row${index % 2 ? ' odd' : ''}${isSelected ? ' selected' : ''}${row.kind === 'group' ? ' group' : ''}`;
    if (slot.className !== className) {
      element.className = className;
      slot.className = className;
    }
    if (slot.selected !== isSelected) {
      element.setAttribute('aria-selected', String(isSelected));
      slot.selected = isSelected;
    }
    if (slot.key !== row.key) {
      element.dataset['key'] = row.key;
      element.id = rowDomId(idPrefix, row.key);
      if (row.kind === 'process') element.dataset['pid'] = String(row.process.pid);
      else delete element.dataset['pid'];
      slot.key = row.key;
    }
    const level = mode === 'flat' ? '' : String(row.depth + 1);
    if (slot.level !== level) {
      if (level) element.setAttribute('aria-level', level);
      else element.removeAttribute('aria-level');
      slot.level = level;
    }
    const expanded = mode !== 'flat' && row.hasChildren ? String(row.expanded) : '';
    if (slot.expanded !== expanded) {
      if (expanded) element.setAttribute('aria-expanded', expanded);
      else element.removeAttribute('aria-expanded');
      slot.expanded = expanded;
    }
    slot.row = row;
    const process = row.process;
    const columns = layout.columns;
    for (let j = 0; j < columns.length; j++) {
      const column = columns[j]!;
      const cell = slot.cells[j]!;
      if (column.id === 'name') {
        paintName(slot, cell, row);
        continue;
      }
      let className = cellClass(column);
      if (canvas) {
        const empty = row.kind === 'group' && !GROUP_COLUMN_IDS.has(column.id);
        const text = empty ? '' : column.format(process);
        const na = !empty && text === '' && row.kind === 'process' ? columnUnavailable(column, process) : undefined;
        let heat: CanvasCell['heat'];
        if (column.heat && !na && !empty) {
          const value = column.value(process);
          const level = typeof value === 'number' ? heatLevel(column.heat, value, layout.scale) : 0;
          if (level) heat = { kind: column.heat, level };
        }
        drawCell(slot, index - firstIndex, j, { text, align: column.align, bold: row.kind === 'group' || heat?.level === 4, na: na !== undefined, ...(heat ? { heat } : {}) }, na);
      } else if (row.kind === 'group' && !GROUP_COLUMN_IDS.has(column.id)) {
        writeCell(slot, j, '', '', undefined);
      } else {
        const text = column.format(process);
        const na = text === '' && row.kind === 'process' ? columnUnavailable(column, process) : undefined;
        writeCell(slot, j, na ? `\0na:${na.reason}` : text, text, na);
        if (column.heat && !na) {
          const value = column.value(process);
          const heat = typeof value === 'number' ? heatLevel(column.heat, value, layout.scale) : 0;
          if (heat) className += ` heat-${column.heat} heat${heat}`;
        }
      }
      if (slot.classes[j] !== className) {
        cell.className = className;
        slot.classes[j] = className;
      }
    }
  };

  /** Make the DOM rows match the viewport, then paint every slot from `rows`. */
  const paint = (): void => {
    const capacity = Math.ceil(viewportPx / ROW_HEIGHT_PX) + 1 + 2 * OVERSCAN_ROWS;
    const count = Math.min(capacity, rows.length);
    const maxFirst = Math.max(0, rows.length - count);
    firstIndex = Math.min(maxFirst, Math.max(0, Math.floor(scrollTopPx / ROW_HEIGHT_PX) - OVERSCAN_ROWS));
    while (slots.length < count) {
      const slot = newSlot();
      body.appendChild(slot.element);
      slots.push(slot);
    }
    while (slots.length > count) slots.pop()!.element.remove();
    if (canvas?.place(firstIndex, count, widthPx)) invalidateCanvas();
    for (let s = 0; s < count; s++) paintSlot(slots[s]!, rows[firstIndex + s]!, firstIndex + s);
    canvas?.flush();
    const height = rows.length * ROW_HEIGHT_PX;
    if (height !== bodyHeight) {
      body.style.height = `${height}px`;
      bodyHeight = height;
    }
    const rowCount = String(rows.length + 1);
    if (table && rowCount !== rowCountAttr) {
      table.setAttribute('aria-rowcount', rowCount);
      rowCountAttr = rowCount;
    }
    // aria-activedescendant must name an element in the DOM: only while the focused row is painted.
    const active = focusKey !== undefined && slots.some((slot) => slot.key === focusKey) ? rowDomId(idPrefix, focusKey) : '';
    if (table && active !== activeAttr) {
      if (active) table.setAttribute('aria-activedescendant', active);
      else table.removeAttribute('aria-activedescendant');
      activeAttr = active;
    }
  };

  const rebuild = (): void => {
    version++;
    for (const slot of slots) slot.element.remove();
    slots = [];
    // New columns or mode: what the canvas shows belongs to the old layout (the name column, never
    // drawn on it, may now cover what was a value cell).
    canvas?.clear();
    paint();
  };

  return {
    setLayout(next) {
      const columnsChanged = next.columns !== layout.columns || next.widthsPx.join() !== layout.widthsPx.join();
      const modeChanged = next.mode !== layout.mode || next.scale !== layout.scale;
      layout = next;
      if (columnsChanged) {
        widthPx = next.widthsPx.reduce((sum, w) => sum + w, 0);
        leftsPx = next.widthsPx.map((_, j) => next.widthsPx.slice(0, j).reduce((sum, w) => sum + w, 0));
        rebuild();
      } else if (modeChanged) rebuild();
    },
    setSelected(next) {
      selected = next;
      version++;
      paint();
    },
    setFocusKey(next) {
      if (next === focusKey) return;
      focusKey = next;
      paint();
    },
    elementOf(key) {
      return slots.find((slot) => slot.key === key)?.element;
    },
    setRows(next) {
      rows = next;
      paint();
    },
    setViewport(top, height) {
      const nextHeight = height > 0 ? height : FALLBACK_VIEWPORT_PX;
      const first = Math.floor(top / ROW_HEIGHT_PX);
      const changed = nextHeight !== viewportPx || first !== Math.floor(scrollTopPx / ROW_HEIGHT_PX);
      scrollTopPx = top;
      viewportPx = nextHeight;
      if (changed) paint();
    },
    rowOf(node) {
      let current = node instanceof Node ? node : null;
      while (current && current !== body) {
        if (current.parentNode === body) return slots.find((slot) => slot.element === current)?.row;
        current = current.parentNode;
      }
      return undefined;
    },
    slotCount: () => slots.length,
    destroy() {
      for (const slot of slots) slot.element.remove();
      slots = [];
      themeObserver?.disconnect();
      forcedColorsQuery?.removeEventListener('change', redrawAll);
      resolutionQuery?.removeEventListener('change', redrawAll);
      canvas?.destroy();
      if (table && activeAttr) table.removeAttribute('aria-activedescendant');
      activeAttr = '';
    },
  };
}
