// Metric definitions (src-main/store/history/metrics.ts): the columns derived from them.
import { describe, expect, it } from 'vitest';
import { PROCESS_COLUMNS, PROGRAM_COLUMNS, SYSTEM_COLUMNS, camel, columnsOf, sumDefined, type MetricSpec } from '../../../../src-main/store/history/metrics';

describe('metric columns', () => {
  it('adds only the values that are there', () => {
    expect(sumDefined([undefined, 2, undefined, 3])).toBe(5);
    expect(sumDefined([0])).toBe(0);
    expect(sumDefined([undefined, undefined])).toBeUndefined();
  });

  it('names one column per metric and statistic, in spec order, with a camelCase key', () => {
    const specs: MetricSpec<number>[] = [
      { name: 'cpu_percent', stats: ['mean', 'max'], unit: '%', description: 'CPU', read: (n) => n },
      { name: 'load1', stats: ['min'], unit: 'tasks', description: 'load', read: (n) => n },
    ];
    expect(columnsOf(specs as unknown as MetricSpec<never>[])).toEqual([
      { column: 'cpu_percent_mean', key: 'cpuPercentMean', stat: 'mean', metricIndex: 0, unit: '%', description: 'CPU (mean over the bucket)' },
      { column: 'cpu_percent_max', key: 'cpuPercentMax', stat: 'max', metricIndex: 0, unit: '%', description: 'CPU (max over the bucket)' },
      { column: 'load1_min', key: 'load1Min', stat: 'min', metricIndex: 1, unit: 'tasks', description: 'load (min over the bucket)' },
    ]);
    expect(camel('psi_io_some_avg10_max')).toBe('psiIoSomeAvg10Max');
  });

  it('gives every table distinct column names', () => {
    for (const columns of [SYSTEM_COLUMNS, PROGRAM_COLUMNS, PROCESS_COLUMNS]) {
      expect(new Set(columns.map((c) => c.column)).size).toBe(columns.length);
      expect(new Set(columns.map((c) => c.key)).size).toBe(columns.length);
    }
  });
});
