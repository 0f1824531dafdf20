// Leak detection, runaway CPU, fork storms, behaviour outside profile.
import { describe, expect, it } from 'vitest';
import { createAnomalyDetector } from '../../../src-main/engine/anomalies';
import { DEFAULT_LEAK_OPTIONS, createLeakDetector, judgeLeak } from '../../../src-main/engine/memory';
import { createProfileStore, updateProfiles } from '../../../src-main/engine/profiles';
import { MiB, T0, proc, sample } from '../../fixtures/samples/builder';

const times = (n: number, stepMs: number) => Array.from({ length: n }, (_, i) => T0 + i * stepMs);

describe('leak detector', () => {
  it('fires on linear growth with noise', () => {
    const ts = times(60, 10_000);
    const rss = ts.map((_, i) => 200 * MiB + i * 1 * MiB + ((i * 7919) % 5) * 100_000);
    const v = judgeLeak(ts, rss, DEFAULT_LEAK_OPTIONS);
    expect(v.leaking).toBe(true);
    expect(v.slopeBytesPerSec).toBeGreaterThan(100_000);
    expect(v.r2).toBeGreaterThan(0.95);
  });

  it('does not fire on a garbage-collected sawtooth', () => {
    const ts = times(60, 10_000);
    const rss = ts.map((_, i) => 200 * MiB + (i % 8) * 20 * MiB);
    expect(judgeLeak(ts, rss, DEFAULT_LEAK_OPTIONS).leaking).toBe(false);
  });

  it('does not fire on a flat or shrinking series, or a short one', () => {
    const ts = times(60, 10_000);
    expect(judgeLeak(ts, ts.map(() => 300 * MiB), DEFAULT_LEAK_OPTIONS).leaking).toBe(false);
    expect(judgeLeak(ts, ts.map((_, i) => 900 * MiB - i * MiB), DEFAULT_LEAK_OPTIONS).leaking).toBe(false);
    const short = times(10, 10_000);
    expect(judgeLeak(short, short.map((_, i) => i * 100 * MiB), DEFAULT_LEAK_OPTIONS).leaking).toBe(false);
  });

  it('downsamples a live stream and forecasts time to exhaustion', () => {
    const det = createLeakDetector();
    let last;
    for (let i = 0; i <= 600; i++) {
      const out = det.update(sample(T0 + i * 1000, [proc({ pid: 5, name: 'leaky', rssBytes: 100 * MiB + i * 200 * 1024 })], { availableBytes: 1000 * MiB }));
      if (out.length) last = out[0];
    }
    expect(last?.leaking).toBe(true);
    expect(last!.timeToExhaustionMs! / 1000).toBeCloseTo(1000 * MiB / (200 * 1024), -1);
  });
});

describe('anomalies', () => {
  it('alerts on a fork storm, system-wide and by parent', () => {
    const det = createAnomalyDetector();
    const profiles = createProfileStore();
    const alerts = [];
    for (let i = 0; i < 6; i++) {
      const kids = Array.from({ length: i * 40 }, (_, k) => proc({ pid: 1000 + k, ppid: 500, name: 'bomb' }));
      alerts.push(...det.tick(sample(T0 + i * 1000, [proc({ pid: 500, name: 'bomb' }), ...kids], { forksPerSec: 600 }), profiles, []));
    }
    const storms = alerts.filter((a) => a.kind === 'fork-storm');
    expect(storms.some((a) => a.target === undefined && a.evidence.forksPerSec === 600)).toBe(true);
    expect(storms.some((a) => a.target?.pid === 500 && a.evidence.childGrowth! >= 100)).toBe(true);
    // One alert per cause per cooldown.
    expect(storms.filter((a) => a.target === undefined)).toHaveLength(1);
  });

  it('no fork storm for a normal build', () => {
    const det = createAnomalyDetector();
    const alerts = [];
    for (let i = 0; i < 20; i++) alerts.push(...det.tick(sample(T0 + i * 1000, [proc({ pid: 500, name: 'make' })], { forksPerSec: 40 }), createProfileStore(), []));
    expect(alerts).toEqual([]);
  });

  it('runaway CPU beyond the profile, but not for a program that is always busy', () => {
    const det = createAnomalyDetector({ minProfileSamples: 100 });
    const profiles = createProfileStore();
    // Learn: "svc" idles around 2 %, "encoder" always runs flat out.
    for (let i = 0; i < 200; i++) {
      updateProfiles(profiles, sample(T0 + i * 1000, [proc({ pid: 10, name: 'svc', cpuPercent: 1 + (i % 3) }), proc({ pid: 11, name: 'encoder', cpuPercent: 99 })]));
    }
    const alerts = [];
    for (let i = 0; i < 70; i++) {
      alerts.push(...det.tick(sample(T0 + (300 + i) * 1000, [proc({ pid: 12, name: 'svc', cpuPercent: 100 }), proc({ pid: 13, name: 'encoder', cpuPercent: 99 })]), profiles, []));
    }
    const runaway = alerts.filter((a) => a.kind === 'runaway-cpu');
    expect(runaway.map((a) => a.target?.pid)).toEqual([12]);
    expect(runaway[0]!.evidence.pinnedMs).toBeGreaterThanOrEqual(60_000);
    const outside = alerts.filter((a) => a.kind === 'outside-profile');
    expect(outside.map((a) => a.target?.pid)).toEqual([12]);
    expect(outside[0]!.evidence.robustZ!).toBeGreaterThanOrEqual(6);
  });
});
