import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SampleRing, ringCapacityFor } from '../../../src-main/store/ring';
import { makeProcess, makeSample } from './fixtures/samples';

const sampleAt = (at: number, cpu = at / 1000) =>
  makeSample(at, [
    makeProcess({ pid: 1, name: 'a', programId: 'A', cpuPercent: cpu, rssBytes: 10 }),
    makeProcess({ pid: 2, name: 'a', programId: 'A', cpuPercent: 1, rssBytes: 5 }),
    makeProcess({ pid: 3, name: 'noprog', cpuPercent: 2, rssBytes: 7 }),
  ], { cpuPercent: cpu, cores: [{ core: 0, cpuPercent: cpu }, { core: 1, cpuPercent: 2 * cpu }] });

describe('ringCapacityFor', () => {
  it('derives the size from the interval over 10 minutes', () => {
    expect(ringCapacityFor(250)).toBe(2400);
    expect(ringCapacityFor(1000)).toBe(600);
    expect(ringCapacityFor(10_000)).toBe(60);
    expect(ringCapacityFor(300)).toBe(2000);
    expect(() => ringCapacityFor(0)).toThrow(RangeError);
  });
});

describe('SampleRing', () => {
  it('keeps the newest entries in order once full', () => {
    const ring = new SampleRing({ intervalMs: 1000, windowMs: 5000 });
    expect(ring.capacity).toBe(5);
    for (let i = 1; i <= 12; i++) ring.append(sampleAt(i * 1000));
    expect(ring.size).toBe(5);
    expect(ring.toArray().map((s) => s.at)).toEqual([8000, 9000, 10_000, 11_000, 12_000]);
    expect(ring.oldest()?.at).toBe(8000);
    expect(ring.latest()?.at).toBe(12_000);
  });

  it('answers range queries by time, inclusive at both ends', () => {
    const ring = new SampleRing({ intervalMs: 1000, windowMs: 10_000 });
    for (let i = 1; i <= 15; i++) ring.append(sampleAt(i * 1000));
    expect(ring.range(7000, 9000).map((s) => s.at)).toEqual([7000, 8000, 9000]);
    expect(ring.range(7500, 9500).map((s) => s.at)).toEqual([8000, 9000]);
    expect(ring.range(0, 6500).map((s) => s.at)).toEqual([6000]);
    expect(ring.range(20_000).length).toBe(0);
    expect(ring.range(9000, 8000).length).toBe(0);
  });

  it('matches a plain array model for any append sequence (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 80 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }),
        (capacity, gaps, a, b) => {
          const ring = new SampleRing({ intervalMs: 1000, windowMs: capacity * 1000 });
          const model: number[] = [];
          let t = 0;
          for (const gap of gaps) {
            t += gap;
            ring.append(sampleAt(t));
            model.push(t);
          }
          const kept = model.slice(-capacity);
          expect(ring.toArray().map((s) => s.at)).toEqual(kept);
          const [from, to] = a <= b ? [a, b] : [b, a];
          expect(ring.range(from, to).map((s) => s.at)).toEqual(kept.filter((x) => x >= from && x <= to));
        }),
    );
  });

  it('starts over when the clock goes backwards', () => {
    const ring = new SampleRing({ intervalMs: 1000 });
    ring.append(sampleAt(5000));
    ring.append(sampleAt(6000));
    ring.append(sampleAt(2000));
    expect(ring.toArray().map((s) => s.at)).toEqual([2000]);
  });

  it('extracts system, per-core and per-program series', () => {
    const ring = new SampleRing({ intervalMs: 1000 });
    for (let i = 1; i <= 3; i++) ring.append(sampleAt(i * 1000));
    expect(ring.systemCpuSeries()).toEqual({ atMs: [1000, 2000, 3000], values: [1, 2, 3] });
    expect(ring.coreCpuSeries().get(1)?.values).toEqual([2, 4, 6]);
    expect(ring.programSeries('A', 'cpuPercent')).toEqual({ atMs: [1000, 2000, 3000], values: [2, 3, 4] });
    expect(ring.programSeries('A', 'rssBytes').values).toEqual([15, 15, 15]);
    // a process without programId is grouped under its name
    expect(ring.programSeries('noprog', 'cpuPercent').values).toEqual([2, 2, 2]);
    expect(ring.programSeries('absent', 'cpuPercent').values).toEqual([0, 0, 0]);
    expect(ring.systemSeries((s) => s.memory.usedBytes, 3000).values).toEqual([2e9]);
  });

  it('keeps numbers per program, not processes, and drops a program absent for a whole window', () => {
    const ring = new SampleRing({ intervalMs: 1000, windowMs: 3000 });
    ring.append(sampleAt(1000));
    expect(ring.programCount).toBe(2);
    const onlyB = (at: number) => makeSample(at, [makeProcess({ pid: 9, name: 'b', programId: 'B', cpuPercent: 5, rssBytes: 1 })]);
    ring.append(onlyB(2000));
    ring.append(onlyB(3000));
    expect(ring.programSeries('A', 'cpuPercent').values).toEqual([2, 0, 0]);
    ring.append(onlyB(4000));
    // A was last seen three appends ago: its columns are gone, the series is zeros.
    expect(ring.programCount).toBe(1);
    expect(ring.programSeries('A', 'cpuPercent').values).toEqual([0, 0, 0]);
    expect(ring.programSeries('B', 'cpuPercent').values).toEqual([5, 5, 5]);
    expect(ring.latest()?.system.cpuPercent).toBeDefined();
  });

  it('resizes for a new interval, keeping the newest samples', () => {
    const ring = new SampleRing({ intervalMs: 250, windowMs: 10_000 });
    expect(ring.capacity).toBe(40);
    for (let i = 1; i <= 40; i++) ring.append(sampleAt(i * 250));
    ring.resize(1000);
    expect(ring.capacity).toBe(10);
    expect(ring.toArray().map((s) => s.at)).toEqual(Array.from({ length: 10 }, (_, i) => (31 + i) * 250));
    ring.append(sampleAt(20_000));
    expect(ring.size).toBe(10);
    expect(ring.latest()?.at).toBe(20_000);
  });
});
