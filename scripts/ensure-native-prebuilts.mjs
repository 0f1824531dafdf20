#!/usr/bin/env node
// Makes sure the prebuilt native packages for every architecture being packaged are in node_modules.
// koffi and libsql ship their binaries as optional dependencies, one per OS/arch
// (@koromix/koffi-darwin-x64, @libsql/darwin-arm64, ...), and npm installs only the host's. A dmg for
// x64 AND arm64 built on one Mac needs both; electron-builder then packs (and asarUnpacks) them.
// Usage: node scripts/ensure-native-prebuilts.mjs [--platform darwin] [--arch x64,arm64] [--dry-run]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

function optionalDeps(pkg) {
  const path = join(root, 'node_modules', pkg, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')).optionalDependencies ?? {}) : {};
}

/** The prebuilt packages (name@version) koffi and libsql need for this platform and these archs. */
export function prebuiltPackages(platform, archs) {
  const koffi = optionalDeps('koffi');
  const libsql = optionalDeps('libsql');
  const wanted = [];
  for (const arch of archs) {
    const koffiName = `@koromix/koffi-${platform}-${arch}`;
    const libsqlName = platform === 'linux' ? `@libsql/linux-${arch}-gnu` : platform === 'win32' ? `@libsql/win32-${arch}-msvc` : `@libsql/${platform}-${arch}`;
    if (koffi[koffiName]) wanted.push({ name: koffiName, version: koffi[koffiName] });
    if (libsql[libsqlName]) wanted.push({ name: libsqlName, version: libsql[libsqlName] });
  }
  return wanted;
}

export function missing(packages) {
  return packages.filter(({ name }) => !existsSync(join(root, 'node_modules', ...name.split('/'), 'package.json')));
}

function main(argv) {
  const value = (flag, fallback) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const platform = value('--platform', process.platform);
  const archs = value('--arch', process.arch).split(',');
  const needed = missing(prebuiltPackages(platform, archs));
  if (needed.length === 0) {
    console.log(`native prebuilts for ${platform} ${archs.join(', ')}: all present`);
    return 0;
  }
  const specs = needed.map(({ name, version }) => `${name}@${version}`);
  console.log(`installing native prebuilts: ${specs.join(' ')}`);
  if (argv.includes('--dry-run')) return 0;
  // --force: these packages declare another cpu/os than the build machine's; --no-save keeps the lockfile.
  const result = spawnSync('npm', ['install', '--no-save', '--force', '--ignore-scripts', '--no-audit', '--no-fund', ...specs], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  return result.status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
