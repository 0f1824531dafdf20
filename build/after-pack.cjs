// electron-builder afterPack hook (runs after the app is laid out, before signing and before the
// installers are made): flips the Electron fuses named in fuses.cjs on the packaged binary.
'use strict';
const fuses = require('@electron/fuses');
const { fuseConfig } = require('./fuses.cjs');

/** builder-util's Arch enum (context.arch is its number). */
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal'];

/** @param {import('app-builder-lib').AfterPackContext} context */
exports.default = async function afterPack(context) {
  const config = fuseConfig(fuses, context.electronPlatformName, ARCH_NAMES[context.arch] ?? String(context.arch));
  await context.packager.addElectronFuses(context, config);
};
