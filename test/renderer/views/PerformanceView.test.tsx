// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { forecastBand, historyToPerf, PerformanceView } from '../../../src-renderer/views/PerformanceView';
import { useStore } from '../../../src-renderer/store';
import { setClient } from '../../../src-renderer/ipc/client';
import { createFakeTransport, type FakeTransport } from '../fake-transport';
import { fixtureReport } from '../engine-fixture';
import { fixtureSample } from '../../helpers/sample-fixture';

const initial = useStore.getState();
let transport: FakeTransport;
beforeEach(() => {
  transport = createFakeTransport({
    'history.system': () => ({
      tierMs: 60_000,
      rows: [
        { tierMs: 60_000, bucketMs: 1000, samples: 60, cpuPercentMean: 20, memoryUsedBytesMean: 4e9, coresCpuPercentMean: [10, 30], diskReadBytesPerSecMean: 5, psiCpuSomeAvg10Mean: null },
        { tierMs: 60_000, bucketMs: 61_000, samples: 60, cpuPercentMean: 30, memoryUsedBytesMean: 4.1e9, coresCpuPercentMean: [20, 40], diskReadBytesPerSecMean: 6, psiCpuSomeAvg10Mean: 1 },
      ],
    }),
  });
  setClient(transport);
  useStore.setState({ ...initial }, true);
});
afterEach(() => {
  cleanup();
  setClient(undefined);
});

describe('PerformanceView helpers', () => {
  it('a forecast band starts at now and keeps horizons within reach, p50..p90', () => {
    const report = fixtureReport();
    const band = forecastBand(report.forecasts.systemCpu, 1000, 35, 60_000, 'CPU forecast')!;
    expect(band.at).toEqual([1000, 6000, 31_000]);
    expect(band.p50).toEqual([35, 40, 42]);
    expect(band.p90High).toEqual([35, 55, 60]);
    expect(band.p90Low).toEqual([35, 40, 42]);
    expect(forecastBand([], 0, 1, 1000, 'x')).toBeUndefined();
  });

  it('maps history rows onto the live series shape', () => {
    const perf = historyToPerf(
      { tierMs: 60_000, rows: [{ bucketMs: 5, cpuPercentMean: 1, coresCpuPercentMean: [1, 2], memoryUsedBytesMean: null }] },
      8e9,
      0,
    );
    expect(perf.at).toEqual([5]);
    expect(perf.cores).toEqual([[1], [2]]);
    expect(Number.isNaN(perf.memUsedBytes[0]!)).toBe(true);
    expect(perf.disks).toEqual({});
  });
});

describe('PerformanceView', () => {
  it('draws live charts with the engine forecast and switches to history ranges', async () => {
    act(() => {
      for (let i = 0; i < 5; i++) useStore.getState().applyTick({ seq: i, sample: fixtureSample(undefined, 1_763_700_000_000 + i * 1000) });
      useStore.getState().applyEngineReport(fixtureReport());
    });
    render(<PerformanceView dark={false} />);
    expect(screen.getByRole('img', { name: 'CPU total, %' })).toBeTruthy();
    expect(screen.getByRole('button', { name: '10 min' }).getAttribute('aria-pressed')).toBe('true');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: '30 days' }));
    });
    const call = transport.calls.find((c) => c.channel === 'history.system')!.input as { fromMs: number; toMs: number };
    expect(call.toMs - call.fromMs).toBe(30 * 86_400_000);
    expect(screen.getByText(/2 × 60 s/)).toBeTruthy();
  });
});
