// @vitest-environment happy-dom
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRef } from 'react';
import { cleanup, render } from '@testing-library/react';
import { Chart as ChartJS } from 'chart.js';
import { Chart, buildDatasets, type ChartProps } from '../../../src-renderer/components/Chart';

// happy-dom has no 2D canvas: a context whose every method is a no-op (measureText returns a width).
beforeAll(() => {
  const fake = new Proxy(
    {},
    {
      get(_target, key) {
        if (key === 'measureText') return () => ({ width: 10, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 });
        if (key === 'getImageData' || key === 'createImageData') return () => ({ data: new Uint8ClampedArray(4) });
        if (key === 'createLinearGradient' || key === 'createRadialGradient' || key === 'createPattern') return () => ({ addColorStop: () => undefined });
        if (key === 'getLineDash') return () => [];
        if (key === 'canvas') return undefined;
        return () => undefined;
      },
      set: () => true,
    },
  );
  (HTMLCanvasElement.prototype as { getContext: unknown }).getContext = function () {
    return fake;
  };
});
afterEach(() => cleanup());

const instances = (): number => Object.keys(ChartJS.instances).length;

describe('Chart', () => {
  it('creates one chart.js instance and updates it in place with new arrays', () => {
    const ref = createRef<ChartJS<'line'> | null>() as React.MutableRefObject<ChartJS<'line'> | null>;
    const props = (values: number[]): ChartProps => ({
      title: 'CPU',
      at: [1000, 2000, 3000],
      series: [{ label: 'CPU total', data: values, color: '#2f6fde' }],
      dark: false,
      chartRef: ref,
    });
    const before = instances();
    const { rerender, getByRole } = render(<Chart {...props([1, 2, 3])} />);
    expect(getByRole('img', { name: 'CPU' })).toBeTruthy();
    const chart = ref.current!;
    expect(chart).toBeTruthy();
    const dataset = chart.data.datasets[0]!;
    expect((dataset.data as unknown as { x: number; y: number }[]).map((p) => p.y)).toEqual([1, 2, 3]);
    rerender(<Chart {...props([4, 5, 6])} />);
    rerender(<Chart {...props([7, 8, 9])} />);
    expect(ref.current).toBe(chart);
    expect(instances()).toBe(before + 1);
    expect(chart.data.datasets[0]).toBe(dataset); // dataset object reused, not rebuilt
    expect((chart.data.datasets[0]!.data as unknown as { x: number; y: number }[]).map((p) => p.y)).toEqual([7, 8, 9]);
    // x is seconds relative to the last point.
    expect((chart.data.datasets[0]!.data as unknown as { x: number }[]).map((p) => p.x)).toEqual([-2, -1, 0]);
  });

  it('draws a forecast ahead of now as a p90 band and a p50 line', () => {
    const datasets = buildDatasets(
      {
        title: 't',
        at: [0, 1000],
        series: [{ label: 'cpu', data: [1, 2], color: '#000000' }],
        dark: true,
        forecast: { at: [2000, 3000], p50: [3, 4], p90Low: [2, 2], p90High: [5, 6] },
      },
      [],
    );
    expect(datasets.map((d) => d.label)).toEqual(['cpu', 'forecast p10', 'forecast p90', 'forecast p50']);
    expect(datasets[2]!.fill).toBe('-1');
    expect((datasets[3]!.data as { x: number }[]).map((p) => p.x)).toEqual([1, 2]);
  });

  it('destroys its chart on unmount', () => {
    const before = instances();
    const { unmount } = render(<Chart title="x" at={[1]} series={[{ label: 'a', data: [1], color: '#111111' }]} dark={false} />);
    expect(instances()).toBe(before + 1);
    unmount();
    expect(instances()).toBe(before);
  });
});
