// createPlatformAdapter: picks the variant per OS, always wrapped by the guard; an OS without an
// adapter (or a native load failure) gets an adapter that refuses everything `unsupported` with why.
import { describe, expect, it, vi } from 'vitest';
import { CapabilitiesSchema, OperationSchema } from '../../../src-shared/actions';
import { createPlatformAdapter, unsupportedAdapter } from '../../../src-main/platform/index';
import { readStat } from '../../../src-main/platform/identity.linux';

const policy = { selfPids: [process.pid], exclusions: [] };

describe('createPlatformAdapter', () => {
  it('gives the guarded Linux adapter on linux, which works on a real process and refuses PID 1', async () => {
    const adapter = await createPlatformAdapter(policy, 'linux');
    expect(adapter.guarded).toBe(true);
    expect(adapter.platform).toBe('linux');
    const init = readStat(1);
    expect(await adapter.setPriority({ pid: 1, startTime: init?.startTime ?? 0 }, { nice: 19 })).toMatchObject({ kind: 'refused', reason: 'protected', rule: 'pid-1' });
    const self = readStat(process.pid);
    expect(await adapter.getPriority({ pid: process.pid, startTime: self?.startTime ?? 0 })).toMatchObject({ kind: 'value' });
  });

  it('falls back to a refusing adapter when the native bindings cannot load (win32/darwin here)', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const platform of ['win32', 'darwin'] as const) {
      const adapter = await createPlatformAdapter(policy, platform);
      expect(adapter.guarded).toBe(true);
      const result = await adapter.setPriority({ pid: 12345, startTime: 1 }, { nice: 10 });
      expect(result).toMatchObject({ kind: 'refused', reason: 'unsupported' });
      expect((result as { message: string }).message).toMatch(new RegExp(`${platform} adapter could not load its native bindings.*needs ${platform}`));
    }
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });

  it('refuses every operation on an OS without an adapter, says why, and still guards the hard rules', async () => {
    const adapter = await createPlatformAdapter(policy, 'freebsd');
    expect(adapter.guarded).toBe(true);
    expect(adapter.platform).toBe('other');
    const caps = adapter.capabilities();
    expect(CapabilitiesSchema.safeParse(caps).success).toBe(true);
    expect(Object.values(caps.operations).every((c) => !c.supported && /freebsd/.test(c.detail))).toBe(true);
    expect(Object.keys(caps.operations).sort()).toEqual([...OperationSchema.options].sort());
    const target = { pid: 4242, startTime: 7 };
    for (const result of [
      await adapter.setPriority(target, { nice: 10 }),
      await adapter.setAffinity(target, { cpus: [0] }),
      await adapter.suspend(target),
      await adapter.terminate(target, 0),
      await adapter.read(target, 'priority'),
    ]) {
      expect(result).toMatchObject({ kind: 'refused', reason: 'unsupported', message: expect.stringMatching(/no adapter for this OS/) });
    }
    expect(await adapter.setPriority({ pid: 1, startTime: 1 }, { nice: 10 })).toMatchObject({ reason: 'protected', rule: 'pid-1' });
    expect(await adapter.setPriority({ pid: process.pid, startTime: 1 }, { nice: 10 })).toMatchObject({ reason: 'protected', rule: 'allot-itself' });
    expect(await adapter.cleanup()).toEqual([]);
  });

  it('the refusing adapter refuses bad input as invalid before anything else', async () => {
    const adapter = await createPlatformAdapter(policy, 'aix');
    expect(await adapter.setPriority({ pid: 5, startTime: 1 }, { nice: 99 })).toMatchObject({ reason: 'invalid' });
    expect(unsupportedAdapter('x').platform).toBe('other');
  });
});
