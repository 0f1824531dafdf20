// Behavioural profiles and P² quantiles on known data.
import { describe, expect, it } from 'vitest';
import { p2Add, p2Create, p2Value, qsAdd, qsCreate, qsSummary } from '../../../src-main/engine/quantiles';
import { coStartPartners, createProfileStore, hourOfWeek, profileView, profilesFromJSON, profilesToJSON, updateProfiles } from '../../../src-main/engine/profiles';
import { proc, sample, T0 } from '../../fixtures/samples/builder';

function shuffled(n: number): number[] {
  const xs = Array.from({ length: n }, (_, i) => i + 1);
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

describe('quantiles', () => {
  it('P² estimates quantiles of a shuffled uniform sequence within 1 %', () => {
    const data = shuffled(10_000);
    for (const [p, want] of [[0.1, 1000], [0.5, 5000], [0.9, 9000], [0.99, 9900]] as const) {
      const s = p2Create(p);
      for (const x of data) p2Add(s, x);
      expect(Math.abs(p2Value(s) - want)).toBeLessThan(100);
    }
  });

  it('is exact-ish for few values and ignores non-finite input', () => {
    const s = qsCreate();
    for (const x of [3, 1, 2, NaN, Infinity]) qsAdd(s, x);
    const q = qsSummary(s);
    expect(q.count).toBe(3);
    expect(q.p50).toBe(2);
    expect(q.mean).toBe(2);
  });

  it('tracks an exponential distribution median', () => {
    const s = p2Create(0.5);
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 16807) % 2147483647;
      p2Add(s, -Math.log(seed / 2147483647));
    }
    expect(p2Value(s)).toBeCloseTo(Math.LN2, 1);
  });
});

describe('profiles', () => {
  it('learns per-program CPU quantiles, hour of week, lifetimes, launches and co-starts', () => {
    const store = createProfileStore();
    const data = shuffled(1000);
    let at = T0;
    // "web" runs with CPU 1..1000 (/10) for 1000 ticks.
    for (let i = 0; i < 1000; i++) {
      at += 1000;
      const procs = [proc({ pid: 10, name: 'web', cpuPercent: data[i]! / 10 })];
      if (i >= 500 && i < 600) procs.push(proc({ pid: 20, name: 'build', startedAtMs: T0 + 500_500, cpuPercent: 100 }));
      if (i >= 510 && i < 520) procs.push(proc({ pid: 21, name: 'test', startedAtMs: T0 + 510_500, cpuPercent: 50 }));
      if (i >= 700 && i < 710) procs.push(proc({ pid: 22, name: 'late', startedAtMs: T0 + 700_500, cpuPercent: 50 }));
      updateProfiles(store, sample(at, procs));
    }
    const web = profileView(store.programs.get('web')!);
    expect(web.metrics.cpuPercent.p50).toBeGreaterThan(49);
    expect(web.metrics.cpuPercent.p50).toBeLessThan(51);
    expect(web.metrics.cpuPercent.p90).toBeGreaterThan(89);
    expect(web.metrics.cpuPercent.p90).toBeLessThan(91);
    expect(hourOfWeek(T0, 0)).toBe(9); // Monday 09:00
    expect(hourOfWeek(T0, 120)).toBe(11);
    expect(store.programs.get('web')!.runningHourOfWeek[9]).toBe(1000);
    const build = store.programs.get('build')!;
    expect(build.launches).toBe(1);
    expect(build.startsHourOfWeek[9]).toBe(1);
    expect(qsSummary(build.lifetimeMs).count).toBe(1);
    expect(qsSummary(build.lifetimeMs).p50).toBeCloseTo(99_500, -3);
    expect(store.programs.get('web')!.launches).toBe(0); // already running when observation began
    expect(coStartPartners(store, 'build')).toEqual([{ programId: 'test', count: 1 }]);
    expect(coStartPartners(store, 'late')).toEqual([]);
  });

  it('round-trips through JSON and refuses malformed input', () => {
    const store = createProfileStore({ utcOffsetMinutes: 60 });
    let at = T0;
    for (let i = 0; i < 50; i++) updateProfiles(store, sample((at += 1000), [proc({ pid: 10, name: 'web', cpuPercent: i })]));
    const json = profilesToJSON(store);
    const back = profilesFromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.ok).toBe(true);
    if (back.ok) {
      expect(profilesToJSON(back.value)).toEqual(json);
      // The restored store keeps learning identically.
      const s1 = sample(at + 1000, [proc({ pid: 10, name: 'web', cpuPercent: 7 })]);
      updateProfiles(store, s1);
      updateProfiles(back.value, s1);
      expect(profileView(back.value.programs.get('web')!).metrics.cpuPercent).toEqual(profileView(store.programs.get('web')!).metrics.cpuPercent);
    }
    expect(profilesFromJSON({ version: 1, programs: 'x' }).ok).toBe(false);
  });
});
