import { describe, expect, it } from 'vitest';
import { launchProbabilities } from '../../../../src-main/engine/forecast/launch';
import { createPrng } from '../../../../src-main/engine/forecast/prng';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Monday 2026-01-05 00:00 UTC.
const MONDAY = Date.UTC(2026, 0, 5);

/** Eight weeks of starts on weekdays around 09:00 (+- 10 min), seeded. */
function weekdayMornings(): number[] {
  const rng = createPrng(8);
  const starts: number[] = [];
  for (let week = 0; week < 8; week++) {
    for (let day = 0; day < 5; day++) starts.push(MONDAY + week * 7 * DAY + day * DAY + 9 * HOUR + (rng.next() * 20 - 10) * 60_000);
  }
  return starts;
}

describe('launchProbabilities', () => {
  const starts = weekdayMornings();
  const week9 = MONDAY + 8 * 7 * DAY;

  it('is high just before the usual weekday start and low on the weekend', () => {
    const mondayMorning = launchProbabilities(starts, week9 + 8 * HOUR + 40 * 60_000);
    const saturdayMorning = launchProbabilities(starts, week9 + 5 * DAY + 8 * HOUR + 40 * 60_000);
    const mondayNight = launchProbabilities(starts, week9 + 3 * HOUR);
    expect(mondayMorning.within1HourP).toBeGreaterThan(0.6);
    expect(saturdayMorning.within1HourP).toBeLessThan(0.1);
    expect(mondayNight.within1HourP).toBeLessThan(0.1);
    expect(mondayMorning.within5MinP).toBeGreaterThan(saturdayMorning.within5MinP * 5);
    expect(mondayMorning.within5MinP).toBeLessThanOrEqual(mondayMorning.within1HourP);
    expect(mondayMorning.within1HourP).toBeLessThanOrEqual(mondayMorning.within1DayP);
  });

  it('sees the next day: Sunday noon -> Monday 09:00 is within a day, Saturday noon is not', () => {
    expect(launchProbabilities(starts, week9 - DAY + 12 * HOUR).within1DayP).toBeGreaterThan(0.6);
    expect(launchProbabilities(starts, week9 - 2 * DAY + 12 * HOUR).within1DayP).toBeLessThan(0.3);
  });

  it('gives the same answer for the same instants whatever the local-time offset', () => {
    // The same instants seen from UTC+2: the starts are at 11:00 local; at 10:40 local a start is due.
    const at = week9 + 8 * HOUR + 40 * 60_000;
    expect(launchProbabilities(starts, at, { utcOffsetMinutes: 120 }).within1HourP).toBeCloseTo(launchProbabilities(starts, at).within1HourP, 9);
  });

  it('adds a recency term for programs that restart in bursts', () => {
    // A program started in bursts of 4, 3 minutes apart, once a day at varying hours.
    const rng = createPrng(2);
    const bursty: number[] = [];
    for (let d = 0; d < 30; d++) {
      const t0 = MONDAY + d * DAY + Math.floor(rng.next() * 20) * HOUR;
      for (let k = 0; k < 4; k++) bursty.push(t0 + k * 3 * 60_000);
    }
    const now = MONDAY + 30 * DAY + 10 * HOUR;
    const justStarted = launchProbabilities([...bursty, now - 60_000], now);
    const quiet = launchProbabilities(bursty, now);
    expect(justStarted.within5MinP).toBeGreaterThan(0.5);
    expect(quiet.within5MinP).toBeLessThan(0.1);
  });

  it('decays old behaviour', () => {
    // Starts at 09:00 for 8 weeks, then 8 weeks at 15:00: the recent habit wins.
    const moved = [...starts, ...starts.map((t) => t + 8 * 7 * DAY + 6 * HOUR)];
    const now = MONDAY + 16 * 7 * DAY;
    const at9 = launchProbabilities(moved, now + 8 * HOUR + 30 * 60_000, { halfLifeDays: 7 }).within1HourP;
    const at15 = launchProbabilities(moved, now + 14 * HOUR + 30 * 60_000, { halfLifeDays: 7 }).within1HourP;
    expect(at15).toBeGreaterThan(at9 * 3);
  });

  it('gives zeros without history and refuses a non-finite now', () => {
    expect(launchProbabilities([], MONDAY)).toEqual({ within5MinP: 0, within1HourP: 0, within1DayP: 0, evidence: 0 });
    expect(launchProbabilities([Number.NaN, MONDAY + DAY], MONDAY).evidence).toBe(0);
    expect(() => launchProbabilities(starts, Number.NaN)).toThrow(/nowMs/);
  });
});
