// The fuse configuration the packaging applies (build/fuses.cjs, read by build/after-pack.cjs).
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuseV1Options, FuseVersion, getCurrentFuseWire } from '@electron/fuses';
import { describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);
const { FUSES, fuseConfig } = require('../../../build/fuses.cjs') as {
  FUSES: Record<string, boolean>;
  fuseConfig(module: unknown, platform: string, arch: string): Record<string, unknown>;
};
const fusesModule = require('@electron/fuses') as unknown;

describe('electron fuses', () => {
  it('turns off RunAsNode, NODE_OPTIONS and --inspect, and turns on asar-only, asar integrity and cookie encryption', () => {
    expect(FUSES).toEqual({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      OnlyLoadAppFromAsar: true,
      EnableEmbeddedAsarIntegrityValidation: true,
      EnableCookieEncryption: true,
    });
  });

  it('maps to the @electron/fuses config by fuse index, for every platform', () => {
    for (const [platform, arch] of [['linux', 'x64'], ['win32', 'x64'], ['darwin', 'x64'], ['darwin', 'arm64']] as const) {
      const config = fuseConfig(fusesModule, platform, arch);
      expect(config['version']).toBe(FuseVersion.V1);
      expect(config[FuseV1Options.RunAsNode]).toBe(false);
      expect(config[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
      expect(config[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
      expect(config[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
      expect(config[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
      expect(config[FuseV1Options.EnableCookieEncryption]).toBe(true);
      expect(config['resetAdHocDarwinSignature']).toBe(platform === 'darwin' && arch === 'arm64');
    }
  });

  it('refuses a fuse name @electron/fuses does not know', () => {
    expect(() => fuseConfig({ FuseVersion, FuseV1Options: {} }, 'linux', 'x64')).toThrow(/no fuse named RunAsNode/);
  });

  it('the afterPack hook hands exactly this config to the packager', async () => {
    const hook = require('../../../build/after-pack.cjs') as { default(context: unknown): Promise<void> };
    const addElectronFuses = vi.fn(async () => 0);
    await hook.default({ electronPlatformName: 'darwin', arch: 3 /* arm64 */, appOutDir: '/x', packager: { addElectronFuses } });
    expect(addElectronFuses).toHaveBeenCalledTimes(1);
    expect((addElectronFuses.mock.calls[0] as unknown[])[1]).toEqual(fuseConfig(fusesModule, 'darwin', 'arm64'));
  });

  it('flips the fuse wire of a binary: a fake Electron sentinel reads back as configured', async () => {
    // @electron/fuses finds the wire after this sentinel: [version, length, ...states].
    const sentinel = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'ascii');
    const states = Buffer.from('111111', 'ascii'); // all six enabled
    const binary = Buffer.concat([Buffer.alloc(64), sentinel, Buffer.from([1, states.length]), states, Buffer.alloc(64)]);
    const path = join(mkdtempSync(join(tmpdir(), 'allot-fuses-')), 'electron');
    writeFileSync(path, binary);
    const { flipFuses } = await import('@electron/fuses');
    await flipFuses(path, fuseConfig(fusesModule, 'linux', 'x64') as Parameters<typeof flipFuses>[1]);
    const wire = await getCurrentFuseWire(path);
    expect(wire[FuseV1Options.RunAsNode]).toBe(48); // '0' = disabled
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(48);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(48);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(49);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(49);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(49);
  });
});
