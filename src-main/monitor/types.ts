// The one interface every OS collector implements. The core (and the sampler worker) only ever
// sees a `Sampler`; which variant runs is picked once in `monitor/index.ts` by platform.
import type { Sample, SystemInfo } from '../../src-shared/domain';

export interface Sampler {
  /** Short human name, e.g. "linux-procfs", shown in app.info. */
  readonly name: string;
  /** Static facts, read once. */
  info(): Promise<SystemInfo>;
  /**
   * Read raw counters and turn them into one Sample (rates over the time since the previous call).
   * Never throws for a single failing source: that source goes into `sample.errors`.
   * The first call primes the counters; its rates are zero.
   */
  sample(): Promise<Sample>;
  /** Release file descriptors, native handles. */
  close(): void;
}
