import { describe, expect, it } from 'vitest';
import { createSampleLoop } from '../../../src-main/core/sample-source';
import type { Sampler } from '../../../src-main/monitor/types';
import { fixtureSample } from '../../helpers/sample-fixture';

/** A sampler whose samples take `takesMs`, counting calls and overlap. */
function slowSampler(takesMs: number) {
  const stats = { calls: 0, running: 0, maxRunning: 0 };
  const sampler: Sampler = {
    name: 'slow',
    info: async () => ({ platform: 'linux', hostname: 'h', osRelease: 'r', cpuModel: 'c', logicalCores: 1, totalMemoryBytes: 1 }),
    sample: async () => {
      stats.calls++;
      stats.running++;
      stats.maxRunning = Math.max(stats.maxRunning, stats.running);
      await new Promise((resolve) => setTimeout(resolve, takesMs));
      stats.running--;
      return fixtureSample();
    },
    close: () => undefined,
  };
  return { sampler, stats };
}

describe('sample loop', () => {
  it('changing the interval while a sample is in flight keeps exactly one loop', async () => {
    const { sampler, stats } = slowSampler(60);
    let delivered = 0;
    const loop = createSampleLoop(sampler, () => delivered++, () => undefined);
    loop.start(100);
    await new Promise((resolve) => setTimeout(resolve, 20)); // first sample in flight
    loop.setIntervalMs(100);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    loop.stop();
    expect(stats.maxRunning).toBe(1);
    // One loop at 100 ms: about 10 samples in 1 s, never the ~20 of two loops.
    expect(delivered).toBeGreaterThanOrEqual(6);
    expect(delivered).toBeLessThanOrEqual(12);
  });

  it('drops a sample that finishes after stop()', async () => {
    const { sampler } = slowSampler(80);
    let delivered = 0;
    const loop = createSampleLoop(sampler, () => delivered++, () => undefined);
    loop.start(1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    loop.stop();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(delivered).toBe(0);
  });

  it('keeps its period when the timer fires late (a busy event loop does not add up into drift)', async () => {
    const { sampler } = slowSampler(0);
    const at: number[] = [];
    const loop = createSampleLoop(
      sampler,
      () => {
        at.push(performance.now());
        // The event loop is busy from 90 ms to 120 ms after each sample: a timer due at 100 ms fires at 120.
        setTimeout(() => {
          const until = performance.now() + 30;
          while (performance.now() < until) {
            /* busy */
          }
        }, 90);
      },
      () => undefined,
    );
    loop.start(100);
    await new Promise((resolve) => setTimeout(resolve, 2050));
    loop.stop();
    // On schedule: about 21 samples in 2.05 s. Restarting the period from each late start: one per
    // ~120 ms, about 17.
    expect(at.length).toBeGreaterThanOrEqual(19);
    expect(at.length).toBeLessThanOrEqual(22);
  });

  it('sampleSoon takes the next sample early, once, and the schedule goes on from it', async () => {
    const { sampler, stats } = slowSampler(30);
    let delivered = 0;
    const loop = createSampleLoop(sampler, () => delivered++, () => undefined);
    loop.start(60_000); // without sampleSoon the second sample comes a minute later
    const until = async (cond: () => boolean) => {
      for (let waited = 0; !cond() && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await until(() => delivered === 1);
    loop.sampleSoon();
    loop.sampleSoon(); // a second call while the first is pending changes nothing
    await until(() => delivered === 2);
    expect(delivered).toBe(2);
    // The next regular one is an interval after the early one: nothing more comes by itself.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(delivered).toBe(2);
    loop.sampleSoon();
    await until(() => delivered === 3);
    await new Promise((resolve) => setTimeout(resolve, 400));
    loop.stop();
    expect(delivered).toBe(3);
    expect(stats.maxRunning).toBe(1);
  });

  it('sampleSoon while a sample is in flight starts no second one', async () => {
    const { sampler, stats } = slowSampler(150);
    let delivered = 0;
    const loop = createSampleLoop(sampler, () => delivered++, () => undefined);
    loop.start(60_000);
    await new Promise((resolve) => setTimeout(resolve, 20)); // first sample in flight
    loop.sampleSoon();
    await new Promise((resolve) => setTimeout(resolve, 600));
    loop.stop();
    expect(stats.calls).toBe(1);
    expect(delivered).toBe(1);
  });
});
