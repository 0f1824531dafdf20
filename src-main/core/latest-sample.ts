// The latest sample, asked for when needed (a /metrics scrape, the tray's refresh) instead of taking
// every tick: with no window or browser open, no tick crosses from the core at all.
import type { Sample } from '../../src-shared/domain';
import type { CoreLike } from './service';

/** The core's latest sample through the contract, or undefined before the first one. */
export async function latestSample(core: Pick<CoreLike, 'handle'>): Promise<Sample | undefined> {
  const [summary, list] = await Promise.all([core.handle('system.summary', {}), core.handle('processes.snapshot', {})]);
  if (!summary.ok || !list.ok) return undefined;
  const { at, system } = summary.value as Pick<Sample, 'at' | 'system'>;
  return { at, intervalMs: 0, system, processes: (list.value as Pick<Sample, 'processes'>).processes };
}
