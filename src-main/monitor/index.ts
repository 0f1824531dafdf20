// Picks the collector for this OS, once. Linux reads /proc directly; Windows and macOS use one
// native call for all processes (koffi); anything else, or a native load failure, falls back to the
// portable systeminformation-based sampler so the app still runs.
import type { Sampler } from './types';
import { createLinuxSampler } from './sampler.linux';
import { createSiSampler } from './sampler.si';
import { createLaunchWatch, type LaunchWatch, type LaunchWatchOptions } from './launch-watch.linux';

export async function createSampler(platform: NodeJS.Platform = process.platform): Promise<Sampler> {
  try {
    switch (platform) {
      case 'linux':
        return createLinuxSampler();
      case 'win32': {
        const [{ loadWin32ProcessApi }, { createWin32Sampler }] = await Promise.all([
          import('./bindings.win32'),
          import('./sampler.win32'),
        ]);
        return createWin32Sampler(await loadWin32ProcessApi());
      }
      case 'darwin': {
        const [{ loadDarwinProcessApi }, { createDarwinSampler }] = await Promise.all([
          import('./bindings.darwin'),
          import('./sampler.darwin'),
        ]);
        return createDarwinSampler(await loadDarwinProcessApi());
      }
      default:
        return createSiSampler();
    }
  } catch (error) {
    console.error(`[allot] native collector unavailable (${(error as Error).message}); using the portable collector`);
    return createSiSampler();
  }
}

/**
 * Early sight of launches where the OS offers a cheap way (Linux: the last pid handed out, in
 * /proc/loadavg); undefined elsewhere, where launches are first seen by the next sample.
 */
export function createLaunchWatchFor(options: LaunchWatchOptions, platform: NodeJS.Platform = process.platform): LaunchWatch | undefined {
  return platform === 'linux' ? createLaunchWatch(options) : undefined;
}
