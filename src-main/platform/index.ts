// Picks the OS adapter once, wrapped by the guard. (Interim: Linux only; the Windows/macOS variants
// are being added by another change.)
import type { GuardedAdapter } from './guard';
import type { ProtectionPolicy } from './protect';
import { createLinuxAdapter } from './adapter.linux';

export async function createPlatformAdapter(policy: ProtectionPolicy, platform: NodeJS.Platform = process.platform): Promise<GuardedAdapter> {
  if (platform === 'linux') return createLinuxAdapter(policy);
  throw new Error(`no adapter for ${platform} yet`);
}
