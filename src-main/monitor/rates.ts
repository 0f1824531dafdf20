// Raw counters -> rates. Shared by every collector's processing step. Counters that go backwards
// (wrap, reset, a reused slot) give 0, never a negative or absurd rate.

/** Rate per second of a cumulative counter over `intervalMs`. */
export function ratePerSec(previous: number | undefined, current: number, intervalMs: number): number {
  if (previous === undefined || intervalMs <= 0 || current < previous) return 0;
  return ((current - previous) * 1000) / intervalMs;
}

/** CPU % (100 = one core) from cumulative CPU time in ms over `intervalMs` of wall time. */
export function cpuPercentFromMs(previousMs: number | undefined, currentMs: number, intervalMs: number): number {
  if (previousMs === undefined || intervalMs <= 0 || currentMs < previousMs) return 0;
  return ((currentMs - previousMs) / intervalMs) * 100;
}
