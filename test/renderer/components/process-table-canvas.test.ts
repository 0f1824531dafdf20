// @vitest-environment happy-dom
// The canvas layer of the process table, against a recording fake 2D context (happy-dom has none).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCellCanvas, type CanvasCell } from '../../../src-renderer/components/process-table-canvas';

interface Call {
  op: string;
  args: unknown[];
}

function fakeContext(calls: Call[]): CanvasRenderingContext2D {
  const state: Record<string, unknown> = { font: '', fillStyle: '', textAlign: 'start' };
  const record =
    (op: string) =>
    (...args: unknown[]) => {
      calls.push({ op, args });
    };
  const context = {
    clearRect: record('clearRect'),
    fillRect: record('fillRect'),
    fillText: record('fillText'),
    setTransform: record('setTransform'),
    save: record('save'),
    restore: record('restore'),
    beginPath: record('beginPath'),
    rect: record('rect'),
    clip: record('clip'),
    moveTo: record('moveTo'),
    lineTo: record('lineTo'),
    stroke: record('stroke'),
    setLineDash: record('setLineDash'),
    measureText: (text: string) => ({ width: text.length * 7 }),
  };
  for (const property of ['font', 'fillStyle', 'textAlign', 'textBaseline', 'strokeStyle']) {
    Object.defineProperty(context, property, {
      get: () => state[property],
      set: (value: unknown) => {
        state[property] = value;
        calls.push({ op: `set ${property}`, args: [value] });
      },
    });
  }
  return context as unknown as CanvasRenderingContext2D;
}

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe('createCellCanvas', () => {
  it('draws queued cells at flush, grouped so the font is set once per kind of cell', () => {
    const calls: Call[] = [];
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => fakeContext(calls) as never);
    const body = document.createElement('div');
    document.body.appendChild(body);
    const canvas = createCellCanvas(body, 26)!;
    expect(canvas).not.toBeNull();
    canvas.place(0, 12, 400);
    calls.length = 0;
    // Rows alternating plain, bold (hot) and n/a cells, as a CPU-sorted table has them.
    const cells: CanvasCell[] = [];
    for (let row = 0; row < 12; row++) {
      const cell: CanvasCell =
        row % 3 === 0
          ? { text: `${row}.0%`, align: 'right', bold: false, na: false }
          : row % 3 === 1
            ? { text: `${row}0.0%`, align: 'right', bold: true, na: false, heat: { kind: 'cpu', level: 4 } }
            : { text: '', align: 'right', bold: false, na: true };
      cells.push(cell);
      canvas.draw(row, 100, 60, cell);
    }
    expect(calls).toEqual([]);
    canvas.flush();
    expect(calls.filter((c) => c.op === 'clearRect')).toHaveLength(12);
    expect(calls.filter((c) => c.op === 'fillRect')).toHaveLength(4);
    const texts = calls.filter((c) => c.op === 'fillText').map((c) => c.args[0]);
    expect([...texts].sort()).toEqual(cells.map((c) => (c.na ? 'n/a' : c.text)).sort());
    // Three kinds of cell: at most three font changes (one per kind), not one per row.
    expect(calls.filter((c) => c.op === 'set font').length).toBeLessThanOrEqual(3);
    // Every cell is erased before any text is drawn, so no text is wiped by a later erase.
    const lastClear = calls.map((c) => c.op).lastIndexOf('clearRect');
    const firstText = calls.findIndex((c) => c.op === 'fillText');
    expect(lastClear).toBeLessThan(firstText);
    // Nothing queued: a second flush draws nothing.
    calls.length = 0;
    canvas.flush();
    expect(calls).toEqual([]);
    canvas.destroy();
  });
});
