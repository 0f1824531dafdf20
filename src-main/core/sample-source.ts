// Where samples come from. The core only sees a SampleSource: the OS collector on a timer (the
// core itself runs in a worker thread, see host.ts), or a synthetic source in tests and benches.
import type { Sample, SystemInfo } from '../../src-shared/domain';
import type { Sampler } from '../monitor/types';

export interface SampleSource {
  readonly name: string;
  info(): Promise<SystemInfo>;
  /** Begin sampling every `intervalMs`; each Sample goes to `onSample`. */
  start(intervalMs: number, onSample: (sample: Sample) => void, onError: (error: Error) => void): Promise<void>;
  setIntervalMs(intervalMs: number): void;
  /** Take the next sample soon instead of at its time (a launch the rules act on was seen). */
  sampleSoon?(): void;
  stop(): Promise<void>;
}

/** An early sample comes at least this long after the previous one started. */
const MIN_GAP_MS = 200;

/**
 * A loop that calls `sampler.sample()` every `intervalMs` on a fixed schedule (monotonic clock): each
 * sample is due one interval after the previous one was due, so neither the time a sample takes nor a
 * timer that fires late (a busy event loop) adds up into drift. A loop behind by a whole interval or
 * more (a sample slower than the interval, a suspended machine) starts the schedule over from now
 * instead of catching up in a burst.
 */
export function createSampleLoop(
  sampler: Sampler,
  onSample: (sample: Sample) => void,
  onError: (error: Error) => void,
): { start(intervalMs: number): void; setIntervalMs(intervalMs: number): void; sampleSoon(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let intervalMs = 1000;
  let running = false;
  /** When the sample in flight (or the next one) is due, performance.now() ms. */
  let dueAt = 0;
  let lastStartAt = -Infinity;
  const run = async (): Promise<void> => {
    timer = undefined;
    if (!running) return;
    lastStartAt = performance.now();
    try {
      const sample = await sampler.sample();
      // A sample that finishes after stop() is dropped: the consumers may be closing.
      if (!running) return;
      onSample(sample);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    }
    if (!running) return;
    const now = performance.now();
    dueAt = Math.max(dueAt + intervalMs, now);
    timer = setTimeout(run, dueAt - now);
  };
  return {
    start(ms) {
      intervalMs = ms;
      if (running) return;
      running = true;
      dueAt = performance.now();
      void run();
    },
    setIntervalMs(ms) {
      intervalMs = ms;
      // Only a waiting timer is moved; a sample in flight schedules the next one itself.
      if (running && timer !== undefined) {
        clearTimeout(timer);
        dueAt = performance.now() + ms;
        timer = setTimeout(run, ms);
      }
    },
    sampleSoon() {
      // A sample in flight schedules the next one itself; one due within the gap comes soon anyway.
      if (!running || timer === undefined) return;
      const now = performance.now();
      const at = Math.max(now, lastStartAt + MIN_GAP_MS);
      if (dueAt <= at) return;
      clearTimeout(timer);
      // The schedule goes on from the early sample (the next is one interval after it).
      dueAt = at;
      timer = setTimeout(run, at - now);
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Sampling on the calling thread (tests, tools). */
export function createInlineSampleSource(sampler: Sampler): SampleSource {
  let loop: ReturnType<typeof createSampleLoop> | undefined;
  return {
    name: sampler.name,
    info: () => sampler.info(),
    async start(intervalMs, onSample, onError) {
      loop = createSampleLoop(sampler, onSample, onError);
      loop.start(intervalMs);
    },
    setIntervalMs(intervalMs) {
      loop?.setIntervalMs(intervalMs);
    },
    sampleSoon() {
      loop?.sampleSoon();
    },
    async stop() {
      loop?.stop();
      sampler.close();
    },
  };
}
