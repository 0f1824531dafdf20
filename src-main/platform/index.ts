// Picks the actuation adapter for this OS, once (the composition root calls this). Linux uses
// /proc, syscalls and cgroups; Windows and macOS load their koffi bindings through dynamic imports,
// so no native library is touched on the other OSes. Any other OS, or a native load failure, gets an
// adapter whose every operation is refused `unsupported` with the reason. Every variant is wrapped
// in the never-touch guard, so no caller can reach an unguarded adapter.
import type { ProcessIdentity } from '../../src-shared/domain';
import type { Capabilities, Change, ReadableOperation } from '../../src-shared/actions';
import { OperationSchema } from '../../src-shared/actions';
import { namedOperations, type PlatformAdapter } from './types';
import { guardAdapter, type GuardedAdapter } from './guard';
import type { ProtectionPolicy } from './protect';
import { refused } from './errors';
import { errorMessage } from '../../src-shared/errors';

export type { GuardedAdapter } from './guard';

export async function createPlatformAdapter(policy: ProtectionPolicy, platform: NodeJS.Platform = process.platform): Promise<GuardedAdapter> {
  try {
    switch (platform) {
      case 'linux': {
        const { unguardedLinuxAdapter } = await import('./adapter.linux');
        return guardAdapter(unguardedLinuxAdapter(), policy);
      }
      case 'win32': {
        const [{ loadWin32ActuationApi }, { unguardedWin32Adapter }] = await Promise.all([import('./bindings.win32'), import('./adapter.win32')]);
        return guardAdapter(unguardedWin32Adapter(await loadWin32ActuationApi()), policy);
      }
      case 'darwin': {
        const [{ loadDarwinActuationApi }, { unguardedDarwinAdapter }] = await Promise.all([import('./bindings.darwin'), import('./adapter.darwin')]);
        return guardAdapter(unguardedDarwinAdapter(await loadDarwinActuationApi()), policy);
      }
      default:
        return guardAdapter(unsupportedAdapter(`Allot cannot change processes on ${platform}: there is no adapter for this OS`), policy);
    }
  } catch (error) {
    const why = `the ${platform} adapter could not load its native bindings (${errorMessage(error)})`;
    console.error(`[allot] ${why}; every change will be refused`);
    return guardAdapter(unsupportedAdapter(why), policy);
  }
}

/**
 * An adapter that refuses every operation `unsupported` with `reason` and reports no capability.
 * describe() echoes the identity with no further facts (this OS gives Allot no way to read them), so
 * the guard's hard rules (PID 1, Allot itself) still apply and everything else reaches apply(), which
 * refuses with the reason instead of a misleading "protected".
 */
export function unsupportedAdapter(reason: string): PlatformAdapter {
  const core = {
    read: async (_target: ProcessIdentity, _op: ReadableOperation) => refused('unsupported', reason),
    apply: async (_target: ProcessIdentity, _change: Change) => refused('unsupported', reason),
  };
  const operations = Object.fromEntries(OperationSchema.options.map((op) => [op, { supported: false, detail: reason }])) as Capabilities['operations'];
  return {
    platform: 'other',
    capabilities: () => ({ platform: 'other', privileged: false, operations, notes: [reason] }),
    ...core,
    ...namedOperations(core),
    describe: async (target) => ({ pid: target.pid, ppid: 0, startTime: target.startTime, name: '' }),
    cleanup: async () => [],
  };
}
