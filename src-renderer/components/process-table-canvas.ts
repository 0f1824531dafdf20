// The process table's value cells, drawn on one canvas over the painted rows. With 1,000 processes
// at 1 Hz most visible value cells (CPU, memory, I/O, waits) get new text every tick; as DOM text
// each change costs the browser style, layout (text shaping) and paint of that cell, together more
// than the whole rest of a tick. On a canvas a changed cell is one clearRect and one fillText, and
// the page around it is not laid out again.
//
// What stays in the DOM: every row and cell element (roles, ids, selection, the context menu,
// tooltips), the name cell with its tree toggle, and each value as the cell's aria-label, so screen
// readers and tests read the same values the canvas shows. The canvas has no pointer events: the
// row under it gets hover, clicks and titles. Its background is transparent, so the row's own
// background (odd, hover, selected) shows through; heat shading is drawn translucent, as in CSS.
//
// Colours and fonts come from the stylesheet (computed styles of probe elements), read again when
// the theme changes, so the canvas follows light and dark exactly like the DOM cells it replaces.
import type { HeatKind } from '../model/process-columns';

/** How one value cell looks: text, alignment, heat shading, weight, or the n/a marker. */
export interface CanvasCell {
  text: string;
  align: 'left' | 'right';
  heat?: { kind: HeatKind; level: number };
  bold: boolean;
  /** The "n/a" marker (value not readable, e.g. permission) instead of text. */
  na: boolean;
}

export interface CellCanvas {
  readonly element: HTMLCanvasElement;
  /**
   * Cover `rows` rows of `widthPx` starting at row `firstIndex` of the table. Returns true when the
   * canvas had to be cleared (new size or resolution): every cell must be drawn again.
   */
  place(firstIndex: number, rows: number, widthPx: number): boolean;
  /**
   * Draw the cell at canvas row `slot`, `xPx`..`xPx + widthPx`, erasing what was there: queued, and
   * drawn by `flush`, which groups the cells by colour and font (setting the context's font parses
   * it again, and a paint that alternates plain, bold and n/a cells changed it tens of times).
   */
  draw(slot: number, xPx: number, widthPx: number, cell: CanvasCell): void;
  /** Draw the queued cells. */
  flush(): void;
  /** Read colours and fonts again (theme change); the caller redraws everything. */
  refreshStyle(): void;
  /** Erase everything (the columns moved); the caller redraws everything. */
  clear(): void;
  destroy(): void;
}

const PADDING_PX = 8;
const HEAT_LEVELS = 4;
const HEAT_KINDS: readonly HeatKind[] = ['cpu', 'memory', 'io'];

interface Style {
  font: string;
  boldFont: string;
  naFont: string;
  text: string;
  warn: string;
  heat: Map<string, string>;
}

/**
 * A canvas layer inside `body` for rows of `rowHeightPx`, or null where the page has no 2D canvas
 * (then the painter writes values as DOM text, as before).
 */
export function createCellCanvas(body: HTMLElement, rowHeightPx: number): CellCanvas | null {
  const doc = body.ownerDocument;
  const view = doc.defaultView;
  const element = doc.createElement('canvas');
  let context: CanvasRenderingContext2D | null = null;
  try {
    context = element.getContext('2d');
  } catch {
    context = null;
  }
  if (!context || !view) return null;
  const ctx = context;
  element.className = 'process-canvas';
  element.setAttribute('aria-hidden', 'true');
  body.appendChild(element);

  let style: Style | undefined;
  let widthPx = 0;
  let rowCount = 0;
  let ratio = 0;
  let topPx = -1;
  /** Truncated left-aligned texts by width and font (command lines are long and rarely change). */
  const fitted = new Map<string, string>();

  /** What the stylesheet gives a cell with `cellClass` in a row with `rowClass` (theme and classes apply). */
  const probe = (rowClass: string, cellClass: string): Pick<CSSStyleDeclaration, 'fontStyle' | 'fontWeight' | 'fontSize' | 'fontFamily' | 'color' | 'backgroundColor'> => {
    const row = doc.createElement('div');
    row.className = rowClass;
    row.style.visibility = 'hidden';
    const cell = doc.createElement('div');
    cell.className = cellClass;
    row.appendChild(cell);
    body.appendChild(row);
    const computed = view.getComputedStyle(cell);
    const copy = { fontStyle: computed.fontStyle, fontWeight: computed.fontWeight, fontSize: computed.fontSize, fontFamily: computed.fontFamily, color: computed.color, backgroundColor: computed.backgroundColor };
    row.remove();
    return copy;
  };
  const fontOf = (s: ReturnType<typeof probe>): string => `${s.fontStyle === 'normal' ? '' : s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`.trim();

  const readStyle = (): Style => {
    const plain = probe('process-row', 'cell right');
    const bold = probe('process-row group', 'cell right');
    const na = probe('process-row', 'na');
    const heat = new Map<string, string>();
    for (const kind of HEAT_KINDS) {
      for (let level = 1; level <= HEAT_LEVELS; level++) heat.set(`${kind}${level}`, probe('process-row', `cell right heat-${kind} heat${level}`).backgroundColor);
    }
    fitted.clear();
    return { font: fontOf(plain), boldFont: fontOf(bold), naFont: fontOf(na), text: plain.color, warn: na.color, heat };
  };

  /** The text as drawn in `maxPx` (cut with an ellipsis when too wide); remembered, as names and users repeat. */
  const fit = (text: string, maxPx: number, font: string): string => {
    const key = `${font}\u0000${maxPx}\u0000${text}`;
    const known = fitted.get(key);
    if (known !== undefined) return known;
    if (ctx.measureText(text).width <= maxPx) {
      remember(key, text);
      return text;
    }
    // Cut at code points, never inside a surrogate pair.
    const chars = Array.from(text);
    let low = 0;
    let high = chars.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (ctx.measureText(`${chars.slice(0, mid).join('')}…`).width <= maxPx) low = mid;
      else high = mid - 1;
    }
    const result = `${chars.slice(0, low).join('')}…`;
    remember(key, result);
    return result;
  };
  const remember = (key: string, shown: string): void => {
    if (fitted.size > 4000) fitted.clear();
    fitted.set(key, shown);
  };
  interface Pending {
    x: number;
    y: number;
    width: number;
    cell: CanvasCell;
  }
  /** Cells to draw at the next flush. */
  const pending: Pending[] = [];
  /** A queued cell's text (its area is already erased and shaded). */
  const drawText = (style: Style, { x, y, width, cell }: Pending): void => {
    const text = cell.na ? 'n/a' : cell.text;
    const font = cell.na ? style.naFont : cell.bold ? style.boldFont : style.font;
    setFont(font);
    setFill(cell.na ? style.warn : style.text);
    setAlign(cell.align);
    const inner = Math.max(0, width - 2 * PADDING_PX);
    const shown = cell.align === 'left' ? fit(text, inner, font) : text;
    const tx = cell.align === 'left' ? x + PADDING_PX : x + width - PADDING_PX;
    const cy = y + rowHeightPx / 2;
    // Left-aligned text is fitted (with an ellipsis) above; a number wider than its column is cut
    // at the cell's edge rather than drawn into its neighbour.
    const clip = cell.align === 'right' && shown.length * 8 > inner && ctx.measureText(shown).width > width - PADDING_PX;
    if (clip) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(x, y, width, rowHeightPx);
      ctx.clip();
    }
    ctx.fillText(shown, tx, cy);
    if (clip) ctx.restore();
    if (cell.na) {
      // The DOM marker's dotted underline says "there is a reason": hover the cell for it.
      const w = ctx.measureText(shown).width;
      const from = cell.align === 'left' ? tx : tx - w;
      ctx.strokeStyle = style.warn;
      ctx.setLineDash([1, 2]);
      ctx.beginPath();
      ctx.moveTo(from, cy + 7.5);
      ctx.lineTo(from + w, cy + 7.5);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  };
  // The context's font, colour and alignment as last set: setting them parses strings, so only on change.
  let currentFont = '';
  let currentFill = '';
  let currentAlign: CanvasTextAlign | '' = '';
  const setFont = (font: string): void => {
    if (font !== currentFont) ctx.font = currentFont = font;
  };
  const setFill = (fill: string): void => {
    if (fill !== currentFill) ctx.fillStyle = currentFill = fill;
  };
  const setAlign = (align: CanvasTextAlign): void => {
    if (align !== currentAlign) ctx.textAlign = currentAlign = align;
  };

  return {
    element,
    place(firstIndex, rows, width) {
      const nextRatio = view.devicePixelRatio || 1;
      const top = firstIndex * rowHeightPx;
      if (top !== topPx) {
        element.style.transform = `translateY(${top}px)`;
        topPx = top;
      }
      if (rows === rowCount && width === widthPx && nextRatio === ratio) return false;
      rowCount = rows;
      widthPx = width;
      ratio = nextRatio;
      element.width = Math.max(1, Math.round(width * ratio));
      element.height = Math.max(1, Math.round(rows * rowHeightPx * ratio));
      element.style.width = `${width}px`;
      element.style.height = `${rows * rowHeightPx}px`;
      // Resizing resets the context's state.
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.textBaseline = 'middle';
      currentFont = currentFill = currentAlign = '';
      return true;
    },
    draw(slot, x, width, cell) {
      pending.push({ x, y: slot * rowHeightPx, width, cell });
    },
    flush() {
      if (pending.length === 0) return;
      const s = (style ??= readStyle());
      // Erase every queued cell, then shade the hot ones, one fill colour after another.
      const shades = new Map<string, Pending[]>();
      for (const p of pending) {
        ctx.clearRect(p.x, p.y, p.width, rowHeightPx);
        const heat = p.cell.heat;
        if (heat && heat.level > 0) {
          const colour = s.heat.get(`${heat.kind}${Math.min(HEAT_LEVELS, heat.level)}`) ?? 'transparent';
          const list = shades.get(colour);
          if (list) list.push(p);
          else shades.set(colour, [p]);
        }
      }
      for (const [colour, list] of shades) {
        setFill(colour);
        for (const p of list) ctx.fillRect(p.x, p.y, p.width, rowHeightPx);
      }
      // Then the texts, grouped by font, colour and alignment.
      const groups = new Map<string, Pending[]>();
      for (const p of pending) {
        const cell = p.cell;
        if (!cell.na && !cell.text) continue;
        const key = `${cell.na ? 'n' : cell.bold ? 'b' : 'p'}${cell.align}`;
        const list = groups.get(key);
        if (list) list.push(p);
        else groups.set(key, [p]);
      }
      pending.length = 0;
      for (const list of groups.values()) for (const p of list) drawText(s, p);
    },
    refreshStyle() {
      style = undefined;
      currentFont = currentFill = currentAlign = '';
    },
    clear() {
      pending.length = 0;
      ctx.clearRect(0, 0, widthPx, rowCount * rowHeightPx);
    },
    destroy() {
      element.remove();
    },
  };
}
