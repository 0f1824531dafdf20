// Launch recording (src-main/core/launch-recorder.ts): a process not in the previous sample is a
// launch of its program; the first sample only learns who exists; the lists are bounded.
import { describe, expect, it } from 'vitest';
import { MAX_LAUNCH_PROGRAMS, MAX_LAUNCHES_PER_PROGRAM, createLaunchRecorder } from '../../../src-main/core/launch-recorder';
import { fixtureProcess, fixtureSample } from '../../helpers/sample-fixture';

const T0 = 1_763_700_000_000;
const started = (pid: number, programId: string, startedAtMs: number) => fixtureProcess({ pid, startTime: pid, programId, startedAtMs });

describe('launch recorder', () => {
  it('records processes new since the last sample, not those of the first sample', () => {
    const launches = new Map<string, number[]>();
    const recorder = createLaunchRecorder(launches, 0);
    const editor = started(1, '/usr/bin/editor', T0 - 60_000);
    recorder.record(fixtureSample([editor], T0));
    expect(launches.size).toBe(0);
    const build = started(2, '/usr/bin/make', T0 + 500);
    recorder.record(fixtureSample([editor, build], T0 + 1000));
    recorder.record(fixtureSample([editor, build], T0 + 2000)); // still running: not a new launch
    const again = started(3, '/usr/bin/make', T0 + 2500);
    recorder.record(fixtureSample([editor, again], T0 + 3000));
    expect([...launches]).toEqual([['/usr/bin/make', [T0 + 500, T0 + 2500]]]);
  });

  it('keeps the newest MAX_LAUNCHES_PER_PROGRAM starts of a program and at most MAX_LAUNCH_PROGRAMS programs', () => {
    const full = Array.from({ length: MAX_LAUNCHES_PER_PROGRAM }, (_, i) => i);
    const launches = new Map<string, number[]>([['/usr/bin/make', full]]);
    for (let i = 1; i < MAX_LAUNCH_PROGRAMS; i++) launches.set(`/p/${i}`, [0]);
    const recorder = createLaunchRecorder(launches, 0);
    recorder.record(fixtureSample([started(1, '/usr/bin/other', T0)], T0));
    recorder.record(fixtureSample([started(1, '/usr/bin/other', T0), started(2, '/usr/bin/make', T0 + 1), started(3, '/usr/bin/new', T0 + 1)], T0 + 1000));
    expect(launches.get('/usr/bin/make')).toHaveLength(MAX_LAUNCHES_PER_PROGRAM);
    expect(launches.get('/usr/bin/make')!.at(-1)).toBe(T0 + 1);
    expect(launches.get('/usr/bin/make')![0]).toBe(1);
    expect(launches.has('/usr/bin/new')).toBe(false);
  });

  it('turns the recorded starts into launch probabilities', () => {
    const daily = Array.from({ length: 28 }, (_, day) => T0 - (day + 1) * 86_400_000 + 60_000);
    const recorder = createLaunchRecorder(new Map([['/usr/bin/editor', daily]]), 0);
    const view = recorder.view('/usr/bin/editor', T0);
    expect(view.within5MinP).toBeGreaterThan(0.5);
    expect(view.within1DayP).toBeGreaterThanOrEqual(view.within1HourP);
    expect(recorder.view('/usr/bin/never', T0)).toEqual({ within5MinP: 0, within1HourP: 0, within1DayP: 0 });
  });
});
