// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { HistoryView, programName, rowSeries } from '../../../src-renderer/views/HistoryView';
import { heatmapLevel } from '../../../src-renderer/components/HourOfWeekHeatmap';
import { useStore } from '../../../src-renderer/store';
import { setClient } from '../../../src-renderer/ipc/client';
import { createFakeTransport, type FakeTransport } from '../fake-transport';
import { fixtureProfile } from '../engine-fixture';

const initial = useStore.getState();
let transport: FakeTransport;
beforeEach(() => {
  transport = createFakeTransport({
    'history.top': () => [
      { programId: '/usr/bin/node', cpuSeconds: 120, rssMaxBytes: 3e8, ioBytes: 1e6, runningMs: 3_600_000 },
      { programId: '/usr/bin/bash', cpuSeconds: 2, rssMaxBytes: null, ioBytes: 0, runningMs: 60_000 },
    ],
    'history.program': () => ({ tierMs: 10_000, rows: [{ tierMs: 10_000, bucketMs: Date.now() - 10_000, samples: 10, cpuPercentMean: 12, cpuPercentMax: 30, rssBytesMean: 1e8, rssBytesMax: 2e8 }] }),
    // Sunday-based: Sunday 02:00 is busy.
    'history.hourOfWeek': () => Array.from({ length: 168 }, (_, i) => (i === 2 ? 3600 : 0)),
    'profiles.get': ({ programId }) => fixtureProfile(programId),
    'export.run': (input) => ({ filename: `allot-${input.level}.csv`, mime: 'text/csv', rows: 2, text: 'a,b\n1,2\n' }),
  });
  setClient(transport);
  useStore.setState({ ...initial }, true);
});
afterEach(() => {
  cleanup();
  setClient(undefined);
});

describe('HistoryView', () => {
  it('lists programs, picks one: charts, Monday-based heat map and profile', async () => {
    await act(async () => {
      render(<HistoryView dark={false} />);
    });
    const table = screen.getByRole('table', { name: 'Programs' });
    expect(table.textContent).toContain('node');
    await act(async () => {
      fireEvent.click(table.querySelector('[data-program="/usr/bin/node"]')!);
    });
    const heatmap = screen.getByRole('table', { name: 'When node runs' });
    // Sunday 02:00 is the last row (Monday-based): index 6 * 24 + 2.
    expect(heatmap.querySelector('[data-cell="146"]')!.className).toBe('hm5');
    expect(heatmap.querySelector('[data-cell="2"]')!.className).toBe('hm0');
    expect(screen.getByTestId('launch-probabilities').textContent).toMatch(/5 min 5% · 1 h 40% · 1 day 90%/);
    expect(screen.getByRole('img', { name: 'CPU of /usr/bin/node over time' })).toBeTruthy();
  });

  it('switches range and exports for the selected program', async () => {
    await act(async () => {
      render(<HistoryView dark={false} />);
    });
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: '7 days' }));
    });
    const top = transport.calls.filter((c) => c.channel === 'history.top').at(-1)!.input as { fromMs: number; toMs: number };
    expect(top.toMs - top.fromMs).toBe(7 * 86_400_000);
    await act(async () => {
      fireEvent.click(document.querySelector('[data-program="/usr/bin/bash"]')!);
    });
    const clicks: string[] = [];
    const original = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    };
    URL.createObjectURL ??= () => 'blob:x';
    URL.revokeObjectURL ??= () => undefined;
    try {
      await act(async () => {
        fireEvent.click(screen.getByRole('button', { name: 'Export bash' }));
      });
    } finally {
      HTMLAnchorElement.prototype.click = original;
    }
    expect(transport.calls.find((c) => c.channel === 'export.run')!.input).toMatchObject({ level: 'program', programId: '/usr/bin/bash', format: 'csv' });
    expect(clicks).toEqual(['allot-program.csv']);
  });

  it('a failing download becomes an error toast, not an unhandled rejection, and the buttons come back', async () => {
    await act(async () => {
      render(<HistoryView dark={false} />);
    });
    const original = URL.createObjectURL;
    URL.createObjectURL = () => {
      throw new Error('blob URLs are disabled');
    };
    try {
      await act(async () => {
        fireEvent.click(screen.getByRole('button', { name: 'Export system' }));
      });
      await new Promise((resolve) => setTimeout(resolve, 0));
    } finally {
      URL.createObjectURL = original;
    }
    // (An unhandled rejection would also fail the vitest run.)
    const toast = useStore.getState().toasts.at(-1);
    expect(toast?.kind).toBe('error');
    expect(toast?.message).toMatch(/Export failed.*blob URLs are disabled/);
    expect((screen.getByRole('button', { name: 'Export system' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('helpers', () => {
    expect(programName('C:\\Program Files\\App\\app.exe')).toBe('app.exe');
    expect(rowSeries([{ a: 1 }, { a: null }, {}], 'a').map(String)).toEqual(['1', 'NaN', 'NaN']);
    expect(heatmapLevel(0, 10)).toBe(0);
    expect(heatmapLevel(1, 10)).toBe(1);
    expect(heatmapLevel(10, 10)).toBe(5);
  });
});
