// Launch times per program, learned from the samples: a process not in the previous sample is a
// launch of its program (the first sample only learns who exists). They feed the launch
// probabilities the UI shows and the prefetch planner acts on.
import type { Sample } from '../../src-shared/domain';
import { processKey, programKey } from '../../src-shared/identity';
import { launchProbabilities } from '../engine/forecast/launch';

export const MAX_LAUNCHES_PER_PROGRAM = 500;
export const MAX_LAUNCH_PROGRAMS = 2000;

export interface LaunchView {
  within5MinP: number;
  within1HourP: number;
  within1DayP: number;
}

export interface LaunchRecorder {
  /** Note the launches in a sample. */
  record(sample: Sample): void;
  /** Probabilities that a program starts within 5 minutes, an hour, a day of `nowMs`. */
  view(programId: string, nowMs: number): LaunchView;
}

/**
 * Record into `launches` (start times per program, oldest first; at most MAX_LAUNCHES_PER_PROGRAM
 * each, MAX_LAUNCH_PROGRAMS programs). The map is the caller's, so it can be persisted as it is.
 */
export function createLaunchRecorder(launches: Map<string, number[]>, utcOffsetMinutes: number): LaunchRecorder {
  // Each known process -> the tick it was last seen in: updated in place, and the processes not in
  // this tick pruned, without a new set per tick.
  const seen = new Map<string, number>();
  let tick = 0;
  return {
    record(sample) {
      const first = seen.size === 0;
      tick++;
      for (let i = 0; i < sample.processes.length; i++) {
        const process = sample.processes[i]!;
        const key = processKey(process);
        const known = seen.has(key);
        seen.set(key, tick);
        // The first sample only learns who exists: those are not launches we saw.
        if (known || first) continue;
        const programId = programKey(process);
        let times = launches.get(programId);
        if (!times) {
          if (launches.size >= MAX_LAUNCH_PROGRAMS) continue;
          launches.set(programId, (times = []));
        }
        times.push(process.startedAtMs);
        if (times.length > MAX_LAUNCHES_PER_PROGRAM) times.splice(0, times.length - MAX_LAUNCHES_PER_PROGRAM);
      }
      seen.forEach((at, key) => {
        if (at !== tick) seen.delete(key);
      });
    },
    view(programId, nowMs) {
      const result = launchProbabilities(launches.get(programId) ?? [], nowMs, { utcOffsetMinutes });
      return { within5MinP: result.within5MinP, within1HourP: result.within1HourP, within1DayP: result.within1DayP };
    },
  };
}
