// Electron fuses Allot flips at package time, in one place: the afterPack hook (after-pack.cjs) applies
// this, and test/main/packaging/fuses.test.ts reads it. Fuses are bits in the Electron binary that
// switch features off before any code runs, so a packaged Allot cannot be turned into a general
// Node runtime (ELECTRON_RUN_AS_NODE, NODE_OPTIONS, --inspect) or made to load code from outside its
// signed, integrity-checked app.asar. See https://www.electronjs.org/docs/latest/tutorial/fuses
'use strict';

/** Fuse name (as in @electron/fuses FuseV1Options) -> wanted state. */
const FUSES = Object.freeze({
  RunAsNode: false,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  OnlyLoadAppFromAsar: true,
  // Checked by Electron on macOS and Windows (electron-builder embeds the asar hash); no effect on Linux.
  EnableEmbeddedAsarIntegrityValidation: true,
  EnableCookieEncryption: true,
});

/**
 * The config object for @electron/fuses flipFuses() / packager.addElectronFuses().
 * @param {{ FuseVersion: Record<string, unknown>, FuseV1Options: Record<string, number> }} fusesModule  require('@electron/fuses')
 * @param {string} platform  electronPlatformName: darwin | mas | win32 | linux
 * @param {string} arch  electron-builder Arch name: x64 | arm64 | ia32 | armv7l | universal
 */
function fuseConfig(fusesModule, platform, arch) {
  const config = {
    version: fusesModule.FuseVersion.V1,
    // An arm64 macOS binary must stay signed (ad hoc) after its bytes change, or it will not launch.
    resetAdHocDarwinSignature: (platform === 'darwin' || platform === 'mas') && (arch === 'arm64' || arch === 'universal'),
  };
  for (const [name, enabled] of Object.entries(FUSES)) {
    const index = fusesModule.FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`@electron/fuses has no fuse named ${name}`);
    config[index] = enabled;
  }
  return config;
}

module.exports = { FUSES, fuseConfig };
